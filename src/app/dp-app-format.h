/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-app-item.h"

G_BEGIN_DECLS

char    *dp_app_format_status        (DpAppItemStatus  status,
                                      const char      *error);
char    *dp_app_format_progress      (gint64           received,
                                      gint64           size);
char    *dp_app_format_speed         (double           bytes_per_second);
char    *dp_app_format_speed_limit   (guint64          bytes_per_second);
char    *dp_app_format_time_left     (gint64           seconds);

double   dp_app_speed_to_megabytes   (guint64          bytes_per_second);
guint64  dp_app_speed_from_megabytes (double           megabytes_per_second);

G_END_DECLS
