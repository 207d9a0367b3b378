/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dp-download.h"
#include "dp-error.h"
#include "dp-state.h"
#include "dp-test-fixture.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * Every answer a server may give: transfer and content codings, unknown
 * totals, multipart parts, parts that start elsewhere, balancers whose
 * nodes ignore Range or keep an older copy, links that expire,
 * connections that die or trickle, headers too large to accept. Each
 * test checks the file and, from the server's log of what it was asked,
 * how the file arrived.
 */

typedef DpTestFixture Fixture;

static DpDownload *
new_download (Fixture    *f,
              const char *path_and_query,
              guint       segments)
{
  return dp_test_fixture_download (f, path_and_query, segments);
}

static gboolean
has_notice (Fixture    *f,
            const char *part)
{
  return dp_test_fixture_has_notice (f, part);
}

/* Runs a download that must succeed with exactly @want's bytes. */
static char *
run_ok_to (Fixture    *f,
           const char *path_and_query,
           guint       segments,
           GBytes     *want,
           const char *output)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (output != NULL)
    dp_download_set_output (download, output);
  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s failed: %s", path_and_query, error->message);
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FINISHED);
  if (!g_file_get_contents (dp_download_get_path (download), &contents, &length, &error))
    fail_msg ("%s", error->message);
  assert_int_equal (length, g_bytes_get_size (want));
  assert_memory_equal (contents, g_bytes_get_data (want, NULL), length);
  /* Nothing but the file. */
  assert_int_equal (dp_test_count_files (f->dir), 1);
  return g_strdup (dp_download_get_path (download));
}

static char *
run_ok (Fixture    *f,
        const char *path_and_query,
        guint       segments,
        GBytes     *want)
{
  return run_ok_to (f, path_and_query, segments, want, NULL);
}

static GBytes *
content (guint64 seed,
         gsize   size)
{
  guint8 *data = g_malloc (size ? size : 1);

  dp_test_content_fill (seed, 0, data, size);
  return g_bytes_new_take (data, size);
}

/* Runs a download that must fail with @code and leave no file under a
 * final name. */
static GError *
run_fails (Fixture    *f,
           const char *path_and_query,
           guint       segments,
           int         code)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);

  return dp_test_fixture_run_fails (f, download, code, -1);
}

/* ---- what the server was asked --------------------------------------- */

static guint
count_requests (GPtrArray  *log,
                const char *method,
                guint       status)
{
  return dp_test_log_count (log, method, NULL, status);
}

/* The union of the ranges asked for and answered 206 must cover the
 * file; a range request must never ask below 0 or past the end. */
static void
assert_ranges_sane (GPtrArray *log,
                    gint64     size)
{
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);
      gint64 first, last;

      if (r->range == NULL)
        continue;
      if (!dp_test_request_get_range (r, &first, &last))
        fail_msg ("request %u has an odd Range: %s", i, r->range);
      assert_true (first >= 0);
      assert_true (last == -1 || (last >= first && last < size));
    }
}

/* ---- transfer codings and forms of 206 ------------------------------- */

/* A chunked 206 is legal HTTP/1.1; draining what is left of it must not
 * crash libsoup (g_input_stream_skip() on its chunked reader does). */
static void
test_chunked_ranges (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (41, 5000011);
  g_autofree char *path = run_ok (f, "/file/chunked.bin?size=5000011&seed=41&chunked=1", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  /* Ranges, each chunked, not one stream. */
  assert_true (count_requests (log, "GET", 206) >= 4);
  assert_int_equal (count_requests (log, "GET", 200), 0);
  assert_ranges_sane (log, 5000011);
}

/* "Content-Range: bytes a-b/ *" (an unknown total) on every part: the
 * file still arrives in ranges, and its end is confirmed by one request
 * past it that finds nothing. */
static void
test_unknown_total (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (42, 4194319);
  g_autofree char *path = run_ok (f, "/file/star.bin?size=4194319&seed=42&unknowntotal=1", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);
  const DpTestRequest *last = g_ptr_array_index (log, log->len - 1);
  gint64 first, end;

  assert_true (count_requests (log, "GET", 206) >= 4);
  assert_true (dp_test_request_get_range (last, &first, &end));
  assert_int_equal (first, 4194319);
  assert_int_equal (last->status, 416);
}

/* Only ranges from byte 0 get an unknown total: the probe asks again to
 * the end to learn it, and the ranges after it, which give the total,
 * are not refused as "the file changed". */
static void
test_unknown_total_on_probe (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (43, 3145739);
  g_autofree char *path = run_ok (f, "/file/star0.bin?size=3145739&seed=43&unknowntotal=probe", 3, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  const DpTestRequest *second = g_ptr_array_index (log, 1);
  gint64 first, last;

  assert_true (count_requests (log, "GET", 206) >= 3);
  assert_false (has_notice (f, "changed"));
  /* The probe's second request is the open range. */
  assert_true (dp_test_request_get_range (second, &first, &last));
  assert_int_equal (first, 0);
  assert_int_equal (last, -1);
}

/* A one-part multipart/byteranges answer is a legal 206: its part's
 * own Content-Range places the bytes. */
static void
test_multipart_single_part (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (44, 4194319);
  g_autofree char *path = run_ok (f, "/file/multi.bin?size=4194319&seed=44&multipart=1", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (count_requests (log, "GET", 206) >= 4);
  assert_int_equal (count_requests (log, "GET", 200), 0);
}

/* A part that starts below what was asked, and says so: the bytes
 * before the asked start are read through, never written elsewhere,
 * and the part is not asked for again. */
static void
test_part_starts_below (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (45, 4194319);
  g_autofree char *path = run_ok (f, "/file/below.bin?size=4194319&seed=45&below=1000", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  /* The probe and four segments' worth of ranges, each answered once. */
  assert_int_equal (count_requests (log, "GET", 200), 0);
  assert_true (count_requests (log, "GET", 206) <= 6);
  assert_ranges_sane (log, 4194319);
}

/* A part that starts far below what was asked, at a slow pace: reading
 * through its head is delivering, and the connection is not closed as
 * a slow one (which once failed the whole download). */
static void
test_slow_part_far_below (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (70, 4194319);

  g_free (run_ok (f, "/file/farbelow.bin?size=4194319&seed=70&below=1900000&rate=1000000", 2, want));
}

/* The end implied by an unknown total is checked by asking past it; a
 * 503 to that question is asked again, not taken for a changed file. */
static void
test_end_check_is_retried (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (71, 200000);
  g_autofree char *path = run_ok (f, "/file/endcheck.bin?size=200000&seed=71&unknowntotal=1&failat=3", 1, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);
  const DpTestRequest *refused = g_ptr_array_index (log, 2);
  const DpTestRequest *last = g_ptr_array_index (log, log->len - 1);
  gint64 first, end;

  assert_false (has_notice (f, "Starting over"));
  assert_int_equal (refused->status, 503);
  assert_true (dp_test_request_get_range (last, &first, &end));
  assert_int_equal (first, 200000);
  assert_int_equal (last->status, 416);
  assert_int_equal (log->len, 4);
}

/* ---- content codings --------------------------------------------------- */

static GBytes *
gzip_bytes (GBytes *plain)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (plain);
  g_autoptr(GInputStream) conv = g_converter_input_stream_new (in, G_CONVERTER (compressor));
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  g_assert_true (g_output_stream_splice (out, conv, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, NULL) >= 0);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

/* A server that compresses though Downpour asked for identity: the
 * file is what the server compressed, decoded over one stream, since
 * ranges of compressed bytes cannot be decoded apart. */
static void
test_unasked_gzip_is_decoded (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (46, 3000017);
  g_autofree char *path = run_ok (f, "/file/plain.bin?size=3000017&seed=46&encoding=gzip", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (has_notice (f, "The server sends this file compressed."));
  /* Every request asked for the bytes as they are. */
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);
      assert_string_equal (r->accept_encoding, "identity");
    }
}

/* A .tar.gz served as "Content-Encoding: gzip" (a common Apache set-up)
 * is the gzip file: saved as it comes, in ranges. */
static void
test_gzip_file_is_kept (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) plain = content (47, 6000011);
  g_autoptr(GBytes) want = gzip_bytes (plain);
  g_autofree char *path = run_ok (f, "/file/data.tar.gz?size=6000011&seed=47&encoding=gzip", 4, want);

  assert_true (g_str_has_suffix (path, "data.tar.gz"));
  assert_false (has_notice (f, "compressed"));
}

/* Compressed answers to ranges only, plain ones without: the probe's
 * compressed part cannot be decoded alone, so the file comes as one
 * plain stream whose announced length ends it (no endless asking). */
static void
test_compressed_ranges_plain_stream (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (69, 3000017);
  g_autofree char *path = run_ok (f, "/file/rgz.bin?size=3000017&seed=69&encoding=rangegzip", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  /* The probe, then one plain GET. */
  assert_true (log->len <= 3);
  assert_null (((DpTestRequest *) g_ptr_array_index (log, log->len - 1))->range);
}

/* A "gzip" label on bytes that are not gzip: a clean failure, never the
 * bytes under the final name. */
static void
test_false_gzip_label_fails (void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = run_fails (f, "/file/liar.bin?size=2000003&seed=48&labelgzip=1", 4,
                                       DP_ERROR_BAD_RESPONSE);

  assert_non_null (strstr (error->message, "The server sent damaged compressed data"));
}

/* ---- what a HEAD says no longer matters -------------------------------- */

static void
test_head_lies_are_never_asked (void **state)
{
  Fixture *f = *state;
  const char *lies[] = { "headsize=0", "headsize=100", "headsize=99999999",
                         "headetag=other&etag=real", "headnoranges=1", "headnolength=1", "nohead=1" };

  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autofree char *query = g_strdup_printf ("/file/head%u.bin?size=2097169&seed=%u&%s", i, 50 + i, lies[i]);
      g_autoptr(GBytes) want = content (50 + i, 2097169);
      g_autofree char *path = run_ok (f, query, 4, want);
      g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

      /* The probe is the GET itself. */
      assert_int_equal (count_requests (log, "HEAD", 0), 0);
      g_unlink (path);
      dp_test_server_reset_counters (f->server);
    }
}

/* A real text/html file is a file, not an error page. */
static void
test_html_file_downloads (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (57, 3000017);

  g_free (run_ok (f, "/file/page.html?size=3000017&seed=57&type=text/html", 4, want));
}

/* ---- validators ------------------------------------------------------ */

/* A weak ETag never goes into If-Range, and never lets an interrupted
 * download continue: two versions could share it. */
static void
test_weak_etag_is_never_trusted (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (58, 4194319);
  g_autofree char *part = g_build_filename (f->dir, "weak.bin.part", NULL);
  g_autofree char *state_path = g_build_filename (f->dir, "weak.bin.part.state", NULL);
  g_autofree char *output = g_build_filename (f->dir, "weak.bin", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/weak.bin?size=4194319&seed=58&etag=w&weaketag=1");
  g_autofree char *path = NULL;
  g_autoptr(DpState) st = dp_state_new ();
  g_autoptr(GPtrArray) log = NULL;
  DpRange half = { 0, 2097152 };
  g_autofree guint8 *zeros = g_malloc0 (4194319);

  /* A partial file from an earlier attempt whose state names the weak
   * tag: it must not be continued. */
  g_assert_true (g_file_set_contents (part, (const char *) zeros, 4194319, NULL));
  st->url = g_strdup (url);
  st->size = 4194319;
  st->etag = g_strdup ("W/\"w\"");
  g_array_append_val (st->done, half);
  g_assert_true (dp_state_save (st, state_path, NULL));

  path = run_ok_to (f, "/file/weak.bin?size=4194319&seed=58&etag=w&weaketag=1", 4, want, output);
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    assert_null (((DpTestRequest *) g_ptr_array_index (log, i))->if_range);
  assert_true (has_notice (f, "cannot tell"));
  assert_false (has_notice (f, "Continuing"));
}

/* A weak ETag beside a strong date: no If-Range at all, since the date
 * may only stand in where there is no entity tag (RFC 9110 §13.1.5). */
static void
test_weak_etag_keeps_date_out (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (72, 4194319);
  g_autofree char *path = run_ok (f, "/file/weakdate.bin?size=4194319&seed=72&etag=w&weaketag=1"
                                  "&lastmod=Tue%2C%2001%20Dec%202020%2010%3A00%3A00%20GMT", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  for (guint i = 0; i < log->len; i++)
    assert_null (((DpTestRequest *) g_ptr_array_index (log, i))->if_range);
}

/* Only a Last-Modified that is strong (a minute older than the answer)
 * goes into If-Range, and it lets an interrupted download continue. */
static void
test_last_modified_only (void **state)
{
  Fixture *f = *state;
  const char *date = "Tue%2C%2001%20Dec%202020%2010%3A00%3A00%20GMT";
  g_autofree char *query = g_strdup_printf ("/file/lm.bin?size=4194319&seed=59&lastmod=%s", date);
  g_autoptr(GBytes) want = content (59, 4194319);
  g_autofree char *path = run_ok (f, query, 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);
  guint ranged = 0;

  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);
      gint64 first, last;

      /* The probe asks without a validator; every later range carries
       * the date. */
      if (i == 0 || !dp_test_request_get_range (r, &first, &last))
        continue;
      assert_string_equal (r->if_range, "Tue, 01 Dec 2020 10:00:00 GMT");
      ranged++;
    }
  assert_true (ranged >= 3);
}

/* ---- balancers and mirrors ---------------------------------------------- */

/* Every third request reaches a node with an older copy, which (as
 * If-Range asks) answers with its whole other file: never written,
 * asked again, and the download does not start over. */
static void
test_stale_node_is_asked_again (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (60, 6291469);
  g_autofree char *path = run_ok (f, "/file/stale.bin?size=6291469&seed=60&etag=s&stale=3", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (count_requests (log, "GET", 200) >= 1);
  assert_false (has_notice (f, "starting over") || has_notice (f, "Starting over"));
  assert_false (has_notice (f, "changed"));
  /* Still in ranges: the stale answers did not make it one stream. */
  assert_true (count_requests (log, "GET", 206) >= 4);
}

/* A node without range support now and then is asked again; ranges go
 * on. */
static void
test_range_ignored_now_and_then (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (61, 6291469);
  g_autofree char *path = run_ok (f, "/file/lb.bin?size=6291469&seed=61&ignorerange=4", 4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (count_requests (log, "GET", 200) >= 1);
  assert_true (count_requests (log, "GET", 206) >= 5);
  /* Never one plain stream: every request asked for a range. */
  for (guint i = 0; i < log->len; i++)
    assert_non_null (((DpTestRequest *) g_ptr_array_index (log, i))->range);
}

/* ---- links that expire --------------------------------------------------- */

/* The address redirects to a signed link that works for 0.6 s; the
 * download takes longer, in parts of 512 KiB. When the link expires, the address is asked
 * again for a fresh one and the download goes on from where it was. */
static void
test_signed_link_is_refreshed (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (62, 6291469);
  g_autofree char *path = run_ok (f, "/file/signed.bin?size=6291469&seed=62&etag=g&signed=600&rate=1000000&short=524288",
                                  4, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (dp_test_server_get_signatures (f->server) >= 2);
  assert_true (count_requests (log, "GET", 403) >= 1);
  /* Continued, not started over. */
  assert_false (has_notice (f, "starting over") || has_notice (f, "Starting over"));
  if (dp_test_server_get_bytes_sent (f->server) > 6291469 + 6291469 / 4)
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent", dp_test_server_get_bytes_sent (f->server));
}

/* A fresh link that leads to another version of the file is not
 * mixed with the bytes already here: the download starts over with the
 * new version and says why. */
static void
test_refreshed_link_to_other_file_starts_over (void **state)
{
  Fixture *f = *state;
  /* changeafter: from the ninth request on, the file is another
   * (seed + 1); a refreshed link then leads to it. */
  g_autoptr(GBytes) want = content (64, 6291469);
  g_autofree char *path = run_ok (f, "/file/sg2.bin?size=6291469&seed=63&etag=h&signed=600&rate=1000000&short=524288&changeafter=8",
                                  4, want);

  assert_true (has_notice (f, "Starting over with the new version"));
}

/* ---- connections ------------------------------------------------------ */

/* Every answer dies after 300 kB: each range is asked again exactly
 * where its bytes stopped, until the file is complete. */
static void
test_dying_connections_resume_at_the_byte (void **state)
{
  Fixture *f = *state;
  const gint64 size = 3145739;
  g_autoptr(GBytes) want = content (67, size);
  g_autofree char *path = run_ok (f, "/file/die.bin?size=3145739&seed=67&dieevery=300000", 2, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);
  guint continued = 0;

  /* A range request that starts where an earlier one's first 300000
   * bytes ended continues that one. */
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);
      gint64 first, last;
      gboolean found = FALSE;

      if (!dp_test_request_get_range (r, &first, &last) || first == 0)
        continue;
      for (guint j = 0; j < i && !found; j++)
        {
          gint64 first_j, last_j;

          if (dp_test_request_get_range (g_ptr_array_index (log, j), &first_j, &last_j) &&
              first_j + 300000 == first)
            found = TRUE;
        }
      if (found)
        continued++;
    }
  assert_true (continued >= 5);
  assert_ranges_sane (log, size);
}

/* A connection that keeps sending, at a few kB/s, beside a fast one: it
 * is closed and its range finished by the other, whatever the count of
 * connections. */
static void
test_trickling_connection_is_replaced (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (65, 8388617);
  g_autofree char *path = run_ok (f, "/file/trickle.bin?size=8388617&seed=65&rate=4000000&trickle=4000",
                                  2, want);

  /* At 4 kB/s its half alone would take 17 minutes; the test's own
   * time limit (120 s) is the bound. */
  assert_non_null (path);
}

/* A lone connection that was fast for a while and then trickles: with
 * no other to compare it with, it is judged by the pace the download
 * kept up before, closed, and a new connection finishes the file. */
static void
test_lone_trickling_connection_is_replaced (void **state)
{
  Fixture *f = *state;
  g_autoptr(GBytes) want = content (68, 6291469);
  /* The probe, then parts of at most 2 MiB at 2 MB/s; the third body
   * trickles at 4 kB/s after its first 64 KiB. */
  g_autofree char *path = run_ok (f, "/file/lone.bin?size=6291469&seed=68&rate=2000000&short=2097152"
                                  "&trickle=4000&trickleat=3", 1, want);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  const DpTestRequest *third = g_ptr_array_index (log, 2);
  const DpTestRequest *fourth = g_ptr_array_index (log, 3);
  gint64 first3, last3, first4, last4;

  /* The trickling third request was closed long before its end, and
   * the fourth took over inside its range, on a new connection. */
  assert_true (log->len >= 4);
  assert_true (dp_test_request_get_range (third, &first3, &last3));
  assert_true (dp_test_request_get_range (fourth, &first4, &last4));
  assert_true (first4 > first3);
  assert_true (first4 < first3 + 1048576);
  assert_true (fourth->connection != third->connection);
}

/* Headers too large to accept are the server's answer, not a hiccup:
 * a clear failure after one request, not a minute of retries. */
static void
test_huge_headers_fail_at_once (void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = run_fails (f, "/file/big.bin?size=1000&bigheaders=2000000", 4,
                                       DP_ERROR_BAD_RESPONSE);

  assert_non_null (strstr (error->message, "The server sent more headers than Downpour accepts"));
  assert_int_equal (dp_test_server_get_requests (f->server), 1);
}

/* ---- resume ------------------------------------------------------------- */

/* A state with 400 gaps: no more connections than asked for, and the
 * gaps are taken in turn. */
static void
test_resume_many_gaps_keeps_connections (void **state)
{
  Fixture *f = *state;
  const gint64 size = 8000000;
  g_autoptr(GBytes) want = content (66, size);
  g_autofree char *part = g_build_filename (f->dir, "gaps.bin.part", NULL);
  g_autofree char *state_path = g_build_filename (f->dir, "gaps.bin.part.state", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/gaps.bin?size=8000000&seed=66&etag=gp");
  g_autoptr(DpState) st = dp_state_new ();
  g_autofree char *path = NULL;
  g_autofree char *output = g_build_filename (f->dir, "gaps.bin", NULL);
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  g_autofree char *expected = dp_test_content_sha256 (66, size);

  /* Every other 10000 bytes are already on disk. */
  g_assert_true (g_file_set_contents (part, g_bytes_get_data (want, NULL), size, NULL));
  st->url = g_strdup (url);
  st->size = size;
  st->etag = g_strdup ("\"gp\"");
  for (gint64 at = 0; at < 8000000; at += 20000)
    {
      DpRange r = { at, at + 10000 };
      g_array_append_val (st->done, r);
    }
  g_assert_true (dp_state_save (st, state_path, NULL));

  download = new_download (f, "/file/gaps.bin?size=8000000&seed=66&etag=gp", 4);
  dp_download_set_output (download, output);
  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s", error->message);
  got = dp_test_file_sha256 (output);
  assert_string_equal (got, expected);
  assert_true (has_notice (f, "Continuing"));
  /* The probe aside, at most four at once. */
  assert_true (dp_test_server_get_max_concurrent (f->server) <= 5);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_chunked_ranges, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_total, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_total_on_probe, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_multipart_single_part, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_part_starts_below, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_slow_part_far_below, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_end_check_is_retried, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unasked_gzip_is_decoded, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_gzip_file_is_kept, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_compressed_ranges_plain_stream, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_false_gzip_label_fails, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_head_lies_are_never_asked, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_html_file_downloads, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_weak_etag_is_never_trusted, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_weak_etag_keeps_date_out, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_last_modified_only, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_stale_node_is_asked_again, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_range_ignored_now_and_then, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_signed_link_is_refreshed, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_refreshed_link_to_other_file_starts_over, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_dying_connections_resume_at_the_byte, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_trickling_connection_is_replaced, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_lone_trickling_connection_is_replaced, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_huge_headers_fail_at_once, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_resume_many_gaps_keeps_connections, dp_test_fixture_setup, dp_test_fixture_teardown),
  };
  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
