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
 * How a file arrived, not only what arrived. A right SHA-256 at the end
 * hides a download that started over, sent no validator, waited for
 * nothing, or carried a password to another server. Each test here
 * checks one mechanism in the server's log of what it was asked, and
 * fails when that mechanism breaks even if the file comes out right.
 */

/* The probe's range: its first 64 KiB. */
#define PROBE_LAST 65535

/* An old date: a Last-Modified this far back is strong. */
#define OLD_DATE "Tue, 01 Dec 2020 10:00:00 GMT"
#define OLD_DATE_Q "Tue%2C%2001%20Dec%202020%2010%3A00%3A00%20GMT"
#define NEW_DATE "Wed, 02 Dec 2020 10:00:00 GMT"
#define NEW_DATE_Q "Wed%2C%2002%20Dec%202020%2010%3A00%3A00%20GMT"

typedef DpTestFixture Fixture;

static DpDownload *
new_download_url (Fixture    *f,
                  const char *url,
                  guint       segments)
{
  return dp_test_fixture_download_url (f, url, segments);
}

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

/* Runs @download, which must succeed with the first @size content
 * bytes of @seed and leave nothing else in the folder. */
static void
assert_finishes (Fixture    *f,
                 DpDownload *download,
                 guint64     seed,
                 guint64     size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = NULL;

  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s failed: %s", dp_download_get_url (download), error->message);
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FINISHED);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_non_null (got);
  assert_string_equal (got, want);
  assert_int_equal (dp_test_count_files (f->dir), 1);
}

static void
run_ok (Fixture    *f,
        const char *path_and_query,
        guint       segments,
        guint64     seed,
        guint64     size)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);

  assert_finishes (f, download, seed, size);
}

static GError *
assert_fails_with (Fixture    *f,
                   DpDownload *download,
                   int         code,
                   int         other_code)
{
  return dp_test_fixture_run_fails (f, download, code, other_code);
}

static GError *
assert_fails (Fixture    *f,
              DpDownload *download,
              int         code)
{
  return assert_fails_with (f, download, code, -1);
}

static GError *
run_fails (Fixture    *f,
           const char *path_and_query,
           guint       segments,
           int         code)
{
  g_autoptr(DpDownload) download = new_download (f, path_and_query, segments);

  return assert_fails (f, download, code);
}

/* ---- reading the log -------------------------------------------------- */

static const DpTestRequest *
entry (GPtrArray *log,
       guint      i)
{
  return g_ptr_array_index (log, i);
}

static guint
count_requests (GPtrArray  *log,
                const char *path,
                guint       status)
{
  return dp_test_log_count (log, NULL, path, status);
}

/* Whether request @i is a probe: the first bytes asked for without a
 * validator, as every transfer starts. */
static gboolean
is_probe (GPtrArray *log,
          guint      i)
{
  gint64 first, last;

  return dp_test_request_get_range (entry (log, i), &first, &last) &&
         first == 0 && last == PROBE_LAST && entry (log, i)->if_range == NULL;
}

/* Every range request after the probe at @from, up to @to, carries
 * @if_range; returns how many there were. */
static guint
assert_if_range (GPtrArray  *log,
                 guint       from,
                 guint       to,
                 const char *if_range)
{
  guint n = 0;

  assert_true (is_probe (log, from));
  for (guint i = from + 1; i < to; i++)
    {
      const DpTestRequest *r = entry (log, i);

      if (r->range == NULL)
        continue;
      if (g_strcmp0 (r->if_range, if_range) != 0)
        fail_msg ("request %u (Range %s) has If-Range %s, not %s",
                  i, r->range, r->if_range ? r->if_range : "(none)", if_range);
      n++;
    }
  return n;
}

/* ---- 1. a broken range resumes at the byte ---------------------------- */

/* reset=B cuts the first answer for each range start after B body
 * bytes, with an RST. B is a whole number of the server's 64 KiB
 * pieces, so all B bytes reach the client before the reset and the
 * bytes it kept end exactly there: the retry must ask from that byte,
 * neither from the range's start (fetched twice) nor later (a hole).
 * One connection, so no other one takes a share of the range. */
static void
test_reset_resumes_at_the_byte (void **state)
{
  Fixture *f = *state;
  const gint64 size = 4194321;
  const gint64 cut = 8 * 65536;
  g_autoptr(GPtrArray) log = NULL;
  guint broken = 0;

  run_ok (f, "/file/reset.bin?size=4194321&seed=101&reset=524288", 1, 101, size);
  log = dp_test_server_dup_log (f->server);

  for (guint i = 0; i < log->len; i++)
    {
      gint64 first, last, next_first, next_last;
      guint j;

      assert_true (dp_test_request_get_range (entry (log, i), &first, &last));
      /* The server cuts only the first answer per range start, and
       * only one longer than the cut. */
      for (j = 0; j < i; j++)
        {
          gint64 f_j, l_j;

          if (dp_test_request_get_range (entry (log, j), &f_j, &l_j) && f_j == first)
            break;
        }
      if (j < i || (last >= 0 ? last + 1 : size) - first <= cut)
        continue;

      broken++;
      /* The next request asks from exactly where the bytes stopped. */
      if (i + 1 >= log->len)
        fail_msg ("nothing asked after the range from %" G_GINT64_FORMAT " broke", first);
      assert_true (dp_test_request_get_range (entry (log, i + 1), &next_first, &next_last));
      if (next_first != first + cut)
        fail_msg ("the range from %" G_GINT64_FORMAT " broke after %" G_GINT64_FORMAT
                  " bytes; it was asked again from %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                  first, cut, next_first, first + cut);
    }
  /* The probe and the ranges after it, each broken once. */
  assert_true (broken >= 4);
  /* Every byte was sent once. */
  assert_int_equal (dp_test_server_get_bytes_sent (f->server), size);
}

/* ---- 2. validators ------------------------------------------------------ */

/* Every range after the probe carries the strong ETag in If-Range. */
static void
test_if_range_carries_strong_etag (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;

  run_ok (f, "/file/tag.bin?size=6291469&seed=102&etag=E", 4, 102, 6291469);
  log = dp_test_server_dup_log (f->server);
  assert_true (assert_if_range (log, 0, log->len, "\"E\"") >= 4);
}

/* A weak ETag goes into no request. */
static void
test_if_range_never_weak (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  guint ranged = 0;

  run_ok (f, "/file/weak.bin?size=6291469&seed=103&etag=w&weaketag=1", 4, 103, 6291469);
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      assert_null (entry (log, i)->if_range);
      if (entry (log, i)->range != NULL)
        ranged++;
    }
  /* Still in ranges: the weak tag only went unused. */
  assert_true (ranged >= 5);
  assert_int_equal (count_requests (log, NULL, 200), 0);
}

/* With only an old Last-Modified, the date is the validator. */
static void
test_if_range_carries_last_modified (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;

  run_ok (f, "/file/lm.bin?size=6291469&seed=104&lastmod=" OLD_DATE_Q, 4, 104, 6291469);
  log = dp_test_server_dup_log (f->server);
  assert_true (assert_if_range (log, 0, log->len, OLD_DATE) >= 4);
  assert_int_equal (count_requests (log, NULL, 200), 0);
}

/* A server with dates only changes its file mid-download: the ranges
 * that still name the old date get the whole new file (If-Range), the
 * download notices the change and starts over, and the new transfer
 * names the new date. The result is the new file, never a mix. */
static void
test_last_modified_change_starts_over (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  guint second = 0;

  run_ok (f, "/file/lmc.bin?size=6291469&seed=105&changeafter=3"
          "&lastmod=" OLD_DATE_Q "&newlastmod=" NEW_DATE_Q, 4, 106, 6291469);
  assert_true (has_notice (f, "changed"));

  log = dp_test_server_dup_log (f->server);
  for (guint i = 1; i < log->len; i++)
    if (is_probe (log, i))
      second = i;
  if (second == 0)
    fail_msg ("the download never started over");
  /* The first transfer named the old date to the end; at least one of
   * its ranges met the new version and was refused by If-Range. */
  assert_if_range (log, 0, second, OLD_DATE);
  assert_true (count_requests (log, NULL, 200) >= 1);
  /* The second transfer names the new date, and every one of its
   * ranges is answered as a range. */
  assert_true (assert_if_range (log, second, log->len, NEW_DATE) >= 3);
  for (guint i = second; i < log->len; i++)
    assert_int_equal (entry (log, i)->status, 206);
}

/* A Last-Modified-only download cancelled halfway continues where it
 * was: the second run asks nothing from 0 but its probe. */
static void
test_last_modified_resume (void **state)
{
  Fixture *f = *state;
  const guint64 size = 8388617;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/lmr.bin?size=8388617&seed=107&rate=2000000&lastmod=" OLD_DATE_Q, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *want = dp_test_content_sha256 (107, size);
  g_autofree char *got = NULL;
  g_autofree char *state_path = NULL;
  g_autoptr(DpState) st = NULL;
  DpTestStop stop = { (gint64) size / 2, FALSE };
  guint64 first_run;
  gulong id;

  id = g_signal_connect (download, "progress", G_CALLBACK (dp_test_stop_after_bytes), &stop);
  assert_false (dp_test_run_download (download, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));
  g_clear_error (&error);
  g_signal_handler_disconnect (download, id);
  assert_int_equal (dp_test_count_files (f->dir), 2);
  first_run = dp_test_server_get_bytes_sent (f->server);
  dp_test_server_reset_counters (f->server);
  state_path = g_build_filename (f->dir, "lmr.bin.part.state", NULL);
  st = dp_state_load (state_path, &error);
  if (st == NULL)
    fail_msg ("no state after cancelling: %s", error->message);
  dp_state_normalize (st);
  assert_true (dp_state_get_done_bytes (st) > 0);

  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("resume failed: %s", error->message);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_string_equal (got, want);

  log = dp_test_server_dup_log (f->server);
  assert_true (assert_if_range (log, 0, log->len, OLD_DATE) >= 1);
  /* Past the probe, nothing already on disk is asked for again. */
  for (guint i = 1; i < log->len; i++)
    {
      gint64 first, last;

      assert_true (dp_test_request_get_range (entry (log, i), &first, &last));
      last = last >= 0 ? last + 1 : (gint64) size;
      if (first == 0)
        fail_msg ("the second run asked for %s again", entry (log, i)->range);
      for (guint k = 0; k < st->done->len; k++)
        {
          const DpRange *had = &g_array_index (st->done, DpRange, k);

          if (first < had->end && had->start < last)
            fail_msg ("the second run asked for %s; %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
                      " was already here", entry (log, i)->range, had->start, had->end - 1);
        }
    }
  if (first_run + dp_test_server_get_bytes_sent (f->server) > size * 5 / 4)
    fail_msg ("%" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " bytes sent for a %"
              G_GUINT64_FORMAT "-byte file", first_run,
              dp_test_server_get_bytes_sent (f->server), size);
  assert_true (has_notice (f, "Continuing"));
}

/* ---- 3. Retry-After ------------------------------------------------------ */

/* The time from the first GET (answered 503) to the second. */
static gint64
wait_after_503 (Fixture *f)
{
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (log->len >= 2);
  assert_int_equal (entry (log, 0)->status, 503);
  assert_int_not_equal (entry (log, 1)->status, 503);
  return entry (log, 1)->time_us - entry (log, 0)->time_us;
}

static void
test_retry_after_seconds (void **state)
{
  Fixture *f = *state;
  gint64 waited;

  run_ok (f, "/file/ra.bin?size=100003&seed=108&failfirst=1&retryafter=2", 1, 108, 100003);
  waited = wait_after_503 (f);
  /* The retry delay asked for is 10 ms: only Retry-After explains 2 s. */
  if (waited < 1900 * 1000)
    fail_msg ("asked again after %" G_GINT64_FORMAT " ms despite Retry-After: 2", waited / 1000);
}

static void
test_retry_after_date (void **state)
{
  Fixture *f = *state;
  gint64 waited;

  run_ok (f, "/file/rd.bin?size=100003&seed=109&failfirst=1&datedretry=2", 1, 109, 100003);
  waited = wait_after_503 (f);
  /* A date has whole seconds: at least one of the two is left. */
  if (waited < 1000 * 1000)
    fail_msg ("asked again after %" G_GINT64_FORMAT " ms despite a Retry-After date 2 s ahead",
              waited / 1000);
}

/* The same from a connection mid-download: the one connection the
 * server answers 503 waits before it asks again. */
static void
test_retry_after_mid_download (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  gint64 waited, first, last, again, again_last;

  run_ok (f, "/file/rm.bin?size=3145739&seed=119&failat=2&retryafter=2", 1, 119, 3145739);
  log = dp_test_server_dup_log (f->server);
  assert_true (log->len >= 3);
  assert_true (is_probe (log, 0));
  assert_int_equal (entry (log, 1)->status, 503);
  assert_int_equal (entry (log, 2)->status, 206);
  /* Asked again from the same byte, once the server said it may be. */
  assert_true (dp_test_request_get_range (entry (log, 1), &first, &last));
  assert_true (dp_test_request_get_range (entry (log, 2), &again, &again_last));
  assert_int_equal (again, first);
  waited = entry (log, 2)->time_us - entry (log, 1)->time_us;
  if (waited < 1900 * 1000)
    fail_msg ("asked again after %" G_GINT64_FORMAT " ms despite Retry-After: 2", waited / 1000);
}

/* ---- 4. redirects ------------------------------------------------------ */

static char *
escaped (const char *url)
{
  return g_uri_escape_string (url, NULL, FALSE);
}

/* https → https → http: the second hop is refused like the first would
 * be, and the insecure address is never asked. */
static void
test_downgrade_refused_at_any_hop (void **state)
{
  Fixture *f = *state;
  g_autofree char *target = dp_test_server_url (f->server, "/file/plain.bin?size=70001&seed=110");
  g_autofree char *target_q = escaped (target);
  g_autofree char *hop2_pq = g_strconcat ("/file/hop2.bin?redirectto=", target_q, NULL);
  g_autofree char *hop2 = dp_test_server_https_url (f->server, hop2_pq);
  g_autofree char *hop2_q = escaped (hop2);
  g_autofree char *start_pq = g_strconcat ("/file/hop1.bin?redirectto=", hop2_q, NULL);
  g_autofree char *start = dp_test_server_https_url (f->server, start_pq);
  g_autoptr(DpDownload) refused = new_download_url (f, start, 4);
  g_autoptr(DpDownload) allowed = new_download_url (f, start, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;

  dp_download_set_accept_invalid_certificates (refused, TRUE);
  error = assert_fails (f, refused, DP_ERROR_INSECURE_REDIRECT);
  assert_int_equal (dp_test_count_files (f->dir), 0);
  log = dp_test_server_dup_log (f->server);
  /* The first hop was followed, the second not. */
  assert_true (count_requests (log, "/file/hop1.bin", 302) >= 1);
  assert_true (count_requests (log, "/file/hop2.bin", 302) >= 1);
  assert_int_equal (count_requests (log, "/file/plain.bin", 0), 0);

  /* The same chain, allowed, does lead to the file. */
  dp_download_set_accept_invalid_certificates (allowed, TRUE);
  dp_download_set_allow_insecure_redirects (allowed, TRUE);
  assert_finishes (f, allowed, 110, 70001);
}

/* "At most 10" redirects: ten are followed, the eleventh is not. */
static void
test_ten_redirects_at_most (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GError) error = NULL;

  g_autofree char *ten = g_build_filename (f->dir, "ten.bin", NULL);

  run_ok (f, "/file/ten.bin?size=70001&seed=111&redirect=10", 1, 111, 70001);
  log = dp_test_server_dup_log (f->server);
  assert_int_equal (count_requests (log, NULL, 302), 10);
  g_clear_pointer (&log, g_ptr_array_unref);
  dp_test_server_reset_counters (f->server);
  assert_int_equal (g_unlink (ten), 0);

  error = run_fails (f, "/file/eleven.bin?size=70001&seed=111&redirect=11", 1,
                     DP_ERROR_TOO_MANY_REDIRECTS);
  log = dp_test_server_dup_log (f->server);
  /* The eleventh Location was read, and not asked. */
  assert_int_equal (log->len, 11);
  assert_int_equal (count_requests (log, NULL, 302), 11);
}

/* http://user:pass@A requires the login (auth=), then redirects to
 * @target: A sees the login, @target's server never does. */
static void
assert_login_stays (Fixture      *f,
                    DpDownload   *download,
                    DpTestServer *other,
                    const char   *other_path,
                    guint64       seed)
{
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GPtrArray) other_log = NULL;
  guint with_login = 0, elsewhere = 0;

  assert_finishes (f, download, seed, 2097169);

  log = dp_test_server_dup_log (f->server);
  other_log = other != f->server ? dp_test_server_dup_log (other) : g_ptr_array_ref (log);
  for (guint i = 0; i < log->len; i++)
    if (strcmp (entry (log, i)->path, "/file/login.bin") == 0 &&
        g_strcmp0 (entry (log, i)->authorization, "Basic dXNlcjpwYXNz") == 0)
      with_login++;
  assert_true (with_login >= 1);
  for (guint i = 0; i < other_log->len; i++)
    {
      const DpTestRequest *r = entry (other_log, i);

      if (strcmp (r->path, other_path) != 0)
        continue;
      elsewhere++;
      if (r->authorization != NULL)
        fail_msg ("request %u to another origin (%s) carried Authorization: %s",
                  i, r->range ? r->range : "no range", r->authorization);
    }
  assert_true (elsewhere >= 2);
}

static DpDownload *
login_download (Fixture    *f,
                const char *target)
{
  g_autofree char *target_q = escaped (target);
  g_autofree char *pq = g_strconcat ("/file/login.bin?auth=user%3Apass&redirectto=", target_q, NULL);
  g_autofree char *plain = dp_test_server_url (f->server, pq);
  g_autofree char *url = g_strconcat ("http://user:pass@", plain + strlen ("http://"), NULL);

  return new_download_url (f, url, 2);
}

/* Another origin on the same host: only the port differs. */
static void
test_login_stays_with_its_port (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpTestServer) other = dp_test_server_new ();
  g_autofree char *target = dp_test_server_url (other, "/file/other.bin?size=2097169&seed=112");
  g_autoptr(DpDownload) download = login_download (f, target);

  assert_login_stays (f, download, other, "/file/other.bin", 112);
}

/* Another scheme (and port) on the same host. */
static void
test_login_stays_with_its_scheme (void **state)
{
  Fixture *f = *state;
  g_autofree char *target = dp_test_server_https_url (f->server, "/file/secure.bin?size=2097169&seed=113");
  g_autoptr(DpDownload) download = login_download (f, target);

  dp_download_set_accept_invalid_certificates (download, TRUE);
  assert_login_stays (f, download, f->server, "/file/secure.bin", 113);
}

/* ---- 5. checksums ---------------------------------------------------------- */

/* A checksum one hex digit off: the file arrived whole, once, and the
 * comparison alone refuses it. */
static void
test_checksum_off_by_last_digit (void **state)
{
  Fixture *f = *state;
  const gint64 size = 3145739;
  g_autofree char *right = dp_test_content_sha256 (114, size);
  g_autofree char *wrong = NULL;
  g_autoptr(DpDownload) download = new_download (f, "/file/sum.bin?size=3145739&seed=114", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  gint64 covered = 0;

  right[63] = right[63] == '0' ? '1' : '0';
  wrong = g_strconcat ("sha256:", right, NULL);
  dp_download_set_checksum (download, wrong);
  error = assert_fails (f, download, DP_ERROR_CHECKSUM);
  /* Known bad, so not kept for a later attempt either. */
  assert_int_equal (dp_test_count_files (f->dir), 0);

  /* One pass over the file, in order, every answer a whole range. */
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      gint64 first, last;

      assert_int_equal (entry (log, i)->status, 206);
      assert_true (dp_test_request_get_range (entry (log, i), &first, &last));
      assert_int_equal (first, covered);
      covered = last >= 0 ? last + 1 : size;
    }
  assert_int_equal (covered, size);
  assert_int_equal (dp_test_server_get_bytes_sent (f->server), size);
}

/* ---- 6. bodies longer than asked --------------------------------------------- */

/* Every range answer goes on past its end with 100000 bytes that are
 * not the file: none of them may land. */
static void
test_garbage_past_the_range_never_lands (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;

  run_ok (f, "/file/junk.bin?size=4194321&seed=115&longgarbage=100000", 2, 115, 4194321);
  log = dp_test_server_dup_log (f->server);
  /* The probe's answer, shorter than its segment, is one of them. */
  assert_true (is_probe (log, 0));
  assert_true (count_requests (log, NULL, 206) >= 3);
  assert_int_equal (count_requests (log, NULL, 206), log->len);
}

/* ---- 7. web pages -------------------------------------------------------------- */

/* A file that is a web page, from a balancer whose nodes now and then
 * answer a range with the whole page: those answers are odd, not an
 * expired link, and the download goes on in ranges. */
static void
test_html_file_is_not_an_error_page (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;

  run_ok (f, "/file/page.html?size=6291469&seed=116&type=text%2Fhtml&ignorerange=3", 4, 116, 6291469);
  log = dp_test_server_dup_log (f->server);
  /* The check met whole answers of type text/html... */
  assert_true (count_requests (log, NULL, 200) >= 1);
  /* ...and the file still came in ranges. */
  assert_true (count_requests (log, NULL, 206) >= 4);
  assert_false (has_notice (f, "web page"));
}

/* The link expires mid-download and ranges get an error page: it never
 * lands, and the error says what happened. */
static void
test_error_page_mid_download (void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = run_fails (f, "/file/expire.bin?size=6291469&seed=117&htmlafter=3", 4,
                                       DP_ERROR_BAD_RESPONSE);
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_non_null (strstr (error->message, "web page"));
  /* The first three were the file, the rest the page. */
  assert_true (log->len > 3);
  for (guint i = 0; i < 3; i++)
    assert_int_equal (entry (log, i)->status, 206);
  for (guint i = 3; i < log->len; i++)
    assert_int_equal (entry (log, i)->status, 200);
}

/* ---- 8. incomplete files ------------------------------------------------------- */

/* The server goes down after the probe: every connection gives up. The
 * file is not renamed, and what arrived is kept with its state for a
 * later attempt. */
static void
test_incomplete_file_is_never_renamed (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = new_download (f, "/file/down.bin?size=6291469&seed=118&failafter=1", 4);
  /* The last connection's 503 ends it; were the connections to give up
   * without a word, the file would still be found incomplete. */
  g_autoptr(GError) error = assert_fails_with (f, download, DP_ERROR_HTTP, DP_ERROR_NETWORK);
  g_autofree char *part = g_build_filename (f->dir, "down.bin.part", NULL);
  g_autofree char *state_path = g_build_filename (f->dir, "down.bin.part.state", NULL);
  g_autoptr(DpState) st = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);

  assert_true (strstr (error->message, "503") != NULL || strstr (error->message, "whole file") != NULL);
  assert_true (is_probe (log, 0));
  assert_int_equal (entry (log, 0)->status, 206);
  assert_int_equal (count_requests (log, NULL, 503), log->len - 1);
  assert_true (log->len >= 5);

  assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
  st = dp_state_load (state_path, &load_error);
  if (st == NULL)
    fail_msg ("no state next to the partial file: %s", load_error->message);
  /* Exactly the probe's bytes arrived. */
  assert_int_equal (st->size, 6291469);
  assert_int_equal (dp_state_get_done_bytes (st), PROBE_LAST + 1);
}

/* An earlier attempt at @name, from @old_url: its first @done bytes of
 * the content of @seed on disk, and a state file that says so. */
static char *
leave_attempt (Fixture    *f,
               const char *name,
               const char *old_url,
               guint64     seed,
               gint64      size,
               const char *etag,
               gint64      done)
{
  g_autoptr(DpState) resume = dp_state_new ();
  g_autofree char *out = g_build_filename (f->dir, name, NULL);
  g_autofree char *part = g_strconcat (out, ".part", NULL);
  g_autofree char *state_path = g_strconcat (out, ".part.state", NULL);
  g_autofree guint8 *bytes = g_malloc ((gsize) done);
  DpRange range = { 0, done };

  dp_test_content_fill (seed, 0, bytes, (gsize) done);
  g_assert_true (g_file_set_contents (part, (const char *) bytes, done, NULL));
  resume->url = g_strdup (old_url);
  resume->size = size;
  resume->etag = g_strdup (etag);
  g_array_append_val (resume->done, range);
  g_assert_true (dp_state_save (resume, state_path, NULL));
  return g_steal_pointer (&out);
}

/* Runs a download of @new_pq into @out after leave_attempt(). */
static void
run_moved (Fixture    *f,
           const char *out,
           const char *new_pq,
           guint64     seed,
           gint64      size)
{
  g_autofree char *url = dp_test_server_url (f->server, new_pq);
  g_autoptr(DpDownload) download = new_download_url (f, url, 4);
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = NULL;

  dp_download_set_directory (download, NULL);
  dp_download_set_output (download, out);
  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s", error->message);
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
}

/* An expired link replaced by a fresh one: the new address's server has
 * the same size and ETag, so the bytes on disk are kept and only the
 * rest is asked for (besides the probe's first 64 KiB). */
static void
test_new_address_continues_same_file (void **state)
{
  Fixture *f = *state;
  g_autofree char *old_url = dp_test_server_url (f->server, "/file/expired.bin?size=4194319&seed=120&etag=v1");
  g_autofree char *out = leave_attempt (f, "moved.bin", old_url, 120, 4194319, "\"v1\"", 3145728);
  g_autoptr(GPtrArray) log = NULL;

  run_moved (f, out, "/file/fresh.bin?size=4194319&seed=120&etag=v1", 120, 4194319);
  assert_true (has_notice (f, "The new address has the same file as the one downloaded before"));
  assert_true (has_notice (f, "Continuing an interrupted download"));
  assert_true (dp_test_server_get_bytes_sent (f->server) <= 4194319 - 3145728 + PROBE_LAST + 1);
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      gint64 first, last;

      assert_string_equal (entry (log, i)->path, "/file/fresh.bin");
      if (dp_test_request_get_range (entry (log, i), &first, &last) && first != 0)
        assert_true (first >= 3145728);
    }
}

/* The new address has another version, another size, or nothing to
 * compare: the bytes on disk are not trusted, it says why, and the file
 * comes whole from the new address. */
static void
test_new_address_other_file_starts_over (void **state)
{
  Fixture *f = *state;
  const struct {
    const char *new_pq;
    const char *old_etag;
    gint64 size;
    const char *notice;
  } cases[] = {
    { "/file/v2.bin?size=4194319&seed=121&etag=v2", "\"v1\"", 4194319,
      "The new address has another version of the file" },
    { "/file/bigger.bin?size=4194329&seed=121&etag=v1", "\"v1\"", 4194329,
      "The new address has another file than the one downloaded before (another size)" },
    { "/file/plain.bin?size=4194319&seed=121", NULL, 4194319,
      "The new address's server does not identify its file" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *old_url = dp_test_server_url (f->server, "/file/old.bin?size=4194319&seed=999");
      g_autofree char *name = g_strdup_printf ("case%u.bin", i);
      g_autofree char *out = NULL;

      /* What is on disk is another file's: a mix would show. */
      out = leave_attempt (f, name, old_url, 999, 4194319, cases[i].old_etag, 2097152);
      dp_test_server_reset_counters (f->server);
      run_moved (f, out, cases[i].new_pq, 121, cases[i].size);
      if (!has_notice (f, cases[i].notice))
        fail_msg ("case %u: no notice “%s”", i, cases[i].notice);
      assert_true (dp_test_server_get_bytes_sent (f->server) >= (guint64) cases[i].size);
    }
}

/* A download that may only continue (the app's new address for an
 * expired link): another file at the new address fails it, says why,
 * and leaves the partial file and its state exactly as they were; the
 * same file continues. */
static void
test_continue_only (void **state)
{
  Fixture *f = *state;
  g_autofree char *old_url = dp_test_server_url (f->server, "/file/gone.bin?size=4194319&seed=122&etag=v1");
  g_autofree char *out = leave_attempt (f, "kept.bin", old_url, 122, 4194319, "\"v1\"", 1048576);
  g_autofree char *part = g_strconcat (out, ".part", NULL);
  g_autofree char *state_path = g_strconcat (out, ".part.state", NULL);
  g_autofree char *other = dp_test_server_url (f->server, "/file/other.bin?size=4194319&seed=123&etag=v2");
  g_autofree char *part_before = dp_test_file_sha256 (part);
  g_autofree char *state_before = NULL;
  g_autofree char *state_after = NULL;
  g_autofree char *part_after = NULL;
  g_autoptr(DpDownload) refused = new_download_url (f, other, 4);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (state_path, &state_before, NULL, NULL));
  dp_download_set_directory (refused, NULL);
  dp_download_set_output (refused, out);
  dp_download_set_continue_only (refused, TRUE);
  assert_false (dp_test_run_download (refused, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CHANGED));
  assert_string_equal (error->message, "The new address has another version of the file than the "
                                       "one downloaded before. The download was left as it was.");
  part_after = dp_test_file_sha256 (part);
  assert_string_equal (part_after, part_before);
  g_assert_true (g_file_get_contents (state_path, &state_after, NULL, NULL));
  assert_string_equal (state_after, state_before);
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  /* Only the probe was read. */
  assert_true (dp_test_server_get_bytes_sent (f->server) <= PROBE_LAST + 1);

  /* Nothing on disk: nothing is created either. */
  {
    g_autofree char *none = g_build_filename (f->dir, "never.bin", NULL);
    g_autofree char *none_part = g_strconcat (none, ".part", NULL);
    g_autoptr(DpDownload) nothing = new_download_url (f, other, 2);

    dp_download_set_directory (nothing, NULL);
    dp_download_set_output (nothing, none);
    dp_download_set_continue_only (nothing, TRUE);
    g_clear_error (&error);
    assert_false (dp_test_run_download (nothing, 60, &error));
    assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CHANGED));
    assert_false (g_file_test (none_part, G_FILE_TEST_EXISTS));
  }

  {
    g_autofree char *fresh = dp_test_server_url (f->server, "/file/fresh2.bin?size=4194319&seed=122&etag=v1");
    g_autoptr(DpDownload) continued = new_download_url (f, fresh, 4);
    g_autofree char *want = dp_test_content_sha256 (122, 4194319);
    g_autofree char *got = NULL;

    dp_download_set_directory (continued, NULL);
    dp_download_set_output (continued, out);
    dp_download_set_continue_only (continued, TRUE);
    g_clear_error (&error);
    if (!dp_test_run_download (continued, 120, &error))
      fail_msg ("%s", error->message);
    got = dp_test_file_sha256 (out);
    assert_string_equal (got, want);
  }
}

/* A name the browser chose wins over the server's, made safe like any:
 * it stays one file in the folder. */
static void
test_suggested_name (void **state)
{
  Fixture *f = *state;
  const struct { const char *suggested; const char *saved; } cases[] = {
    { "Browser Name.iso", "Browser Name.iso" },
    { "../../escape.iso", "_.._escape.iso" },
    { "", "server.iso" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DpDownload) download = new_download (f, "/file/x.bin?size=70001&seed=130"
                                                        "&disposition=attachment%3B%20filename%3Dserver.iso", 2);
      g_autofree char *want = g_build_filename (f->dir, cases[i].saved, NULL);
      g_autoptr(GError) error = NULL;

      dp_download_set_suggested_name (download, cases[i].suggested);
      if (!dp_test_run_download (download, 60, &error))
        fail_msg ("%s", error->message);
      assert_string_equal (dp_download_get_path (download), want);
      assert_int_equal (g_unlink (want), 0);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_reset_resumes_at_the_byte, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_if_range_carries_strong_etag, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_if_range_never_weak, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_if_range_carries_last_modified, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_last_modified_change_starts_over, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_last_modified_resume, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_after_seconds, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_after_date, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_after_mid_download, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_downgrade_refused_at_any_hop, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_ten_redirects_at_most, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_login_stays_with_its_port, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_login_stays_with_its_scheme, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_checksum_off_by_last_digit, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_garbage_past_the_range_never_lands, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_html_file_is_not_an_error_page, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_error_page_mid_download, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_incomplete_file_is_never_renamed, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_new_address_continues_same_file, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_new_address_other_file_starts_over, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_continue_only, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_suggested_name, dp_test_fixture_setup, dp_test_fixture_teardown),
  };
  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
