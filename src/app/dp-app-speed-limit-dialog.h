/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dp-app-item.h"

G_BEGIN_DECLS

/* The limit's switch and speed box, shown inside an alert. */
#define DP_APP_TYPE_SPEED_LIMIT_DIALOG (dp_app_speed_limit_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DpAppSpeedLimitDialog, dp_app_speed_limit_dialog, DP_APP, SPEED_LIMIT_DIALOG,
                      GtkWidget)

GObject *dp_app_speed_limit_dialog_present (GtkWidget *parent,
                                            DpAppItem *item);

G_END_DECLS
