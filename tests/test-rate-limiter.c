/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>

#include "dp-rate-limiter.h"

/*
 * The token bucket as pure logic: every test up to the acquire() ones
 * drives dp_rate_limiter_take_at() with a simulated clock, so the
 * bounds below are exact and no test sleeps. The acquire() tests use
 * the real clock, but wait for events (a waiter registered on its
 * cancellable, a total reached), never for a fixed time.
 */

#define KiB 1024
#define MiB (1024 * 1024)
#define MS 1000          /* simulated microseconds */
#define SECOND G_USEC_PER_SEC

/* A simulated clock that starts nowhere near 0 or the real clock. */
#define ORIGIN G_GINT64_CONSTANT (987654321000)

#define assert_no_error(error) \
  G_STMT_START { \
    if ((error) != NULL) \
      fail_msg ("unexpected error: %s", (error)->message); \
  } G_STMT_END

/* The documented bucket: an eighth of a second of the rate, at least
 * 4096 bytes. */
static gsize
bucket_of (guint64 rate)
{
  return (gsize) MAX ((double) rate / 8, 4096.0);
}

static void
test_unlimited_passes_everything (void **state)
{
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (0);
  const gsize wants[] = { 1, 4096, 1 << 20, G_MAXSIZE / 2, G_MAXSIZE };

  assert_int_equal (dp_rate_limiter_get_rate (limiter), 0);
  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < G_N_ELEMENTS (wants); i++)
      {
        gint64 wait = -1;

        assert_true (dp_rate_limiter_take_at (limiter, wants[i], ORIGIN + round, &wait) == wants[i]);
        assert_int_equal (wait, 0);
      }
  /* Giving back to no limit changes nothing either. */
  dp_rate_limiter_give_back (limiter, 12345);
  assert_true (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL) == G_MAXSIZE);
}

/* A new limiter's first take is one full bucket, whatever the clock
 * reads (0 included), and a second take at the same moment is nothing. */
static void
test_first_take_is_one_bucket (void **state)
{
  const guint64 rates[] = { 1, 1000, 32768, 32769, 100000, MiB, 16 * MiB, 1024 * MiB,
                            G_GUINT64_CONSTANT (1) << 40 };
  const gint64 clocks[] = { 0, 1, ORIGIN, G_MAXINT64 / 2 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    for (guint c = 0; c < G_N_ELEMENTS (clocks); c++)
      {
        g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rates[r]);
        gint64 wait = -1;
        gsize got = dp_rate_limiter_take_at (limiter, G_MAXSIZE, clocks[c], &wait);

        if (got != bucket_of (rates[r]))
          fail_msg ("rate %" G_GUINT64_FORMAT " at %" G_GINT64_FORMAT ": first take %" G_GSIZE_FORMAT
                    ", bucket %" G_GSIZE_FORMAT, rates[r], clocks[c], got, bucket_of (rates[r]));
        assert_int_equal (wait, 0);
        got = dp_rate_limiter_take_at (limiter, G_MAXSIZE, clocks[c], &wait);
        if (got != 0)
          fail_msg ("rate %" G_GUINT64_FORMAT " at %" G_GINT64_FORMAT ": a second full bucket (%"
                    G_GSIZE_FORMAT ")", rates[r], clocks[c], got);
        assert_true (wait > 0);
      }
}

/* Bytes taken in each simulated millisecond of a run. */
typedef struct
{
  guint64 *bytes;
  guint n_ms;
} Record;

static Record
record_new (guint n_ms)
{
  Record record = { g_new0 (guint64, n_ms), n_ms };

  return record;
}

/* Bytes taken in [@from_ms, @to_ms), from @sums: bytes before each
 * millisecond. */
static guint64
window_sum (const guint64 *sums,
            guint          from_ms,
            guint          to_ms)
{
  return sums[to_ms] - sums[from_ms];
}

/* The limit holds in [@from_ms, @to_ms) of @record: every second
 * (999.999 ms of clock) saw at most the rate plus a bucket, and every
 * 5 s window that starts at @settle_ms or later is within 5 % of the
 * rate. */
static void
assert_rate_kept (const Record *record,
                  guint64       rate,
                  guint         from_ms,
                  guint         settle_ms,
                  guint         to_ms)
{
  g_autofree guint64 *sums = g_new0 (guint64, record->n_ms + 1);

  for (guint i = 0; i < record->n_ms; i++)
    sums[i + 1] = sums[i] + record->bytes[i];
  for (guint a = from_ms; a + 1000 <= to_ms; a++)
    {
      guint64 sum = window_sum (sums, a, a + 1000);

      if (sum > rate + bucket_of (rate))
        fail_msg ("rate %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " bytes in the second from %u ms",
                  rate, sum, a);
    }
  for (guint a = settle_ms; a + 5000 <= to_ms; a++)
    {
      guint64 sum = window_sum (sums, a, a + 5000);
      double ratio = (double) sum / (5.0 * (double) rate);

      if (ratio < 0.95 || ratio > 1.05)
        fail_msg ("rate %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " bytes in the 5 s from %u ms "
                  "(%.3f of the rate)", rate, sum, a, ratio);
    }
}

/* A reader that asks for 128 KiB every simulated millisecond. */
static void
test_steady_reader_keeps_the_rate (void **state)
{
  const guint64 rates[] = { 1000, 4096, 100000, 1000 * 1000, MiB, 7 * MiB + 3, 64 * MiB };
  const guint run_ms = 30 * 1000;

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    {
      g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rates[r]);
      Record record = record_new (run_ms);

      for (guint t = 0; t < run_ms; t++)
        record.bytes[t] = dp_rate_limiter_take_at (limiter, 128 * KiB, ORIGIN + t * MS, NULL);
      assert_rate_kept (&record, rates[r], 0, 1000, run_ms);
      g_free (record.bytes);
    }
}

/* A reader that asks for random amounts, on average four times the
 * rate, at random moments 0–10 ms apart (several at the same moment
 * too). */
static void
test_random_reader_keeps_the_rate (void **state)
{
  const guint64 rates[] = { 1000, 5000, 100000, 1000 * 1000, 3 * MiB + 1, 64 * MiB };
  const guint run_ms = 30 * 1000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261201);

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    {
      g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rates[r]);
      Record record = record_new (run_ms);
      /* A bucket can hold seconds of a slow rate: empty it at once. */
      gint64 max_want = MAX (2 * 4096, (gint64) (rates[r] / 25));

      for (gint64 t = 0; t < (gint64) run_ms * MS; t += g_rand_int_range (rand, 0, 10 * MS))
        {
          gsize want = (gsize) g_rand_double_range (rand, 1, (double) max_want);

          record.bytes[t / MS] += dp_rate_limiter_take_at (limiter, want, ORIGIN + t, NULL);
        }
      assert_rate_kept (&record, rates[r], 0, 1000, run_ms);
      g_free (record.bytes);
    }
}

/* A reader that stops for up to 3 s, then reads greedily for up to 2 s:
 * what it saved up while it stopped is one bucket, no more. */
static void
test_idle_reader_saves_one_bucket (void **state)
{
  const guint64 rates[] = { 1000, 100000, 3 * MiB + 1 };
  const guint run_ms = 60 * 1000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1999);

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    {
      g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rates[r]);
      Record record = record_new (run_ms);
      guint t = 0;

      while (t < run_ms)
        {
          guint idle_ms = (guint) g_rand_int_range (rand, 0, 3000);
          guint busy_ms = (guint) g_rand_int_range (rand, 1, 2000);
          guint start = t + idle_ms;

          for (t = start; t < MIN (start + busy_ms, run_ms); t++)
            {
              gsize got = dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN + t * MS, NULL);

              /* One bucket at most, and a whole one after a long pause. */
              assert_true (got <= bucket_of (rates[r]));
              if (t == start && (double) idle_ms * rates[r] >= 1000.0 * bucket_of (rates[r]))
                assert_int_equal (got, bucket_of (rates[r]));
              record.bytes[t] = got;
            }
        }
      /* The 1 s bound only: an idle reader is not meant to get the rate. */
      assert_rate_kept (&record, rates[r], 0, run_ms, run_ms);
      g_free (record.bytes);
    }
}

typedef struct
{
  gint64 at;
  gsize want;
} Take;

static DpRateLimiter *
replay (guint64     rate,
        const Take *takes,
        guint       n_takes)
{
  DpRateLimiter *limiter = dp_rate_limiter_new (rate);

  for (guint i = 0; i < n_takes; i++)
    dp_rate_limiter_take_at (limiter, takes[i].want, takes[i].at, NULL);
  return limiter;
}

/* When a take finds nothing, the wait it reports is exact: asking again
 * that much later gives at least a byte, a microsecond earlier nothing.
 * Each check runs on two limiters with the same history, since a take
 * that finds nothing still brings the bucket up to its clock. */
static void
test_wait_is_exact (void **state)
{
  const guint64 rates[] = { 1, 3, 7, 1000, 4096, 999999, 1000 * 1000, MiB, 7777777,
                            1024 * MiB, G_GUINT64_CONSTANT (1000000000000) };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4711);
  guint checked = 0;

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    {
      guint64 rate = rates[r];
      g_autoptr(GArray) takes = g_array_new (FALSE, FALSE, sizeof (Take));
      gint64 now = ORIGIN;
      /* Two bytes' worth of time, from 2 µs to 2 s. */
      gint32 step_us = (gint32) CLAMP (2.0 * SECOND / (double) rate, 2, 2 * SECOND);

      for (guint step = 0; step < 60; step++)
        {
          g_autoptr(DpRateLimiter) early = NULL;
          g_autoptr(DpRateLimiter) late = NULL;
          Take take;
          gint64 wait = -1;
          gsize got;

          /* Either everything there is or a few bytes, at most two
           * bytes' worth of time apart: fractions of a byte pile up. */
          now += g_rand_int_range (rand, 0, step_us + 1);
          take.at = now;
          take.want = g_rand_boolean (rand) ? G_MAXSIZE : (gsize) g_rand_int_range (rand, 1, 4);
          g_array_append_val (takes, take);

          late = replay (rate, (Take *) takes->data, takes->len);
          got = dp_rate_limiter_take_at (late, 1, now, &wait);
          if (got > 0)
            {
              assert_int_equal (wait, 0);
              continue;
            }
          assert_true (wait > 0);
          g_clear_pointer (&late, dp_rate_limiter_unref);

          early = replay (rate, (Take *) takes->data, takes->len);
          late = replay (rate, (Take *) takes->data, takes->len);
          got = dp_rate_limiter_take_at (early, G_MAXSIZE, now + wait - 1, NULL);
          if (got != 0)
            fail_msg ("rate %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT " bytes 1 µs before the "
                      "wait of %" G_GINT64_FORMAT " µs ended", rate, got, wait);
          got = dp_rate_limiter_take_at (late, G_MAXSIZE, now + wait, NULL);
          if (got == 0)
            fail_msg ("rate %" G_GUINT64_FORMAT ": nothing after the wait of %" G_GINT64_FORMAT " µs",
                      rate, wait);
          checked++;
        }
    }
  /* The rates and steps above do run into empty buckets. */
  assert_true (checked > 100);
}

/* A clock that runs backwards (a thread that read it before another)
 * earns nothing, and the wait counts from the latest time seen. */
static void
test_wait_with_an_older_clock (void **state)
{
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (1000);
  gint64 wait = -1;

  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), 4096);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN - 500 * MS, &wait), 0);
  /* One byte at 1000 B/s is 1 ms after ORIGIN, which is 501 ms away. */
  assert_int_equal (wait, 501 * MS);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN - 500 * MS + wait, NULL), 1);
}

static void
test_give_back_never_overfills (void **state)
{
  const guint64 rate = 100000;
  const gsize bucket = bucket_of (rate);
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rate);
  g_autoptr(DpRateLimiter) fresh = dp_rate_limiter_new (rate);

  /* Before the first take the bucket is full already. */
  dp_rate_limiter_give_back (fresh, 5000);
  assert_int_equal (dp_rate_limiter_take_at (fresh, G_MAXSIZE, ORIGIN, NULL), bucket);

  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), bucket);
  dp_rate_limiter_give_back (limiter, 1000);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), 1000);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), 0);

  dp_rate_limiter_give_back (limiter, 700);
  dp_rate_limiter_give_back (limiter, 300);
  assert_int_equal (dp_rate_limiter_take_at (limiter, 400, ORIGIN, NULL), 400);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), 600);

  /* More than was ever taken: a full bucket, no more. */
  dp_rate_limiter_give_back (limiter, 10 * bucket);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), bucket);
  /* Nor with time earned on top. */
  dp_rate_limiter_give_back (limiter, bucket);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN + 60 * SECOND, NULL), bucket);
}

/* Bytes earned before the change count at the old rate, bytes after it
 * at the new one, and a lower rate also means a smaller bucket. */
static void
test_set_rate_at_splits_earnings (void **state)
{
  g_autoptr(DpRateLimiter) up = dp_rate_limiter_new (100000);
  g_autoptr(DpRateLimiter) down = dp_rate_limiter_new (200000);

  assert_int_equal (dp_rate_limiter_take_at (up, G_MAXSIZE, ORIGIN, NULL), 12500);
  dp_rate_limiter_set_rate_at (up, 1000 * 1000, ORIGIN + 50 * MS);
  assert_int_equal (dp_rate_limiter_get_rate (up), 1000 * 1000);
  /* 50 ms at 100 kB/s, then 10 ms at 1 MB/s. */
  assert_int_equal (dp_rate_limiter_take_at (up, G_MAXSIZE, ORIGIN + 60 * MS, NULL), 5000 + 10000);

  assert_int_equal (dp_rate_limiter_take_at (down, G_MAXSIZE, ORIGIN, NULL), 25000);
  /* 100 ms at 200 kB/s earned 20000, but 80 kB/s holds only 10000. */
  dp_rate_limiter_set_rate_at (down, 80000, ORIGIN + 100 * MS);
  assert_int_equal (dp_rate_limiter_take_at (down, G_MAXSIZE, ORIGIN + 100 * MS, NULL), 10000);
  assert_int_equal (dp_rate_limiter_take_at (down, G_MAXSIZE, ORIGIN + 110 * MS, NULL), 800);

  /* The same rate again changes nothing, not even the clock. */
  dp_rate_limiter_set_rate_at (down, 80000, ORIGIN + 200 * MS);
  assert_int_equal (dp_rate_limiter_take_at (down, G_MAXSIZE, ORIGIN + 210 * MS, NULL), 8000);
}

/* A steady reader through two rate changes keeps each rate from the
 * moment it was set. */
static void
test_set_rate_at_during_a_run (void **state)
{
  const guint64 rates[] = { MiB, 4 * MiB, 256 * KiB };
  const guint phase_ms = 10 * 1000;
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rates[0]);
  Record record = record_new (3 * phase_ms);

  for (guint t = 0; t < record.n_ms; t++)
    {
      if (t > 0 && t % phase_ms == 0)
        dp_rate_limiter_set_rate_at (limiter, rates[t / phase_ms], ORIGIN + t * MS);
      record.bytes[t] = dp_rate_limiter_take_at (limiter, 128 * KiB, ORIGIN + t * MS, NULL);
    }
  for (guint p = 0; p < G_N_ELEMENTS (rates); p++)
    assert_rate_kept (&record, rates[p], p * phase_ms, p == 0 ? 1000 : p * phase_ms, (p + 1) * phase_ms);
  g_free (record.bytes);
}

/* Rate 0 lifts a limit at once; a limit set again starts with a full
 * bucket, as a new one does. */
static void
test_rate_zero_lifts_the_limit (void **state)
{
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (1000);
  gint64 wait = -1;

  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, NULL), 4096);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN, &wait), 0);
  assert_true (wait > 0);

  dp_rate_limiter_set_rate_at (limiter, 0, ORIGIN);
  assert_int_equal (dp_rate_limiter_get_rate (limiter), 0);
  for (guint i = 0; i < 10; i++)
    {
      assert_true (dp_rate_limiter_take_at (limiter, 64 * MiB, ORIGIN, &wait) == 64 * MiB);
      assert_int_equal (wait, 0);
    }

  dp_rate_limiter_set_rate_at (limiter, 1000, ORIGIN + SECOND);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN + SECOND, NULL), 4096);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN + SECOND, NULL), 0);
  assert_int_equal (dp_rate_limiter_take_at (limiter, G_MAXSIZE, ORIGIN + SECOND + 10 * MS, NULL), 10);
}

/* The bytes in @limiter now. A clock in the past earns nothing, and
 * what is taken goes straight back, so this changes nothing; only for
 * a limiter that has taken on the real clock already. */
static gsize
peek_tokens (DpRateLimiter *limiter)
{
  gsize n = dp_rate_limiter_take_at (limiter, G_MAXSIZE, 1, NULL);

  dp_rate_limiter_give_back (limiter, n);
  return n;
}

/* Puts @limiter on the real clock with a full bucket. */
static void
start_full (DpRateLimiter *limiter)
{
  dp_rate_limiter_take_at (limiter, 1, g_get_monotonic_time (), NULL);
  dp_rate_limiter_give_back (limiter, G_MAXSIZE);
}

/* Puts @limiter on the real clock with an empty bucket. */
static void
start_empty (DpRateLimiter *limiter)
{
  dp_rate_limiter_take_at (limiter, G_MAXSIZE, g_get_monotonic_time (), NULL);
  assert_int_equal (peek_tokens (limiter), 0);
}

static void
test_acquire_takes_the_same_from_each (void **state)
{
  g_autoptr(DpRateLimiter) wide = dp_rate_limiter_new (1024 * MiB);    /* 128 MiB bucket */
  g_autoptr(DpRateLimiter) narrow = dp_rate_limiter_new (512 * MiB);   /* 64 MiB bucket */
  g_autoptr(DpRateLimiter) unlimited = dp_rate_limiter_new (0);
  g_autoptr(GError) error = NULL;

  start_full (wide);
  start_full (narrow);
  {
    DpRateLimiter *both[] = { wide, narrow };

    /* The wide one gave 100 MiB, the narrow one 64: the wide one gets
     * 36 back. */
    assert_int_equal (dp_rate_limiter_acquire (both, 2, 100 * MiB, NULL, &error), 64 * MiB);
    assert_no_error (error);
    assert_int_equal (peek_tokens (wide), 64 * MiB);
    assert_int_equal (peek_tokens (narrow), 0);
  }

  start_full (wide);
  start_full (narrow);
  {
    DpRateLimiter *reversed[] = { narrow, NULL, unlimited, wide };

    assert_int_equal (dp_rate_limiter_acquire (reversed, 4, 100 * MiB, NULL, &error), 64 * MiB);
    assert_no_error (error);
    assert_int_equal (peek_tokens (wide), 64 * MiB);
    assert_int_equal (peek_tokens (narrow), 0);

    dp_rate_limiter_give_back (wide, 128 * MiB);
    dp_rate_limiter_give_back (narrow, 64 * MiB);
    assert_int_equal (dp_rate_limiter_acquire (reversed, 4, 1000, NULL, &error), 1000);
    assert_int_equal (peek_tokens (wide), 128 * MiB - 1000);
    assert_int_equal (peek_tokens (narrow), 64 * MiB - 1000);
  }
  {
    DpRateLimiter *none[] = { NULL, unlimited };

    assert_int_equal (dp_rate_limiter_acquire (none, 2, 5 * MiB, NULL, &error), 5 * MiB);
    assert_int_equal (dp_rate_limiter_acquire (none, 0, 5 * MiB, NULL, &error), 5 * MiB);
    /* Nothing asked, nothing to wait for, even from an empty bucket. */
    start_empty (narrow);
    assert_int_equal (dp_rate_limiter_acquire (&narrow, 1, 0, NULL, &error), 0);
    assert_no_error (error);
  }
}

typedef struct
{
  DpRateLimiter *limiters[2];
  guint n_limiters;
  gsize want;
  GCancellable *cancellable;
  gsize got;
  GError *error;
  int done;
} Acquire;

static gpointer
acquire_thread (gpointer data)
{
  Acquire *acquire = data;

  acquire->got = dp_rate_limiter_acquire (acquire->limiters, acquire->n_limiters, acquire->want,
                                          acquire->cancellable, &acquire->error);
  g_atomic_int_set (&acquire->done, TRUE);
  return NULL;
}

/* Waits until the thread of @acquire waits in acquire(): it has connected
 * to its cancellable, which it does only to wait. Polling is the wait,
 * not a margin; the deadline only ends a broken run. */
static void
wait_until_waiting (Acquire *acquire)
{
  guint cancelled = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);
  gint64 deadline = g_get_monotonic_time () + 30 * SECOND;

  while (!g_signal_has_handler_pending (acquire->cancellable, cancelled, 0, FALSE))
    {
      if (g_atomic_int_get (&acquire->done))
        fail_msg ("acquire() returned %" G_GSIZE_FORMAT " without waiting", acquire->got);
      if (g_get_monotonic_time () > deadline)
        fail_msg ("acquire() never waited");
      g_usleep (1000);
    }
}

/* Cancelled from another thread while it waits for a byte that is a
 * second away: nothing, and G_IO_ERROR_CANCELLED. */
static void
test_acquire_cancelled_while_waiting (void **state)
{
  g_autoptr(DpRateLimiter) slow = dp_rate_limiter_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Acquire acquire = { { slow }, 1, 100, cancellable };
  GThread *thread;

  start_empty (slow);
  thread = g_thread_new ("acquire", acquire_thread, &acquire);
  wait_until_waiting (&acquire);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  assert_int_equal (acquire.got, 0);
  assert_true (g_error_matches (acquire.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&acquire.error);

  /* Already cancelled: no wait, nothing taken even where there is some. */
  {
    g_autoptr(DpRateLimiter) full = dp_rate_limiter_new (MiB);
    g_autoptr(GError) error = NULL;

    start_full (full);
    assert_int_equal (dp_rate_limiter_acquire (&full, 1, 100, cancellable, &error), 0);
    assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    assert_int_equal (peek_tokens (full), bucket_of (MiB));
  }
}

/* While it waits for one limiter, acquire() holds nothing of the
 * others: a download's own low limit must not keep the global limit's
 * bytes from every other download. Cancelled, it has taken nothing. */
static void
test_acquire_holds_nothing_while_waiting (void **state)
{
  g_autoptr(DpRateLimiter) global = dp_rate_limiter_new (MiB);
  g_autoptr(DpRateLimiter) slow = dp_rate_limiter_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Acquire acquire = { { global, slow }, 2, 64 * KiB, cancellable };
  GThread *thread;

  start_full (global);
  start_empty (slow);
  thread = g_thread_new ("acquire", acquire_thread, &acquire);
  wait_until_waiting (&acquire);
  assert_int_equal (peek_tokens (global), bucket_of (MiB));
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  assert_int_equal (acquire.got, 0);
  assert_true (g_error_matches (acquire.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&acquire.error);
  assert_int_equal (peek_tokens (global), bucket_of (MiB));
}

/* A waiter for a byte that is a second away gets everything it asked
 * for as soon as the limit is lifted from another thread. */
static void
test_set_rate_wakes_a_waiter (void **state)
{
  g_autoptr(DpRateLimiter) slow = dp_rate_limiter_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Acquire acquire = { { slow }, 1, MiB, cancellable };
  GThread *thread;

  start_empty (slow);
  thread = g_thread_new ("acquire", acquire_thread, &acquire);
  wait_until_waiting (&acquire);
  dp_rate_limiter_set_rate (slow, 0);
  g_thread_join (thread);
  assert_no_error (acquire.error);
  assert_int_equal (acquire.got, MiB);
}

typedef struct
{
  DpRateLimiter *limiter;
  int *stop;
  gsize bytes;    /* atomic */
  gsize want;     /* what each acquire asks for; 0 for 2 KiB */
  guint calls;    /* atomic */
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;

  while (!g_atomic_int_get (reader->stop))
    {
      g_autoptr(GError) error = NULL;
      gsize want = reader->want > 0 ? reader->want : 2 * KiB;
      gsize n = dp_rate_limiter_acquire (&reader->limiter, 1, want, NULL, &error);

      g_assert_no_error (error);
      g_assert (n >= 1 && n <= want);
      g_atomic_pointer_add (&reader->bytes, n);
      g_atomic_int_inc (&reader->calls);
    }
  return NULL;
}

#define N_READERS 4

/* Runs N_READERS threads that each take @want at a time (0 for 2 KiB)
 * from @limiter as fast as it lets them, until @until bytes arrived in
 * all; fills @readers with what each got. Returns the bytes in all. */
static guint64
run_readers (DpRateLimiter *limiter,
             gsize          want,
             guint64        until,
             Reader        *readers)
{
  GThread *threads[N_READERS];
  int stop = FALSE;
  guint64 total = 0;

  for (guint i = 0; i < N_READERS; i++)
    {
      readers[i] = (Reader) { limiter, &stop, 0, want, 0 };
      threads[i] = g_thread_new ("reader", reader_thread, &readers[i]);
    }
  while (total < until)
    {
      g_usleep (10 * 1000);
      total = 0;
      for (guint i = 0; i < N_READERS; i++)
        total += GPOINTER_TO_SIZE (g_atomic_pointer_get (&readers[i].bytes));
    }
  g_atomic_int_set (&stop, TRUE);
  total = 0;
  for (guint i = 0; i < N_READERS; i++)
    {
      g_thread_join (threads[i]);
      total += readers[i].bytes;
    }
  return total;
}

/* Four threads that read as fast as one limiter lets them: together
 * they get the rate of the time they actually ran, give or take a
 * bucket, and each gets a share. */
static void
test_threads_share_one_limiter (void **state)
{
  const guint64 rate = 256 * KiB;
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rate);
  Reader readers[N_READERS];
  gint64 start = g_get_monotonic_time ();
  guint64 total;
  double seconds;

  /* Until half a second of the rate arrived after the first bucket. */
  total = run_readers (limiter, 0, bucket_of (rate) + rate / 2, readers);
  seconds = (double) (g_get_monotonic_time () - start) / SECOND;
  for (guint i = 0; i < N_READERS; i++)
    if (readers[i].bytes == 0)
      fail_msg ("reader %u got nothing", i);
  printf ("# %" G_GUINT64_FORMAT " bytes in %.3f s: %.0f B/s after the first bucket, limit %"
          G_GUINT64_FORMAT "\n", total, seconds, (double) (total - bucket_of (rate)) / seconds, rate);
  /* Never more than a bucket and the rate of the time measured. */
  assert_true ((double) total <= (double) bucket_of (rate) + (double) rate * seconds);
  /* Readers that always wait lose only what their wake-ups are late:
   * far less than half the time. */
  assert_true ((double) total >= (double) bucket_of (rate) + (double) rate * seconds / 2);
}

/* Readers that share a limit read in pieces worth a syscall: a reader
 * handed whatever trickled in since the last take would loop on a few
 * bytes, as fast as it can, and burn a core to go slowly. At 4 MiB/s a
 * reader that asks for 128 KiB gets at least 16 KiB a time. */
static void
test_acquire_hands_out_whole_pieces (void **state)
{
  const guint64 rate = 4 * MiB;
  g_autoptr(DpRateLimiter) limiter = dp_rate_limiter_new (rate);
  Reader readers[N_READERS];
  guint64 total = run_readers (limiter, 128 * KiB, bucket_of (rate) + rate / 4, readers);
  guint calls = 0;

  for (guint i = 0; i < N_READERS; i++)
    calls += readers[i].calls;
  printf ("# %" G_GUINT64_FORMAT " bytes in %u takes\n", total, calls);
  /* Every take but each reader's last was at least 16 KiB. */
  assert_true (calls <= total / (16 * KiB) + N_READERS);
}

static void
test_parse_rate_accepts (void **state)
{
  const struct { const char *text; guint64 rate; } cases[] = {
    { "16M", 16777216 },
    { "500K", 512000 },
    { "500k", 512000 },
    { "1.5M", 1572864 },
    { "1.5m", 1572864 },
    { "1048576", 1048576 },
    { "1G", 1073741824 },
    { "2g", 2147483648 },
    { "0.5K", 512 },
    { "1", 1 },
    { "007", 7 },
    { "1.9", 1 },
    { "0.001K", 1 },
    { "100.0001", 100 },
    /* Exact, not as close as a double comes: 15/1024 and 7/1024 K. */
    { "0.015625K", 16 },
    { "0.0068359375K", 7 },
    { "0.0009765625K", 1 },
    { "0.00000000093132257461547851562500G", 1 },
    { "0.99999999999999999999999999999999999M", 1048575 },
    { "9223372036854775807", G_MAXINT64 },
    { "8589934591.9999999999G", G_MAXINT64 },
    { "9007199254740993", G_GUINT64_CONSTANT (9007199254740993) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 rate = 0;

      if (!dp_parse_rate (cases[i].text, &rate))
        fail_msg ("“%s” rejected", cases[i].text);
      if (rate != cases[i].rate)
        fail_msg ("“%s” is %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT, cases[i].text, rate,
                  cases[i].rate);
    }
}

static void
test_parse_rate_rejects (void **state)
{
  const char *cases[] = {
    "", "0", "0K", "0.0001", "-1", "+1", "M", "1MB", " 1M", "1M ", "1.2.3", "1e6", "1,5M",
    "1.", ".5K", "1.K", "0x10", "1T", "1KK", "1\n",
    "18446744073709551616", "18446744073709551617", "18446744073709551617K",
    "9223372036854775808", "8589934592G", "99999999999G",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 rate = 42;

      if (dp_parse_rate (cases[i], &rate))
        fail_msg ("“%s” accepted as %" G_GUINT64_FORMAT, cases[i], rate);
      assert_int_equal (rate, 42);
    }
  assert_false (dp_parse_rate (NULL, NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_unlimited_passes_everything),
    cmocka_unit_test (test_first_take_is_one_bucket),
    cmocka_unit_test (test_steady_reader_keeps_the_rate),
    cmocka_unit_test (test_random_reader_keeps_the_rate),
    cmocka_unit_test (test_idle_reader_saves_one_bucket),
    cmocka_unit_test (test_wait_is_exact),
    cmocka_unit_test (test_wait_with_an_older_clock),
    cmocka_unit_test (test_give_back_never_overfills),
    cmocka_unit_test (test_set_rate_at_splits_earnings),
    cmocka_unit_test (test_set_rate_at_during_a_run),
    cmocka_unit_test (test_rate_zero_lifts_the_limit),
    cmocka_unit_test (test_acquire_takes_the_same_from_each),
    cmocka_unit_test (test_acquire_cancelled_while_waiting),
    cmocka_unit_test (test_acquire_holds_nothing_while_waiting),
    cmocka_unit_test (test_set_rate_wakes_a_waiter),
    cmocka_unit_test (test_threads_share_one_limiter),
    cmocka_unit_test (test_acquire_hands_out_whole_pieces),
    cmocka_unit_test (test_parse_rate_accepts),
    cmocka_unit_test (test_parse_rate_rejects),
  };

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
