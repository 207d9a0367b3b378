/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dp-app-add-dialog.h"
#include "dp-app-manager.h"

G_BEGIN_DECLS

#define DP_APP_TYPE_WINDOW (dp_app_window_get_type ())
G_DECLARE_FINAL_TYPE (DpAppWindow, dp_app_window, DP_APP, WINDOW, AdwApplicationWindow)

DpAppWindow    *dp_app_window_new             (GtkApplication *application,
                                               DpAppManager   *manager);
DpAppManager   *dp_app_window_get_manager     (DpAppWindow    *self);
DpAppAddDialog *dp_app_window_add_links       (DpAppWindow    *self,
                                               const char     *text);
gboolean        dp_app_window_is_metalink_file (GFile         *file);
void            dp_app_window_open_metalink   (DpAppWindow    *self,
                                               GFile          *file);
void            dp_app_window_show_toast      (DpAppWindow    *self,
                                               const char     *title);
GtkWidget      *dp_app_window_get_list_view   (DpAppWindow    *self);
const char     *dp_app_window_get_visible_page (DpAppWindow   *self);

G_END_DECLS
