/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dp-download.h"
#include "dp-error.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * What a download reports about the server's file once it has asked:
 * the validators (ETag, Last-Modified), byte ranges, and how the check
 * against a checksum came out.
 */

#define OLD_DATE_Q "Tue%2C%2001%20Dec%202020%2010%3A00%3A00%20GMT"

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

static DpDownload *
new_download (Fixture    *f,
              const char *path_and_query)
{
  g_autofree char *url = dp_test_server_url (f->server, path_and_query);
  DpDownload *download = dp_download_new (url);

  dp_download_set_directory (download, f->dir);
  dp_download_set_segments (download, 2);
  dp_download_set_retry_delay (download, 10);
  return download;
}

static void
run_ok (DpDownload *download)
{
  g_autoptr(GError) error = NULL;

  if (!dp_test_run_download (download, 60, &error))
    fail_msg ("the download failed: %s", error->message);
}

static void
assert_old_date (GDateTime *date)
{
  g_autoptr(GDateTime) want = g_date_time_new_utc (2020, 12, 1, 10, 0, 0);

  assert_non_null (date);
  assert_true (g_date_time_equal (date, want));
}

static void
test_strong_validators (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/strong.bin?size=300007&etag=abc&lastmod=" OLD_DATE_Q);

  /* Nothing is known before the server has answered. */
  assert_null (dp_download_get_etag (download));
  assert_null (dp_download_get_last_modified (download));
  assert_int_equal (dp_download_get_accepts_ranges (download), DP_DOWNLOAD_RANGES_UNKNOWN);

  run_ok (download);

  assert_string_equal (dp_download_get_etag (download), "\"abc\"");
  assert_true (dp_download_get_etag_is_strong (download));
  assert_old_date (dp_download_get_last_modified (download));
  assert_int_equal (dp_download_get_accepts_ranges (download), DP_DOWNLOAD_RANGES_ACCEPTED);
}

static void
test_weak_etag (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/weak.bin?size=300007&etag=w1&weaketag=1&lastmod=" OLD_DATE_Q);

  run_ok (download);

  assert_string_equal (dp_download_get_etag (download), "W/\"w1\"");
  assert_false (dp_download_get_etag_is_strong (download));
  /* The date is reported as sent, even though a weak ETag beside it
   * keeps it from deciding a resume. */
  assert_old_date (dp_download_get_last_modified (download));
}

static void
test_no_validators_no_ranges (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = new_download (f, "/file/plain.bin?size=300007&norange=1");

  run_ok (download);

  assert_null (dp_download_get_etag (download));
  assert_false (dp_download_get_etag_is_strong (download));
  assert_null (dp_download_get_last_modified (download));
  assert_int_equal (dp_download_get_accepts_ranges (download), DP_DOWNLOAD_RANGES_NONE);
}

/* A server whose ranges stop working after the first answer is not
 * counted as serving them. */
static void
test_ranges_offered_but_ignored (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = new_download (f, "/file/liar.bin?size=3000007&rangesafter=1");

  run_ok (download);

  assert_int_equal (dp_download_get_accepts_ranges (download), DP_DOWNLOAD_RANGES_NONE);
}

static void
check_etag_on_connect (DpDownload *download,
                       GParamSpec *pspec,
                       guint      *checked)
{
  if (dp_download_get_state (download) != DP_DOWNLOAD_STATE_CONNECTING)
    return;
  assert_string_equal (dp_download_get_etag (download), "\"r1\"");
  (*checked)++;
}

/* A resumed download shows the validators of the earlier attempt while
 * it waits for the server's new answer, and after it. */
static void
test_validators_kept_across_resume (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download =
    new_download (f, "/file/resume.bin?size=4000037&etag=r1&rate=2000000");
  g_autoptr(GError) error = NULL;
  DpTestStop stop = { 300000, FALSE };
  gulong progress_id;
  guint checked = 0;

  progress_id = g_signal_connect (download, "progress", G_CALLBACK (dp_test_stop_after_bytes), &stop);
  assert_false (dp_test_run_download (download, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED));
  g_signal_handler_disconnect (download, progress_id);
  assert_string_equal (dp_download_get_etag (download), "\"r1\"");
  assert_int_equal (dp_download_get_accepts_ranges (download), DP_DOWNLOAD_RANGES_ACCEPTED);

  g_signal_connect (download, "notify::state", G_CALLBACK (check_etag_on_connect), &checked);
  run_ok (download);
  assert_int_equal (checked, 1);
  assert_string_equal (dp_download_get_etag (download), "\"r1\"");
}

static void
count_notify (guint *count)
{
  (*count)++;
}

static void
test_checksum_results (void **state)
{
  Fixture *f = *state;
  g_autofree char *sha = dp_test_content_sha256 (5, 200003);
  g_autofree char *good = g_strconcat ("sha256:", sha, NULL);
  g_autofree char *bad = g_strdup (good);
  g_autoptr(DpDownload) plain = new_download (f, "/file/none.bin?size=200003&seed=5");
  g_autoptr(DpDownload) verified = new_download (f, "/file/good.bin?size=200003&seed=5");
  g_autoptr(DpDownload) mismatch = new_download (f, "/file/bad.bin?size=200003&seed=5");
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  /* One hex digit off. */
  bad[strlen (bad) - 1] = bad[strlen (bad) - 1] == '0' ? '1' : '0';

  run_ok (plain);
  assert_int_equal (dp_download_get_checksum_result (plain), DP_DOWNLOAD_CHECKSUM_NONE);

  dp_download_set_checksum (verified, good);
  assert_int_equal (dp_download_get_checksum_result (verified), DP_DOWNLOAD_CHECKSUM_PENDING);
  run_ok (verified);
  assert_int_equal (dp_download_get_checksum_result (verified), DP_DOWNLOAD_CHECKSUM_VERIFIED);
  /* Another checksum has not been checked, and whoever shows the
   * result hears of it. */
  g_signal_connect_swapped (verified, "notify::checksum-result", G_CALLBACK (count_notify), &notified);
  dp_download_set_checksum (verified, bad);
  assert_int_equal (dp_download_get_checksum_result (verified), DP_DOWNLOAD_CHECKSUM_PENDING);
  assert_int_equal (notified, 1);

  dp_download_set_checksum (mismatch, bad);
  assert_false (dp_test_run_download (mismatch, 60, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM));
  assert_int_equal (dp_download_get_checksum_result (mismatch), DP_DOWNLOAD_CHECKSUM_MISMATCH);
}

/* A failure before the file was complete says nothing about it. */
static void
test_checksum_unchecked_after_failure (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = new_download (f, "/file/gone.bin?size=2000&status=404");
  g_autoptr(GError) error = NULL;

  dp_download_set_checksum (download, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
  assert_false (dp_test_run_download (download, 60, &error));
  assert_int_equal (dp_download_get_checksum_result (download), DP_DOWNLOAD_CHECKSUM_PENDING);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_strong_validators, setup, teardown),
    cmocka_unit_test_setup_teardown (test_weak_etag, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_validators_no_ranges, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ranges_offered_but_ignored, setup, teardown),
    cmocka_unit_test_setup_teardown (test_validators_kept_across_resume, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum_results, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum_unchecked_after_failure, setup, teardown),
  };
  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));

  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
