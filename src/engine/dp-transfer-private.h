/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dp-auto.h"
#include "dp-engine-private.h"
#include "dp-part-file.h"
#include "dp-state.h"
#include "dp-transfer.h"

G_BEGIN_DECLS

/* Read size of one worker: big enough that syscalls and locking stay
 * cheap at gigabytes per second, small enough that 64 connections stay
 * within a few MiB. */
#define BUFFER_SIZE (128 * 1024)

/* While workers run, the controller makes their bytes durable and
 * records them in the state file this often: a crash loses at most about
 * a second of transfer, and file-system metadata (extents turning from
 * reserved to written) is committed in steps instead of all in the final
 * fsync(). Not more often: every sync is felt on USB sticks, spinning
 * disks and laptops on battery. */
#define CHECKPOINT_INTERVAL_US (G_USEC_PER_SEC)
/* Between checkpoints, the bytes are sent on their way to the disk
 * every control tick, and whenever this much arrived since: a fast
 * download then does not wait for all of them in its final sync. */
#define WRITEBACK_BYTES (8 * 1024 * 1024)
/* ...and right after a segment ends, but not more often than this. */
#define CHECKPOINT_MIN_US (20 * 1000)
/* The controller looks at the connections (slow ones, more of them)
 * this often. */
#define CONTROL_INTERVAL_US (250 * 1000)

/* A connection's pace is measured over windows this long. */
#define RATE_WINDOW_US (G_USEC_PER_SEC / 4)
/* A connection under a third of the median pace for this long is closed
 * and its range handed on: a new connection is often a fast one. */
#define SLOW_FACTOR 3
#define SLOW_GRACE_US (G_USEC_PER_SEC / 2)

/* An idle worker looks for a range to help with this often: paces
 * change, and a crawling range becomes worth splitting. */
#define IDLE_RECHECK_US (200 * 1000)

/* Automatic connections (segments = 0, see dp-auto.h): start with
 * AUTO_START, ramp in steps of at least AUTO_RAMP_US (longer until every
 * new connection delivered, up to AUTO_SETTLE_MAX_US), trim over windows
 * of AUTO_TRIM_WINDOW_US: a capped mirror sends its bytes in bursts a
 * second apart, and only whole seconds count them right. At most
 * AUTO_MAX connections. */
#define AUTO_START 4
#define AUTO_PLANNED 16
#define AUTO_MAX 64
#define AUTO_RAMP_US (150 * 1000)
#define AUTO_SETTLE_MAX_US (G_USEC_PER_SEC)
#define AUTO_TRIM_WINDOW_US (G_USEC_PER_SEC)

/* Read size while more than LARGE_BUFFER_WORKERS connections run: a
 * download with dozens of them gets a few MiB/s on each, and must stay
 * small in memory. */
#define SMALL_BUFFER_SIZE (16 * 1024)
#define LARGE_BUFFER_WORKERS 4

/* Progress reaches the main loop at most this often. */
#define PROGRESS_INTERVAL_US (100 * 1000)

/* Mirrors (other addresses of the same file): at most this many. */
#define MAX_SOURCES 64
/* Requests to a mirror that fail in a row, with no good answer between,
 * after which it is no longer used while another address works. */
#define SOURCE_FAILURE_LIMIT 3
/* Pieces from a mirror that fail their check before it is dropped. */
#define SOURCE_BAD_PIECE_LIMIT 2
/* Its connections closed for being slow this often, while another
 * address was closed less than half as often, and a mirror is dropped. */
#define SOURCE_SLOW_LIMIT 8

/* One address of the file. Source 0 is the one the probe answered
 * from; its link, validators and ranges are the transfer's own
 * (final_uri, etag, validator, …). The others learn theirs from their
 * first answer. Guarded by the transfer's mutex. */
typedef struct
{
  GUri *uri;            /* as given */
  GUri *final_uri;      /* where it led, once it answered */
  char *etag;           /* from its first answer, to tell its versions apart */
  char *last_modified;
  char *validator;      /* a strong ETag, for If-Range */
  gboolean answered;
  gboolean from_link;   /* announced by the server (Link: rel=duplicate) */
  guint ceiling;        /* the most connections it took before refusing one */
  guint strikes;        /* refusals below that limit since it was set */
  guint failures;       /* requests in a row that failed */
  guint bad_pieces;     /* pieces it alone wrote that failed their check */
  guint suspicions;     /* failed pieces it wrote into with others */
  guint slow_drops;     /* connections closed for being slow */
  gint64 received;      /* bytes it delivered into the file */
  gboolean gone;        /* no longer used */
  char *why;            /* why, for the user */
} Source;

typedef enum
{
  MODE_RANGES,  /* byte ranges, any number of connections */
  MODE_SINGLE,  /* known size, no ranges: one stream from offset 0 */
  MODE_STREAM,  /* unknown size: one stream until the server ends it */
} Mode;

typedef struct
{
  guint index;
  guint source;               /* the address it fetches from */
  GCancellable *cancellable;  /* replaced under the mutex after a reset */
  int segment;                /* owned segment, or -1 */
  gboolean fetching;          /* a request is on the wire */
  gboolean headers_in;        /* its answer's headers arrived (the worker's own) */
  /* A response the probe already opened, handed to the first worker so
   * its bytes are not thrown away. */
  SoupMessage *pending_msg;
  GInputStream *pending_stream;
  gint64 pending_start;       /* file offset of its first byte */
  gint64 pending_end;         /* file offset after its last byte, or -1 */
  /* Pace of this connection, measured over windows of RATE_WINDOW_US. */
  gint64 request_start;       /* when the current request went out */
  gint64 window_start;
  gint64 window_bytes;
  double rate;                /* bytes per second, 0 until known */
  gint64 slow_since;          /* when it fell far behind the others, or 0 */
  gboolean dropped;           /* the controller closed it for being slow */
  /* How the connection's last request went, for the size of the next;
   * only the worker itself uses them. */
  double last_pace;           /* bytes per second, 0 if unknown */
  gint64 last_rtt;            /* microseconds until the answer came */
  /* A thread runs for it and it holds a slot of the engine's budget. */
  gboolean running;
  /* Asked to end: the connection count is coming down. */
  gboolean retire;
  /* Delivered bytes since it started: it counts in a measuring window. */
  gboolean started;
  gsize buffer_size;          /* its read buffer; only the worker uses it */
} Worker;

struct _DpTransfer
{
  gatomicrefcount ref_count;

  /* Immutable after dp_transfer_new(). */
  DpTransferConfig config;
  DpTransferProgressFunc progress_func;
  gpointer progress_data;
  GDestroyNotify progress_destroy;

  /* Set by dp_transfer_run() before any thread starts. */
  GMainContext *context;
  GCancellable *cancellable;
  /* The controller, until dp_transfer_join(); the caller's thread only. */
  GThread *thread;

  /* Owned by the controller thread; read-only for workers once they run. */
  SoupSession *session;
  char *validator;      /* strong ETag, else strong Last-Modified, for If-Range */
  char *etag;           /* as the probe got them, to tell versions apart;
                         * written under the mutex (snapshots copy them) */
  char *last_modified;
  gboolean last_modified_strong;
  char *content_type;
  /* The content coding the server's bytes are in (NULL: identity), and
   * whether they are decoded on the way to the file (one stream) or
   * saved as they are (a .gz file served as gzip). */
  char *encoding;
  gboolean decode;
  /* The probe's answer gave no total ("bytes 0-N/ *"): the end is
   * checked once every byte has arrived. */
  gboolean size_unconfirmed;
  DpPartFile *file;
  GThreadPool *pool;
  char *state_path;     /* NAME.part.state, while resume is possible */
  char *name;           /* the name numbered ones derive from, with -d */
  GArray *resume_done;  /* DpRanges already on disk, from the state file */

  /* Main thread only. */
  gint64 last_progress_us;
  int progress_queued;  /* atomic: a progress source is attached */

  /* Workers hold it for reading from claiming bytes until their
   * pwrite() returns; whoever throws the plan away holds it for writing,
   * so no write of the old plan can land after the new one started.
   * Taken before the mutex, never while holding it. */
  GRWLock plan_lock;

  /* Held by the one worker that asks the user's address again for a
   * fresh link when the one it redirected to expired. */
  GMutex refresh_mutex;

  GMutex mutex;
  GCond cond;
  /* Everything below is guarded by the mutex. */
  GUri *final_uri;      /* where the user's address led; replaced when it expires */
  gboolean link_proven; /* final_uri carried a good answer */
  guint odd_streak;     /* answers in a row that were not the file as probed */
  gboolean ranges_seen; /* a range request was answered with its range */
  /* The probe's answer is in: etag and last_modified (written under the
   * mutex, so that snapshots may copy them) and server_ranges say what
   * it gave. */
  gboolean answered;
  gboolean server_ranges;
  DpTransferPhase phase;
  Mode mode;
  guint generation;     /* bumped when the plan is thrown away */
  DpScheduler *scheduler;
  gint64 size;
  Worker *workers;
  guint n_workers;      /* workers[] entries ever used: the bound for loops */
  guint n_running;      /* workers with a thread */
  guint n_allocated;    /* workers[] has room for this many */
  /* The download's place in the engine's connection budget. */
  DpEngineClient *client;
  /* The most connections the server took before it refused one. */
  guint ceiling;
  /* Automatic connections: the current step and its measurement. */
  DpAuto autoc;
  guint auto_target;
  gint64 auto_step_at;      /* when the count last changed */
  gint64 auto_step_done;    /* bytes done then */
  guint64 auto_limits[2];   /* the speed limits the growth was measured under */
  guint auto_share;         /* the budget's share then */
  /* This download's and all downloads' speed limits. */
  DpRateLimiter *limiters[2];
  double best_pace;     /* bytes per second a connection kept up, for a lone one to be judged by */
  gboolean refused;     /* the server said no to another connection */
  gboolean stopping;
  GError *error;
  char *path;
  GPtrArray *notices;   /* messages for the user, not yet reported */
  /* The address the probe asks: the user's, or a mirror's when that
   * one does not answer. Controller thread only. */
  GUri *probe_uri;
  /* Another address may answer the probe: fewer retries for this one. */
  gboolean probe_quick;
  /* The address answered with a Metalink document: the files it
   * describes (DpMetalinkFile *), for DpDownload to fetch instead. */
  GPtrArray *metalink;
  /* The file's addresses: source 0 and the mirrors. */
  Source *sources;
  guint n_sources;
  /* The digest the file is checked against before it gets its name, and
   * where it came from; the server's from its probe answer. */
  DpChecksum *verify_with;
  DpDigestOrigin verify_origin;
  /* Metalink pieces: which ones passed their check, and which sources
   * wrote into each (a bit per source, the 64th for all above). */
  guint n_pieces;
  gboolean *piece_ok;
  guint64 *piece_sources;
  guint bad_pieces;     /* pieces fetched again */
};

typedef enum
{
  FETCH_DONE,       /* the segment is complete, or the response ended early as announced */
  FETCH_RETRY,      /* transient failure; error says what */
  FETCH_RETIRE,     /* the server refuses more connections */
  FETCH_FATAL,      /* permanent failure */
  FETCH_RESTART,    /* the plan changed under us; start over */
  FETCH_SWITCH,     /* the mirror is no use: error says why; use another */
} FetchResult;

typedef struct
{
  SoupMessage *msg;       /* the answer that was probed, for its headers */
  GInputStream *stream;   /* body of a GET probe, starting at offset 0 */
  gint64 body_start;      /* file offset of that body's first byte */
  gint64 body_end;        /* file offset after its last byte, or -1 until the end */
  gint64 size;            /* -1 when unknown */
  gboolean ranges;
  gboolean size_unconfirmed;  /* the size is the end of a "bytes 0-N/ *" answer */
  char *encoding;         /* the answer's content coding, NULL for identity */
} DpProbe;

void     dp_probe_clear                     (DpProbe     *probe);

/* Sources (mirrors), dp-transfer-sources.c. Called with the mutex held
 * unless named otherwise. */
void     dp_transfer_sources_init           (DpTransfer  *self);
void     dp_transfer_sources_clear          (DpTransfer  *self);
/* Gives the mirrors the validators an earlier attempt recorded, so that
 * a copy that changed since is noticed (controller thread). */
void     dp_transfer_sources_resume         (DpTransfer  *self,
                                             const DpState *state);
/* Records every address and its validators in @state. */
void     dp_transfer_sources_record         (DpTransfer  *self,
                                             DpState     *state);
gboolean dp_transfer_add_source_locked      (DpTransfer  *self,
                                             GUri        *uri,
                                             gboolean     from_link);
int      dp_transfer_pick_source_locked     (DpTransfer  *self,
                                             int          avoid);
guint    dp_transfer_source_active_locked   (DpTransfer  *self,
                                             guint        source,
                                             const Worker *except);
gboolean dp_transfer_is_source_failure      (const GError *error,
                                             gboolean      under_way);
gboolean dp_transfer_source_usable_locked   (DpTransfer  *self,
                                             guint        source);
guint    dp_transfer_n_usable_sources_locked (DpTransfer *self);
void     dp_transfer_drop_source_locked     (DpTransfer  *self,
                                             guint        source,
                                             const char  *why);
void     dp_transfer_update_ceiling_locked  (DpTransfer  *self);
void     dp_transfer_mark_written_locked    (DpTransfer  *self,
                                             guint        source,
                                             gint64       offset,
                                             gint64       n);
/* Checks the pieces whose bytes have all arrived; a bad one is fetched
 * again. @final: every byte is in and nothing can be fetched again, so a
 * bad piece fails the download (DP_ERROR_CHECKSUM). Called without the
 * mutex, from the controller. */
gboolean dp_transfer_check_pieces           (DpTransfer  *self,
                                             gboolean     final,
                                             GError     **error);
gboolean dp_transfer_probe                  (DpTransfer  *self,
                                             DpProbe     *probe,
                                             GError     **error);
/* Whether this download's or the engine's speed limit is on. */
gboolean dp_transfer_limited                (DpTransfer  *self);
/* Workers that run and are not retiring. Called with the mutex held. */
guint    dp_transfer_count_active_locked    (DpTransfer  *self);
GInputStream *dp_transfer_send_with_retries (DpTransfer   *self,
                                             SoupMessage **msg,
                                             GError      **error);
gboolean dp_transfer_open_output            (DpTransfer  *self,
                                             DpProbe     *probe,
                                             GError     **error);
gboolean dp_transfer_commit_output          (DpTransfer  *self,
                                             GError     **error);
void     dp_transfer_worker_run             (gpointer     data,
                                             gpointer     user_data);

void     dp_transfer_abort                  (DpTransfer  *self,
                                             GError      *error);
gboolean dp_transfer_wait_locked            (DpTransfer  *self,
                                             guint        ms);
guint    dp_transfer_backoff_ms             (DpTransfer  *self,
                                             guint        attempt,
                                             gint64       retry_after_s);
void     dp_transfer_queue_progress         (DpTransfer  *self);
void     dp_transfer_notice                 (DpTransfer  *self,
                                             const char  *message);
gboolean dp_transfer_checkpoint             (DpTransfer  *self,
                                             GError     **error);
double   dp_transfer_worker_pace_locked     (const Worker *worker,
                                             gint64        now);
double   dp_transfer_median_rate_locked     (DpTransfer  *self,
                                             gint64       now);
void     dp_transfer_drop_slow_locked       (DpTransfer  *self,
                                             GPtrArray   *cancellables);
const char *dp_transfer_strong_etag          (DpTransfer  *self);
const char *dp_transfer_strong_last_modified (DpTransfer  *self);

G_END_DECLS
