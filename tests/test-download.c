/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dp-download.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-part-file-private.h"
#include "dp-state.h"
#include "dp-test-server.h"
#include "dp-test-util.h"
#include "dp-transfer-private.h"

/*
 * Integration tests: real downloads from the loopback test server, each
 * checked byte for byte by SHA-256.
 */

typedef struct
{
  DpTestServer *server;
  char *dir;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

/* A download into the fixture's folder with fast retries. */
static DpDownload *
new_download (Fixture    *f,
              const char *path_and_query,
              guint       segments)
{
  g_autofree char *url = dp_test_server_url (f->server, path_and_query);
  DpDownload *download = dp_download_new (url);

  dp_download_set_directory (download, f->dir);
  dp_download_set_segments (download, segments);
  dp_download_set_retry_delay (download, 10);
  dp_download_set_stall_timeout (download, 2);
  return download;
}

/* Downloads and checks the result against the generated content. */
static void
assert_download_ok (Fixture    *f,
                    const char *path_and_query,
                    guint       segments,
                    guint64     seed,
                    guint64     size,
                    const char *expected_name)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = NULL;
  g_autofree char *part = NULL;
  GStatBuf st;

  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("%s failed: %s", path_and_query, error->message);
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FINISHED);
  assert_non_null (dp_download_get_path (download));

  assert_int_equal (g_stat (dp_download_get_path (download), &st), 0);
  assert_int_equal ((guint64) st.st_size, size);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);
  assert_int_equal (dp_download_get_received (download), (gint64) size);

  /* No partial file left behind, nothing else written. */
  part = g_strconcat (dp_download_get_path (download), ".part", NULL);
  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_int_equal (dp_test_count_files (f->dir), 1);

  if (expected_name != NULL)
    {
      g_autofree char *base = g_path_get_basename (dp_download_get_path (download));
      assert_string_equal (base, expected_name);
    }
}

/* Downloads, expects failure with @code and, unless it is NULL, a
 * message that starts with @message, and checks that no file carries a
 * final name. */
static void
assert_download_fails_with (Fixture    *f,
                            const char *path_and_query,
                            guint       segments,
                            int         code,
                            const char *message)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  assert_false (dp_test_run_download (download, 60, &error));
  assert_non_null (error);
  if (!g_error_matches (error, DP_ERROR, code))
    fail_msg ("expected error code %d, got %s %d: %s", code,
              g_quark_to_string (error->domain), error->code, error->message);
  if (message != NULL && !g_str_has_prefix (error->message, message))
    fail_msg ("expected “%s…”, got “%s”", message, error->message);
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FAILED);

  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_suffix (name, ".part") && !g_str_has_suffix (name, ".part.state"))
      fail_msg ("a failed download left “%s”", name);
}

#define assert_download_fails(f, path_and_query, segments, code) \
  assert_download_fails_with ((f), (path_and_query), (segments), (code), NULL)

static void
test_ranges (void **state)
{
  Fixture *f = *state;

  const guint64 size = 8388617;
  guint extra;

  /* A prime size over 8 segments: uneven boundaries everywhere. */
  assert_download_ok (f, "/file/prime.bin?size=8388617&seed=3", 8, 3, size, "prime.bin");
  assert_true (dp_test_server_get_range_requests (f->server) >= 8);
  /* Nothing fetched twice. Where the first connections finish before
   * the last ones get going (a slow or busy machine), they take shares
   * of those ranges; the server may then have sent part of a share on
   * the original request too, at most the share, itself at most a
   * segment. */
  extra = dp_test_server_get_range_requests (f->server) - 8;
  if (dp_test_server_get_bytes_sent (f->server) > size + extra * (size / 8 + 1))
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent in %u range requests",
              dp_test_server_get_bytes_sent (f->server), 8 + extra);
}

static void
test_many_segments_are_concurrent (void **state)
{
  Fixture *f = *state;

  /* With libsoup's defaults only 2 of these would ever run at once. */
  assert_download_ok (f, "/file/wide.bin?size=16777216&seed=4&rate=2000000", 16, 4, 16777216, NULL);
  assert_true (dp_test_server_get_max_concurrent (f->server) >= 12);
}

static void
test_empty_file (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/empty.bin?size=0", 8, 1, 0, "empty.bin");
}

static void
test_one_byte (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/one.bin?size=1&seed=9", 8, 9, 1, "one.bin");
}

static void
test_small_file_uses_one_connection (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/small.bin?size=70001", 16, 1, 70001, NULL);
  assert_int_equal (dp_test_server_get_max_concurrent (f->server), 1);
}

static void
test_server_ignores_range (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/nr.bin?size=5000011&seed=5&norange=1", 8, 5, 5000011, NULL);
}

static void
test_range_ignored_after_head_claims_support (void **state)
{
  Fixture *f = *state;

  /* HEAD promises ranges, every GET ignores them: the body of a 200
   * must never be written at a segment's offset. */
  assert_download_ok (f, "/file/liar.bin?size=6000000&seed=6&liar=1", 8, 6, 6000000, NULL);
}

static void
test_head_refused (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/nohead.bin?size=4194319&seed=7&nohead=1", 4, 7, 4194319, NULL);
  /* The probe's GET became the start of the first segment, not thrown
   * away: it is the only request for the start of the file, and no byte
   * was sent twice. (A range request per segment, and more where a
   * connection that finished early took a share of another's range.) */
  assert_int_equal (dp_test_server_get_range_requests_from_zero (f->server), 1);
  assert_int_equal (dp_test_server_get_bytes_sent (f->server), 4194319);
  assert_true (dp_test_server_get_range_requests (f->server) >= 4);
}

static void
test_no_accept_ranges_header (void **state)
{
  Fixture *f = *state;

  /* Ranges work even though the server does not say so. */
  assert_download_ok (f, "/file/na.bin?size=4194319&seed=8&noaccept=1&rate=4000000", 4, 8, 4194319, NULL);
  assert_true (dp_test_server_get_max_concurrent (f->server) >= 2);
}

static void
test_shorter_ranges_than_asked (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/short.bin?size=3000017&seed=10&short=65536", 4, 10, 3000017, NULL);
}

static void
test_longer_bodies_than_asked (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/long.bin?size=3000017&seed=11&long=1000", 4, 11, 3000017, NULL);
}

static void
test_wrong_content_range_start (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/ws.bin?size=3000017&seed=12&wrongstart=1", 4, 12, 3000017, NULL);
}

static void
test_no_content_length (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/chunked.bin?size=2000003&seed=13&nolength=1&norange=1&headnolength=1",
                      4, 13, 2000003, NULL);
}

static void
test_redirects (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/moved.bin?size=2097169&seed=14&redirect=3", 2, 14, 2097169, "moved.bin");
}

static void
test_too_many_redirects (void **state)
{
  Fixture *f = *state;

  assert_download_fails_with (f, "/file/loop.bin?size=10&redirect=50", 1, DP_ERROR_TOO_MANY_REDIRECTS,
                              "The server redirected more than 10 times.");
}

static void
test_not_found (void **state)
{
  Fixture *f = *state;

  assert_download_fails_with (f, "/file/gone.bin?size=10&status=404", 4, DP_ERROR_NOT_FOUND,
                              "The server does not have this file (404 ");
  assert_int_equal (dp_test_count_files (f->dir), 0);
}

/* The same with -o: a file name given by the user. */
static void
assert_named_download_fails (Fixture    *f,
                             const char *path_and_query,
                             guint       segments,
                             int         code)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);
  g_autofree char *out = g_build_filename (f->dir, "named.bin", NULL);
  g_autoptr(GError) error = NULL;

  dp_download_set_output (download, out);
  assert_false (dp_test_run_download (download, 60, &error));
  if (!g_error_matches (error, DP_ERROR, code))
    fail_msg ("expected error code %d, got %s", code, error ? error->message : "success");
}

/* A failure before a byte of the file arrived leaves nothing behind:
 * no partial file, no state, in either mode. */
static void
test_forbidden_range (void **state)
{
  Fixture *f = *state;

  assert_download_fails_with (f, "/file/forbidden.bin?size=4000000&rangestatus=403", 4, DP_ERROR_FORBIDDEN,
                              "The server refused access to this file (403 ");
  assert_int_equal (dp_test_count_files (f->dir), 0);
  assert_named_download_fails (f, "/file/forbidden.bin?size=4000000&rangestatus=403", 4, DP_ERROR_FORBIDDEN);
  assert_int_equal (dp_test_count_files (f->dir), 0);
}

static void
test_error_page_never_lands (void **state)
{
  Fixture *f = *state;

  /* Every range is answered with an HTML page, the probe's too: the
   * address names a .bin file, so the page is not taken for it. */
  assert_download_fails_with (f, "/file/expired.bin?size=4000000&html=1", 4, DP_ERROR_BAD_RESPONSE,
                              "The server sent a web page instead of the file.");
  assert_int_equal (dp_test_count_files (f->dir), 0);
  assert_named_download_fails (f, "/file/expired.bin?size=4000000&html=1", 4, DP_ERROR_BAD_RESPONSE);
  assert_int_equal (dp_test_count_files (f->dir), 0);
  /* The page comes after the probe's part of the file: still never
   * under the final name. */
  assert_download_fails_with (f, "/file/later.bin?size=4000000&htmlafter=1", 4, DP_ERROR_BAD_RESPONSE,
                              "The server sent a web page instead of the file.");
}

/* Writes a state file saying that [0, @done) of the file at @url is on
 * disk. */
static void
write_state (const char *path,
             const char *url,
             gint64      size,
             const char *etag,
             gint64      done)
{
  g_autoptr(DpState) resume = dp_state_new ();
  DpRange range = { 0, done };

  resume->url = g_strdup (url);
  resume->size = size;
  resume->etag = g_strdup (etag);
  g_array_append_val (resume->done, range);
  g_assert_true (dp_state_save (resume, path, NULL));
}

/* A download that continued an earlier attempt keeps what it had, even
 * when it fails before a new byte arrives. */
static void
test_failure_after_resume_keeps_part (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/kept.bin?size=3000000&etag=k&rangestatus=403");
  g_autofree char *out = g_build_filename (f->dir, "kept.bin", NULL);
  g_autofree char *part = g_build_filename (f->dir, "kept.bin.part", NULL);
  g_autofree char *state_file = g_build_filename (f->dir, "kept.bin.part.state", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (part, "earlier bytes", -1, NULL));
  write_state (state_file, url, 3000000, "\"k\"", 13);
  g_assert_true (g_file_get_contents (state_file, &before, NULL, NULL));

  dp_download_set_output (download, out);
  dp_download_set_retry_delay (download, 10);
  assert_false (dp_test_run_download (download, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_FORBIDDEN));

  assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
  assert_true (g_file_get_contents (state_file, &after, NULL, NULL));
  assert_string_equal (after, before);
}

static void
test_slow_connection_does_not_hold_the_end (void **state)
{
  Fixture *f = *state;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  /* Four connections at 3 MB/s, but the first body crawls at 50 kB/s:
   * alone it would need a minute for its quarter. It is dropped, or the
   * others take shares of its range, whichever comes first. */
  assert_download_ok (f, "/file/uneven.bin?size=12582917&seed=23&rate=3000000&slowfirst=50000",
                      4, 23, 12582917, NULL);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  /* Either way its range was asked for again, in part or in full. */
  if (dp_test_server_get_range_requests (f->server) < 5)
    fail_msg ("%u range requests: the slow range was left alone",
              dp_test_server_get_range_requests (f->server));
  /* A generous bound, not a benchmark: half of what the slow connection
   * would have needed. */
  if (seconds > 30)
    fail_msg ("the download took %.1f s; the slow connection held it up", seconds);
}

/* Connections that finish a range carry on with the next one: a new
 * connection costs a handshake, and on mirrors that cap connections
 * unevenly it may be a slow one. */
static void
test_connections_are_reused (void **state)
{
  Fixture *f = *state;

  /* One connection at half the pace of the others: not dropped, but
   * the others finish first and take share after share of its range. */
  assert_download_ok (f, "/file/reuse.bin?size=12582917&seed=26&rate=3000000&slowfirst=1200000",
                      4, 26, 12582917, NULL);
  /* The probe's HEAD, four ranges and at least one share, over the four
   * connections the download asked for. */
  if (dp_test_server_get_requests (f->server) < 6 || dp_test_server_get_connections (f->server) > 4)
    fail_msg ("%u requests over %u connections", dp_test_server_get_requests (f->server),
              dp_test_server_get_connections (f->server));
}

/* A mirror that allows one connection, at 1 MB/s: after its first
 * segment the connection knows its pace and fetches the second one in
 * requests of about a second each, over the same connection. */
static void
test_requests_follow_pace (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/paced.bin?size=3355457&seed=28&rate=1000000&maxconn=1",
                      2, 28, 3355457, NULL);
  if (dp_test_server_get_partial_answers (f->server) < 3)
    fail_msg ("%u partial answers", dp_test_server_get_partial_answers (f->server));
}

/* A mirror that answers 503 beyond 3 connections: the extra ones give
 * up their ranges to those that work, and the download never fails. */
static void
test_connection_limit (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/greedy.bin?size=12582917&seed=24&rate=4000000&maxconn=3",
                      8, 24, 12582917, NULL);
}

/* Automatic connections: grows while it helps, stops at refusals. */
static void
test_auto_connections (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/auto.bin?size=50331653&seed=25&rate=4000000&maxconn=6",
                      DP_DOWNLOAD_SEGMENTS_AUTO, 25, 50331653, NULL);
  assert_true (dp_test_server_get_max_concurrent (f->server) > 4);
}

static void
test_transient_errors_are_retried (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/flaky.bin?size=3000017&seed=15&failfirst=3", 4, 15, 3000017, NULL);
}

static void
test_connection_reset_resumes_at_offset (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/reset.bin?size=4194319&seed=16&reset=100000", 4, 16, 4194319, NULL);
  /* Retries continue where the connection broke: each attempt breaks
   * after 100000 bytes, and a single retry that started its attempt
   * over would send all of them again. (The server lets the bytes
   * before a reset reach the client first.) */
  if (dp_test_server_get_bytes_sent (f->server) >= 4194319 + 100000)
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent for 4194319", dp_test_server_get_bytes_sent (f->server));
}

/* Both ranges stop after 600000 bytes and keep their connections open:
 * each connection is given up when the stall timeout passes, and the
 * rest of its range asked for again. (A second attempt never stalls
 * here: what is left of each half is under 600000 bytes.) Two
 * connections are too few for the slow-connection check, so only the
 * stall timeout can end a stall. */
static void
test_stalled_connection_is_retried (void **state)
{
  Fixture *f = *state;
  const guint64 size = 2097169;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/stall.bin?size=2097169&seed=17&stall=600000", 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (17, size);
  g_autofree char *got = NULL;
  gint64 start;
  gint64 elapsed;

  dp_download_set_stall_timeout (download, 1);
  start = g_get_monotonic_time ();
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  elapsed = g_get_monotonic_time () - start;
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);

  /* Both ranges were asked for again. A stalled connection is given
   * up, so at least one new connection was needed: two serve the
   * download when nothing stalls. */
  if (dp_test_server_get_range_requests (f->server) < 4 ||
      dp_test_server_get_connections (f->server) < 3)
    fail_msg ("%u range requests over %u connections",
              dp_test_server_get_range_requests (f->server),
              dp_test_server_get_connections (f->server));
  /* The retries continued where the stalls began: no range started
   * over, which would have sent its first 600000 bytes again. */
  if (dp_test_server_get_bytes_sent (f->server) >= size + 600000)
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent for a %" G_GUINT64_FORMAT "-byte file",
              dp_test_server_get_bytes_sent (f->server), size);
  /* Nothing but the stall timeout ends a stall. */
  if (elapsed < G_USEC_PER_SEC)
    fail_msg ("done after %" G_GINT64_FORMAT " ms, before the stall timeout", elapsed / 1000);
}

static void
test_content_disposition_name (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/x?size=100&disposition=attachment%3B%20filename%3D%22report.pdf%22",
                      1, 1, 100, "report.pdf");
}

static void
test_hostile_disposition_stays_in_folder (void **state)
{
  Fixture *f = *state;

  /* filename="../../evil.sh": only the last path segment counts
   * (RFC 6266, 4.3). */
  assert_download_ok (f, "/file/x?size=100&disposition=attachment%3B%20filename%3D%22..%2F..%2Fevil.sh%22",
                      1, 1, 100, "evil.sh");
}

static void
assert_saved_as (Fixture    *f,
                 const char *path_and_query,
                 const char *name)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_build_filename (f->dir, name, NULL);

  if (!dp_test_run_download (download, 30, &error))
    fail_msg ("%s failed: %s", path_and_query, error->message);
  assert_string_equal (dp_download_get_path (download), expected);
  assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  assert_false (g_file_test (expected, G_FILE_TEST_IS_SYMLINK));
}

/* Whatever names the server or a redirect suggests, and whatever links
 * wait at the target, nothing is written outside the folder and nothing
 * a link points to changes. */
static void
test_stays_in_folder (void **state)
{
  Fixture *f = *state;
  g_autofree char *outside = dp_test_mkdtemp ();
  g_autofree char *victim = g_build_filename (outside, "victim", NULL);
  g_autofree char *link = g_build_filename (f->dir, "linked.bin", NULL);
  g_autofree char *part_link = g_build_filename (f->dir, "linked (1).bin.part", NULL);
  g_autofree char *target = dp_test_server_url (f->server, "/file/..%5C..%5Cescape.bin?size=100&seed=1");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *redirect = g_strconcat ("/file/start?redirectto=", escaped, NULL);
  g_autofree char *out_link = g_build_filename (f->dir, "out-link", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/o.bin?size=1000&seed=2");
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *link_target = NULL;

  g_assert_true (g_file_set_contents (victim, "keep me", -1, NULL));
  assert_int_equal (symlink (victim, link), 0);
  assert_int_equal (symlink (victim, part_link), 0);

  /* Both names are taken by links: the third one is used. */
  assert_saved_as (f, "/file/linked.bin?size=1000&seed=1", "linked (2).bin");
  /* A redirect to an address whose name climbs out. */
  assert_saved_as (f, redirect, "_.._escape.bin");

  /* -o naming a link replaces the link, not what it points to. */
  assert_int_equal (symlink (victim, out_link), 0);
  dp_download_set_output (download, out_link);
  assert_true (dp_test_run_download (download, 30, &error));
  assert_false (g_file_test (out_link, G_FILE_TEST_IS_SYMLINK));

  assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  assert_string_equal (contents, "keep me");
  assert_int_equal (dp_test_count_files (outside), 1);
  link_target = g_file_read_link (link, NULL);
  assert_string_equal (link_target, victim);
  dp_test_rmdir (outside);
}

static void
test_url_name_is_decoded (void **state)
{
  Fixture *f = *state;

  assert_download_ok (f, "/file/my%20file%C3%A9.iso?size=100", 1, 1, 100, "my fileé.iso");
}

static void
test_existing_file_is_not_overwritten (void **state)
{
  Fixture *f = *state;
  g_autofree char *existing = g_build_filename (f->dir, "disk.iso", NULL);
  g_autoptr(DpDownload) download = new_download (f, "/file/disk.iso?size=1000&seed=18", 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *base = NULL;

  g_assert_true (g_file_set_contents (existing, "precious", -1, NULL));
  assert_true (dp_test_run_download (download, 30, &error));
  base = g_path_get_basename (dp_download_get_path (download));
  assert_string_equal (base, "disk (1).iso");
  assert_true (g_file_get_contents (existing, &contents, NULL, NULL));
  assert_string_equal (contents, "precious");
}

static void
set_old_mtime (const char *path)
{
  struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

  assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
}

static void
assert_untouched (const char *path,
                  const char *contents)
{
  g_autofree char *now = NULL;
  struct stat st;

  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mtim.tv_sec, 1000000000);
  assert_true (g_file_get_contents (path, &now, NULL, NULL));
  assert_string_equal (now, contents);
}

/* A partial file without a state, or with a state about another file,
 * is somebody else's: the download takes the next name and leaves it,
 * bytes and times, as it was. */
static void
test_foreign_part_is_left_alone (void **state)
{
  Fixture *f = *state;
  g_autofree char *bare = g_build_filename (f->dir, "bare.bin.part", NULL);
  g_autofree char *other = g_build_filename (f->dir, "other.bin.part", NULL);
  g_autofree char *other_state = g_build_filename (f->dir, "other.bin.part.state", NULL);
  g_autofree char *other_state_contents = NULL;
  const char *names[] = { "bare", "other" };

  g_assert_true (g_file_set_contents (bare, "not yours", -1, NULL));
  g_assert_true (g_file_set_contents (other, "not yours either", -1, NULL));
  write_state (other_state, "http://example.com/other.bin", 1000, NULL, 10);
  g_assert_true (g_file_get_contents (other_state, &other_state_contents, NULL, NULL));
  set_old_mtime (bare);
  set_old_mtime (other);
  set_old_mtime (other_state);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *query = g_strdup_printf ("/file/%s.bin?size=1000003&seed=7", names[i]);
      g_autofree char *expected = g_strdup_printf ("%s (1).bin", names[i]);
      g_autoptr(DpDownload) download = new_download (f, query, 2);
      g_autoptr(GError) error = NULL;
      g_autofree char *base = NULL;
      g_autofree char *got = NULL;
      g_autofree char *want = dp_test_content_sha256 (7, 1000003);

      if (!dp_test_run_download (download, 30, &error))
        fail_msg ("%s failed: %s", query, error->message);
      base = g_path_get_basename (dp_download_get_path (download));
      assert_string_equal (base, expected);
      got = dp_test_file_sha256 (dp_download_get_path (download));
      assert_string_equal (got, want);
    }

  assert_untouched (bare, "not yours");
  assert_untouched (other, "not yours either");
  assert_untouched (other_state, other_state_contents);
  /* The two foreign files and state, the two downloads. */
  assert_int_equal (dp_test_count_files (f->dir), 5);
}

static void
test_output_file (void **state)
{
  Fixture *f = *state;
  g_autofree char *out = g_build_filename (f->dir, "chosen.name", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/other.bin?size=1234567&seed=19");
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  g_autofree char *want = dp_test_content_sha256 (19, 1234567);

  /* -o replaces what is there, but only once the new file is complete. */
  g_assert_true (g_file_set_contents (out, "old", -1, NULL));
  dp_download_set_output (download, out);
  assert_true (dp_test_run_download (download, 30, &error));
  assert_string_equal (dp_download_get_path (download), out);
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
}

static void
test_missing_folder (void **state)
{
  Fixture *f = *state;
  g_autofree char *missing = g_build_filename (f->dir, "no", "such", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/a.bin?size=10");
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = g_strdup_printf ("The folder “%s” does not exist.", missing);

  dp_download_set_directory (download, missing);
  assert_false (dp_test_run_download (download, 30, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_EXISTS));
  assert_string_equal (error->message, message);
}

static void
test_bad_urls (void **state)
{
  /* Where a message is given, the error starts with it. */
  static const struct { const char *url; int code; const char *message; } cases[] = {
    { "", DP_ERROR_INVALID_URL },
    { "   ", DP_ERROR_INVALID_URL },
    { "example.com/file.iso", DP_ERROR_INVALID_URL,
      "“example.com/file.iso” is not a complete address. It must start with http:// or https://." },
    { "ftp://example.com/file.iso", DP_ERROR_UNSUPPORTED_SCHEME,
      "Downpour cannot download “ftp:” addresses; use http:// or https://." },
    { "file:///etc/passwd", DP_ERROR_UNSUPPORTED_SCHEME,
      "Downpour cannot download “file:” addresses; use http:// or https://." },
    { "http://", DP_ERROR_INVALID_URL },
    { "http:///path", DP_ERROR_INVALID_URL, "The address “http:///path” has no server name." },
    { "http://exa mple.com/", DP_ERROR_INVALID_URL },
    { "http://[::1/", DP_ERROR_INVALID_URL },
    { "https://host:99999/", DP_ERROR_INVALID_URL },
  };
  Fixture *f = *state;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DpDownload) download = dp_download_new (cases[i].url);
      g_autoptr(GError) error = NULL;

      dp_download_set_directory (download, f->dir);
      assert_false (dp_test_run_download (download, 10, &error));
      if (!g_error_matches (error, DP_ERROR, cases[i].code))
        fail_msg ("“%s”: expected %d, got %s", cases[i].url, cases[i].code,
                  error ? error->message : "success");
      if (cases[i].message != NULL && !g_str_has_prefix (error->message, cases[i].message))
        fail_msg ("“%s”: expected “%s”, got “%s”", cases[i].url, cases[i].message, error->message);
    }
  assert_int_equal (dp_test_count_files (f->dir), 0);
}

static void
test_connection_refused (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autofree char *url = NULL;

  /* A port that was just free: nobody listens there. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/x.bin",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  download = dp_download_new (url);
  dp_download_set_directory (download, f->dir);
  dp_download_set_retry_delay (download, 5);
  assert_false (dp_test_run_download (download, 30, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_NETWORK));
  assert_true (g_str_has_prefix (error->message, "The connection failed: "));
}

static void
collect_notice (DpDownload *download,
                const char *message,
                GPtrArray  *notices)
{
  g_ptr_array_add (notices, g_strdup (message));
}

static gboolean
has_notice (GPtrArray  *notices,
            const char *needle)
{
  for (guint i = 0; i < notices->len; i++)
    if (strstr (g_ptr_array_index (notices, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
plant_file_at_path (DpDownload *download,
                    gboolean   *planted)
{
  const char *path = dp_download_get_path (download);

  /* Once bytes arrive, the name is chosen and its partial file open. */
  if (!*planted && path != NULL && dp_download_get_received (download) > 0)
    {
      g_assert_true (g_file_set_contents (path, "appeared meanwhile", -1, NULL));
      *planted = TRUE;
    }
}

/* A name chosen because it was free is not replaced by the final rename
 * when a file appeared there during the download: the next number is
 * used, and the download says which. */
static void
test_file_appearing_at_final_name_is_kept (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/race.bin?size=2000003&seed=20&rate=2000000", 2);
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *appeared = g_build_filename (f->dir, "race.bin", NULL);
  g_autofree char *expected = g_build_filename (f->dir, "race (1).bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (20, 2000003);
  g_autofree char *got = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gboolean planted = FALSE;

  g_signal_connect (download, "progress", G_CALLBACK (plant_file_at_path), &planted);
  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), notices);
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  assert_true (planted);

  assert_string_equal (dp_download_get_path (download), expected);
  got = dp_test_file_sha256 (expected);
  assert_string_equal (got, want);
  assert_true (g_file_get_contents (appeared, &contents, NULL, NULL));
  assert_string_equal (contents, "appeared meanwhile");
  assert_true (has_notice (notices, "race (1).bin"));
  assert_int_equal (dp_test_count_files (f->dir), 2);
}

/* The file changes on the server between requests: the download starts
 * over and saves the new version whole, never a mix of both. */
static void
test_changed_file_starts_over (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/moving.bin?size=4194319&seed=30&etag=v1&changeafter=3", 4);
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (31, 4194319);
  g_autofree char *got = NULL;

  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), notices);
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);
  assert_true (has_notice (notices, "changed"));
  assert_int_equal (dp_test_count_files (f->dir), 1);
}

/* A size change is noticed even without validators. */
static void
test_changed_size_starts_over (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/grow.bin?size=4194319&seed=32&changeafter=2&newsize=5000000", 4);
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (33, 5000000);
  g_autofree char *got = NULL;

  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), notices);
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);
  assert_true (has_notice (notices, "The file changed on the server"));
}

/* Cancel halfway, start again: only the missing bytes are fetched. */
static void
test_resume_after_cancel (void **state)
{
  Fixture *f = *state;
  const guint64 size = 8388617;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/resume.bin?size=8388617&seed=34&etag=r1&rate=2000000", 4);
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (34, size);
  g_autofree char *got = NULL;
  DpTestStop stop = { (gint64) size / 2, FALSE };
  gulong id;

  id = g_signal_connect (download, "progress", G_CALLBACK (dp_test_stop_after_bytes), &stop);
  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), notices);
  assert_false (dp_test_run_download (download, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));
  g_clear_error (&error);
  g_signal_handler_disconnect (download, id);
  /* NAME.part and its state remain, and the partial file's lock went
   * with the download's end: the next attempt may take it at once. */
  assert_int_equal (dp_test_count_files (f->dir), 2);
  {
    g_autofree char *part = g_build_filename (f->dir, "resume.bin.part", NULL);
    g_autoptr(DpPartFile) free_again = dp_part_file_open (part, DP_PART_FILE_OPEN_EXISTING, &error);

    g_assert_no_error (error);
  }

  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("resume failed: %s", error->message);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);
  assert_true (has_notice (notices, "Continuing"));
  /* The state file is gone with the partial file. */
  assert_int_equal (dp_test_count_files (f->dir), 1);
  if (dp_test_server_get_bytes_sent (f->server) > size * 5 / 4)
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent for a %" G_GUINT64_FORMAT "-byte file",
              dp_test_server_get_bytes_sent (f->server), size);
}

typedef struct
{
  DpTransfer *transfer;
  gboolean done;
} HeldData;

static void
cancel_once_bytes_arrive (gpointer data)
{
  HeldData *held = data;
  DpTransferSnapshot snapshot;

  dp_transfer_snapshot (held->transfer, &snapshot);
  if (snapshot.received > 0)
    dp_transfer_cancel (held->transfer);
  dp_transfer_snapshot_clear (&snapshot);
}

static void
on_held_transfer_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  HeldData *held = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_task_propagate_pointer (G_TASK (result), &error);

  assert_null (path);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));
  held->done = TRUE;
}

/* The partial file is unlocked when a transfer ends, not when its last
 * reference goes (here the test's own; in an application a progress
 * source not yet run): an attempt right after must be able to take it. */
static void
test_transfer_end_releases_lock (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/held.bin?size=4000000&etag=h&rate=500000");
  g_autofree char *out = g_build_filename (f->dir, "held.bin", NULL);
  g_autofree char *part = g_build_filename (f->dir, "held.bin.part", NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GTask) task = NULL;
  g_autoptr(DpPartFile) next = NULL;
  g_autoptr(GError) error = NULL;
  DpTransferConfig config = { 0 };
  HeldData held = { NULL, FALSE };

  config.uri = dp_http_parse_url (url, NULL);
  config.output = g_strdup (out);
  config.segments = 2;
  config.min_segment = DP_MIN_SEGMENT_SIZE;
  config.stall_timeout = 2;
  config.retry_delay_ms = 10;
  config.max_attempts = 8;
  config.resume = TRUE;

  g_main_context_push_thread_default (context);
  held.transfer = dp_transfer_new (&config, cancel_once_bytes_arrive, &held, NULL);
  dp_transfer_config_clear (&config);
  task = g_task_new (NULL, NULL, on_held_transfer_done, &held);
  dp_transfer_run (held.transfer, task);
  while (!held.done)
    g_main_context_iteration (context, TRUE);
  dp_transfer_join (held.transfer);

  /* The transfer is still referenced here. */
  next = dp_part_file_open (part, DP_PART_FILE_OPEN_EXISTING, &error);
  g_assert_no_error (error);
  assert_non_null (next);

  g_clear_pointer (&next, dp_part_file_free);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  dp_transfer_unref (held.transfer);
}

/* A damaged state file is reported and ignored, never trusted. */
static void
test_damaged_state_is_ignored (void **state)
{
  Fixture *f = *state;
  g_autofree char *part = g_build_filename (f->dir, "bad.bin.part", NULL);
  g_autofree char *state_file = g_build_filename (f->dir, "bad.bin.part.state", NULL);
  g_autofree char *out = g_build_filename (f->dir, "bad.bin", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/bad.bin?size=2000003&seed=35&etag=b");
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (35, 2000003);
  g_autofree char *got = NULL;

  /* Garbage that claims the whole file is done. */
  g_assert_true (g_file_set_contents (part, "not the file", -1, NULL));
  g_assert_true (g_file_set_contents (state_file, "[Downpour]\nversion=1\nsize=zz\ndone=0-2000003\n", -1, NULL));

  dp_download_set_output (download, out);
  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), notices);
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  assert_true (notices->len >= 1);
  assert_false (g_file_test (state_file, G_FILE_TEST_EXISTS));
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* Waiting for a slow or silent server must not make anything spin: a
 * thread that polled instead of waiting would use about a whole core
 * for as long as the download lasts, while the few bytes here need
 * next to nothing. */
static void
test_waiting_uses_little_cpu (void **state)
{
  Fixture *f = *state;
  double before = cpu_seconds ();
  gint64 start = g_get_monotonic_time ();
  double seconds;
  double used;

  /* The probe's 64 KiB, then 100000 bytes at 100 kB/s, silence until
   * the stall timeout (2 s), then the other 84465 bytes at that pace. */
  assert_download_ok (f, "/file/quiet.bin?size=250001&seed=22&rate=100000&stall=100000",
                      1, 22, 250001, NULL);
  used = cpu_seconds () - before;
  seconds = (g_get_monotonic_time () - start) / 1e6;
  /* The silence happened: the stalled connection was given up. */
  assert_true (dp_test_server_get_connections (f->server) >= 2);
  /* This process's threads together, the test server's included, used
   * less than a quarter of one core on average. */
  if (used > seconds / 4)
    fail_msg ("a mostly idle %.1f s download used %.2f s of CPU", seconds, used);
}

typedef struct
{
  gint64 flowing_at;      /* the first report of received bytes */
  gint64 cancelled_at;
  guint progress_count;   /* reports from flowing_at to the cancel */
} CancelData;

static void
on_progress_cancel_later (DpDownload *download,
                          CancelData *data)
{
  gint64 now = g_get_monotonic_time ();

  if (data->cancelled_at != 0)
    return;
  if (data->flowing_at == 0)
    {
      if (dp_download_get_received (download) == 0)
        return;
      data->flowing_at = now;
    }
  data->progress_count++;
  /* Cancel from the main context after a second of transfer, however
   * long connecting took. */
  if (now - data->flowing_at >= G_USEC_PER_SEC)
    {
      data->cancelled_at = now;
      dp_download_cancel (download);
    }
}

static void
test_cancel_is_prompt_and_keeps_part (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/slow.bin?size=67108864&rate=1000000", 8);
  g_autoptr(GError) error = NULL;
  CancelData data = { 0, 0, 0 };
  gint64 ended;
  gint64 span;
  gboolean ok;

  g_signal_connect (download, "progress", G_CALLBACK (on_progress_cancel_later), &data);
  ok = dp_test_run_download (download, 30, &error);
  ended = g_get_monotonic_time ();

  assert_false (ok);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_CANCELLED);
  assert_true (data.cancelled_at > 0);
  /* Every range has seconds to go and the stall timeout is 2 s: a
   * connection that waited for either would show. The engine aims at
   * 200 ms; the rest of the bound is for syncing the partial file to a
   * busy disk on a loaded machine. */
  if (ended - data.cancelled_at >= G_USEC_PER_SEC)
    fail_msg ("cancelling took %" G_GINT64_FORMAT " ms", (ended - data.cancelled_at) / 1000);
  /* The partial file and its state stay for a later resume. */
  assert_int_equal (dp_test_count_files (f->dir), 2);
  /* About ten progress reports a second while bytes arrive, not one per
   * read (the server sends each of the eight connections 20 pieces a
   * second). */
  span = data.cancelled_at - data.flowing_at;
  if (data.progress_count < 3 || data.progress_count > 2 + span * 15 / G_USEC_PER_SEC)
    fail_msg ("%u progress reports in %" G_GINT64_FORMAT " ms", data.progress_count, span / 1000);
}

/* ---- hostile servers and security choices ----------------------------- */

static DpDownload *
new_https_download (Fixture    *f,
                    const char *path_and_query)
{
  g_autofree char *url = dp_test_server_https_url (f->server, path_and_query);
  DpDownload *download = dp_download_new (url);

  dp_download_set_directory (download, f->dir);
  dp_download_set_segments (download, 4);
  dp_download_set_retry_delay (download, 10);
  return download;
}

/* A certificate nobody vouches for ends the download, with nothing left
 * on disk, unless the user explicitly accepts it; then it says so. */
static void
test_tls_self_signed (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) refused = new_https_download (f, "/file/tls.bin?size=1000003&seed=4");
  g_autoptr(DpDownload) accepted = new_https_download (f, "/file/tls.bin?size=1000003&seed=4");
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = dp_test_content_sha256 (4, 1000003);
  g_autofree char *path = g_build_filename (f->dir, "tls.bin", NULL);
  g_autofree char *actual = NULL;

  assert_false (dp_test_run_download (refused, 30, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_TLS));
  assert_true (g_str_has_prefix (error->message, "The secure connection failed: "));
  assert_non_null (strstr (error->message, "certificate"));
  assert_int_equal (dp_test_count_files (f->dir), 0);

  g_clear_error (&error);
  dp_download_set_accept_invalid_certificates (accepted, TRUE);
  g_signal_connect (accepted, "notice", G_CALLBACK (collect_notice), notices);
  assert_true (dp_test_run_download (accepted, 60, &error));
  actual = dp_test_file_sha256 (path);
  assert_string_equal (actual, expected);
  assert_true (has_notice (notices, "certificate could not be verified"));
}

/* https:// to http:// is refused by default, followed when allowed. */
static void
test_insecure_redirect (void **state)
{
  Fixture *f = *state;
  g_autofree char *target = dp_test_server_url (f->server, "/file/down.bin?size=70001&seed=6");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *query = g_strconcat ("/file/start.bin?redirectto=", escaped, NULL);
  g_autoptr(DpDownload) refused = new_https_download (f, query);
  g_autoptr(DpDownload) allowed = new_https_download (f, query);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "down.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (6, 70001);
  g_autofree char *actual = NULL;

  dp_download_set_accept_invalid_certificates (refused, TRUE);
  assert_false (dp_test_run_download (refused, 30, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_INSECURE_REDIRECT));
  assert_int_equal (dp_test_count_files (f->dir), 0);

  g_clear_error (&error);
  dp_download_set_accept_invalid_certificates (allowed, TRUE);
  dp_download_set_allow_insecure_redirects (allowed, TRUE);
  assert_true (dp_test_run_download (allowed, 60, &error));
  actual = dp_test_file_sha256 (path);
  assert_string_equal (actual, expected);
}

/* Sizes no disk can hold, and one just beyond this disk's free space,
 * fail before anything is created: not even an empty partial file. */
static void
test_absurd_size (void **state)
{
  Fixture *f = *state;
  struct statvfs vfs;
  g_autofree char *too_big = NULL;
  const char *queries[] = {
    "/file/huge.bin?size=4611686018427387904",
    "/file/huge.bin?size=9223372036854775807&nohead=1",
    NULL,
  };

  assert_int_equal (statvfs (f->dir, &vfs), 0);
  too_big = g_strdup_printf ("/file/huge.bin?size=%" G_GUINT64_FORMAT,
                             (guint64) vfs.f_bavail * vfs.f_frsize + 1024 * 1024 * 1024);
  queries[2] = too_big;

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(DpDownload) download = new_download (f, queries[i], 4);
      g_autoptr(GError) error = NULL;

      assert_false (dp_test_run_download (download, 30, &error));
      if (!g_error_matches (error, DP_ERROR, DP_ERROR_NO_SPACE) ||
          !g_str_has_prefix (error->message, "There is not enough space on the disk for "))
        fail_msg ("%s: expected no space, got: %s", queries[i], error->message);
      assert_int_equal (dp_test_count_files (f->dir), 0);
    }
}

/* A login in the address reaches the server but nothing the user or a
 * log sees, and not the state file next to the download. */
static void
test_credentials_stay_private (void **state)
{
  Fixture *f = *state;
  g_autofree char *plain = dp_test_server_url (f->server, "/file/private.bin?size=3000000&rate=2000000");
  g_autofree char *url = g_strdup_printf ("http://alice:S3cretPw@%s", plain + strlen ("http://"));
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autofree char *state_path = g_build_filename (f->dir, "private.bin.part.state", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  DpTestStop stop = { 1000000, FALSE };

  dp_download_set_directory (download, f->dir);
  dp_download_set_segments (download, 2);
  g_signal_connect (download, "progress", G_CALLBACK (dp_test_stop_after_bytes), &stop);
  assert_false (dp_test_run_download (download, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));

  assert_true (g_file_get_contents (state_path, &contents, NULL, NULL));
  assert_null (strstr (contents, "S3cretPw"));
  assert_null (strstr (contents, "alice"));
  assert_non_null (strstr (contents, "/file/private.bin"));
}

/* A sync that fails during the download fails it, naming the file:
 * the bytes counted as written may be lost, and neither a state file
 * nor the final rename may claim otherwise. */
static void
test_failed_sync_fails_download (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/lost.bin?size=8000000&seed=8&etag=l&rate=1000000", 2);
  g_autofree char *part = g_build_filename (f->dir, "lost.bin.part", NULL);
  g_autofree char *state_file = g_build_filename (f->dir, "lost.bin.part.state", NULL);
  g_autofree char *out = g_build_filename (f->dir, "lost.bin", NULL);
  g_autoptr(GError) error = NULL;

  /* The first sync of the download's partial file reports EIO. */
  dp_part_file_set_next_open_fault_for_testing (EIO);
  assert_false (dp_test_run_download (download, 60, &error));
  dp_part_file_set_next_open_fault_for_testing (0);

  if (!g_error_matches (error, DP_ERROR, DP_ERROR_IO))
    fail_msg ("expected an I/O error, got: %s", error ? error->message : "success");
  assert_non_null (strstr (error->message, "lost.bin.part"));
  /* Stopped at the failure, not at the end of the file. */
  assert_true (dp_test_server_get_bytes_sent (f->server) < 8000000);
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (state_file, G_FILE_TEST_EXISTS));
  /* What arrived stays, without a state that would vouch for it. */
  assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
}

/* How often the state file next to @part_name was replaced, from the
 * inotify events queued on @fd. */
static guint
count_state_writes (int         fd,
                    const char *state_name)
{
  char buffer[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  guint writes = 0;

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      for (char *p = buffer; p < buffer + n;)
        {
          const struct inotify_event *event = (const struct inotify_event *) (gpointer) p;

          assert_false (event->mask & IN_Q_OVERFLOW);
          if (event->len > 0 && strcmp (event->name, state_name) == 0)
            writes++;
          p += sizeof (struct inotify_event) + event->len;
        }
    }
  return writes;
}

/* Checkpoints come at most once a second, plus one when a segment
 * ends: each is an fdatasync() and a durable state write, which USB
 * sticks, spinning disks and laptops on battery feel. Counted as the
 * state file's replacements, whatever the timing. */
static void
test_checkpoint_cadence (void **state)
{
  Fixture *f = *state;
  /* One connection, so one segment end; about 3.5 s at 1 MB/s. */
  g_autoptr(DpDownload) download =
    new_download (f, "/file/cadence.bin?size=3500000&seed=9&etag=c&rate=1000000", 1);
  g_autoptr(GError) error = NULL;
  int fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  gint64 started, seconds;
  guint writes;

  assert_true (fd >= 0);
  /* The state is written to a temporary file and renamed over. */
  assert_true (inotify_add_watch (fd, f->dir, IN_MOVED_TO | IN_CREATE) >= 0);

  started = g_get_monotonic_time ();
  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("failed: %s", error->message);
  seconds = (g_get_monotonic_time () - started) / G_USEC_PER_SEC;

  writes = count_state_writes (fd, "cadence.bin.part.state");
  close (fd);
  printf ("# %u state writes in %" G_GINT64_FORMAT "+ s\n", writes, seconds);
  /* One a second at most (none before the first second is over), and
   * one for the end of the only segment. */
  if (writes > seconds + 1)
    fail_msg ("%u checkpoints in under %" G_GINT64_FORMAT " s", writes, seconds + 1);
  /* Still recording progress while it runs. */
  assert_true (writes >= 2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_ranges, setup, teardown),
    cmocka_unit_test_setup_teardown (test_many_segments_are_concurrent, setup, teardown),
    cmocka_unit_test_setup_teardown (test_empty_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_one_byte, setup, teardown),
    cmocka_unit_test_setup_teardown (test_small_file_uses_one_connection, setup, teardown),
    cmocka_unit_test_setup_teardown (test_server_ignores_range, setup, teardown),
    cmocka_unit_test_setup_teardown (test_range_ignored_after_head_claims_support, setup, teardown),
    cmocka_unit_test_setup_teardown (test_head_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_accept_ranges_header, setup, teardown),
    cmocka_unit_test_setup_teardown (test_shorter_ranges_than_asked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_longer_bodies_than_asked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_wrong_content_range_start, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_content_length, setup, teardown),
    cmocka_unit_test_setup_teardown (test_redirects, setup, teardown),
    cmocka_unit_test_setup_teardown (test_too_many_redirects, setup, teardown),
    cmocka_unit_test_setup_teardown (test_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown (test_forbidden_range, setup, teardown),
    cmocka_unit_test_setup_teardown (test_error_page_never_lands, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failure_after_resume_keeps_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_foreign_part_is_left_alone, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failed_sync_fails_download, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checkpoint_cadence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transient_errors_are_retried, setup, teardown),
    cmocka_unit_test_setup_teardown (test_requests_follow_pace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_connection_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_auto_connections, setup, teardown),
    cmocka_unit_test_setup_teardown (test_slow_connection_does_not_hold_the_end, setup, teardown),
    cmocka_unit_test_setup_teardown (test_connection_reset_resumes_at_offset, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stalled_connection_is_retried, setup, teardown),
    cmocka_unit_test_setup_teardown (test_content_disposition_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hostile_disposition_stays_in_folder, setup, teardown),
    cmocka_unit_test_setup_teardown (test_url_name_is_decoded, setup, teardown),
    cmocka_unit_test_setup_teardown (test_existing_file_is_not_overwritten, setup, teardown),
    cmocka_unit_test_setup_teardown (test_file_appearing_at_final_name_is_kept, setup, teardown),
    cmocka_unit_test_setup_teardown (test_output_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_folder, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_urls, setup, teardown),
    cmocka_unit_test_setup_teardown (test_connection_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_is_prompt_and_keeps_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_waiting_uses_little_cpu, setup, teardown),
    cmocka_unit_test_setup_teardown (test_changed_file_starts_over, setup, teardown),
    cmocka_unit_test_setup_teardown (test_changed_size_starts_over, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resume_after_cancel, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transfer_end_releases_lock, setup, teardown),
    cmocka_unit_test_setup_teardown (test_damaged_state_is_ignored, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stays_in_folder, setup, teardown),
    cmocka_unit_test_setup_teardown (test_connections_are_reused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_tls_self_signed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_insecure_redirect, setup, teardown),
    cmocka_unit_test_setup_teardown (test_absurd_size, setup, teardown),
    cmocka_unit_test_setup_teardown (test_credentials_stay_private, setup, teardown),
  };
  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));

  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
