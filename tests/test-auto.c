/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>

#include "dp-auto.h"

#define MiB ((gint64) 1 << 20)

/* A path where each connection brings @per_connection bytes per second
 * up to a bottleneck of @bottleneck: the total rate of @n connections. */
static double
path_rate (guint  n,
           double per_connection,
           double bottleneck)
{
  return MIN ((double) n * per_connection, bottleneck);
}

/* Runs the ramp and the trim against a model path until the count
 * stays; returns it, and the largest count tried in *@peak. */
static guint
settle (double per_connection,
        double bottleneck,
        guint  max,
        guint  start,
        guint *peak)
{
  DpAuto a;
  guint n = start;
  guint steps = 0;

  dp_auto_init (&a);
  *peak = n;
  while (a.phase == DP_AUTO_RAMP)
    {
      n = dp_auto_ramp (&a, n, G_MAXINT64 / 4, path_rate (n, per_connection, bottleneck), max);
      *peak = MAX (*peak, n);
      assert_true (++steps < 64);
    }
  while (a.phase == DP_AUTO_TRIM)
    {
      n = dp_auto_trim (&a, n, path_rate (n, per_connection, bottleneck));
      assert_true (++steps < 64);
    }
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  return n;
}

/* Capped connections and no bottleneck: doubles from 4 to the
 * maximum in four steps, and stays there. */
static void
test_ramp_doubles_to_the_maximum (void **state)
{
  DpAuto a;
  guint peak;
  guint n = 4;

  dp_auto_init (&a);
  n = dp_auto_ramp (&a, n, 1000 * MiB, 4.0 * 4 * MiB, 64);
  assert_int_equal (n, 8);
  n = dp_auto_ramp (&a, n, 1000 * MiB, 4.0 * 8 * MiB, 64);
  assert_int_equal (n, 16);
  n = dp_auto_ramp (&a, n, 1000 * MiB, 4.0 * 16 * MiB, 64);
  assert_int_equal (n, 32);
  n = dp_auto_ramp (&a, n, 1000 * MiB, 4.0 * 32 * MiB, 64);
  assert_int_equal (n, 64);
  assert_int_equal (a.phase, DP_AUTO_RAMP);
  /* At the maximum the ramp ends and the trim begins. */
  n = dp_auto_ramp (&a, n, 1000 * MiB, 4.0 * 64 * MiB, 64);
  assert_int_equal (n, 64);
  assert_int_equal (a.phase, DP_AUTO_TRIM);

  /* Every connection brings its cap: all 64 stay. */
  assert_int_equal (settle (4.0 * MiB, G_MAXDOUBLE, 64, 4, &peak), 64);
  assert_int_equal (peak, 64);
}

/* The ramp never goes beyond what it may have (the budget's share, a
 * server's ceiling), also from an odd count. */
static void
test_ramp_respects_the_maximum (void **state)
{
  DpAuto a;

  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 5, 1000 * MiB, 20.0 * MiB, 6), 6);
  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 12, 1000 * MiB, 20.0 * MiB, 6), 6);
  assert_int_equal (a.phase, DP_AUTO_TRIM);
  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 0, 1000 * MiB, 0, 0), 1);
}

/* A download that ends within the horizon at the present rate gets no
 * more connections (a fast path: the loopback, a LAN), and stays. */
static void
test_ramp_stops_when_the_end_is_near (void **state)
{
  DpAuto a;
  double rate = 700.0 * MiB;

  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 4, (gint64) (rate * DP_AUTO_HORIZON_S) - 1, rate, 64), 4);
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  /* Just beyond the horizon: it grows. */
  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 4, (gint64) (rate * DP_AUTO_HORIZON_S) + MiB, rate, 64), 8);
  /* No rate known yet: grows (nothing says the end is near). */
  dp_auto_init (&a);
  assert_int_equal (dp_auto_ramp (&a, 4, 10 * MiB, 0, 64), 8);
}

/* One bottleneck that a single connection fills: the trim gives every
 * connection but one back. */
static void
test_trim_to_one_on_a_shared_bottleneck (void **state)
{
  guint peak;

  assert_int_equal (settle (100.0 * MiB, 100.0 * MiB, 64, 4, &peak), 1);
  assert_int_equal (peak, 64);
}

/* Each connection capped at 4 MiB/s behind a 50 MiB/s line: the
 * smallest count that keeps (nearly) the line's rate stays. */
static void
test_trim_keeps_the_smallest_count_at_the_best_rate (void **state)
{
  guint peak;
  guint n = settle (4.0 * MiB, 50.0 * MiB, 64, 4, &peak);

  /* 16 give the full 50 MiB/s, 8 only 32: the halving stops at 16. */
  assert_int_equal (n, 16);
  assert_true (path_rate (n, 4.0 * MiB, 50.0 * MiB) >= 50.0 * MiB * (1 - DP_AUTO_TRIM_LOSS));
}

/* A loss is judged against the best rate seen, not the last one: small
 * losses at each halving do not add up to a large one. */
static void
test_trim_loss_is_against_the_best (void **state)
{
  DpAuto a;

  dp_auto_init (&a);
  dp_auto_ramp (&a, 64, 1000 * MiB, 100.0 * MiB, 64);
  assert_int_equal (a.phase, DP_AUTO_TRIM);
  assert_int_equal (dp_auto_trim (&a, 64, 100.0 * MiB), 32);
  assert_int_equal (dp_auto_trim (&a, 32, 95.0 * MiB), 16);
  /* 5 % below the last, but 14.5 % below the best: back to 32. */
  assert_int_equal (dp_auto_trim (&a, 16, 85.5 * MiB), 32);
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  /* Steady: nothing moves it. */
  assert_int_equal (dp_auto_trim (&a, 32, 1.0), 32);
  assert_int_equal (dp_auto_ramp (&a, 32, 1000 * MiB, 1.0, 64), 32);
}

/* A refusal ends growth for good: a restart (a new speed limit, more
 * budget) does not undo it. Other ends of growth can be restarted. */
static void
test_refusal_is_final (void **state)
{
  DpAuto a;

  dp_auto_init (&a);
  dp_auto_ramp (&a, 4, 1000 * MiB, 16.0 * MiB, 64);
  dp_auto_refused (&a);
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  assert_int_equal (dp_auto_ramp (&a, 6, 1000 * MiB, 24.0 * MiB, 64), 6);
  dp_auto_restart (&a);
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  assert_int_equal (dp_auto_ramp (&a, 6, 1000 * MiB, 24.0 * MiB, 64), 6);

  /* Ended by the horizon or by the trim: a restart ramps again. */
  dp_auto_init (&a);
  dp_auto_ramp (&a, 4, MiB, 700.0 * MiB, 64);
  assert_int_equal (a.phase, DP_AUTO_STEADY);
  dp_auto_restart (&a);
  assert_int_equal (a.phase, DP_AUTO_RAMP);
  assert_int_equal (dp_auto_ramp (&a, 4, 1000 * MiB, 16.0 * MiB, 64), 8);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_ramp_doubles_to_the_maximum),
    cmocka_unit_test (test_ramp_respects_the_maximum),
    cmocka_unit_test (test_ramp_stops_when_the_end_is_near),
    cmocka_unit_test (test_trim_to_one_on_a_shared_bottleneck),
    cmocka_unit_test (test_trim_keeps_the_smallest_count_at_the_best_rate),
    cmocka_unit_test (test_trim_loss_is_against_the_best),
    cmocka_unit_test (test_refusal_is_final),
  };

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
