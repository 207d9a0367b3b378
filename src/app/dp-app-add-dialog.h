/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dp-app-manager.h"
#include "dp-request.h"

G_BEGIN_DECLS

#define DP_APP_TYPE_ADD_DIALOG (dp_app_add_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DpAppAddDialog, dp_app_add_dialog, DP_APP, ADD_DIALOG, AdwWindow)

DpAppAddDialog *dp_app_add_dialog_new               (GtkWindow      *parent,
                                                     DpAppManager   *manager);
void            dp_app_add_dialog_set_text          (DpAppAddDialog *self,
                                                     const char     *text);
void            dp_app_add_dialog_set_mirrors       (DpAppAddDialog *self,
                                                     const char     *text);
void            dp_app_add_dialog_set_folder        (DpAppAddDialog *self,
                                                     const char     *folder);
void            dp_app_add_dialog_set_checksum      (DpAppAddDialog *self,
                                                     const char     *checksum);
void            dp_app_add_dialog_set_start         (DpAppAddDialog *self,
                                                     gboolean        start);
void            dp_app_add_dialog_set_segments      (DpAppAddDialog *self,
                                                     guint           segments);
void            dp_app_add_dialog_set_request       (DpAppAddDialog  *self,
                                                     const DpRequest *request);
void            dp_app_add_dialog_set_suggested_name (DpAppAddDialog *self,
                                                      const char     *name);
guint           dp_app_add_dialog_get_n_valid       (DpAppAddDialog *self);
guint           dp_app_add_dialog_get_n_invalid     (DpAppAddDialog *self);
const char     *dp_app_add_dialog_get_problems_text (DpAppAddDialog *self);
gboolean        dp_app_add_dialog_can_add           (DpAppAddDialog *self);
gboolean        dp_app_add_dialog_line_is_marked    (DpAppAddDialog *self,
                                                     int             line);
gboolean        dp_app_add_dialog_mirror_line_is_marked (DpAppAddDialog *self,
                                                         int             line);
guint           dp_app_add_dialog_add               (DpAppAddDialog *self);

G_END_DECLS
