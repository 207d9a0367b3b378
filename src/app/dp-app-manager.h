/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dp-app-item.h"
#include "dp-app-store.h"

G_BEGIN_DECLS

/* For dp_app_manager_add(): whatever the manager's "segments" says. 0 is
 * taken, it means automatic (DP_DOWNLOAD_SEGMENTS_AUTO). */
#define DP_APP_MANAGER_DEFAULT_SEGMENTS G_MAXUINT

#define DP_APP_TYPE_MANAGER (dp_app_manager_get_type ())
G_DECLARE_FINAL_TYPE (DpAppManager, dp_app_manager, DP_APP, MANAGER, GObject)

DpAppManager *dp_app_manager_new                    (DpAppStore          *store);
GListModel   *dp_app_manager_get_model              (DpAppManager        *self);
DpAppStore   *dp_app_manager_get_store              (DpAppManager        *self);
DpEngine     *dp_app_manager_get_engine             (DpAppManager        *self);
char         *dp_app_manager_dup_default_directory  (DpAppManager        *self);
guint         dp_app_manager_get_segments           (DpAppManager        *self);
guint         dp_app_manager_get_max_active         (DpAppManager        *self);
guint         dp_app_manager_get_n_running          (DpAppManager        *self);
gboolean      dp_app_manager_get_busy               (DpAppManager        *self);
gboolean      dp_app_manager_get_loaded             (DpAppManager        *self);
DpAppItem    *dp_app_manager_add                    (DpAppManager        *self,
                                                     const char          *url,
                                                     const char          *directory,
                                                     guint                segments,
                                                     const char          *checksum,
                                                     gboolean             start);
DpAppItem    *dp_app_manager_add_full               (DpAppManager        *self,
                                                     const char          *url,
                                                     const char          *directory,
                                                     guint                segments,
                                                     const char          *checksum,
                                                     const DpRequest     *request,
                                                     gboolean             start);
DpAppItem    *dp_app_manager_add_metalink_file      (DpAppManager        *self,
                                                     const DpMetalinkFile *file,
                                                     const char          *directory,
                                                     gboolean             start);
void          dp_app_manager_add_metalink_async     (DpAppManager        *self,
                                                     GFile               *file,
                                                     gboolean             start,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray    *dp_app_manager_add_metalink_finish    (DpAppManager        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
void          dp_app_manager_remove                 (DpAppManager        *self,
                                                     DpAppItem           *item,
                                                     gboolean             delete_file);
void          dp_app_manager_remove_items           (DpAppManager        *self,
                                                     GPtrArray           *items,
                                                     gboolean             delete_files);
void          dp_app_manager_cancel                 (DpAppManager        *self,
                                                     DpAppItem           *item);
gboolean      dp_app_manager_undo_removal           (DpAppManager        *self,
                                                     guint                id);
gboolean      dp_app_manager_confirm_removal        (DpAppManager        *self,
                                                     guint                id);
gboolean      dp_app_manager_has_pending_removals   (DpAppManager        *self);
void          dp_app_manager_pause_all              (DpAppManager        *self);
void          dp_app_manager_resume_all             (DpAppManager        *self);
guint         dp_app_manager_count_status           (DpAppManager        *self,
                                                     DpAppItemStatus      status);
void          dp_app_manager_load_async             (DpAppManager        *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean      dp_app_manager_load_finish            (DpAppManager        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
GVariant     *dp_app_manager_serialize              (DpAppManager        *self);
void          dp_app_manager_shutdown               (DpAppManager        *self);

gboolean      dp_app_manager_get_paused_on_metered  (DpAppManager        *self);
void          dp_app_manager_use_fewer_connections  (DpAppManager        *self,
                                                     guint                per_download);
DpAppItem    *dp_app_manager_find                   (DpAppManager        *self,
                                                     const char          *url,
                                                     const char          *path);

G_END_DECLS
