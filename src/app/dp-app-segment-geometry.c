/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dp-app-segment-geometry.h"

static int
to_pixels (gint64 offset,
           gint64 size,
           int    width)
{
  offset = CLAMP (offset, 0, size);
  /* Through double: offset × width overflows 64 bits for large files. */
  return (int) floor ((double) offset / (double) size * width + 0.5);
}

/**
 * dp_app_segment_geometry:
 * @segments: (array length=n_segments): the segments, sorted by start
 * @n_segments: how many
 * @size: the file's size; nothing is laid out while it is unknown (< 1)
 * @width: the width to fill, in pixels
 * @rects: (out caller-allocates) (array length=n_segments): the result
 *
 * Maps byte ranges to whole pixels. Both edges of a segment are rounded
 * from its byte offsets alone, so neighbours share an edge exactly: no
 * gaps, no overlaps, and the last one ends at @width when the segments
 * cover the file. Segments narrower than half a pixel are left out.
 *
 * Returns: how many rectangles were written to @rects
 */
guint
dp_app_segment_geometry (const DpSegmentInfo *segments,
                         guint                n_segments,
                         gint64               size,
                         int                  width,
                         DpAppSegmentRect    *rects)
{
  guint n_rects = 0;

  g_return_val_if_fail (n_segments == 0 || segments != NULL, 0);
  g_return_val_if_fail (n_segments == 0 || rects != NULL, 0);

  if (size < 1 || width < 1)
    return 0;

  for (guint i = 0; i < n_segments; i++)
    {
      const DpSegmentInfo *seg = &segments[i];
      int x0 = to_pixels (seg->start, size, width);
      int x1 = to_pixels (MAX (seg->end, seg->start), size, width);
      int xp = to_pixels (CLAMP (seg->pos, seg->start, MAX (seg->end, seg->start)), size, width);

      if (x1 <= x0)
        continue;

      rects[n_rects].x = x0;
      rects[n_rects].width = x1 - x0;
      rects[n_rects].filled = xp - x0;
      rects[n_rects].active = seg->active;
      n_rects++;
    }

  return n_rects;
}
