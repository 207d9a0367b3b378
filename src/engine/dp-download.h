/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dp-checksum.h"
#include "dp-engine.h"
#include "dp-metalink.h"
#include "dp-request.h"

G_BEGIN_DECLS

/* segments = 0: choose the number of connections while downloading. */
#define DP_DOWNLOAD_SEGMENTS_AUTO 0
#define DP_DOWNLOAD_MIN_SEGMENTS 1
#define DP_DOWNLOAD_MAX_SEGMENTS 64
#define DP_DOWNLOAD_DEFAULT_SEGMENTS DP_DOWNLOAD_SEGMENTS_AUTO

typedef enum
{
  DP_DOWNLOAD_STATE_IDLE,
  DP_DOWNLOAD_STATE_CONNECTING,
  DP_DOWNLOAD_STATE_DOWNLOADING,
  DP_DOWNLOAD_STATE_FINISHING,
  DP_DOWNLOAD_STATE_FINISHED,
  DP_DOWNLOAD_STATE_FAILED,
  DP_DOWNLOAD_STATE_CANCELLED,
} DpDownloadState;

/**
 * DpSegmentInfo:
 * @start: first byte of the segment
 * @pos: bytes [@start, @pos) are on disk
 * @end: end of the segment (exclusive)
 * @active: a connection is working on it
 *
 * One extent of the file, for drawing a segment map.
 */
typedef struct
{
  gint64 start;
  gint64 pos;
  gint64 end;
  gboolean active;
} DpSegmentInfo;

#define DP_TYPE_DOWNLOAD (dp_download_get_type ())
G_DECLARE_FINAL_TYPE (DpDownload, dp_download, DP, DOWNLOAD, GObject)

DpDownload      *dp_download_new               (const char *url);

const char      *dp_download_get_url           (DpDownload *self);

const char      *dp_download_get_output        (DpDownload *self);
void             dp_download_set_output        (DpDownload *self,
                                                const char *output);
const char      *dp_download_get_directory     (DpDownload *self);
void             dp_download_set_directory     (DpDownload *self,
                                                const char *directory);
const char      *dp_download_get_suggested_name (DpDownload *self);
void             dp_download_set_suggested_name (DpDownload *self,
                                                 const char *name);
guint            dp_download_get_segments      (DpDownload *self);
void             dp_download_set_segments      (DpDownload *self,
                                                guint       segments);
const char      *dp_download_get_checksum      (DpDownload *self);
void             dp_download_set_checksum      (DpDownload *self,
                                                const char *checksum);
guint            dp_download_get_stall_timeout (DpDownload *self);
void             dp_download_set_stall_timeout (DpDownload *self,
                                                guint       seconds);
guint            dp_download_get_retry_delay   (DpDownload *self);
void             dp_download_set_retry_delay   (DpDownload *self,
                                                guint       milliseconds);

gboolean         dp_download_get_accept_invalid_certificates (DpDownload *self);
void             dp_download_set_accept_invalid_certificates (DpDownload *self,
                                                              gboolean    value);
gboolean         dp_download_get_allow_insecure_redirects    (DpDownload *self);
void             dp_download_set_allow_insecure_redirects    (DpDownload *self,
                                                              gboolean    value);

/* See #DpDownload:continue-only. */
gboolean         dp_download_get_continue_only (DpDownload *self);
void             dp_download_set_continue_only (DpDownload *self,
                                                gboolean    value);

DpDownloadState  dp_download_get_state         (DpDownload *self);
const char      *dp_download_get_path          (DpDownload *self);
gint64           dp_download_get_size          (DpDownload *self);
gint64           dp_download_get_received      (DpDownload *self);
double           dp_download_get_speed         (DpDownload *self);
gint64           dp_download_get_eta           (DpDownload *self);
guint            dp_download_get_connections   (DpDownload *self);
/* The engine whose budget and speed limit the download shares; set it
 * before the download starts. */
DpEngine        *dp_download_get_engine        (DpDownload *self);
void             dp_download_set_engine        (DpDownload *self,
                                                DpEngine   *engine);
/* Bytes per second for this download, 0 for no limit; takes effect at
 * once while it runs. */
guint64          dp_download_get_rate_limit    (DpDownload *self);
void             dp_download_set_rate_limit    (DpDownload *self,
                                                guint64     rate);
GArray          *dp_download_dup_segments      (DpDownload *self);
/* Headers, cookies and a login to send (see #DpRequest); the download
 * keeps a copy of @request. Set it before the download starts. */
const DpRequest *dp_download_get_request       (DpDownload      *self);
void             dp_download_set_request       (DpDownload      *self,
                                                const DpRequest *request);

void             dp_download_start_async       (DpDownload          *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean         dp_download_start_finish      (DpDownload          *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void             dp_download_cancel            (DpDownload          *self);

/* What the server said about its file, and how the check came out. */

typedef enum
{
  DP_DOWNLOAD_RANGES_UNKNOWN,   /* the server has not answered yet */
  DP_DOWNLOAD_RANGES_NONE,      /* one connection, and no resuming */
  DP_DOWNLOAD_RANGES_ACCEPTED,
} DpDownloadRanges;

typedef enum
{
  DP_DOWNLOAD_CHECKSUM_NONE,      /* no checksum was given */
  DP_DOWNLOAD_CHECKSUM_PENDING,   /* not checked yet */
  DP_DOWNLOAD_CHECKSUM_VERIFIED,  /* the file matches */
  DP_DOWNLOAD_CHECKSUM_MISMATCH,  /* the file did not match and was deleted */
} DpDownloadChecksumResult;

const char      *dp_download_get_etag            (DpDownload *self);
gboolean         dp_download_get_etag_is_strong  (DpDownload *self);
GDateTime       *dp_download_get_last_modified   (DpDownload *self);
DpDownloadRanges dp_download_get_accepts_ranges  (DpDownload *self);
DpDownloadChecksumResult dp_download_get_checksum_result (DpDownload *self);

/* Mirrors and Metalink. */

/* The most addresses one download uses (its own and its mirrors). */
#define DP_DOWNLOAD_MAX_MIRRORS 64

typedef enum
{
  DP_MIRROR_STATE_WAITING,   /* not asked yet */
  DP_MIRROR_STATE_ACTIVE,    /* answered, in use */
  DP_MIRROR_STATE_FULL,      /* refused more connections; uses those it took */
  DP_MIRROR_STATE_DROPPED,   /* no longer used; see reason */
} DpMirrorState;

/**
 * DpMirrorInfo:
 * @url: the address, without a password
 * @state: how it is used
 * @reason: (nullable): why it was dropped
 * @connections: connections fetching from it now
 * @speed: bytes per second from it now
 * @received: bytes it delivered into the file
 * @bad_pieces: pieces from it that failed their check
 * @from_server: the server named it (`Link: rel=duplicate`)
 */
typedef struct
{
  char *url;
  DpMirrorState state;
  char *reason;
  guint connections;
  double speed;
  gint64 received;
  guint bad_pieces;
  gboolean from_server;
} DpMirrorInfo;

void             dp_mirror_info_free            (DpMirrorInfo *info);

DpDownload      *dp_download_new_from_metalink  (const DpMetalinkFile *file);
gboolean         dp_download_add_mirror         (DpDownload  *self,
                                                 const char  *url,
                                                 GError     **error);
GPtrArray       *dp_download_get_mirrors        (DpDownload  *self);
void             dp_download_set_read_metalink  (DpDownload  *self,
                                                 gboolean     value);
gboolean         dp_download_get_read_metalink  (DpDownload  *self);
void             dp_download_set_use_server_mirrors (DpDownload *self,
                                                     gboolean    value);
gboolean         dp_download_get_use_server_mirrors (DpDownload *self);
GPtrArray       *dp_download_dup_mirror_infos   (DpDownload  *self);
DpDigestOrigin   dp_download_get_verified_by    (DpDownload  *self);
const char      *dp_download_get_verified_algorithm (DpDownload *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpMirrorInfo, dp_mirror_info_free)

G_END_DECLS
