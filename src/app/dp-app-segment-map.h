/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DP_APP_TYPE_SEGMENT_MAP (dp_app_segment_map_get_type ())
G_DECLARE_FINAL_TYPE (DpAppSegmentMap, dp_app_segment_map, DP_APP, SEGMENT_MAP, GtkWidget)

GtkWidget *dp_app_segment_map_new             (void);
void       dp_app_segment_map_set_progress    (DpAppSegmentMap *self,
                                               GArray          *segments,
                                               gint64           size,
                                               gint64           received);
void       dp_app_segment_map_set_connections (DpAppSegmentMap *self,
                                               guint            connections,
                                               guint            active);
void       dp_app_segment_map_pulse           (DpAppSegmentMap *self);
void       dp_app_segment_map_stop_pulse      (DpAppSegmentMap *self);
gboolean   dp_app_segment_map_get_pulsing     (DpAppSegmentMap *self);
double     dp_app_segment_map_get_fraction    (DpAppSegmentMap *self);
guint      dp_app_segment_map_get_n_segments  (DpAppSegmentMap *self);

G_END_DECLS
