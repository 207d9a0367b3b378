/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dp-app-segment-geometry.h"
#include "dp-app-segment-map.h"
#include "dp-download.h"

#define HEIGHT 8
/* Below this many pixels per segment, dividers would hide the data. */
#define MIN_PIXELS_FOR_DIVIDERS 6
/* How much of the width the block of an unknown size takes, and how far
 * one pulse moves it. */
#define PULSE_BLOCK 0.2
#define PULSE_STEP 0.05

/*
 * The row's one bar: how much of the file is on disk and, while several
 * connections share the download, which parts. With one segment, or
 * while the size is unknown, it is a plain progress bar that pulses.
 *
 * Colour alone does not tell the parts apart: parts on disk are filled,
 * parts a connection works on are outlined, and the high-contrast style
 * outlines them in the text colour and the bar as well. It draws only
 * colour and border nodes, which every renderer has ready (a gradient
 * or repeat node costs the GL renderer a new shader or an offscreen
 * pass). It redraws only when given something new, that is on progress.
 */
struct _DpAppSegmentMap
{
  GtkWidget parent_instance;

  GArray *segments;  /* of DpSegmentInfo */
  gint64 size;
  gint64 received;
  guint connections;
  guint active;

  gboolean pulsing;
  double pulse_pos;   /* left edge of the block, 0 … 1 - PULSE_BLOCK */
  double pulse_step;  /* PULSE_STEP, or its opposite on the way back */

  /* What assistive technologies were told last. */
  char *value_text;
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
append_outline (GtkSnapshot   *snapshot,
                const GdkRGBA *color,
                float          x,
                float          width,
                float          height,
                float          radius)
{
  GskRoundedRect rect;
  const float widths[4] = { 1, 1, 1, 1 };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  if (width <= 0)
    return;
  gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (x, 0, width, height), radius);
  gtk_snapshot_append_border (snapshot, &rect, widths, colors);
}

static void
dp_app_segment_map_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  DpAppSegmentMap *self = DP_APP_SEGMENT_MAP (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gboolean high_contrast = adw_style_manager_get_high_contrast (adw_style_manager_get_default ());
  g_autofree DpAppSegmentRect *rects = NULL;
  GskRoundedRect outline;
  GdkRGBA fg, trough, accent, pending, edge, divider;
  guint n_rects;
  gboolean dividers;

  if (width <= 0 || height <= 0)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  trough = fg;
  trough.alpha *= high_contrast ? 0.25f : 0.15f;
  accent = lookup_color (widget, "accent_bg_color", "#3584e4");
  pending = accent;
  pending.alpha *= 0.3f;
  edge = high_contrast ? fg : accent;
  divider = lookup_color (widget, "card_bg_color", "#ffffff");

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (0, 0, width, height),
                                   height / 2.0f);
  gtk_snapshot_push_rounded_clip (snapshot, &outline);

  append_rect (snapshot, &trough, 0, width, height);

  if (self->size <= 0)
    {
      if (self->pulsing)
        append_rect (snapshot, &accent, (float) (self->pulse_pos * width),
                     (float) (PULSE_BLOCK * width), height);
    }
  else if (self->segments->len <= 1)
    {
      double fraction = CLAMP ((double) self->received / (double) self->size, 0, 1);

      append_rect (snapshot, &accent, 0, (float) floor (fraction * width + 0.5), height);
    }
  else
    {
      rects = g_new (DpAppSegmentRect, self->segments->len);
      n_rects = dp_app_segment_geometry ((const DpSegmentInfo *) (gpointer) self->segments->data,
                                         self->segments->len, self->size, width, rects);
      dividers = n_rects > 1 && width / (int) n_rects >= MIN_PIXELS_FOR_DIVIDERS;

      for (guint i = 0; i < n_rects; i++)
        {
          const DpAppSegmentRect *r = &rects[i];

          /* What a connection still has to do is tinted and outlined,
           * so that one sees where the connections are and how much
           * each has left, also without telling colours apart. */
          if (r->active)
            {
              append_rect (snapshot, &pending, r->x + r->filled, r->width - r->filled, height);
              append_outline (snapshot, &edge, r->x, r->width, height, 0);
            }
          append_rect (snapshot, &accent, r->x, r->filled, height);
          if (dividers && i > 0 && r->filled < r->width)
            append_rect (snapshot, &divider, r->x, 1, height);
        }
    }

  if (high_contrast)
    append_outline (snapshot, &fg, 0, width, height, height / 2.0f);

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

static int
percent (DpAppSegmentMap *self)
{
  if (self->size <= 0)
    return -1;
  return (int) (CLAMP ((double) self->received / (double) self->size, 0, 1) * 100);
}

/* "45 %, 8 connections, 3 active" */
static char *
format_value_text (DpAppSegmentMap *self)
{
  g_autofree char *done = NULL;
  g_autofree char *connections = NULL;
  g_autofree char *active = NULL;
  int p = percent (self);

  if (p >= 0)
    /* Translators: how much of a download is done. */
    done = g_strdup_printf (_("%d %%"), p);
  else
    {
      g_autofree char *size = g_format_size ((guint64) MAX (self->received, 0));

      /* Translators: %s is an amount of data, of a download whose size is unknown. */
      done = g_strdup_printf (_("%s downloaded"), size);
    }

  if (self->connections == 0)
    return g_steal_pointer (&done);

  connections = g_strdup_printf (ngettext ("%u connection", "%u connections", self->connections),
                                 self->connections);
  /* Translators: how many of the connections download now. */
  active = g_strdup_printf (ngettext ("%u active", "%u active", self->active), self->active);
  /* Translators: "45 %, 8 connections, 3 active" */
  return g_strdup_printf (_("%s, %s, %s"), done, connections, active);
}

/* Screen readers hear of the value only when what they would say changes. */
static void
update_accessible_value (DpAppSegmentMap *self)
{
  g_autofree char *text = format_value_text (self);
  int p;

  if (g_strcmp0 (text, self->value_text) == 0)
    return;

  p = percent (self);
  g_free (self->value_text);
  self->value_text = g_steal_pointer (&text);
  if (p >= 0)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                    GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double) p,
                                    GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, self->value_text,
                                    -1);
  else
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_VALUE_NOW);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, self->value_text,
                                      -1);
    }
}

static void
on_high_contrast_changed (AdwStyleManager *manager,
                          GParamSpec      *pspec,
                          DpAppSegmentMap *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
dp_app_segment_map_finalize (GObject *object)
{
  DpAppSegmentMap *self = DP_APP_SEGMENT_MAP (object);

  g_clear_pointer (&self->segments, g_array_unref);
  g_free (self->value_text);

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
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
dp_app_segment_map_init (DpAppSegmentMap *self)
{
  self->segments = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  self->size = -1;
  self->pulse_step = PULSE_STEP;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Progress"),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 100.0,
                                  -1);
  update_accessible_value (self);

  g_signal_connect_object (adw_style_manager_get_default (), "notify::high-contrast",
                           G_CALLBACK (on_high_contrast_changed), self, 0);
}

GtkWidget *
dp_app_segment_map_new (void)
{
  return g_object_new (DP_APP_TYPE_SEGMENT_MAP, NULL);
}

/**
 * dp_app_segment_map_set_progress:
 * @segments: (transfer none): a #GArray of #DpSegmentInfo
 * @size: the file's size, or -1 while unknown
 * @received: bytes on disk
 *
 * Shows @segments, or with fewer than two of them @received of @size.
 * Copies them. Ends the pulsing once the size is known.
 */
void
dp_app_segment_map_set_progress (DpAppSegmentMap *self,
                                 GArray          *segments,
                                 gint64           size,
                                 gint64           received)
{
  g_return_if_fail (DP_APP_IS_SEGMENT_MAP (self));
  g_return_if_fail (segments != NULL);

  /* An empty GArray may have no data at all, which memcmp() must not get. */
  if (self->size == size && self->received == received &&
      self->segments->len == segments->len &&
      (segments->len == 0 ||
       memcmp (self->segments->data, segments->data, sizeof (DpSegmentInfo) * segments->len) == 0))
    return;

  g_array_set_size (self->segments, segments->len);
  if (segments->len > 0)
    memcpy (self->segments->data, segments->data, sizeof (DpSegmentInfo) * segments->len);
  self->size = size;
  self->received = received;
  if (size > 0)
    self->pulsing = FALSE;
  update_accessible_value (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * dp_app_segment_map_set_connections:
 * @connections: connections open now
 * @active: how many of them download
 *
 * Told to assistive technologies with the value; the bar shows them
 * as segments.
 */
void
dp_app_segment_map_set_connections (DpAppSegmentMap *self,
                                    guint            connections,
                                    guint            active)
{
  g_return_if_fail (DP_APP_IS_SEGMENT_MAP (self));

  if (self->connections == connections && self->active == active)
    return;
  self->connections = connections;
  self->active = active;
  update_accessible_value (self);
}

/**
 * dp_app_segment_map_pulse:
 *
 * Moves the block that says data arrives while the size is unknown.
 * Does nothing once the size is known.
 */
void
dp_app_segment_map_pulse (DpAppSegmentMap *self)
{
  g_return_if_fail (DP_APP_IS_SEGMENT_MAP (self));

  if (self->size > 0)
    return;
  if (self->pulsing)
    {
      self->pulse_pos += self->pulse_step;
      if (self->pulse_pos >= 1 - PULSE_BLOCK || self->pulse_pos <= 0)
        {
          self->pulse_pos = CLAMP (self->pulse_pos, 0, 1 - PULSE_BLOCK);
          self->pulse_step = -self->pulse_step;
        }
    }
  self->pulsing = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Stops the pulsing. */
void
dp_app_segment_map_stop_pulse (DpAppSegmentMap *self)
{
  g_return_if_fail (DP_APP_IS_SEGMENT_MAP (self));

  if (!self->pulsing)
    return;
  self->pulsing = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
dp_app_segment_map_get_pulsing (DpAppSegmentMap *self)
{
  g_return_val_if_fail (DP_APP_IS_SEGMENT_MAP (self), FALSE);
  return self->pulsing;
}

/* How much of the file is on disk, 0 while the size is unknown. */
double
dp_app_segment_map_get_fraction (DpAppSegmentMap *self)
{
  g_return_val_if_fail (DP_APP_IS_SEGMENT_MAP (self), 0);
  return percent (self) < 0 ? 0 : CLAMP ((double) self->received / (double) self->size, 0, 1);
}

guint
dp_app_segment_map_get_n_segments (DpAppSegmentMap *self)
{
  g_return_val_if_fail (DP_APP_IS_SEGMENT_MAP (self), 0);
  return self->segments->len;
}
