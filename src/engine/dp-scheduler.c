/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dp-scheduler.h"

struct _DpScheduler
{
  gint64 size;
  gint64 min_segment;
  GArray *segments;  /* of DpSegment */
};

GArray *
dp_plan_ranges (gint64 size,
                guint  max_segments,
                gint64 min_segment)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (DpRange));
  guint64 n;
  guint64 base, extra, offset = 0;

  g_return_val_if_fail (size >= 0, ranges);
  g_return_val_if_fail (max_segments >= 1, ranges);
  g_return_val_if_fail (min_segment >= 1, ranges);

  if (size == 0)
    return ranges;

  /* As many segments as asked for, but none shorter than min_segment:
   * a 3 MiB file is not worth 16 connections. */
  n = MIN ((guint64) max_segments, (guint64) size / (guint64) min_segment);
  n = MAX (n, 1);

  /* The first (size % n) ranges get one byte more, so lengths differ by
   * at most one and the last range ends exactly at size. */
  base = (guint64) size / n;
  extra = (guint64) size % n;

  for (guint64 i = 0; i < n; i++)
    {
      DpRange r;
      guint64 len = base + (i < extra ? 1 : 0);

      r.start = (gint64) offset;
      r.end = (gint64) (offset + len);
      offset += len;
      g_array_append_val (ranges, r);
    }

  g_assert (offset == (guint64) size);
  return ranges;
}

DpScheduler *
dp_scheduler_new (gint64 size,
                  guint  max_segments,
                  gint64 min_segment)
{
  DpScheduler *self = g_new0 (DpScheduler, 1);
  g_autoptr(GArray) ranges = NULL;

  self->size = size;
  self->min_segment = MAX (min_segment, 1);
  self->segments = g_array_new (FALSE, FALSE, sizeof (DpSegment));

  ranges = dp_plan_ranges (size, MAX (max_segments, 1), self->min_segment);
  for (guint i = 0; i < ranges->len; i++)
    {
      const DpRange *r = &g_array_index (ranges, DpRange, i);
      DpSegment seg = { r->start, r->start, r->start, r->end, -1 };

      g_array_append_val (self->segments, seg);
    }

  return self;
}

DpScheduler *
dp_scheduler_new_resume (gint64        size,
                         guint         max_segments,
                         gint64        min_segment,
                         const GArray *done)
{
  DpScheduler *self = g_new0 (DpScheduler, 1);
  gint64 missing = size, next = 0;

  self->size = size;
  self->min_segment = MAX (min_segment, 1);
  self->segments = g_array_new (FALSE, FALSE, sizeof (DpSegment));

  for (guint i = 0; i < done->len; i++)
    missing -= g_array_index (done, DpRange, i).end - g_array_index (done, DpRange, i).start;

  /* Walk the file: done ranges become finished segments (they show in
   * the segment map), gaps get a share of the connections. */
  for (guint i = 0; i <= done->len; i++)
    {
      gint64 gap_end = i < done->len ? g_array_index (done, DpRange, i).start : size;

      g_return_val_if_fail (gap_end >= next && gap_end <= size, self);
      if (gap_end > next)
        {
          gint64 gap = gap_end - next;
          guint share = (guint) MAX (1, (gint64) ((double) max_segments * gap / MAX (missing, 1) + 0.5));
          g_autoptr(GArray) ranges = dp_plan_ranges (gap, MIN (share, max_segments), self->min_segment);

          for (guint j = 0; j < ranges->len; j++)
            {
              const DpRange *r = &g_array_index (ranges, DpRange, j);
              DpSegment seg = { next + r->start, next + r->start, next + r->start, next + r->end, -1 };

              g_array_append_val (self->segments, seg);
            }
        }
      if (i < done->len)
        {
          const DpRange *r = &g_array_index (done, DpRange, i);
          DpSegment seg = { r->start, r->end, r->end, r->end, -1 };

          if (r->end > r->start)
            g_array_append_val (self->segments, seg);
          next = r->end;
        }
    }

  return self;
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const DpRange *ra = a, *rb = b;

  return (ra->start > rb->start) - (ra->start < rb->start);
}

GArray *
dp_scheduler_dup_done (DpScheduler *self)
{
  GArray *done = g_array_new (FALSE, FALSE, sizeof (DpRange));
  guint out = 0;

  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      DpRange r = { seg->start, seg->pos };

      if (r.end > r.start)
        g_array_append_val (done, r);
    }
  g_array_sort (done, compare_ranges);

  /* Merge neighbours: a finished file is one range. */
  for (guint i = 0; i < done->len; i++)
    {
      DpRange *cur = &g_array_index (done, DpRange, i);

      if (out > 0 && g_array_index (done, DpRange, out - 1).end >= cur->start)
        g_array_index (done, DpRange, out - 1).end = MAX (g_array_index (done, DpRange, out - 1).end, cur->end);
      else
        g_array_index (done, DpRange, out++) = *cur;
    }
  g_array_set_size (done, out);
  return done;
}

void
dp_scheduler_free (DpScheduler *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->segments);
  g_free (self);
}

void
dp_scheduler_reset_single (DpScheduler *self)
{
  DpSegment seg = { 0, 0, 0, self->size, -1 };

  /* A stream from offset 0 cannot be split. */
  self->min_segment = G_MAXINT64;
  g_array_set_size (self->segments, 0);
  if (self->size != 0)
    g_array_append_val (self->segments, seg);
}

void
dp_scheduler_set_size (DpScheduler *self,
                       gint64       size)
{
  g_return_if_fail (self->segments->len <= 1);
  g_return_if_fail (size >= 0);

  self->size = size;
  if (self->segments->len == 1)
    {
      DpSegment *seg = &g_array_index (self->segments, DpSegment, 0);

      seg->end = size;
      seg->pos = MIN (seg->pos, size);
      seg->claim = seg->pos;
      if (size == 0)
        g_array_set_size (self->segments, 0);
    }
}

void
dp_scheduler_set_progress (DpScheduler *self,
                           guint        index,
                           gint64       pos)
{
  DpSegment *seg;

  g_return_if_fail (index < self->segments->len);
  seg = &g_array_index (self->segments, DpSegment, index);
  seg->pos = CLAMP (pos, seg->start, seg->end);
  seg->claim = seg->pos;
}

gboolean
dp_scheduler_reopen (DpScheduler *self,
                     gint64       start,
                     gint64       end)
{
  guint n = self->segments->len;

  g_return_val_if_fail (start >= 0 && start <= end, FALSE);

  /* Only written bytes can be reopened: below each owner's pos (a
   * worker writes at pos and above). */
  for (guint i = 0; i < n; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);

      if (seg->start < end && seg->end > start && seg->owner >= 0 &&
          MIN (seg->end, end) > seg->pos)
        return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      gint64 lo, hi;

      if (seg->start >= end || seg->end <= start || seg->pos <= start)
        continue;
      lo = MAX (seg->start, start);
      hi = MIN (seg->end, end);
      if (seg->owner >= 0)
        {
          /* Its owner goes on above hi: the segment now starts there,
           * and what it had below becomes segments of their own, the
           * written part and the reopened one. */
          DpSegment below = { seg->start, lo, lo, lo, -1 };
          DpSegment hole = { lo, lo, lo, hi, -1 };

          seg->start = hi;
          if (below.start < lo)
            g_array_append_val (self->segments, below);
          g_array_append_val (self->segments, hole);
          continue;
        }
      if (hi < seg->end)
        {
          /* The part above keeps its own progress, as a segment of its
           * own. */
          DpSegment above = { hi, MAX (seg->pos, hi), 0, seg->end, -1 };

          above.claim = above.pos;
          seg->end = hi;
          g_array_append_val (self->segments, above);
          seg = &g_array_index (self->segments, DpSegment, i);
        }
      seg->pos = MIN (seg->pos, lo);
      seg->claim = seg->pos;
    }
  return TRUE;
}

static int
take_unowned (DpScheduler *self,
              int          worker)
{
  for (guint i = 0; i < self->segments->len; i++)
    {
      DpSegment *seg = &g_array_index (self->segments, DpSegment, i);

      if (seg->owner < 0 && seg->pos < seg->end)
        {
          seg->owner = worker;
          return (int) i;
        }
    }
  return -1;
}

static int
split (DpScheduler *self,
       guint        victim,
       gint64       keep,
       int          worker)
{
  DpSegment *old = &g_array_index (self->segments, DpSegment, victim);
  gint64 mid = MAX (old->pos, old->claim) + keep;
  DpSegment seg = { mid, mid, mid, old->end, worker };

  g_assert (mid < old->end);
  old->end = mid;
  g_array_append_val (self->segments, seg);
  return (int) self->segments->len - 1;
}

int
dp_scheduler_acquire (DpScheduler *self,
                      int          worker)
{
  int victim = -1;
  gint64 victim_left = 0;
  int idx;

  g_return_val_if_fail (worker >= 0, -1);

  /* Prefer work nobody is doing: initial segments and those that a
   * failed or retired connection handed back. */
  idx = take_unowned (self, worker);
  if (idx >= 0)
    return idx;

  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      gint64 left = seg->end - MAX (seg->pos, seg->claim);

      if (left > victim_left)
        {
          victim = (int) i;
          victim_left = left;
        }
    }

  /* Steal the upper half, but only if both halves stay worth a
   * connection; otherwise the owner finishes faster alone. */
  if (victim >= 0 && victim_left / 2 >= self->min_segment)
    return split (self, (guint) victim, victim_left - victim_left / 2, worker);
  return -1;
}

int
dp_scheduler_acquire_paced (DpScheduler  *self,
                            int           worker,
                            const double *rates,
                            guint         n_rates,
                            double        thief_rate)
{
  int victim = -1;
  double victim_time = 0;
  gint64 best_keep = 0;
  int idx;

  g_return_val_if_fail (worker >= 0, -1);

  idx = take_unowned (self, worker);
  if (idx >= 0)
    return idx;
  if (self->min_segment == G_MAXINT64)
    return -1;  /* one stream: never split */

  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      gint64 left = seg->end - MAX (seg->pos, seg->claim);
      double owner_rate = 0, thief = thief_rate, alone, after;
      gint64 keep, piece, min_piece;

      if (left <= 0 || seg->owner < 0)
        continue;
      if ((guint) seg->owner < n_rates)
        owner_rate = rates[seg->owner];

      /* An unknown rate counts as the other one: equal rates halve the
       * range, as dp_scheduler_acquire() does. */
      if (owner_rate <= 0)
        owner_rate = thief > 0 ? thief : 1;
      if (thief <= 0)
        thief = owner_rate;

      keep = (gint64) ((double) left * owner_rate / (owner_rate + thief));
      /* A connection far slower than its thief is in its end-game. */
      min_piece = owner_rate * 3 < thief ? MIN (DP_MIN_STEAL_SIZE, self->min_segment)
                                         : self->min_segment;
      keep = MAX (keep, MIN (DP_MIN_STEAL_SIZE, self->min_segment));
      piece = left - keep;
      if (piece < min_piece)
        continue;

      /* Worth it only if the range then finishes clearly sooner. */
      alone = (double) left / owner_rate;
      after = MAX ((double) keep / owner_rate,
                   (double) piece / thief + (thief_rate > 0 ? DP_REQUEST_COST_S : 0));
      if (after >= alone * 0.9)
        continue;

      if (alone > victim_time)
        {
          victim = (int) i;
          victim_time = alone;
          best_keep = keep;
        }
    }

  if (victim < 0)
    return -1;
  return split (self, (guint) victim, best_keep, worker);
}

void
dp_scheduler_release (DpScheduler *self,
                      guint        index)
{
  g_return_if_fail (index < self->segments->len);
  g_array_index (self->segments, DpSegment, index).owner = -1;
}

gint64
dp_scheduler_claim (DpScheduler *self,
                    guint        index,
                    gint64       n)
{
  DpSegment *seg;

  g_return_val_if_fail (index < self->segments->len, 0);
  g_return_val_if_fail (n >= 0, 0);

  seg = &g_array_index (self->segments, DpSegment, index);
  n = MIN (n, seg->end - seg->pos);
  seg->claim = seg->pos + n;
  return n;
}

void
dp_scheduler_advance (DpScheduler *self,
                      guint        index)
{
  DpSegment *seg;

  g_return_if_fail (index < self->segments->len);

  seg = &g_array_index (self->segments, DpSegment, index);
  g_assert (seg->claim <= seg->end);
  seg->pos = MAX (seg->pos, seg->claim);
}

const DpSegment *
dp_scheduler_get_segment (DpScheduler *self,
                          guint        index)
{
  g_return_val_if_fail (index < self->segments->len, NULL);
  return &g_array_index (self->segments, DpSegment, index);
}

guint
dp_scheduler_get_n_segments (DpScheduler *self)
{
  return self->segments->len;
}

gint64
dp_scheduler_get_size (DpScheduler *self)
{
  return self->size;
}

gint64
dp_scheduler_get_done (DpScheduler *self)
{
  gint64 done = 0;

  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      done += seg->pos - seg->start;
    }
  return done;
}

gboolean
dp_scheduler_is_complete (DpScheduler *self)
{
  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      if (seg->pos < seg->end)
        return FALSE;
    }
  return TRUE;
}

guint
dp_scheduler_get_n_unowned (DpScheduler *self)
{
  guint n = 0;

  for (guint i = 0; i < self->segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (self->segments, DpSegment, i);
      if (seg->owner < 0 && seg->pos < seg->end)
        n++;
    }
  return n;
}

gint64
dp_request_end (gint64 pos,
                gint64 end,
                double pace,
                gint64 rtt_us)
{
  double span_s = MAX (DP_REQUEST_SPAN_S, (double) rtt_us * DP_REQUEST_SPAN_RTTS / G_USEC_PER_SEC);
  double want;

  g_return_val_if_fail (pos < end, end);

  if (!(pace > 0))
    return end;
  want = MAX ((double) DP_REQUEST_MIN_SIZE, pace * span_s);
  /* A remainder under half a request goes with this one. */
  if ((double) (end - pos) <= want * 1.5)
    return end;
  return pos + (gint64) want;
}
