/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dp-app-manager.h"

G_BEGIN_DECLS

#define DP_APP_TYPE_APPLICATION (dp_app_application_get_type ())
G_DECLARE_FINAL_TYPE (DpAppApplication, dp_app_application, DP_APP, APPLICATION, AdwApplication)

DpAppApplication *dp_app_application_new         (void);
DpAppManager     *dp_app_application_get_manager (DpAppApplication *self);
char            **dp_app_application_dup_notification_ids (DpAppApplication *self);

G_END_DECLS
