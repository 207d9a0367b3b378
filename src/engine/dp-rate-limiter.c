/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dp-rate-limiter.h"

/* The bucket holds this share of a second of the rate: small enough
 * that no window of a second or more sees a burst above the limit
 * worth speaking of, big enough that a reader gets whole buffers. */
#define BUCKET_DIVISOR 8
/* ...but at least this much, so that slow limits still read in sizes a
 * socket likes. */
#define MIN_BUCKET 4096
/* A reader's take hands out at least this much, when asked for as much. */
#define LEAST_GRANT 16384
/* Sleep at most this long at once: a rate that rises while threads
 * wait is noticed soon enough even without a wake-up. */
#define MAX_WAIT_US (100 * 1000)

struct _DpRateLimiter
{
  gatomicrefcount ref_count;

  GMutex mutex;
  GCond cond;
  /* Guarded by the mutex. */
  guint64 rate;         /* bytes per second; 0: unlimited */
  double tokens;        /* bytes that may be read now, 0 to a full bucket */
  gboolean started;     /* FALSE: the next refill fills the bucket (a new
                         * limiter, or one whose limit was lifted) */
  gint64 updated_us;    /* when tokens were last brought up to date */
  guint generation;     /* bumped when the rate changes */
};

DpRateLimiter *
dp_rate_limiter_new (guint64 rate)
{
  DpRateLimiter *self = g_new0 (DpRateLimiter, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->rate = rate;
  return self;
}

DpRateLimiter *
dp_rate_limiter_ref (DpRateLimiter *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
dp_rate_limiter_unref (DpRateLimiter *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}

static double
capacity_locked (DpRateLimiter *self)
{
  return MAX ((double) self->rate / BUCKET_DIVISOR, (double) MIN_BUCKET);
}

/* What @dt_us earns. The refill and the wait both use this one
 * expression, so that the wait take_at() reports is exact to the
 * microsecond. */
static double
earned_locked (DpRateLimiter *self,
               gint64         dt_us)
{
  return (double) self->rate * (double) dt_us / G_USEC_PER_SEC;
}

/* Adds what the time since the last update earned, up to a full bucket.
 * A clock older than the last update (read before another thread's)
 * earns nothing. */
static void
refill_locked (DpRateLimiter *self,
               gint64         now_us)
{
  double capacity = capacity_locked (self);

  if (!self->started)
    {
      /* A new bucket starts full, whatever the clock reads. */
      self->tokens = capacity;
      self->updated_us = now_us;
      self->started = TRUE;
    }
  else if (now_us > self->updated_us)
    {
      self->tokens = MIN (capacity, self->tokens + earned_locked (self, now_us - self->updated_us));
      self->updated_us = now_us;
    }
}

/* The least a reader's take hands out: a reader that took whatever
 * trickled in since its last take would read a few bytes at a time, as
 * fast as it can loop, and burn a core to go slowly. A 64th of a second
 * of the rate (so that it hardly shows in any window of a second), at
 * most LEAST_GRANT, at least a byte; never more than asked. */
static gsize
least_locked (DpRateLimiter *self,
              gsize          want)
{
  guint64 least = MIN (self->rate / 64, LEAST_GRANT);

  return (gsize) MAX (MIN ((guint64) want, least), 1);
}

/* How long after @now_us a refill brings the bucket, now below @need
 * bytes, to @need bytes: the first such microsecond, no later. */
static gint64
wait_locked (DpRateLimiter *self,
             gint64         now_us,
             gsize          need)
{
  double missing = (double) need - self->tokens;
  gint64 dt = MAX ((gint64) (missing * G_USEC_PER_SEC / (double) self->rate), 1);

  /* The division rounds differently from the refill's product: step to
   * the refill's own answer (a step or two at most). */
  while (self->tokens + earned_locked (self, dt) < (double) need)
    dt++;
  while (dt > 1 && self->tokens + earned_locked (self, dt - 1) >= (double) need)
    dt--;
  /* The refill counts from the last update, which a caller's older
   * clock may be behind. */
  return self->updated_us + dt - now_us;
}

void
dp_rate_limiter_set_rate (DpRateLimiter *self,
                          guint64        rate)
{
  dp_rate_limiter_set_rate_at (self, rate, g_get_monotonic_time ());
}

void
dp_rate_limiter_set_rate_at (DpRateLimiter *self,
                             guint64        rate,
                             gint64         now_us)
{
  g_mutex_lock (&self->mutex);
  if (self->rate != rate)
    {
      /* What was earned so far was earned at the old rate. */
      if (self->rate != 0 && self->started)
        refill_locked (self, now_us);
      self->rate = rate;
      if (rate == 0)
        self->started = FALSE;
      else
        self->tokens = MIN (self->tokens, capacity_locked (self));
      self->generation++;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->mutex);
}

guint64
dp_rate_limiter_get_rate (DpRateLimiter *self)
{
  guint64 rate;

  g_mutex_lock (&self->mutex);
  rate = self->rate;
  g_mutex_unlock (&self->mutex);
  return rate;
}

/* Takes up to @want if at least @need (≤ @want) bytes are there; else
 * takes nothing and says in *@wait_us when there will be. */
static gsize
take_locked (DpRateLimiter *self,
             gsize          want,
             gsize          need,
             gint64         now_us,
             gint64        *wait_us)
{
  gsize n;

  *wait_us = 0;
  if (self->rate == 0 || want == 0)
    return want;
  refill_locked (self, now_us);
  if (self->tokens < (double) need)
    {
      *wait_us = wait_locked (self, now_us, need);
      return 0;
    }
  n = (gsize) MIN ((double) want, self->tokens);  /* tokens ≥ 1: truncation is floor */
  self->tokens -= (double) n;
  return n;
}

gsize
dp_rate_limiter_take_at (DpRateLimiter *self,
                         gsize          want,
                         gint64         now_us,
                         gint64        *wait_us)
{
  gint64 wait = 0;
  gsize n;

  g_mutex_lock (&self->mutex);
  n = take_locked (self, want, 1, now_us, &wait);
  g_mutex_unlock (&self->mutex);
  if (wait_us != NULL)
    *wait_us = wait;
  return n;
}

void
dp_rate_limiter_give_back (DpRateLimiter *self,
                           gsize          n)
{
  if (n == 0)
    return;
  g_mutex_lock (&self->mutex);
  if (self->rate != 0 && self->started)
    {
      self->tokens = MIN (self->tokens + (double) n, capacity_locked (self));
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->mutex);
}

static void
on_cancelled (GCancellable  *cancellable,
              DpRateLimiter *self)
{
  g_mutex_lock (&self->mutex);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/* Waits until @self has what a reader of @want takes (least_locked()),
 * its rate changes or @cancellable fires; takes nothing. Returns FALSE
 * when cancelled. */
static gboolean
wait_for_byte (DpRateLimiter *self,
               gsize          want,
               GCancellable  *cancellable)
{
  gulong handler = 0;
  guint generation;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);

  g_mutex_lock (&self->mutex);
  generation = self->generation;
  while (!g_cancellable_is_cancelled (cancellable) && self->generation == generation
         && self->rate != 0)
    {
      gint64 now_us = g_get_monotonic_time ();

      refill_locked (self, now_us);
      if (self->tokens >= (double) least_locked (self, want))
        break;
      g_cond_wait_until (&self->cond, &self->mutex,
                         now_us + MIN (wait_locked (self, now_us, least_locked (self, want)), MAX_WAIT_US));
    }
  g_mutex_unlock (&self->mutex);

  /* g_cancellable_disconnect() waits for a running handler, which takes
   * the mutex: never call it with the mutex held. */
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  return !g_cancellable_is_cancelled (cancellable);
}

/* A reader's take: nothing until its least is there (least_locked()). */
static gsize
take_for_reader (DpRateLimiter *self,
                 gsize          want,
                 gint64         now_us)
{
  gint64 wait;
  gsize n;

  g_mutex_lock (&self->mutex);
  n = take_locked (self, want, least_locked (self, want), now_us, &wait);
  g_mutex_unlock (&self->mutex);
  return n;
}

gsize
dp_rate_limiter_acquire (DpRateLimiter * const *limiters,
                         guint                  n_limiters,
                         gsize                  want,
                         GCancellable          *cancellable,
                         GError               **error)
{
  gsize *taken = g_newa (gsize, MAX (n_limiters, 1));

  /* Nothing asked: nothing to wait for (and no byte would end the wait). */
  if (want == 0)
    return 0;

  for (;;)
    {
      gint64 now_us = g_get_monotonic_time ();
      gsize n = want;
      guint empty;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return 0;
      for (empty = 0; empty < n_limiters; empty++)
        {
          DpRateLimiter *limiter = limiters[empty];

          taken[empty] = 0;
          if (limiter == NULL)
            continue;
          taken[empty] = take_for_reader (limiter, n, now_us);
          if (taken[empty] == 0)
            break;
          n = MIN (n, taken[empty]);
        }

      if (empty == n_limiters)
        {
          /* Each limiter gave at least n; the ones that gave more get
           * the rest back. */
          for (guint i = 0; i < n_limiters; i++)
            if (limiters[i] != NULL && taken[i] > n)
              dp_rate_limiter_give_back (limiters[i], taken[i] - n);
          return n;
        }

      /* One is empty: the others get all of theirs back before the
       * wait. Held while waiting, a download's own low limit would keep
       * the global limit's bytes from every other download. */
      for (guint i = 0; i < empty; i++)
        if (limiters[i] != NULL)
          dp_rate_limiter_give_back (limiters[i], taken[i]);
      if (!wait_for_byte (limiters[empty], n, cancellable))
        {
          g_cancellable_set_error_if_cancelled (cancellable, error);
          return 0;
        }
    }
}

/* floor (0.@digits × 2^@bits), exactly. Only the first @bits decimals
 * matter: m / 2^bits has at most @bits of them, so a fraction of m /
 * 2^bits or more still is once cut there. Doubling a decimal fraction
 * carries its integer part out one bit at a time. */
static guint64
scale_fraction (const char *digits,
                gsize       n_digits,
                guint       bits)
{
  guint8 d[30];
  gsize n = MIN (n_digits, G_N_ELEMENTS (d));
  guint64 value = 0;

  g_assert (bits <= G_N_ELEMENTS (d));
  for (gsize i = 0; i < n; i++)
    d[i] = (guint8) (digits[i] - '0');
  for (guint b = 0; b < bits; b++)
    {
      guint carry = 0;

      for (gsize i = n; i-- > 0;)
        {
          guint doubled = d[i] * 2u + carry;

          d[i] = (guint8) (doubled % 10);
          carry = doubled / 10;
        }
      value = value * 2 + carry;
    }
  return value;
}

gboolean
dp_parse_rate (const char *text,
               guint64    *rate)
{
  const char *p = text;
  const char *fraction = "";
  gsize n_fraction = 0;
  guint64 whole = 0;
  guint64 value;
  guint bits = 0;

  if (text == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint digit = (guint) (*p - '0');

      /* 2^63 and above do not fit where rates are kept as gint64 sums. */
      if (whole > ((guint64) G_MAXINT64 - digit) / 10)
        return FALSE;
      whole = whole * 10 + digit;
    }
  if (*p == '.')
    {
      fraction = ++p;
      for (; g_ascii_isdigit (*p); p++)
        n_fraction++;
      if (n_fraction == 0)
        return FALSE;
    }
  switch (*p)
    {
    case 'k': case 'K':
      bits = 10;
      p++;
      break;
    case 'm': case 'M':
      bits = 20;
      p++;
      break;
    case 'g': case 'G':
      bits = 30;
      p++;
      break;
    default:
      break;
    }
  if (*p != '\0')
    return FALSE;
  /* whole << bits leaves room for the fraction, which is below 2^bits. */
  if (whole > ((guint64) G_MAXINT64 >> bits))
    return FALSE;
  value = (whole << bits) + scale_fraction (fraction, n_fraction, bits);
  if (value == 0)
    return FALSE;
  *rate = value;
  return TRUE;
}
