/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A token bucket of bytes, shared by any number of threads: all the
 * connections of one download, or every download at once. A rate of 0
 * means no limit. The bucket holds at most an eighth of a second of the
 * rate, so nothing bursts above the limit once it runs; it starts full.
 *
 * The *_at() calls are the pure logic on a clock the caller passes (in
 * microseconds, monotonic): the unit tests drive them with simulated
 * time. dp_rate_limiter_acquire() is what worker threads call.
 */
typedef struct _DpRateLimiter DpRateLimiter;

DpRateLimiter *dp_rate_limiter_new        (guint64        rate);
DpRateLimiter *dp_rate_limiter_ref        (DpRateLimiter *self);
void           dp_rate_limiter_unref      (DpRateLimiter *self);

/* Takes effect at once, also for threads waiting in acquire(): bytes
 * earned until now count at the old rate. 0 lifts the limit; a limit
 * set again starts with a full bucket. */
void           dp_rate_limiter_set_rate   (DpRateLimiter *self,
                                           guint64        rate);
/* The same on the caller's clock. */
void           dp_rate_limiter_set_rate_at (DpRateLimiter *self,
                                            guint64        rate,
                                            gint64         now_us);
guint64        dp_rate_limiter_get_rate   (DpRateLimiter *self);

/* Bytes (0..@want) the caller may read now; when 0, *@wait_us tells how
 * long until some are there: asking again that much later gives at
 * least one, a microsecond earlier none. Unlimited: always @want. */
gsize          dp_rate_limiter_take_at    (DpRateLimiter *self,
                                           gsize          want,
                                           gint64         now_us,
                                           gint64        *wait_us);
/* Returns bytes taken but not used (a read that returned less). */
void           dp_rate_limiter_give_back  (DpRateLimiter *self,
                                           gsize          n);

/* Waits until every limiter in @limiters (NULL entries are skipped)
 * allows at least one byte, and takes the same amount, at most @want,
 * from each. Returns that amount, or 0 with G_IO_ERROR_CANCELLED when
 * @cancellable fires meanwhile (0 without an error when @want is 0).
 * While it waits for one limiter it holds nothing of the others, so
 * the order of @limiters does not matter. */
gsize          dp_rate_limiter_acquire    (DpRateLimiter * const *limiters,
                                           guint                  n_limiters,
                                           gsize                  want,
                                           GCancellable          *cancellable,
                                           GError               **error);

/* Reads a rate the way curl and wget spell it: bytes per second, with an
 * optional suffix k, m, g (either case, 1024-based) and a decimal
 * fraction ("1.5M"): DIGITS[.DIGITS][kKmMgG], nothing around it. The
 * value is exact, rounded down to a byte. Rejects 0, negatives, junk
 * and anything from 2^63 up. */
gboolean       dp_parse_rate              (const char    *text,
                                           guint64       *rate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpRateLimiter, dp_rate_limiter_unref)

G_END_DECLS
