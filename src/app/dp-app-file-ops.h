/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void     dp_app_delete_file_async  (const char          *path,
                                    gboolean             include_final);
void     dp_app_delete_partial_now (const char          *path);
void     dp_app_trash_file_async   (const char          *path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean dp_app_trash_file_finish  (GAsyncResult        *result,
                                    GError             **error);
void     dp_app_open_file          (GtkWindow           *parent,
                                    const char          *path);
void     dp_app_show_in_folder     (GtkWindow           *parent,
                                    const char          *path);
guint    dp_app_file_ops_get_n_pending (void);

G_END_DECLS
