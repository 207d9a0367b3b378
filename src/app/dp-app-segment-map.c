/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dp-app-segment-geometry.h"
#include "dp-app-segment-map.h"
#include "dp-download.h"

#define HEIGHT 6
/* Below this many pixels per segment, dividers would hide the data. */
#define MIN_PIXELS_FOR_DIVIDERS 6

/*
 * A bar that shows which parts of the file are on disk: each segment's
 * extent, how far it got, and whether a connection works on it. It
 * redraws only when given new segments, that is on progress.
 */
struct _DpAppSegmentMap
{
  GtkWidget parent_instance;

  GArray *segments;  /* of DpSegmentInfo */
  gint64 size;
};

G_DEFINE_FINAL_TYPE (DpAppSegmentMap, dp_app_segment_map, GTK_TYPE_WIDGET)

static GdkRGBA
lookup_color (GtkWidget  *widget,
              const char *name,
              const char *fallback)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  GdkRGBA color;

  if (!gtk_style_context_lookup_color (context, name, &color))
    gdk_rgba_parse (&color, fallback);
  return color;
}

static void
append_rect (GtkSnapshot   *snapshot,
             const GdkRGBA *color,
             float          x,
             float          width,
             float          height)
{
  if (width > 0)
    gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x, 0, width, height));
}

static void
dp_app_segment_map_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  DpAppSegmentMap *self = DP_APP_SEGMENT_MAP (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autofree DpAppSegmentRect *rects = NULL;
  GskRoundedRect outline;
  GdkRGBA trough, accent, pending, divider;
  guint n_rects;
  gboolean dividers;

  if (width <= 0 || height <= 0)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &trough);
  trough.alpha *= 0.15f;
  accent = lookup_color (widget, "accent_bg_color", "#3584e4");
  pending = accent;
  pending.alpha *= 0.3f;
  divider = lookup_color (widget, "card_bg_color", "#ffffff");

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (0, 0, width, height),
                                   height / 2.0f);
  gtk_snapshot_push_rounded_clip (snapshot, &outline);

  append_rect (snapshot, &trough, 0, width, height);

  rects = g_new (DpAppSegmentRect, MAX (self->segments->len, 1));
  n_rects = dp_app_segment_geometry ((const DpSegmentInfo *) (gpointer) self->segments->data,
                                     self->segments->len, self->size, width, rects);
  dividers = n_rects > 1 && width / (int) n_rects >= MIN_PIXELS_FOR_DIVIDERS;

  for (guint i = 0; i < n_rects; i++)
    {
      const DpAppSegmentRect *r = &rects[i];

      /* A connection's remaining work is tinted, so that one sees where
       * the connections are and how much each still has to do. */
      if (r->active)
        append_rect (snapshot, &pending, r->x + r->filled, r->width - r->filled, height);
      append_rect (snapshot, &accent, r->x, r->filled, height);
      if (dividers && i > 0 && r->filled < r->width)
        append_rect (snapshot, &divider, r->x, 1, height);
    }

  gtk_snapshot_pop (snapshot);
}

static void
dp_app_segment_map_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_VERTICAL)
    *minimum = *natural = HEIGHT;
  else
    *minimum = *natural = 0;
}

static void
dp_app_segment_map_finalize (GObject *object)
{
  DpAppSegmentMap *self = DP_APP_SEGMENT_MAP (object);

  g_clear_pointer (&self->segments, g_array_unref);

  G_OBJECT_CLASS (dp_app_segment_map_parent_class)->finalize (object);
}

static void
dp_app_segment_map_class_init (DpAppSegmentMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = dp_app_segment_map_finalize;
  widget_class->snapshot = dp_app_segment_map_snapshot;
  widget_class->measure = dp_app_segment_map_measure;

  gtk_widget_class_set_css_name (widget_class, "segmentmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
dp_app_segment_map_init (DpAppSegmentMap *self)
{
  self->segments = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  self->size = -1;
}

GtkWidget *
dp_app_segment_map_new (void)
{
  return g_object_new (DP_APP_TYPE_SEGMENT_MAP, NULL);
}

/**
 * dp_app_segment_map_set_segments:
 * @segments: (transfer none): a #GArray of #DpSegmentInfo
 * @size: the file's size, or -1 while unknown
 *
 * Shows @segments. Copies them.
 */
void
dp_app_segment_map_set_segments (DpAppSegmentMap *self,
                                 GArray          *segments,
                                 gint64           size)
{
  g_return_if_fail (DP_APP_IS_SEGMENT_MAP (self));
  g_return_if_fail (segments != NULL);

  /* An empty GArray may have no data at all, which memcmp() must not get. */
  if (self->size == size && self->segments->len == segments->len &&
      (segments->len == 0 ||
       memcmp (self->segments->data, segments->data, sizeof (DpSegmentInfo) * segments->len) == 0))
    return;

  g_array_set_size (self->segments, segments->len);
  if (segments->len > 0)
    memcpy (self->segments->data, segments->data, sizeof (DpSegmentInfo) * segments->len);
  self->size = size;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
dp_app_segment_map_get_n_segments (DpAppSegmentMap *self)
{
  g_return_val_if_fail (DP_APP_IS_SEGMENT_MAP (self), 0);
  return self->segments->len;
}
