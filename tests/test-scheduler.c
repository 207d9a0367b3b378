/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>

#include "dp-scheduler.h"

static const gint64 sizes[] = {
  0, 1, 2, 3, 5, 7, 11, 13, 1009, 65537, 1048573,
  (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 16777259,
  G_GINT64_CONSTANT (4294967296) - 1, G_GINT64_CONSTANT (4294967296),
  G_GINT64_CONSTANT (4294967296) + 1, G_GINT64_CONSTANT (4294967296) + 7919,
  G_GINT64_CONSTANT (3947823104), G_GINT64_CONSTANT (1099511627776),
  G_GINT64_CONSTANT (1099511627776) + 3,
};

static const gint64 min_segments[] = { 1, 1 << 20 };

/* Every byte of [0, size) in exactly one range, in order, none empty. */
static void
assert_exact_cover (GArray *ranges,
                    gint64  size)
{
  gint64 next = 0;

  for (guint i = 0; i < ranges->len; i++)
    {
      const DpRange *r = &g_array_index (ranges, DpRange, i);

      assert_int_equal (r->start, next);
      assert_true (r->end > r->start);
      next = r->end;
    }
  assert_int_equal (next, size);
}

static void
test_plan_covers_every_byte_once (void **state)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint m = 0; m < G_N_ELEMENTS (min_segments); m++)
      for (guint n = 1; n <= 64; n++)
        {
          g_autoptr(GArray) ranges = dp_plan_ranges (sizes[s], n, min_segments[m]);
          gint64 shortest = G_MAXINT64, longest = 0;

          assert_exact_cover (ranges, sizes[s]);
          assert_true (ranges->len <= n);
          if (sizes[s] == 0)
            {
              assert_int_equal (ranges->len, 0);
              continue;
            }
          assert_true (ranges->len >= 1);

          for (guint i = 0; i < ranges->len; i++)
            {
              const DpRange *r = &g_array_index (ranges, DpRange, i);
              shortest = MIN (shortest, r->end - r->start);
              longest = MAX (longest, r->end - r->start);
            }
          /* Even split, and nothing below the minimum unless the file is. */
          assert_true (longest - shortest <= 1);
          if (ranges->len > 1)
            assert_true (shortest >= min_segments[m]);
          /* As many segments as asked, if the file is big enough. */
          if (sizes[s] / min_segments[m] >= n)
            assert_int_equal (ranges->len, n);
        }
}

static void
test_plan_small_file_uses_fewer_connections (void **state)
{
  g_autoptr(GArray) three = dp_plan_ranges (3 * (1 << 20) + 5, 16, 1 << 20);
  g_autoptr(GArray) tiny = dp_plan_ranges (1000, 16, 1 << 20);
  g_autoptr(GArray) one = dp_plan_ranges (1, 64, 1 << 20);

  assert_int_equal (three->len, 3);
  assert_int_equal (tiny->len, 1);
  assert_int_equal (one->len, 1);
  assert_int_equal (g_array_index (one, DpRange, 0).end, 1);
}

/* The origin of this project: 3947823104 bytes in 4 parts, where naive
 * code overlapped each boundary by one byte. */
static void
test_plan_boundaries_do_not_overlap (void **state)
{
  g_autoptr(GArray) ranges = dp_plan_ranges (G_GINT64_CONSTANT (3947823104), 4, 1 << 20);

  assert_int_equal (ranges->len, 4);
  for (guint i = 1; i < ranges->len; i++)
    assert_int_equal (g_array_index (ranges, DpRange, i - 1).end,
                      g_array_index (ranges, DpRange, i).start);
  assert_int_equal (g_array_index (ranges, DpRange, 1).start, G_GINT64_CONSTANT (986955776));
}

/* Segments of a scheduler never overlap and cover [0, size). */
static void
assert_scheduler_cover (DpScheduler *sched)
{
  guint n = dp_scheduler_get_n_segments (sched);
  g_autoptr(GArray) sorted = g_array_new (FALSE, FALSE, sizeof (DpSegment));
  gint64 next = 0;

  for (guint i = 0; i < n; i++)
    g_array_append_val (sorted, *dp_scheduler_get_segment (sched, i));
  for (guint i = 0; i < sorted->len; i++)
    for (guint j = i + 1; j < sorted->len; j++)
      if (g_array_index (sorted, DpSegment, j).start < g_array_index (sorted, DpSegment, i).start)
        {
          DpSegment t = g_array_index (sorted, DpSegment, i);
          g_array_index (sorted, DpSegment, i) = g_array_index (sorted, DpSegment, j);
          g_array_index (sorted, DpSegment, j) = t;
        }

  for (guint i = 0; i < sorted->len; i++)
    {
      const DpSegment *seg = &g_array_index (sorted, DpSegment, i);

      assert_int_equal (seg->start, next);
      assert_true (seg->start <= seg->pos);
      assert_true (seg->pos <= seg->end);
      next = seg->end;
    }
  assert_int_equal (next, dp_scheduler_get_size (sched));
}

static void
test_acquire_prefers_unowned (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (8 << 20, 4, 1 << 20);

  for (int w = 0; w < 4; w++)
    assert_int_equal (dp_scheduler_acquire (sched, w), w);
  assert_int_equal (dp_scheduler_get_n_unowned (sched), 0);

  dp_scheduler_release (sched, 2);
  assert_int_equal (dp_scheduler_get_n_unowned (sched), 1);
  assert_int_equal (dp_scheduler_acquire (sched, 7), 2);
  assert_int_equal (dp_scheduler_get_segment (sched, 2)->owner, 7);
}

static void
test_steal_takes_upper_half_of_largest (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (16 << 20, 2, 1 << 20);
  const DpSegment *victim, *stolen;
  int idx;

  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire (sched, 1), 1);

  /* Worker 0 has written 6 MiB of its 8, worker 1 only 1 MiB. */
  assert_int_equal (dp_scheduler_claim (sched, 0, 6 << 20), 6 << 20);
  dp_scheduler_advance (sched, 0);
  assert_int_equal (dp_scheduler_claim (sched, 1, 1 << 20), 1 << 20);
  dp_scheduler_advance (sched, 1);

  idx = dp_scheduler_acquire (sched, 2);
  assert_int_equal (idx, 2);
  victim = dp_scheduler_get_segment (sched, 1);
  stolen = dp_scheduler_get_segment (sched, 2);
  /* Worker 1 had [9 MiB, 16 MiB) left: 7 MiB, split 3.5 + 3.5. */
  assert_int_equal (victim->end, stolen->start);
  assert_int_equal (stolen->end, 16 << 20);
  assert_int_equal (victim->end - victim->pos, stolen->end - stolen->start);
  assert_int_equal (stolen->owner, 2);
  assert_scheduler_cover (sched);
}

static void
test_steal_respects_minimum (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (3 << 20, 2, 1 << 20);

  assert_int_equal (dp_scheduler_get_n_segments (sched), 2);
  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire (sched, 1), 1);
  /* 1.5 MiB left each: halves would be under 1 MiB. */
  assert_int_equal (dp_scheduler_acquire (sched, 2), -1);
}

static void
test_claim_protects_bytes_in_flight (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (10 << 20, 1, 1 << 20);
  const DpSegment *seg;
  int idx;

  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  /* 4 MiB are being written: a thief must split only [4, 10) MiB. */
  assert_int_equal (dp_scheduler_claim (sched, 0, 4 << 20), 4 << 20);
  idx = dp_scheduler_acquire (sched, 1);
  assert_int_equal (idx, 1);
  seg = dp_scheduler_get_segment (sched, 1);
  assert_int_equal (seg->start, 7 << 20);

  dp_scheduler_advance (sched, 0);
  seg = dp_scheduler_get_segment (sched, 0);
  assert_int_equal (seg->pos, 4 << 20);
  assert_int_equal (seg->end, 7 << 20);

  /* A claim never crosses the (moved) end. */
  assert_int_equal (dp_scheduler_claim (sched, 0, 8 << 20), 3 << 20);
}

/* Random workers advancing at random speeds and stealing: every byte is
 * written exactly once and the plan always covers the file. */
static void
test_random_run_writes_each_byte_once (void **state)
{
  GRand *rand = g_rand_new_with_seed (20261125);

  for (guint round = 0; round < 200; round++)
    {
      gint64 size = g_rand_int_range (rand, 0, 64 << 20) + (round % 3 == 0 ? 0 : g_rand_int_range (rand, 0, 1000));
      guint workers = (guint) g_rand_int_range (rand, 1, 17);
      g_autoptr(DpScheduler) sched = dp_scheduler_new (size, workers, 1 << 20);
      int owned[17];
      gint64 written = 0;
      guint steps = 0;

      for (guint w = 0; w < workers; w++)
        owned[w] = -1;

      while (!dp_scheduler_is_complete (sched))
        {
          guint w = (guint) g_rand_int_range (rand, 0, (int) workers);

          assert_true (++steps < 1000000);
          if (owned[w] < 0)
            {
              owned[w] = dp_scheduler_acquire (sched, (int) w);
              continue;
            }

          if (g_rand_int_range (rand, 0, 50) == 0)
            {
              /* A failing connection hands its segment back. */
              dp_scheduler_release (sched, (guint) owned[w]);
              owned[w] = -1;
              continue;
            }

          {
            gint64 n = dp_scheduler_claim (sched, (guint) owned[w],
                                           g_rand_int_range (rand, 1, 300000));
            const DpSegment *seg;

            written += n;
            dp_scheduler_advance (sched, (guint) owned[w]);
            seg = dp_scheduler_get_segment (sched, (guint) owned[w]);
            if (seg->pos == seg->end)
              {
                dp_scheduler_release (sched, (guint) owned[w]);
                owned[w] = -1;
              }
          }
          if (steps % 97 == 0)
            assert_scheduler_cover (sched);
        }

      assert_scheduler_cover (sched);
      assert_int_equal (written, size);
      assert_int_equal (dp_scheduler_get_done (sched), size);
    }

  g_rand_free (rand);
}

static void
test_reset_single_and_unknown_size (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (8 << 20, 4, 1 << 20);
  g_autoptr(DpScheduler) stream = dp_scheduler_new (G_MAXINT64, 1, G_MAXINT64);

  dp_scheduler_acquire (sched, 0);
  dp_scheduler_claim (sched, 0, 100);
  dp_scheduler_advance (sched, 0);
  dp_scheduler_reset_single (sched);
  assert_int_equal (dp_scheduler_get_n_segments (sched), 1);
  assert_int_equal (dp_scheduler_get_done (sched), 0);
  assert_int_equal (dp_scheduler_get_segment (sched, 0)->end, 8 << 20);
  /* One stream: nobody may steal from it. */
  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire (sched, 1), -1);

  assert_int_equal (dp_scheduler_get_n_segments (stream), 1);
  assert_int_equal (dp_scheduler_acquire (stream, 0), 0);
  assert_int_equal (dp_scheduler_claim (stream, 0, 12345), 12345);
  dp_scheduler_advance (stream, 0);
  assert_false (dp_scheduler_is_complete (stream));
  dp_scheduler_set_size (stream, 12345);
  assert_true (dp_scheduler_is_complete (stream));
  assert_int_equal (dp_scheduler_get_size (stream), 12345);
}

static void
test_paced_split_follows_rates (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (20 << 20, 2, 1 << 20);
  const double rates[] = { 512 * 1024, 4 << 20, 0 };
  const DpSegment *slow, *taken;
  gint64 left;
  int idx;

  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire (sched, 1), 1);
  /* Worker 1 is done with its half; worker 0 crawls at 512 KiB/s. */
  dp_scheduler_claim (sched, 1, 10 << 20);
  dp_scheduler_advance (sched, 1);
  dp_scheduler_release (sched, 1);
  left = dp_scheduler_get_segment (sched, 0)->end - dp_scheduler_get_segment (sched, 0)->pos;

  idx = dp_scheduler_acquire_paced (sched, 1, rates, 3, 4 << 20);
  assert_true (idx >= 0);
  slow = dp_scheduler_get_segment (sched, 0);
  taken = dp_scheduler_get_segment (sched, (guint) idx);
  /* The slow one keeps 1/9 of its remainder, the fast one takes 8/9. */
  assert_true (slow->end - slow->pos <= left / 9 + 1);
  assert_true (taken->end - taken->start >= left * 8 / 9 - 1);
  assert_int_equal (taken->end, 10 << 20);
  assert_scheduler_cover (sched);
}

static void
test_paced_equal_rates_halve (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (8 << 20, 1, 1 << 20);
  const double rates[] = { 4 << 20, 4 << 20 };
  const DpSegment *seg;
  int idx;

  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  idx = dp_scheduler_acquire_paced (sched, 1, rates, 2, 4 << 20);
  assert_int_equal (idx, 1);
  seg = dp_scheduler_get_segment (sched, 0);
  assert_int_equal (seg->end, 4 << 20);
}

static void
test_paced_end_game (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (4 << 20, 1, 1 << 20);
  const double slow[] = { 100 * 1024, 4 << 20 };
  const double even[] = { 4 << 20, 4 << 20 };

  /* 700 KiB left: too little to split between equals... */
  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  dp_scheduler_claim (sched, 0, (4 << 20) - 700 * 1024);
  dp_scheduler_advance (sched, 0);
  assert_int_equal (dp_scheduler_acquire_paced (sched, 1, even, 2, 4 << 20), -1);
  /* ...but a crawling owner (7 s to go) gets help. */
  assert_int_equal (dp_scheduler_acquire_paced (sched, 1, slow, 2, 4 << 20), 1);
  assert_true (dp_scheduler_get_segment (sched, 0)->end - dp_scheduler_get_segment (sched, 0)->pos
               <= 256 * 1024);
  assert_scheduler_cover (sched);
}

/* A piece that failed its check becomes missing again, whatever
 * segments it spans, and the bytes around it stay done. */
static void
test_reopen (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (8 << 20, 2, 1 << 20);
  g_autoptr(GArray) done = NULL;
  int first, second;

  first = dp_scheduler_acquire (sched, 0);
  second = dp_scheduler_acquire (sched, 1);
  assert_int_equal (first, 0);
  assert_int_equal (second, 1);
  /* The first segment done, the second half done. */
  dp_scheduler_claim (sched, 0, 4 << 20);
  dp_scheduler_advance (sched, 0);
  dp_scheduler_claim (sched, 1, 2 << 20);
  dp_scheduler_advance (sched, 1);

  /* Bytes not written yet cannot be reopened. */
  assert_false (dp_scheduler_reopen (sched, 5 << 20, 7 << 20));
  assert_int_equal (dp_scheduler_get_done (sched), 6 << 20);
  /* Below an owner's pos they can: the owner goes on above them. */
  assert_true (dp_scheduler_reopen (sched, (4 << 20) + 4096, (4 << 20) + 8192));
  assert_int_equal (dp_scheduler_get_done (sched), (6 << 20) - 4096);
  assert_int_equal (dp_scheduler_get_segment (sched, (guint) second)->start, (4 << 20) + 8192);
  assert_int_equal (dp_scheduler_get_segment (sched, (guint) second)->pos, 6 << 20);
  assert_int_equal (dp_scheduler_get_segment (sched, (guint) second)->owner, 1);
  assert_scheduler_cover (sched);
  /* Its owner can still write where it was. */
  assert_int_equal (dp_scheduler_claim (sched, (guint) second, 4096), 4096);
  dp_scheduler_advance (sched, (guint) second);
  assert_int_equal (dp_scheduler_get_done (sched), 6 << 20);
  g_clear_pointer (&sched, dp_scheduler_free);

  sched = dp_scheduler_new (8 << 20, 2, 1 << 20);
  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire (sched, 1), 1);
  dp_scheduler_claim (sched, 0, 4 << 20);
  dp_scheduler_advance (sched, 0);
  dp_scheduler_claim (sched, 1, 2 << 20);
  dp_scheduler_advance (sched, 1);
  dp_scheduler_release (sched, 0);
  dp_scheduler_release (sched, 1);

  /* [3 MiB, 5 MiB) spans both segments. */
  assert_true (dp_scheduler_reopen (sched, 3 << 20, 5 << 20));
  assert_int_equal (dp_scheduler_get_done (sched), 4 << 20);
  assert_false (dp_scheduler_is_complete (sched));
  done = dp_scheduler_dup_done (sched);
  assert_int_equal (done->len, 2);
  assert_int_equal (g_array_index (done, DpRange, 0).start, 0);
  assert_int_equal (g_array_index (done, DpRange, 0).end, 3 << 20);
  assert_int_equal (g_array_index (done, DpRange, 1).start, 5 << 20);
  assert_int_equal (g_array_index (done, DpRange, 1).end, 6 << 20);
  assert_scheduler_cover (sched);

  /* The reopened bytes are work for anybody. */
  assert_true (dp_scheduler_acquire (sched, 2) >= 0);
}

static void
test_paced_never_splits_single_stream (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (64 << 20, 4, 1 << 20);
  const double rates[] = { 1000, 4 << 20 };

  dp_scheduler_reset_single (sched);
  assert_int_equal (dp_scheduler_acquire (sched, 0), 0);
  assert_int_equal (dp_scheduler_acquire_paced (sched, 1, rates, 2, 4 << 20), -1);
}

static void
test_resume_plans_only_the_gaps (void **state)
{
  g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (DpRange));
  g_autoptr(DpScheduler) sched = NULL;
  g_autoptr(GArray) again = NULL;
  const DpRange have[] = { { 0, 3 << 20 }, { 10 << 20, 12 << 20 }, { 30 << 20, 32 << 20 } };

  g_array_append_vals (done, have, G_N_ELEMENTS (have));
  sched = dp_scheduler_new_resume (32 << 20, 8, 1 << 20, done);
  assert_scheduler_cover (sched);
  assert_int_equal (dp_scheduler_get_done (sched), 7 << 20);
  assert_false (dp_scheduler_is_complete (sched));

  /* What was done comes back as it went in. */
  again = dp_scheduler_dup_done (sched);
  assert_int_equal (again->len, 3);
  for (guint i = 0; i < 3; i++)
    {
      assert_int_equal (g_array_index (again, DpRange, i).start, have[i].start);
      assert_int_equal (g_array_index (again, DpRange, i).end, have[i].end);
    }

  /* Finishing every gap completes the file as one range. */
  for (int w = 0;; w++)
    {
      int idx = dp_scheduler_acquire (sched, w);
      if (idx < 0)
        break;
      dp_scheduler_claim (sched, (guint) idx, G_MAXINT64);
      dp_scheduler_advance (sched, (guint) idx);
    }
  assert_true (dp_scheduler_is_complete (sched));
  g_clear_pointer (&again, g_array_unref);
  again = dp_scheduler_dup_done (sched);
  assert_int_equal (again->len, 1);
  assert_int_equal (g_array_index (again, DpRange, 0).end, 32 << 20);
}

static void
test_empty_file_is_complete (void **state)
{
  g_autoptr(DpScheduler) sched = dp_scheduler_new (0, 8, 1 << 20);

  assert_int_equal (dp_scheduler_get_n_segments (sched), 0);
  assert_true (dp_scheduler_is_complete (sched));
  assert_int_equal (dp_scheduler_acquire (sched, 0), -1);
}

/* A request asks for about a second of its connection's pace. */
static void
test_request_sized_to_pace (void **state)
{
  const gint64 MiB = 1 << 20;

  /* Unknown pace: the whole segment, as one request. */
  assert_int_equal (dp_request_end (0, 16 * MiB, 0, 0), 16 * MiB);
  assert_int_equal (dp_request_end (5, 16 * MiB, -1, 1000), 16 * MiB);
  assert_int_equal (dp_request_end (5, 16 * MiB, NAN, 1000), 16 * MiB);
  /* 4 MiB/s on loopback: about 4 MiB at a time, from wherever it is. */
  assert_int_equal (dp_request_end (0, 16 * MiB, 4.0 * MiB, 500), 4 * MiB);
  assert_int_equal (dp_request_end (3 * MiB + 7, 16 * MiB, 4.0 * MiB, 500), 7 * MiB + 7);
  /* A crawling connection still asks for at least DP_REQUEST_MIN_SIZE. */
  assert_int_equal (dp_request_end (0, 16 * MiB, 10000, 500), DP_REQUEST_MIN_SIZE);
  /* A distant server: 100 ms to answer makes each request 4 s long, so
   * the round trips between requests cost at most about 2.5 %. */
  assert_int_equal (dp_request_end (0, 64 * MiB, 1.0 * MiB, 100000), 4 * MiB);
  /* A fast connection takes the whole segment: one request. */
  assert_int_equal (dp_request_end (0, 16 * MiB, 500.0 * MiB, 200), 16 * MiB);
  assert_int_equal (dp_request_end (0, G_MAXINT64, 1e300, 200), G_MAXINT64);
}

/* No request leaves a stub: a remainder under half a request goes
 * with it, and the result is always within (pos, end]. */
static void
test_request_leaves_no_stub (void **state)
{
  const gint64 MiB = 1 << 20;
  g_autoptr(GRand) rand = NULL;

  assert_int_equal (dp_request_end (0, 6 * MiB, 4.0 * MiB, 500), 6 * MiB);
  assert_int_equal (dp_request_end (0, 6 * MiB + 1, 4.0 * MiB, 500), 4 * MiB);
  assert_int_equal (dp_request_end (10, 11, 4.0 * MiB, 500), 11);

  rand = g_rand_new_with_seed (20261125);
  for (guint i = 0; i < 10000; i++)
    {
      gint64 pos = g_rand_int_range (rand, 0, 1 << 30);
      gint64 end = pos + 1 + g_rand_int_range (rand, 0, 1 << 30);
      double pace = g_rand_double_range (rand, 0, 1e9);
      gint64 rtt = g_rand_int_range (rand, 0, 2000000);
      gint64 stop = dp_request_end (pos, end, pace, rtt);

      assert_true (stop > pos && stop <= end);
      assert_true (stop == end || end - stop >= DP_REQUEST_MIN_SIZE / 2);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plan_covers_every_byte_once),
    cmocka_unit_test (test_plan_small_file_uses_fewer_connections),
    cmocka_unit_test (test_plan_boundaries_do_not_overlap),
    cmocka_unit_test (test_acquire_prefers_unowned),
    cmocka_unit_test (test_steal_takes_upper_half_of_largest),
    cmocka_unit_test (test_steal_respects_minimum),
    cmocka_unit_test (test_claim_protects_bytes_in_flight),
    cmocka_unit_test (test_random_run_writes_each_byte_once),
    cmocka_unit_test (test_reset_single_and_unknown_size),
    cmocka_unit_test (test_empty_file_is_complete),
    cmocka_unit_test (test_paced_split_follows_rates),
    cmocka_unit_test (test_resume_plans_only_the_gaps),
    cmocka_unit_test (test_paced_equal_rates_halve),
    cmocka_unit_test (test_paced_end_game),
    cmocka_unit_test (test_paced_never_splits_single_stream),
    cmocka_unit_test (test_reopen),
    cmocka_unit_test (test_request_sized_to_pace),
    cmocka_unit_test (test_request_leaves_no_stub),
  };

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
