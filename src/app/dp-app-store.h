/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The type of the saved list: a version and one a{sv} per download. */
#define DP_APP_STORE_VERSION 1
#define DP_APP_STORE_TYPE "(uaa{sv})"

/* Returns: (transfer floating): the list to save, as an `aa{sv}` */
typedef GVariant *(*DpAppStoreSnapshotFunc) (gpointer user_data);

#define DP_APP_TYPE_STORE (dp_app_store_get_type ())
G_DECLARE_FINAL_TYPE (DpAppStore, dp_app_store, DP_APP, STORE, GObject)

DpAppStore *dp_app_store_new               (const char              *path);
const char *dp_app_store_get_path          (DpAppStore              *self);
char       *dp_app_store_dup_default_path  (void);
void        dp_app_store_set_snapshot_func (DpAppStore              *self,
                                            DpAppStoreSnapshotFunc   func,
                                            gpointer                 user_data);
void        dp_app_store_mark_dirty        (DpAppStore              *self,
                                            gboolean                 soon);
gboolean    dp_app_store_is_idle           (DpAppStore              *self);
gboolean    dp_app_store_flush             (DpAppStore              *self,
                                            GError                 **error);
void        dp_app_store_load_async        (DpAppStore              *self,
                                            GCancellable            *cancellable,
                                            GAsyncReadyCallback      callback,
                                            gpointer                 user_data);
GVariant   *dp_app_store_load_finish       (DpAppStore              *self,
                                            GAsyncResult            *result,
                                            GError                 **error);

G_END_DECLS
