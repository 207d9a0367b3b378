/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dp-download.h"

G_BEGIN_DECLS

/**
 * DpAppItemStatus:
 *
 * What the list shows for a download. Unlike #DpDownloadState it knows
 * about the queue and the difference between pausing and cancelling.
 */
typedef enum
{
  DP_APP_ITEM_QUEUED,
  DP_APP_ITEM_PAUSED,
  DP_APP_ITEM_CONNECTING,
  DP_APP_ITEM_DOWNLOADING,
  DP_APP_ITEM_FINISHING,
  DP_APP_ITEM_FINISHED,
  DP_APP_ITEM_FAILED,
  DP_APP_ITEM_CANCELLED,
} DpAppItemStatus;

#define DP_APP_TYPE_ITEM_STATUS (dp_app_item_status_get_type ())
GType dp_app_item_status_get_type (void) G_GNUC_CONST;

#define DP_APP_TYPE_ITEM (dp_app_item_get_type ())
G_DECLARE_FINAL_TYPE (DpAppItem, dp_app_item, DP_APP, ITEM, GObject)

DpAppItem       *dp_app_item_new              (const char  *url,
                                               const char  *directory,
                                               guint        segments,
                                               const char  *checksum);
DpAppItem       *dp_app_item_new_from_metalink (const DpMetalinkFile *file,
                                                const char           *directory,
                                                guint                 segments);
DpAppItem       *dp_app_item_new_from_variant (GVariant    *dict);
GVariant        *dp_app_item_serialize        (DpAppItem   *self);

DpDownload      *dp_app_item_get_download     (DpAppItem   *self);
const char      *dp_app_item_get_url          (DpAppItem   *self);
const char      *dp_app_item_get_directory    (DpAppItem   *self);
guint            dp_app_item_get_segments     (DpAppItem   *self);
guint64          dp_app_item_get_rate_limit   (DpAppItem   *self);
void             dp_app_item_set_rate_limit   (DpAppItem   *self,
                                               guint64      rate);
const char      *dp_app_item_get_checksum     (DpAppItem   *self);
const char      *dp_app_item_get_path         (DpAppItem   *self);
const char      *dp_app_item_get_display_name (DpAppItem   *self);
GIcon           *dp_app_item_get_icon         (DpAppItem   *self);
DpAppItemStatus  dp_app_item_get_status       (DpAppItem   *self);
const char      *dp_app_item_get_error        (DpAppItem   *self);
int              dp_app_item_get_insecure_failure (DpAppItem *self);
int              dp_app_item_get_failure_code     (DpAppItem *self);
void             dp_app_item_allow_insecure       (DpAppItem *self);
gboolean         dp_app_item_is_insecure          (DpAppItem *self);
gint64           dp_app_item_get_size         (DpAppItem   *self);
gint64           dp_app_item_get_received     (DpAppItem   *self);
double           dp_app_item_get_speed        (DpAppItem   *self);
gint64           dp_app_item_get_eta          (DpAppItem   *self);
GArray          *dp_app_item_dup_segments     (DpAppItem   *self);
guint            dp_app_item_get_connections  (DpAppItem   *self);
guint            dp_app_item_get_active_connections (DpAppItem *self);
void             dp_app_item_report_progress  (DpAppItem   *self,
                                               gint64       size,
                                               gint64       received,
                                               double       speed,
                                               gint64       eta,
                                               guint        connections,
                                               GArray      *segments);
gboolean         dp_app_item_is_running       (DpAppItem   *self);
gboolean         dp_app_item_is_unfinished    (DpAppItem   *self);
gboolean         dp_app_item_is_being_cancelled (DpAppItem *self);

void             dp_app_item_start            (DpAppItem   *self);
void             dp_app_item_pause            (DpAppItem   *self);
void             dp_app_item_resume           (DpAppItem   *self);
void             dp_app_item_cancel           (DpAppItem   *self);
void             dp_app_item_cancel_keeping_data (DpAppItem *self);
void             dp_app_item_discard          (DpAppItem   *self);
void             dp_app_item_discard_keeping_files (DpAppItem *self);
void             dp_app_item_stop_for_quit    (DpAppItem   *self);

const DpRequest *dp_app_item_get_request      (DpAppItem       *self);
void             dp_app_item_set_request      (DpAppItem       *self,
                                               const DpRequest *request);
void             dp_app_item_set_login        (DpAppItem       *self,
                                               const char      *user,
                                               const char      *password,
                                               gboolean         remember);
gboolean         dp_app_item_get_remember_login (DpAppItem     *self);
gboolean         dp_app_item_needs_login      (DpAppItem       *self);
void             dp_app_item_set_suggested_name (DpAppItem     *self,
                                                 const char    *name);
gboolean         dp_app_item_can_update_address (DpAppItem     *self);
void             dp_app_item_update_address   (DpAppItem       *self,
                                               const char      *url);

gboolean         dp_app_item_set_mirrors      (DpAppItem          *self,
                                               const char * const *mirrors,
                                               GError            **error);
const char * const *dp_app_item_get_mirrors   (DpAppItem          *self);
const DpMetalinkFile *dp_app_item_get_metalink (DpAppItem         *self);

/* For the details view. */
DpDownloadChecksumResult dp_app_item_get_checksum_result (DpAppItem *self);
DpDigestOrigin   dp_app_item_get_verified_by  (DpAppItem   *self);
const char      *dp_app_item_get_verified_algorithm (DpAppItem *self);

G_END_DECLS
