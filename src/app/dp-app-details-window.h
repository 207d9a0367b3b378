/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dp-app-item.h"

G_BEGIN_DECLS

#define DP_APP_TYPE_DETAILS_WINDOW (dp_app_details_window_get_type ())
G_DECLARE_FINAL_TYPE (DpAppDetailsWindow, dp_app_details_window, DP_APP, DETAILS_WINDOW, AdwWindow)

DpAppDetailsWindow *dp_app_details_window_new      (GtkWindow          *parent,
                                                    DpAppItem          *item);
DpAppDetailsWindow *dp_app_details_window_show     (GtkWindow          *parent,
                                                    DpAppItem          *item);
DpAppItem          *dp_app_details_window_get_item (DpAppDetailsWindow *self);

G_END_DECLS
