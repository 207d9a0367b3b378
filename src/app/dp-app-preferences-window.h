/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DP_APP_TYPE_PREFERENCES_WINDOW (dp_app_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (DpAppPreferencesWindow, dp_app_preferences_window, DP_APP, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

DpAppPreferencesWindow *dp_app_preferences_window_new (GtkWindow *parent,
                                                       GSettings *settings);

G_END_DECLS
