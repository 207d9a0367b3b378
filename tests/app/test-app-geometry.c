/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>

#include "dp-app-segment-geometry.h"

#define GIB (G_GINT64_CONSTANT (1) << 30)

static void
test_even_split (void **state)
{
  DpSegmentInfo segs[4] = {
    { 0, 25, 25, FALSE },
    { 25, 30, 50, TRUE },
    { 50, 50, 75, TRUE },
    { 75, 100, 100, FALSE },
  };
  DpAppSegmentRect rects[4];
  guint n = dp_app_segment_geometry (segs, 4, 100, 200, rects);

  assert_int_equal (n, 4);
  assert_int_equal (rects[0].x, 0);
  assert_int_equal (rects[0].width, 50);
  assert_int_equal (rects[0].filled, 50);
  assert_false (rects[0].active);
  assert_int_equal (rects[1].x, 50);
  assert_int_equal (rects[1].filled, 10);
  assert_true (rects[1].active);
  assert_int_equal (rects[2].filled, 0);
  assert_int_equal (rects[3].x + rects[3].width, 200);
}

/* Rounding each edge from its byte offset makes neighbours touch. */
static void
test_edges_tile_without_gaps (void **state)
{
  DpSegmentInfo segs[7];
  DpAppSegmentRect rects[7];
  gint64 size = 1000003;
  guint n;

  for (int i = 0; i < 7; i++)
    {
      segs[i].start = size * i / 7;
      segs[i].end = size * (i + 1) / 7;
      segs[i].pos = segs[i].start + (segs[i].end - segs[i].start) / 3;
      segs[i].active = i % 2;
    }

  for (int width = 1; width < 400; width += 37)
    {
      int edge = 0;

      n = dp_app_segment_geometry (segs, 7, size, width, rects);
      for (guint i = 0; i < n; i++)
        {
          assert_int_equal (rects[i].x, edge);
          assert_true (rects[i].width > 0);
          assert_in_range (rects[i].filled, 0, rects[i].width);
          edge = rects[i].x + rects[i].width;
        }
      assert_int_equal (edge, width);
    }
}

static void
test_unknown_size_draws_nothing (void **state)
{
  DpSegmentInfo seg = { 0, 10, 100, TRUE };
  DpAppSegmentRect rect;

  assert_int_equal (dp_app_segment_geometry (&seg, 1, -1, 100, &rect), 0);
  assert_int_equal (dp_app_segment_geometry (&seg, 1, 0, 100, &rect), 0);
  assert_int_equal (dp_app_segment_geometry (&seg, 1, 100, 0, &rect), 0);
  assert_int_equal (dp_app_segment_geometry (NULL, 0, 100, 100, NULL), 0);
}

/* Offsets past 4 GiB and times the width must not overflow. */
static void
test_large_files (void **state)
{
  DpSegmentInfo segs[2] = {
    { 0, 3 * GIB, 4 * GIB, TRUE },
    { 4 * GIB, 6 * GIB, 8 * GIB, TRUE },
  };
  DpAppSegmentRect rects[2];

  assert_int_equal (dp_app_segment_geometry (segs, 2, 8 * GIB, 1000, rects), 2);
  assert_int_equal (rects[0].width, 500);
  assert_int_equal (rects[0].filled, 375);
  assert_int_equal (rects[1].x, 500);
  assert_int_equal (rects[1].filled, 250);
}

/* Values out of order are clamped rather than drawn outside. */
static void
test_clamping (void **state)
{
  DpSegmentInfo segs[3] = {
    { 0, -5, 10, FALSE },
    { 10, 50, 20, FALSE },
    { 90, 95, 150, TRUE },
  };
  DpAppSegmentRect rects[3];
  guint n = dp_app_segment_geometry (segs, 3, 100, 100, rects);

  assert_int_equal (n, 3);
  assert_int_equal (rects[0].filled, 0);
  assert_int_equal (rects[1].filled, rects[1].width);
  assert_int_equal (rects[2].x + rects[2].width, 100);
  assert_int_equal (rects[2].filled, 5);
}

/* A segment too thin for a pixel is left out instead of drawn as 0. */
static void
test_tiny_segments_skipped (void **state)
{
  DpSegmentInfo segs[3] = {
    { 0, 0, 1, FALSE },
    { 1, 1, 2, FALSE },
    { 2, 500, 1000000, TRUE },
  };
  DpAppSegmentRect rects[3];
  guint n = dp_app_segment_geometry (segs, 3, 1000000, 100, rects);

  assert_int_equal (n, 1);
  assert_int_equal (rects[0].x, 0);
  assert_int_equal (rects[0].width, 100);
  assert_true (rects[0].active);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_even_split),
    cmocka_unit_test (test_edges_tile_without_gaps),
    cmocka_unit_test (test_unknown_size_draws_nothing),
    cmocka_unit_test (test_large_files),
    cmocka_unit_test (test_clamping),
    cmocka_unit_test (test_tiny_segments_skipped),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
