/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>

#include "dp-download.h"
#include "dp-engine.h"
#include "dp-error.h"
#include "dp-test-fixture.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * How many connections a download opens and how fast it reads: automatic
 * connections against capped and refusing servers, and speed limits,
 * per download and for all downloads together. Each test checks what
 * the server saw (connections, refusals, the time bytes took), not only
 * the file. Times are only ever checked from below: a slow machine makes
 * a download slower, never faster than its limit.
 */

#define MiB ((guint64) 1 << 20)

typedef DpTestFixture Fixture;

/* When the connection with this number sent its first request. */
static gint64
first_request_of (GPtrArray *log,
                  guint      connection)
{
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *request = g_ptr_array_index (log, i);

      if (request->connection == connection)
        return request->time_us;
    }
  return -1;
}

static guint
count_connections (GPtrArray *log)
{
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    n = MAX (n, ((const DpTestRequest *) g_ptr_array_index (log, i))->connection);
  return n;
}

/* Every connection capped: automatic connections start with a few and
 * then double, well beyond a fixed 16, up to 64. */
static void
test_auto_ramps_up_on_capped_connections (void **state)
{
  Fixture *f = *state;
  guint64 size = 48 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/capped.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, DP_DOWNLOAD_SEGMENTS_AUTO);
  g_autoptr(GPtrArray) log = NULL;
  gint64 first, ninth;

  dp_test_run_ok (download, 1, size);
  log = dp_test_server_dup_log (f->server);

  /* More than a fixed choice would have given, and never more than 64. */
  assert_true (dp_test_server_get_max_concurrent (f->server) > 16);
  assert_true (dp_test_server_get_max_concurrent (f->server) <= 64);
  /* It began with four (the probe's and three more) and grew in steps
   * at least 150 ms apart, not all at once: even if a connection or
   * two of the first were opened again, the ninth came with a step. */
  assert_true (count_connections (log) > 16);
  first = first_request_of (log, 1);
  ninth = first_request_of (log, 9);
  assert_true (first > 0 && ninth > 0);
  assert_true (ninth - first >= 150 * 1000);
}

/* A server that takes six connections and refuses the seventh: the
 * count stops at what it took, at once and for good. */
static void
test_auto_stops_at_the_first_refusal (void **state)
{
  Fixture *f = *state;
  guint64 size = 24 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/limited.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT "&maxconn=6",
                                            size, 2 * MiB);
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, DP_DOWNLOAD_SEGMENTS_AUTO);
  g_autoptr(GPtrArray) log = NULL;
  guint refused;

  dp_test_run_ok (download, 1, size);
  log = dp_test_server_dup_log (f->server);
  refused = dp_test_log_count (log, "GET", NULL, 503);
  /* The step from 4 to 8 met two refusals; nothing was asked again. */
  assert_true (refused >= 1);
  assert_true (refused <= 2);
}

/* A fixed count is what the download opens, whatever the server's
 * speed. */
static void
test_fixed_count_is_kept (void **state)
{
  Fixture *f = *state;
  guint64 size = 16 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/fixed.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT,
                                            size, 2 * MiB);
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, 3);

  dp_test_run_ok (download, 1, size);
  assert_int_equal (dp_test_server_get_max_concurrent (f->server), 3);
}

/* A download's own limit: the bytes take at least as long as the limit
 * says, beyond the bucket the limiter starts with, and automatic
 * connections do not grow against it. */
static void
test_download_limit_holds (void **state)
{
  Fixture *f = *state;
  guint64 size = 6 * MiB;
  guint64 rate = 2 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/limited.bin?size=%" G_GUINT64_FORMAT, size);
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, DP_DOWNLOAD_SEGMENTS_AUTO);
  gint64 start;
  double took;

  dp_download_set_rate_limit (download, rate);
  assert_int_equal (dp_download_get_rate_limit (download), rate);
  start = g_get_monotonic_time ();
  dp_test_run_ok (download, 1, size);
  took = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  /* All but the probe's 64 KiB and a bucket of an eighth of a second
   * went through the limiter. */
  assert_true (took >= (double) (size - 64 * 1024 - rate / 8) / (double) rate);
  assert_true (dp_test_server_get_max_concurrent (f->server) <= 4);
}

typedef struct
{
  guint64 lift_at;
  gboolean lifted;
  gint64 lifted_us;
} Lift;

static void
lift_limit (DpDownload *download,
            Lift       *lift)
{
  if (!lift->lifted && (guint64) dp_download_get_received (download) >= lift->lift_at)
    {
      lift->lifted = TRUE;
      lift->lifted_us = g_get_monotonic_time ();
      dp_download_set_rate_limit (download, 0);
    }
}

/* A limit changed while the download runs takes effect at once, and the
 * connections carry on: at 32 KiB/s the file would take over eight
 * minutes, far beyond the run's time-out. */
static void
test_limit_changes_while_running (void **state)
{
  Fixture *f = *state;
  guint64 size = 16 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/lift.bin?size=%" G_GUINT64_FORMAT, size);
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, 4);
  Lift lift = { 128 * 1024, FALSE, 0 };
  gint64 start;

  dp_download_set_rate_limit (download, 32 * 1024);
  g_signal_connect (download, "progress", G_CALLBACK (lift_limit), &lift);
  start = g_get_monotonic_time ();
  dp_test_run_ok (download, 1, size);
  assert_true (lift.lifted);
  /* Until then the limit held: beyond the probe's 64 KiB and the
   * bucket, 60 KiB at 32 KiB/s. */
  assert_true (lift.lifted_us - start >= G_USEC_PER_SEC * 3 / 2);
  /* Nothing started over: only the probe asked from byte 0. */
  assert_int_equal (dp_test_server_get_range_requests_from_zero (f->server), 1);
}

typedef struct
{
  guint pending;
  guint failed;
} Both;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Both *both = user_data;
  g_autoptr(GError) error = NULL;

  if (!dp_download_start_finish (DP_DOWNLOAD (source), result, &error))
    {
      g_printerr ("%s: %s\n", dp_download_get_url (DP_DOWNLOAD (source)), error->message);
      both->failed++;
    }
  both->pending--;
}

/* The engine's limit holds for all its downloads together. */
static void
test_global_limit_spans_downloads (void **state)
{
  Fixture *f = *state;
  guint64 size = 3 * MiB;
  guint64 rate = 2 * MiB;
  g_autoptr(DpEngine) engine = dp_engine_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpDownload) a = NULL;
  g_autoptr(DpDownload) b = NULL;
  g_autofree char *qa = g_strdup_printf ("/file/a.bin?size=%" G_GUINT64_FORMAT, size);
  g_autofree char *qb = g_strdup_printf ("/file/b.bin?size=%" G_GUINT64_FORMAT "&seed=2", size);
  Both both = { 2, 0 };
  gint64 start;
  double took;

  dp_engine_set_rate_limit (engine, rate);
  assert_int_equal (dp_engine_get_rate_limit (engine), rate);
  a = dp_test_fixture_download (f, qa, DP_DOWNLOAD_SEGMENTS_AUTO);
  b = dp_test_fixture_download (f, qb, DP_DOWNLOAD_SEGMENTS_AUTO);
  dp_download_set_engine (a, engine);
  dp_download_set_engine (b, engine);
  assert_ptr_equal (dp_download_get_engine (a), engine);

  g_main_context_push_thread_default (context);
  start = g_get_monotonic_time ();
  dp_download_start_async (a, NULL, on_done, &both);
  dp_download_start_async (b, NULL, on_done, &both);
  while (both.pending > 0)
    g_main_context_iteration (context, TRUE);
  took = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  assert_int_equal (both.failed, 0);
  dp_test_assert_file (a, 1, size);
  dp_test_assert_file (b, 2, size);
  /* Both files through one limit: twice the time one would take. */
  assert_true (took >= (double) (2 * size - 2 * 64 * 1024 - rate / 8) / (double) rate);
  assert_int_equal (dp_engine_get_connections (engine), 0);
}

typedef struct
{
  DpEngine *engine;
  guint64 late_from;     /* bytes after which connections are watched */
  guint late_max;        /* the most the engine held then */
  guint late_reports;
} Watch;

static void
watch_engine (DpDownload *download,
              Watch      *watch)
{
  if (dp_download_get_state (download) == DP_DOWNLOAD_STATE_DOWNLOADING &&
      (guint64) dp_download_get_received (download) >= watch->late_from)
    {
      watch->late_max = MAX (watch->late_max, dp_engine_get_connections (watch->engine));
      watch->late_reports++;
    }
}

/* A server whose ranges stop working leaves one stream to carry the
 * file: the other connections end and give their slots back to the
 * budget, instead of idling until the download ends. */
static void
test_one_stream_gives_slots_back (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/stops.bin?size=%" G_GUINT64_FORMAT "&rate=%" G_GUINT64_FORMAT
                                            "&rangesafter=4", size, 2 * MiB);
  g_autoptr(DpEngine) engine = dp_engine_new ();
  g_autoptr(DpDownload) download = dp_test_fixture_download (f, query, DP_DOWNLOAD_SEGMENTS_AUTO);
  Watch watch = { engine, size * 3 / 4, 0, 0 };

  dp_download_set_engine (download, engine);
  g_signal_connect (download, "progress", G_CALLBACK (watch_engine), &watch);
  dp_test_run_ok (download, 1, size);
  /* It started with several: the first range answers came. */
  assert_true (dp_test_server_get_max_concurrent (f->server) > 1);
  /* The last quarter came over one stream, holding one slot. */
  assert_true (watch.late_reports > 0);
  assert_int_equal (watch.late_max, 1);
  assert_int_equal (dp_engine_get_connections (engine), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_auto_ramps_up_on_capped_connections, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_auto_stops_at_the_first_refusal, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_fixed_count_is_kept, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_download_limit_holds, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_limit_changes_while_running, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_global_limit_spans_downloads, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_one_stream_gives_slots_back, dp_test_fixture_setup, dp_test_fixture_teardown),
  };
  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
