/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void dp_app_delete_file_async (const char *path,
                               gboolean    include_final);
void dp_app_open_file         (GtkWindow  *parent,
                               const char *path);
void dp_app_show_in_folder    (GtkWindow  *parent,
                               const char *path);

G_END_DECLS
