/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Planning and scheduling of byte ranges. Pure logic: no I/O, no threads,
 * no locking. The transfer code calls it with its own mutex held.
 *
 * A segment is the half-open range [start, end) of the file; bytes
 * [start, pos) of it have been written, [pos, end) remain. Segments never
 * overlap and together always cover [0, size) exactly once. When a
 * connection runs out of work it takes the upper half of the largest
 * remaining range: the owner's end moves down and a new segment starts
 * there, so no byte is fetched twice.
 */

#define DP_MIN_SEGMENT_SIZE ((gint64) 1 << 20)
/* Smallest piece taken from a slow connection, and what it keeps. */
#define DP_MIN_STEAL_SIZE ((gint64) 256 << 10)
/* What a new request costs, in seconds, when weighing a split. */
#define DP_REQUEST_COST_S 0.05

typedef struct
{
  gint64 start;
  gint64 end;
} DpRange;

typedef struct
{
  gint64 start;  /* first byte of the segment, fixed */
  gint64 pos;    /* next byte to fetch: [start, pos) is written */
  gint64 claim;  /* [pos, claim) is being written right now */
  gint64 end;    /* exclusive; moves down when another worker steals */
  int owner;     /* worker index, or -1 when nobody fetches it */
} DpSegment;

typedef struct _DpScheduler DpScheduler;

/**
 * dp_plan_ranges:
 * @size: file size in bytes, at least 0
 * @max_segments: wanted number of segments, at least 1
 * @min_segment: smallest segment worth its own connection, at least 1
 *
 * Splits [0, @size) into at most @max_segments contiguous ranges of
 * nearly equal length (they differ by at most one byte), none shorter
 * than @min_segment unless the whole file is. Size 0 gives no range.
 *
 * Returns: (transfer full): a #GArray of #DpRange
 */
GArray      *dp_plan_ranges              (gint64 size,
                                          guint  max_segments,
                                          gint64 min_segment);

DpScheduler *dp_scheduler_new            (gint64 size,
                                          guint  max_segments,
                                          gint64 min_segment);
/* For a resumed download: @done (sorted, disjoint DpRanges within
 * [0, size)) is already on disk; the gaps are planned into about
 * @max_segments segments, in proportion to their lengths. */
DpScheduler *dp_scheduler_new_resume     (gint64        size,
                                          guint         max_segments,
                                          gint64        min_segment,
                                          const GArray *done);
void         dp_scheduler_free           (DpScheduler *self);
/* The written ranges [start, pos) of every segment, sorted and merged. */
GArray      *dp_scheduler_dup_done       (DpScheduler *self);

/* Drops all progress and plans one segment [0, size) that is never
 * split (a server that cannot seek: everything must come again from
 * offset 0, over one connection). */
void         dp_scheduler_reset_single   (DpScheduler *self);

/* For a stream of unknown length, planned as [0, G_MAXINT64): the
 * stream ended cleanly at @size, which becomes the file's size. */
void         dp_scheduler_set_size       (DpScheduler *self,
                                          gint64       size);

/* Marks [start, pos) of the segment as already written (resume). */
void         dp_scheduler_set_progress   (DpScheduler *self,
                                          guint        index,
                                          gint64       pos);

/* Makes the written bytes [start, end) missing again (a piece that
 * failed its check), so that they are fetched anew. A segment whose
 * owner works above them is cut: it then starts above them. Returns
 * %FALSE and changes nothing when some of the bytes are not written yet
 * (at or above an owner's pos). Segments are split where needed; the
 * indices of existing segments stay valid. */
gboolean     dp_scheduler_reopen         (DpScheduler *self,
                                          gint64       start,
                                          gint64       end);

/* Gives @worker a segment nobody owns, or else the upper half of the
 * largest remaining range if that half is at least min_segment long.
 * Returns the segment index, or -1 when there is nothing to do. */
int          dp_scheduler_acquire        (DpScheduler *self,
                                          int          worker);
/**
 * dp_scheduler_acquire_paced:
 * @self: the scheduler
 * @worker: the worker asking for work
 * @rates: bytes per second of each worker (index = worker), 0 if unknown
 * @n_rates: length of @rates
 * @thief_rate: the asking worker's expected rate, 0 if unknown
 *
 * Like dp_scheduler_acquire(), but picks the range that would take
 * longest to finish at its owner's pace, and splits it in proportion to
 * the two rates: a connection crawling at a tenth of the others keeps a
 * tenth of its remainder. Ranges of slow owners may be split below
 * min_segment (down to %DP_MIN_STEAL_SIZE): that is the end-game that
 * keeps the last percent from taking longer than the rest. A split that
 * would not finish sooner is not made.
 *
 * Returns: the segment index, or -1 when there is nothing worth doing
 */
int          dp_scheduler_acquire_paced  (DpScheduler  *self,
                                          int           worker,
                                          const double *rates,
                                          guint         n_rates,
                                          double        thief_rate);

/* How long one request should run at its connection's pace. */
#define DP_REQUEST_SPAN_S 1.0
/* ...and at least this many round trips, so that the pause between two
 * requests on one connection costs at most about 2.5 %. */
#define DP_REQUEST_SPAN_RTTS 40
/* Requests never ask for less than this, except a segment's last bytes. */
#define DP_REQUEST_MIN_SIZE ((gint64) 1 << 20)

/**
 * dp_request_end:
 * @pos: first byte the request asks for
 * @end: end of the owner's segment (exclusive), above @pos
 * @pace: bytes per second of the connection's last request, 0 if unknown
 * @rtt_us: how long the connection took to answer its last request, in
 *   microseconds, 0 if unknown
 *
 * Where a request for the segment [@pos, @end) should stop. A connection
 * asks for about %DP_REQUEST_SPAN_S seconds of its own pace at a time
 * (longer on a distant server, never less than %DP_REQUEST_MIN_SIZE) and
 * asks again for the rest on the same connection. Ranges then move
 * between connections at request boundaries: a connection that loses
 * the upper part of its range has usually not asked for it yet, so its
 * body is not cut short and the connection stays open. A connection of
 * unknown pace asks for the whole segment, and no request leaves a
 * remainder of less than half its size.
 *
 * Returns: the request's end (exclusive), in (@pos, @end]
 */
gint64       dp_request_end              (gint64 pos,
                                          gint64 end,
                                          double pace,
                                          gint64 rtt_us);

/* The segment loses its owner but keeps its progress. */
void         dp_scheduler_release        (DpScheduler *self,
                                          guint        index);
/* The owner is about to write up to @n bytes at pos: returns how many
 * it may write without crossing end, and protects them from stealing
 * until dp_scheduler_advance(). */
gint64       dp_scheduler_claim          (DpScheduler *self,
                                          guint        index,
                                          gint64       n);
/* The claimed bytes are written: pos moves to the claim. */
void         dp_scheduler_advance        (DpScheduler *self,
                                          guint        index);

const DpSegment *dp_scheduler_get_segment (DpScheduler *self,
                                           guint        index);
guint        dp_scheduler_get_n_segments (DpScheduler *self);
gint64       dp_scheduler_get_size       (DpScheduler *self);
gint64       dp_scheduler_get_done       (DpScheduler *self);
gboolean     dp_scheduler_is_complete    (DpScheduler *self);
/* Number of segments with work left and no owner. */
guint        dp_scheduler_get_n_unowned  (DpScheduler *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpScheduler, dp_scheduler_free)

G_END_DECLS
