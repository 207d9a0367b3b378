/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dp-checksum.h"
#include "dp-engine.h"
#include "dp-rate-limiter.h"
#include "dp-request.h"
#include "dp-scheduler.h"

G_BEGIN_DECLS

/*
 * The thread side of a download: one controller thread probes the
 * address, opens the partial file and waits for a pool of worker threads
 * (one per connection) that fetch ranges and write them in place. The
 * owning DpDownload lives on the main thread; it reads snapshots and is
 * told about progress through one coalesced main-context source.
 *
 * Internal to the engine.
 */

typedef enum
{
  DP_TRANSFER_PHASE_CONNECTING,
  DP_TRANSFER_PHASE_TRANSFERRING,
  DP_TRANSFER_PHASE_FINISHING,
} DpTransferPhase;

typedef struct
{
  GUri *uri;
  char *output;          /* exact file to write, or NULL */
  char *directory;       /* folder to save into when output is NULL */
  char *suggested_name;  /* a name to use there instead of the server's */
  guint segments;        /* wanted connections, 1–64 */
  gint64 min_segment;    /* smallest range worth its own connection */
  guint stall_timeout;   /* seconds of silence before a connection is dropped */
  guint retry_delay_ms;  /* first back-off delay; doubles on each retry */
  guint max_attempts;    /* tries per range without progress */
  gboolean allow_downgrade;  /* follow https:// -> http:// redirects */
  gboolean accept_invalid_certificates;
  gboolean resume;       /* continue a matching partial file */
  gboolean continue_only;  /* fail rather than start over; needs output */
  gboolean keep_existing;  /* output was chosen because it was free:
                            * never replace a file that appears there */
  DpChecksum *checksum;  /* verified before the final rename, or NULL */
  DpEngine *engine;      /* whose budget and speed limit it shares */
  DpRateLimiter *limiter;  /* the download's own speed limit, or NULL */
  DpRequest *request;    /* headers, cookies, login, or NULL */
  GPtrArray *mirrors;    /* of GUri *: other addresses of the same file */
  gboolean no_links;     /* ignore the mirrors a server names (Link: rel=duplicate) */
  gboolean no_metalink;  /* save a Metalink document as it is */
  DpChecksum *expected;  /* the Metalink's hash; checksum (the user's) wins */
  /* Metalink pieces: a digest per piece_length bytes, lowercase hex. */
  GChecksumType piece_type;
  gint64 piece_length;
  GPtrArray *pieces;
  gint64 expected_size;  /* the size the Metalink gives; 0 or less: none */
} DpTransferConfig;

typedef enum
{
  DP_TRANSFER_SOURCE_WAITING,   /* not asked yet */
  DP_TRANSFER_SOURCE_ACTIVE,    /* answered, in use */
  DP_TRANSFER_SOURCE_FULL,      /* refused more connections; uses what it took */
  DP_TRANSFER_SOURCE_GONE,      /* no longer used; why says why */
} DpTransferSourceState;

typedef struct
{
  char *url;             /* for display: without a password */
  DpTransferSourceState state;
  char *why;
  guint connections;
  double speed;          /* bytes per second, the sum of its connections' */
  gint64 received;
  guint bad_pieces;
  gboolean from_link;
} DpTransferSourceInfo;

typedef struct
{
  DpTransferPhase phase;
  gint64 size;           /* -1 while unknown */
  gint64 received;       /* bytes written to the partial file */
  guint connections;     /* workers that are fetching right now */
  gboolean ranges;       /* the server serves byte ranges */
  char *path;            /* final file name, once known */
  GArray *segments;      /* of DpSegment, sorted by start */
  GPtrArray *notices;    /* messages for the user since the last snapshot */
  /* What the server's first answer said, once it is in. */
  gboolean answered;
  char *etag;            /* as sent, or NULL */
  char *last_modified;   /* as sent, or NULL */
  gboolean accepts_ranges;  /* byte ranges are offered and kept to */
  GArray *sources;       /* of DpTransferSourceInfo, the first is the probed one */
  DpDigestOrigin verify_origin;  /* what the file will be checked against */
  char *verify_name;     /* the digest's algorithm ("sha256"), or NULL */
} DpTransferSnapshot;

typedef struct _DpTransfer DpTransfer;

typedef void (*DpTransferProgressFunc) (gpointer user_data);

DpTransfer *dp_transfer_new            (const DpTransferConfig *config,
                                        DpTransferProgressFunc  progress_func,
                                        gpointer                progress_data,
                                        GDestroyNotify          progress_destroy);
DpTransfer *dp_transfer_ref            (DpTransfer *self);
void        dp_transfer_unref          (DpTransfer *self);

/* Runs the transfer; @task (whose callback runs on the caller's main
 * context) returns the final path as a string, or an error. Progress
 * callbacks run on the thread-default main context of the caller. */
void        dp_transfer_run            (DpTransfer *self,
                                        GTask      *task);
/* Waits for the transfer's controller thread to end, which it does right
 * after returning @task's result: call it from that task's callback, so
 * that no thread of the transfer outlives its result. (Its connections'
 * threads have already gone back to GLib's shared pool.) */
void        dp_transfer_join           (DpTransfer *self);
/* Stops every connection; may be called from any thread. */
void        dp_transfer_cancel         (DpTransfer *self);

void        dp_transfer_snapshot       (DpTransfer         *self,
                                        DpTransferSnapshot *snapshot);
/* Like dp_transfer_snapshot(), but returns %FALSE at once, with
 * nothing to clear, when a worker holds the state; another progress
 * report then follows shortly. For the main thread's progress reports. */
gboolean    dp_transfer_try_snapshot   (DpTransfer         *self,
                                        DpTransferSnapshot *snapshot);
void        dp_transfer_snapshot_clear (DpTransferSnapshot *snapshot);

void        dp_transfer_config_clear   (DpTransferConfig *config);

/* When the transfer failed because its address is a Metalink document:
 * the files it describes (DpMetalinkFile *), else %NULL. */
GPtrArray  *dp_transfer_take_metalink  (DpTransfer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpTransfer, dp_transfer_unref)

G_END_DECLS
