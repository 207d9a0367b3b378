/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dp-app-item.h"
#include "dp-app-manager.h"

G_BEGIN_DECLS

#define DP_APP_TYPE_DOWNLOAD_ROW (dp_app_download_row_get_type ())
G_DECLARE_FINAL_TYPE (DpAppDownloadRow, dp_app_download_row, DP_APP, DOWNLOAD_ROW, GtkWidget)

GtkWidget  *dp_app_download_row_new              (DpAppManager     *manager);
DpAppItem  *dp_app_download_row_get_item         (DpAppDownloadRow *self);
void        dp_app_download_row_set_item         (DpAppDownloadRow *self,
                                                  DpAppItem        *item);

/* For the tests: what the row shows. */
const char *dp_app_download_row_get_status_text  (DpAppDownloadRow *self);
const char *dp_app_download_row_get_details_text (DpAppDownloadRow *self);
void        dp_app_download_row_set_compact      (DpAppDownloadRow *self,
                                                  gboolean          compact);
gboolean    dp_app_download_row_get_compact      (DpAppDownloadRow *self);
double      dp_app_download_row_get_fraction     (DpAppDownloadRow *self);

G_END_DECLS
