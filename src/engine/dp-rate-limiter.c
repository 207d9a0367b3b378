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
  double tokens;        /* bytes that may be read now; below 0 is a debt */
  gint64 updated_us;    /* when tokens were last brought up to date, or 0 */
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

/* Adds what the time since the last update earned, up to a full bucket. */
static void
refill_locked (DpRateLimiter *self,
               gint64         now_us)
{
  double capacity = capacity_locked (self);

  if (self->updated_us == 0)
    self->tokens = capacity;  /* a new bucket starts full */
  else if (now_us > self->updated_us)
    self->tokens = MIN (capacity, self->tokens + (double) self->rate * (double) (now_us - self->updated_us) / G_USEC_PER_SEC);
  if (now_us > self->updated_us)
    self->updated_us = now_us;
}

void
dp_rate_limiter_set_rate (DpRateLimiter *self,
                          guint64        rate)
{
  g_mutex_lock (&self->mutex);
  if (self->rate != rate)
    {
      /* What was earned so far was earned at the old rate. */
      if (self->rate != 0 && self->updated_us != 0)
        refill_locked (self, g_get_monotonic_time ());
      self->rate = rate;
      if (rate == 0)
        self->updated_us = 0;
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

static gsize
take_locked (DpRateLimiter *self,
             gsize          want,
             gint64         now_us,
             gint64        *wait_us)
{
  gsize n;

  *wait_us = 0;
  if (self->rate == 0 || want == 0)
    return want;
  refill_locked (self, now_us);
  if (self->tokens < 1)
    {
      /* Rounded up: asking again sooner would find nothing. */
      *wait_us = (gint64) ((1 - self->tokens) * G_USEC_PER_SEC / (double) self->rate) + 1;
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
  n = take_locked (self, want, now_us, &wait);
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
  if (self->rate != 0 && self->updated_us != 0)
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

/* Waits on @self until one byte is there, then takes up to @want. */
static gsize
acquire_one (DpRateLimiter *self,
             gsize          want,
             GCancellable  *cancellable,
             GError       **error)
{
  gulong handler = 0;
  gsize n = 0;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);

  g_mutex_lock (&self->mutex);
  for (;;)
    {
      gint64 wait_us;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      n = take_locked (self, want, g_get_monotonic_time (), &wait_us);
      if (n > 0)
        break;
      g_cond_wait_until (&self->cond, &self->mutex,
                         g_get_monotonic_time () + MIN (wait_us, MAX_WAIT_US));
    }
  g_mutex_unlock (&self->mutex);

  /* g_cancellable_disconnect() waits for a running handler, which takes
   * the mutex: never call it with the mutex held. */
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  if (n == 0)
    g_cancellable_set_error_if_cancelled (cancellable, error);
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
  gsize n = want;

  for (guint i = 0; i < n_limiters; i++)
    {
      taken[i] = 0;
      if (limiters[i] == NULL)
        continue;
      taken[i] = acquire_one (limiters[i], n, cancellable, error);
      if (taken[i] == 0)
        {
          for (guint j = 0; j < i; j++)
            if (limiters[j] != NULL)
              dp_rate_limiter_give_back (limiters[j], taken[j]);
          return 0;
        }
      n = MIN (n, taken[i]);
    }
  /* Each limiter gave at least n; the ones that gave more get the rest
   * back. */
  for (guint i = 0; i < n_limiters; i++)
    if (limiters[i] != NULL && taken[i] > n)
      dp_rate_limiter_give_back (limiters[i], taken[i] - n);
  return n;
}

gboolean
dp_parse_rate (const char *text,
               guint64    *rate)
{
  const char *p = text;
  guint64 whole = 0;
  double fraction = 0;
  double scale = 1;
  double value;
  gboolean digits = FALSE;

  if (text == NULL)
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (whole > G_MAXUINT64 / 10)
        return FALSE;
      whole = whole * 10 + (guint64) (*p - '0');
      digits = TRUE;
    }
  if (*p == '.')
    {
      double place = 0.1;

      for (p++; g_ascii_isdigit (*p); p++)
        {
          fraction += place * (*p - '0');
          place /= 10;
          digits = TRUE;
        }
    }
  if (!digits)
    return FALSE;
  switch (*p)
    {
    case 'k': case 'K':
      scale = 1024.0;
      p++;
      break;
    case 'm': case 'M':
      scale = 1024.0 * 1024.0;
      p++;
      break;
    case 'g': case 'G':
      scale = 1024.0 * 1024.0 * 1024.0;
      p++;
      break;
    default:
      break;
    }
  if (*p != '\0')
    return FALSE;
  value = ((double) whole + fraction) * scale;
  /* 2^63 and above do not fit where rates are kept as gint64 sums. */
  if (value < 1 || value >= 9.2e18)
    return FALSE;
  *rate = (guint64) value;
  return TRUE;
}
