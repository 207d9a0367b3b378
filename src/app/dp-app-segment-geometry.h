/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-download.h"

G_BEGIN_DECLS

/**
 * DpAppSegmentRect:
 * @x: left edge in pixels
 * @width: the segment's extent in pixels
 * @filled: how much of @width, from @x, is on disk
 * @active: a connection is working on the segment
 *
 * Where the segment map draws one segment.
 */
typedef struct
{
  int x;
  int width;
  int filled;
  gboolean active;
} DpAppSegmentRect;

guint dp_app_segment_geometry (const DpSegmentInfo *segments,
                               guint                n_segments,
                               gint64               size,
                               int                  width,
                               DpAppSegmentRect    *rects);

G_END_DECLS
