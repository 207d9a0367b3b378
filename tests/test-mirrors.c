/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>

#include <gio/gio.h>

#include "dp-download.h"
#include "dp-error.h"
#include "dp-metalink.h"
#include "dp-test-fixture.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * One file from several addresses: mirrors given with the download,
 * named by the server (Link: rel=duplicate) or by a Metalink file; the
 * digests that check the file without a checksum from the user. Two
 * in-process servers play the mirrors; each test checks what each of
 * them was asked (ranges, validators, refusals), not only the file.
 */

#define MiB ((guint64) 1 << 20)

typedef struct
{
  DpTestFixture base;
  DpTestServer *second;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  DpTestFixture *base = NULL;

  dp_test_fixture_setup ((void **) &base);
  f->base = *base;
  g_free (base);
  f->second = dp_test_server_new ();
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  DpTestFixture *base = g_memdup2 (&f->base, sizeof f->base);

  dp_test_server_free (f->second);
  dp_test_fixture_teardown ((void **) &base);
  g_free (f);
  return 0;
}

/* Range GETs a server answered with 206. */
static guint
count_parts (DpTestServer *server)
{
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (server);

  return dp_test_log_count (log, "GET", NULL, 206);
}

static const DpMirrorInfo *
find_info (GPtrArray  *infos,
           const char *url_part)
{
  for (guint i = 0; i < infos->len; i++)
    {
      const DpMirrorInfo *info = g_ptr_array_index (infos, i);

      if (strstr (info->url, url_part) != NULL)
        return info;
    }
  return NULL;
}

static char *
port_of (DpTestServer *server)
{
  g_autofree char *url = dp_test_server_url (server, "/");
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return g_strdup_printf (":%d/", g_uri_get_port (uri));
}

/* An address where nothing listens: a server that refuses connections. */
static char *
closed_url (const char *path_and_query)
{
  DpTestServer *server = dp_test_server_new ();
  char *url = dp_test_server_url (server, path_and_query);

  dp_test_server_free (server);
  return url;
}

/* Both mirrors deliver, each with its own connections, and every byte
 * is accounted to one of them. */
static void
test_two_mirrors_share_the_file (void **state)
{
  Fixture *f = *state;
  guint64 size = 12 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/shared.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 6);
  g_autoptr(GPtrArray) infos = NULL;
  g_autofree char *second_port = port_of (f->second);
  const DpMirrorInfo *info;
  gint64 total = 0;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);

  /* Each served a good share of the file, in parts. */
  assert_true (count_parts (f->base.server) >= 2);
  assert_true (count_parts (f->second) >= 2);
  assert_true (dp_test_server_get_bytes_sent (f->base.server) >= size / 4);
  assert_true (dp_test_server_get_bytes_sent (f->second) >= size / 4);

  infos = dp_download_dup_mirror_infos (download);
  assert_int_equal (infos->len, 2);
  for (guint i = 0; i < infos->len; i++)
    {
      info = g_ptr_array_index (infos, i);
      assert_int_not_equal (info->state, DP_MIRROR_STATE_DROPPED);
      assert_true (info->received > 0);
      total += info->received;
    }
  /* Every byte came from one of them, none twice. */
  assert_int_equal (total, (gint64) size);
  info = find_info (infos, second_port);
  assert_non_null (info);
  assert_false (info->from_server);
}

/* With automatic connections (dozens, some closed as slow now and
 * then on a shared path) two equal mirrors are both kept to the end. */
static void
test_equal_mirrors_both_kept (void **state)
{
  Fixture *f = *state;
  guint64 size = 24 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/equal.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, (guint64) 512 * 1024);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, DP_DOWNLOAD_SEGMENTS_AUTO);
  g_autoptr(GPtrArray) infos = NULL;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);
  infos = dp_download_dup_mirror_infos (download);
  for (guint i = 0; i < infos->len; i++)
    {
      const DpMirrorInfo *info = g_ptr_array_index (infos, i);

      assert_int_not_equal (info->state, DP_MIRROR_STATE_DROPPED);
      assert_true (info->received >= (gint64) size / 5);
    }
}

/* A mirror far slower per connection gets less of the file. */
static void
test_slow_mirror_gets_less (void **state)
{
  Fixture *f = *state;
  guint64 size = 16 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/slowmirror.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *slow = g_strdup_printf ("/file/slowmirror.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                           size, (guint64) 128 * 1024);
  g_autofree char *mirror = dp_test_server_url (f->second, slow);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) infos = NULL;
  const DpMirrorInfo *fast_info, *slow_info;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);
  infos = dp_download_dup_mirror_infos (download);
  fast_info = g_ptr_array_index (infos, 0);
  slow_info = g_ptr_array_index (infos, 1);
  assert_true (fast_info->received > 4 * slow_info->received);
}

/* Each mirror takes three connections and refuses a fourth: a refusal
 * lowers that mirror's share only, and the download ends up with three
 * on each, not three in all. */
static void
test_refusal_lowers_only_that_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 16 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/limited.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&maxconn=3",
                                            size, 1 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 8);
  g_autoptr(GPtrArray) first_log = NULL;
  g_autoptr(GPtrArray) second_log = NULL;
  guint refused;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);

  first_log = dp_test_server_dup_log (f->base.server);
  second_log = dp_test_server_dup_log (f->second);
  refused = dp_test_log_count (first_log, "GET", NULL, 503) + dp_test_log_count (second_log, "GET", NULL, 503);
  /* Eight asked for, six taken: two refusals in all, give or take one
   * a retiring connection crossed. */
  assert_true (refused >= 1);
  assert_true (refused <= 4);
  /* Both mirrors were used to their limit. */
  assert_int_equal (dp_test_server_get_max_concurrent (f->base.server) >= 3, TRUE);
  assert_int_equal (dp_test_server_get_max_concurrent (f->second) >= 3, TRUE);
  assert_true (count_parts (f->base.server) >= 3);
  assert_true (count_parts (f->second) >= 3);
}

/* Every mirror must have the same file: one of another size is dropped
 * after its first answer, and the file comes whole from the other. */
static void
test_mirror_of_another_size_is_dropped (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/sized.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *other = g_strdup_printf ("/file/sized.bin?size=%" G_GUINT64_FORMAT, size + 1);
  g_autofree char *mirror = dp_test_server_url (f->second, other);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GPtrArray) second_log = NULL;
  g_autofree char *second_port = port_of (f->second);
  const DpMirrorInfo *info;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);

  second_log = dp_test_server_dup_log (f->second);
  /* Asked once per connection that went there, then never again. */
  assert_true (second_log->len >= 1);
  assert_true (second_log->len <= 4);
  assert_true (dp_test_fixture_has_notice (&f->base, "Stopped using"));
  infos = dp_download_dup_mirror_infos (download);
  info = find_info (infos, second_port);
  assert_non_null (info);
  assert_int_equal (info->state, DP_MIRROR_STATE_DROPPED);
  assert_non_null (info->reason);
  assert_non_null (strstr (info->reason, "size"));
  assert_int_equal (info->received, 0);
}

/* A mirror that refuses every connection is dropped; the other carries
 * the download. */
static void
test_refusing_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/refusing.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *mirror = closed_url (query);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) infos = NULL;
  const DpMirrorInfo *info;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);

  infos = dp_download_dup_mirror_infos (download);
  assert_int_equal (infos->len, 2);
  info = g_ptr_array_index (infos, 1);
  assert_int_equal (info->state, DP_MIRROR_STATE_DROPPED);
  assert_int_equal (info->received, 0);
  info = g_ptr_array_index (infos, 0);
  assert_int_equal (info->received, (gint64) size);
}

/* The user's own address refuses connections: a mirror answers the
 * probe instead, and the download never waits for back-offs. */
static void
test_first_address_down_uses_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 4 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/down.bin?size=%" G_GUINT64_FORMAT, size);
  g_autofree char *first = closed_url (query);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autoptr(DpDownload) download = dp_test_fixture_download_url (&f->base, first, 4);
  g_autoptr(GPtrArray) infos = NULL;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);
  assert_true (count_parts (f->second) >= 1);
  /* The file is named after the address it is. */
  assert_true (g_str_has_suffix (dp_download_get_path (download), "down.bin"));
  infos = dp_download_dup_mirror_infos (download);
  assert_int_equal (infos->len, 2);
}

/* A mirror that goes away mid-download: its connections fail, new ones
 * are refused, and its ranges move to the other. */
static void
on_progress_stop_second (DpDownload *download,
                         gpointer    user_data)
{
  Fixture *f = user_data;

  if (dp_download_get_received (download) >= 3 * (gint64) MiB)
    dp_test_server_stop (f->second);
}

static void
test_mirror_goes_away (void **state)
{
  Fixture *f = *state;
  guint64 size = 12 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/away.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 1 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 6);
  g_autoptr(GPtrArray) infos = NULL;
  const DpMirrorInfo *info;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  g_signal_connect (download, "progress", G_CALLBACK (on_progress_stop_second), f);
  dp_test_run_ok (download, 1, size);

  assert_true (count_parts (f->second) >= 1);
  infos = dp_download_dup_mirror_infos (download);
  info = g_ptr_array_index (infos, 1);
  assert_int_equal (info->state, DP_MIRROR_STATE_DROPPED);
  info = g_ptr_array_index (infos, 0);
  assert_true (info->received > (gint64) size / 2);
}

/* Validators are each mirror's own: ETags differ between mirrors, and
 * each mirror's ranges carry its own in If-Range. */
static void
test_validators_per_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/tags.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=first",
                                            size, 2 * MiB);
  /* Parts of at most 1 MiB: each of its connections asks again. */
  g_autofree char *other = g_strdup_printf ("/file/tags.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=second&short=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB, 1 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, other);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) first_log = NULL;
  g_autoptr(GPtrArray) second_log = NULL;
  guint with_tag = 0;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);

  first_log = dp_test_server_dup_log (f->base.server);
  second_log = dp_test_server_dup_log (f->second);
  for (guint i = 0; i < first_log->len; i++)
    {
      const DpTestRequest *request = g_ptr_array_index (first_log, i);

      if (request->if_range != NULL)
        assert_string_equal (request->if_range, "\"first\"");
      assert_int_not_equal (request->status, 200);
    }
  for (guint i = 0; i < second_log->len; i++)
    {
      const DpTestRequest *request = g_ptr_array_index (second_log, i);

      if (request->if_range != NULL)
        {
          assert_string_equal (request->if_range, "\"second\"");
          with_tag++;
        }
      /* Never answered with the whole file: no mix-up of validators. */
      assert_int_equal (request->status, 206);
    }
  /* After its first answer, the mirror's own tag went with its ranges. */
  assert_true (second_log->len >= 2);
  assert_true (with_tag >= 1);
}

/* A mirror whose copy changes during the download is dropped; the file
 * is not a mix of its versions. */
static void
test_mirror_that_changes_is_dropped (void **state)
{
  Fixture *f = *state;
  guint64 size = 12 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/changing.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=v1",
                                            size, 1 * MiB);
  g_autofree char *other = g_strdup_printf ("/file/changing.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=v1&changeafter=2",
                                            size, 1 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, other);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 6);
  g_autoptr(GPtrArray) infos = NULL;
  const DpMirrorInfo *info;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  dp_test_run_ok (download, 1, size);
  infos = dp_download_dup_mirror_infos (download);
  info = g_ptr_array_index (infos, 1);
  assert_int_equal (info->state, DP_MIRROR_STATE_DROPPED);
}

/* A server that names its mirrors (RFC 6249, as MirrorBrain does) gets
 * them used without being asked. */
static void
test_link_duplicate_adds_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *plain = g_strdup_printf ("/file/linked.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *mirror = dp_test_server_url (f->second, plain);
  g_autofree char *escaped = g_uri_escape_string (mirror, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("%s&duplicate=%s", plain, escaped);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) infos = NULL;
  g_autofree char *second_port = port_of (f->second);
  const DpMirrorInfo *info;

  dp_test_run_ok (download, 1, size);
  assert_true (count_parts (f->second) >= 1);
  infos = dp_download_dup_mirror_infos (download);
  info = find_info (infos, second_port);
  assert_non_null (info);
  assert_true (info->from_server);
  assert_true (info->received > 0);
}

/* ...unless the user wants only the addresses given. */
static void
test_server_mirrors_can_be_refused (void **state)
{
  Fixture *f = *state;
  guint64 size = 4 * MiB;
  g_autofree char *plain = g_strdup_printf ("/file/unlinked.bin?size=%" G_GUINT64_FORMAT, size);
  g_autofree char *mirror = dp_test_server_url (f->second, plain);
  g_autofree char *escaped = g_uri_escape_string (mirror, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("%s&duplicate=%s", plain, escaped);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GPtrArray) infos = NULL;

  dp_download_set_use_server_mirrors (download, FALSE);
  dp_test_run_ok (download, 1, size);
  assert_int_equal (dp_test_server_get_requests (f->second), 0);
  infos = dp_download_dup_mirror_infos (download);
  assert_int_equal (infos->len, 1);
}

/* The probe asks for the file's digest, and a server that gives one
 * has the file checked before it gets its name. */
static void
test_server_digest_verifies (void **state)
{
  Fixture *f = *state;
  const char *kinds[] = { "reprdigest=sha-256", "reprdigest=sha-512", "reprdigest=both",
                          "legacydigest=sha-256", "legacydigest=sha-512" };
  const char *algorithms[] = { "sha256", "sha512", "sha512", "sha256", "sha512" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      guint64 size = 2 * MiB + k;
      g_autofree char *query = g_strdup_printf ("/file/digest-%u.bin?size=%" G_GUINT64_FORMAT "&%s",
                                                k, size, kinds[k]);
      g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
      g_autoptr(GPtrArray) log = NULL;
      const DpTestRequest *first;

      dp_test_server_reset_counters (f->base.server);
      dp_test_run_ok (download, 1, size);
      assert_int_equal (dp_download_get_verified_by (download), DP_DIGEST_ORIGIN_SERVER);
      assert_string_equal (dp_download_get_verified_algorithm (download), algorithms[k]);
      assert_int_equal (dp_download_get_checksum_result (download), DP_DOWNLOAD_CHECKSUM_VERIFIED);
      log = dp_test_server_dup_log (f->base.server);
      first = g_ptr_array_index (log, 0);
      assert_non_null (strstr (first->headers, "Want-Repr-Digest: sha-256=10, sha-512=3"));
    }
}

/* A server digest that does not match: a clean failure, nothing under
 * the final name. */
static void
test_wrong_server_digest_fails (void **state)
{
  Fixture *f = *state;
  g_autofree char *query = g_strdup_printf ("/file/wrong.bin?size=%" G_GUINT64_FORMAT "&reprdigest=wrong", 2 * MiB);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GError) error = dp_test_fixture_run_fails (&f->base, download, DP_ERROR_CHECKSUM, -1);

  assert_non_null (strstr (error->message, "server"));
  assert_int_equal (dp_download_get_checksum_result (download), DP_DOWNLOAD_CHECKSUM_MISMATCH);
  /* Nothing is kept to continue from either. */
  assert_int_equal (dp_test_count_files (f->base.dir), 0);
}

/* The user's checksum wins over what the server says. */
static void
test_user_checksum_wins (void **state)
{
  Fixture *f = *state;
  guint64 size = 2 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/mine.bin?size=%" G_GUINT64_FORMAT "&reprdigest=wrong", size);
  g_autofree char *sum = dp_test_content_sha256 (1, size);
  g_autofree char *checksum = g_strdup_printf ("sha256:%s", sum);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);

  dp_download_set_checksum (download, checksum);
  dp_test_run_ok (download, 1, size);
  assert_int_equal (dp_download_get_verified_by (download), DP_DIGEST_ORIGIN_USER);
}

/* A mirror with a damaged copy under the same validators, and only a
 * digest of the whole file: the download fails cleanly, never with a
 * damaged file. */
static void
test_damaged_mirror_never_saved (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/damaged.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=same&reprdigest=sha-256",
                                            size, 2 * MiB);
  g_autofree char *other = g_strdup_printf ("%s&damage=%" G_GUINT64_FORMAT, query, size - 64 * 1024);
  g_autofree char *mirror = dp_test_server_url (f->second, other);
  g_autoptr(DpDownload) download = dp_test_fixture_download (&f->base, query, 4);
  g_autoptr(GError) error = NULL;

  assert_true (dp_download_add_mirror (download, mirror, NULL));
  /* The end of the file is fetched by a connection of the mirror only
   * if it gets there first; either way the file must never be saved
   * damaged. */
  if (dp_test_run_download (download, 120, &error))
    dp_test_assert_file (download, 1, size);
  else
    {
      assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM));
      assert_int_equal (dp_test_count_files (f->base.dir), 0);
    }
}

/* A Metalink document for the two servers' copies, with pieces. */
static char *
make_metalink (const char *name,
               guint64     size,
               GStrv       urls,
               gint64      piece_length,
               gboolean    with_hash)
{
  GString *xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n");

  g_string_append_printf (xml, "  <file name=\"%s\">\n    <size>%" G_GUINT64_FORMAT "</size>\n", name, size);
  if (with_hash)
    {
      g_autofree char *sum = dp_test_content_sha256 (1, size);

      g_string_append_printf (xml, "    <hash type=\"sha-256\">%s</hash>\n", sum);
    }
  if (piece_length > 0)
    {
      g_string_append_printf (xml, "    <pieces length=\"%" G_GINT64_FORMAT "\" type=\"sha-256\">\n", piece_length);
      for (guint64 at = 0; at < size; at += (guint64) piece_length)
        {
          g_autofree char *hex = dp_test_content_hex (G_CHECKSUM_SHA256, 1, at,
                                                      MIN ((guint64) piece_length, size - at));

          g_string_append_printf (xml, "      <hash>%s</hash>\n", hex);
        }
      g_string_append (xml, "    </pieces>\n");
    }
  for (guint i = 0; urls[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (urls[i], -1);

      g_string_append_printf (xml, "    <url priority=\"%u\">%s</url>\n", i + 1, escaped);
    }
  g_string_append (xml, "  </file>\n</metalink>\n");
  return g_string_free (xml, FALSE);
}

static DpMetalinkFile *
parse_one (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = dp_metalink_parse (xml, -1, &error);
  DpMetalinkFile *file;

  if (files == NULL)
    fail_msg ("%s", error->message);
  assert_int_equal (files->len, 1);
  file = g_ptr_array_steal_index (files, 0);
  return file;
}

/* Pieces are checked as they complete: a damaged mirror's piece is
 * fetched again, the mirror is trusted less, and the file is right. */
static void
test_pieces_catch_damaged_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *good = g_strdup_printf ("/file/pieces.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&etag=same",
                                           size, 2 * MiB);
  /* Damage where the mirror's own first range starts: it is the
   * mirror's, whoever gets there. */
  g_autofree char *bad = g_strdup_printf ("%s&damage=%" G_GUINT64_FORMAT, good, size / 2 + 16 * 1024);
  g_autofree char *first = dp_test_server_url (f->base.server, good);
  g_autofree char *second = dp_test_server_url (f->second, bad);
  char *urls[] = { first, second, NULL };
  g_autofree char *xml = make_metalink ("pieces.bin", size, urls, 256 * 1024, TRUE);
  g_autoptr(DpMetalinkFile) file = parse_one (xml);
  g_autoptr(DpDownload) download = dp_download_new_from_metalink (file);
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GPtrArray) log = NULL;
  guint covering = 0;
  const DpMirrorInfo *info;

  dp_download_set_directory (download, f->base.dir);
  dp_download_set_segments (download, 2);
  dp_download_set_retry_delay (download, 10);
  dp_test_run_ok (download, 1, size);
  assert_int_equal (dp_download_get_verified_by (download), DP_DIGEST_ORIGIN_METALINK);

  infos = dp_download_dup_mirror_infos (download);
  info = g_ptr_array_index (infos, 1);
  if (info->received > 0)
    {
      /* The mirror delivered the damaged bytes: they were caught, and
       * the piece was asked for again. */
      assert_true (info->bad_pieces >= 1);
      for (guint s = 0; s < 2; s++)
        {
          log = dp_test_server_dup_log (s == 0 ? f->base.server : f->second);
          for (guint i = 0; i < log->len; i++)
            {
              gint64 a, b;

              if (dp_test_request_get_range (g_ptr_array_index (log, i), &a, &b) &&
                  a <= (gint64) (size / 2 + 16 * 1024) && b >= (gint64) (size / 2 + 16 * 1024))
                covering++;
            }
          g_clear_pointer (&log, g_ptr_array_unref);
        }
      assert_true (covering >= 2);
    }
}

/* A mirror whose whole copy is another file of the same size: every
 * piece it writes fails, it is caught and dropped, and the file comes
 * right from the other address, without the bad pieces of one mirror
 * counting against the download. */
static void
test_pieces_drop_a_wrong_copy (void **state)
{
  Fixture *f = *state;
  guint64 size = 16 * MiB;
  g_autofree char *good = g_strdup_printf ("/file/wrongcopy.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                           size, 4 * MiB);
  g_autofree char *bad = g_strdup_printf ("/file/wrongcopy.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&seed=2",
                                          size, 4 * MiB);
  g_autofree char *first = dp_test_server_url (f->base.server, good);
  g_autofree char *second = dp_test_server_url (f->second, bad);
  char *urls[] = { first, second, NULL };
  g_autofree char *xml = make_metalink ("wrongcopy.bin", size, urls, 256 * 1024, FALSE);
  g_autoptr(DpMetalinkFile) file = parse_one (xml);
  g_autoptr(DpDownload) download = dp_download_new_from_metalink (file);
  g_autoptr(GPtrArray) infos = NULL;
  const DpMirrorInfo *info;

  dp_download_set_directory (download, f->base.dir);
  dp_download_set_segments (download, 2);
  dp_download_set_retry_delay (download, 10);
  dp_test_run_ok (download, 1, size);
  infos = dp_download_dup_mirror_infos (download);
  info = g_ptr_array_index (infos, 1);
  assert_int_equal (info->state, DP_MIRROR_STATE_DROPPED);
  assert_true (info->bad_pieces >= 2);
  info = g_ptr_array_index (infos, 0);
  assert_int_equal (info->bad_pieces, 0);
  assert_int_not_equal (info->state, DP_MIRROR_STATE_DROPPED);
}

/* A Metalink download stopped and started again continues from the
 * file's addresses, not from the Metalink's. */
static void
test_metalink_download_restarts (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/again.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 1 * MiB);
  g_autofree char *first = dp_test_server_url (f->base.server, query);
  g_autofree char *second = dp_test_server_url (f->second, query);
  char *urls[] = { first, second, NULL };
  g_autofree char *xml = make_metalink ("again.bin", size, urls, 0, TRUE);
  g_autoptr(DpDownload) download = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  DpTestStop stop = { 2 * (gint64) MiB, FALSE };

  dp_test_server_add_document (f->base.server, "/meta/again.meta4", "application/metalink4+xml", xml, -1);
  address = dp_test_server_url (f->base.server, "/meta/again.meta4");
  download = dp_test_fixture_download_url (&f->base, address, 4);
  g_signal_connect (download, "progress", G_CALLBACK (dp_test_stop_after_bytes), &stop);
  assert_false (dp_test_run_download (download, 120, &error));
  assert_true (stop.stopped);
  g_clear_error (&error);

  dp_test_run_ok (download, 1, size);
  /* The document was read once. */
  log = dp_test_server_dup_log (f->base.server);
  assert_int_equal (dp_test_log_count (log, "GET", "/meta/again.meta4", 0), 1);
  assert_true (dp_test_fixture_has_notice (&f->base, "Continuing"));
}

/* An address that is a Metalink document: the file it describes is
 * downloaded from its mirrors under its name, checked against its hash. */
static void
test_metalink_address (void **state)
{
  Fixture *f = *state;
  guint64 size = 6 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/x.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *first = dp_test_server_url (f->base.server, query);
  g_autofree char *second = dp_test_server_url (f->second, query);
  char *urls[] = { first, second, NULL };
  g_autofree char *xml = make_metalink ("release-1.0.iso", size, urls, 0, TRUE);
  g_autoptr(DpDownload) download = NULL;
  g_autofree char *address = NULL;

  dp_test_server_add_document (f->base.server, "/meta/release.meta4", "application/metalink4+xml", xml, -1);
  address = dp_test_server_url (f->base.server, "/meta/release.meta4");
  download = dp_test_fixture_download_url (&f->base, address, 4);
  dp_test_run_ok (download, 1, size);
  assert_true (g_str_has_suffix (dp_download_get_path (download), "/release-1.0.iso"));
  assert_int_equal (dp_download_get_verified_by (download), DP_DIGEST_ORIGIN_METALINK);
  assert_true (count_parts (f->second) >= 1);
}

/* A Metalink whose size is not the servers': a clean failure. */
static void
test_metalink_size_mismatch (void **state)
{
  Fixture *f = *state;
  guint64 size = 2 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/y.bin?size=%" G_GUINT64_FORMAT, size);
  g_autofree char *first = dp_test_server_url (f->base.server, query);
  char *urls[] = { first, NULL };
  g_autofree char *xml = make_metalink ("y.bin", size + 10, urls, 0, FALSE);
  g_autoptr(DpMetalinkFile) file = parse_one (xml);
  g_autoptr(DpDownload) download = dp_download_new_from_metalink (file);
  g_autoptr(GError) error = NULL;

  dp_download_set_directory (download, f->base.dir);
  error = dp_test_fixture_run_fails (&f->base, download, DP_ERROR_CHANGED, -1);
  assert_non_null (strstr (error->message, "Metalink"));
}

/* Mirrors are checked when given. */
static void
test_add_mirror_checks (void **state)
{
  g_autoptr(DpDownload) download = dp_download_new ("http://example.org/a.iso");
  g_autoptr(GError) error = NULL;

  (void) state;
  assert_false (dp_download_add_mirror (download, "ftp://example.org/a.iso", &error));
  g_clear_error (&error);
  assert_false (dp_download_add_mirror (download, "http://example.org/a.iso", &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  assert_true (dp_download_add_mirror (download, "http://mirror.example.net/a.iso", NULL));
  assert_false (dp_download_add_mirror (download, "http://mirror.example.net/a.iso", &error));
  assert_int_equal (dp_download_get_mirrors (download)->len, 1);
}

/* downpour-cli: --mirror, and a Metalink file on disk. */
static int
run_cli (const char *const *args,
         char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int status = -1;

  g_ptr_array_add (argv, (char *) g_getenv ("DOWNPOUR_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                             NULL, err, &status, NULL));
  return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

static void
test_cli_mirror_and_metalink (void **state)
{
  Fixture *f = *state;
  guint64 size = 4 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/cli.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autofree char *first = dp_test_server_url (f->base.server, query);
  g_autofree char *second = dp_test_server_url (f->second, query);
  g_autofree char *out = g_build_filename (f->base.dir, "out.bin", NULL);
  g_autofree char *meta = g_build_filename (f->base.dir, "list.meta4", NULL);
  g_autofree char *sum = dp_test_content_sha256 (1, size);
  g_autofree char *got = NULL;
  g_autofree char *err = NULL;
  char *urls[] = { first, second, NULL };
  g_autofree char *xml = make_metalink ("from-meta.bin", size, urls, 512 * 1024, TRUE);
  g_autofree char *saved = g_build_filename (f->base.dir, "from-meta.bin", NULL);

  {
    const char *args[] = { "-q", "-s", "4", "-o", out, "--mirror", second, first, NULL };

    assert_int_equal (run_cli (args, &err), 0);
    got = dp_test_file_sha256 (out);
    assert_string_equal (got, sum);
    assert_true (count_parts (f->second) >= 1);
    g_clear_pointer (&err, g_free);
    g_clear_pointer (&got, g_free);
  }
  {
    /* One file's mirrors, with two files: bad usage. */
    const char *args[] = { "-q", "--mirror", second, first, second, NULL };

    assert_int_equal (run_cli (args, &err), 2);
    assert_non_null (strstr (err, "downpour-cli: --mirror"));
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "-q", "--mirror", "ftp://example.org/x", first, NULL };

    assert_int_equal (run_cli (args, &err), 2);
    g_clear_pointer (&err, g_free);
  }
  assert_true (g_file_set_contents (meta, xml, -1, NULL));
  {
    const char *args[] = { "-q", "-d", f->base.dir, meta, NULL };

    assert_int_equal (run_cli (args, &err), 0);
    got = dp_test_file_sha256 (saved);
    assert_string_equal (got, sum);
    g_clear_pointer (&err, g_free);
  }
  assert_true (g_file_set_contents (meta, "<metalink>not closed", -1, NULL));
  {
    const char *args[] = { "-q", "-d", f->base.dir, meta, NULL };

    assert_int_equal (run_cli (args, &err), 2);
    assert_non_null (strstr (err, "list.meta4"));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_add_mirror_checks),
    cmocka_unit_test_setup_teardown (test_two_mirrors_share_the_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_equal_mirrors_both_kept, setup, teardown),
    cmocka_unit_test_setup_teardown (test_slow_mirror_gets_less, setup, teardown),
    cmocka_unit_test_setup_teardown (test_refusal_lowers_only_that_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mirror_of_another_size_is_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_refusing_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_first_address_down_uses_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mirror_goes_away, setup, teardown),
    cmocka_unit_test_setup_teardown (test_validators_per_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mirror_that_changes_is_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_link_duplicate_adds_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_server_mirrors_can_be_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_server_digest_verifies, setup, teardown),
    cmocka_unit_test_setup_teardown (test_wrong_server_digest_fails, setup, teardown),
    cmocka_unit_test_setup_teardown (test_user_checksum_wins, setup, teardown),
    cmocka_unit_test_setup_teardown (test_damaged_mirror_never_saved, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pieces_catch_damaged_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pieces_drop_a_wrong_copy, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_address, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_download_restarts, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_size_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cli_mirror_and_metalink, setup, teardown),
  };
  int failed;

  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
