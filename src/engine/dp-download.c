/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include <libsoup/soup.h>

#include "dp-answer.h"
#include "dp-checksum.h"
#include "dp-download.h"
#include "dp-engine-private.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-metalink.h"
#include "dp-scheduler.h"
#include "dp-transfer.h"

/* Speed is averaged over this window: long enough to be steady, short
 * enough to follow a change of mirror speed within seconds. */
#define SPEED_WINDOW_US (3 * G_USEC_PER_SEC)
#define MAX_SAMPLES 64

typedef struct
{
  gint64 time;
  gint64 bytes;
} Sample;

struct _DpDownload
{
  GObject parent_instance;

  /* Settings, main thread; copied into the transfer at start. */
  char *url;
  char *output;
  char *directory;
  char *suggested_name;
  char *checksum;       /* "ALGO:HEX" as the user gave it, or NULL */
  guint segments;
  guint stall_timeout;
  guint retry_delay;
  gboolean accept_invalid_certificates;
  gboolean allow_insecure_redirects;
  gboolean continue_only;
  DpEngine *engine;     /* NULL: the default one */
  /* This download's own speed limit; the running transfer reads it, so
   * a new rate takes effect without a restart. */
  DpRateLimiter *limiter;
  DpRequest *request;   /* what goes with the requests, or NULL */
  GPtrArray *mirrors;   /* other addresses of the file, as given */
  gboolean read_metalink;  /* a Metalink document's file is downloaded */
  gboolean server_mirrors; /* mirrors the server names are used */
  /* The file a Metalink document describes: its addresses, hash,
   * pieces, name and size. */
  DpMetalinkFile *metalink;
  gboolean metalink_secure;  /* it came from an https:// address */

  /* State as last reported, main thread. */
  DpDownloadState state;
  char *path;
  gint64 size;
  gint64 received;
  guint connections;
  GArray *segment_map;  /* of DpSegmentInfo */
  Sample samples[MAX_SAMPLES];
  guint n_samples;
  double speed;
  /* What the server's last first answer said; kept while a new attempt
   * waits for its own, so that a resumed download still shows them. */
  char *etag;
  GDateTime *last_modified;
  DpDownloadRanges accepts_ranges;
  /* The outcome of the last check, and the "ALGO:HEX" it was for. */
  DpDownloadChecksumResult checksum_result;
  char *checked_checksum;
  /* Where the digest the file is checked against comes from. */
  DpDigestOrigin verified_by;
  char *verified_algorithm;
  GPtrArray *mirror_infos;  /* of DpMirrorInfo *, as last reported */

  DpTransfer *transfer;
  guint restarts;
  GCancellable *cancellable;  /* the caller's, if any */
  gulong cancelled_id;
};

G_DEFINE_FINAL_TYPE (DpDownload, dp_download, G_TYPE_OBJECT)

/* g_set_str() arrived in GLib 2.76. */
static gboolean
set_str (char       **str_pointer,
         const char  *new_str)
{
  if (g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;
  g_free (*str_pointer);
  *str_pointer = g_strdup (new_str);
  return TRUE;
}

enum {
  PROP_0,
  PROP_URL,
  PROP_OUTPUT,
  PROP_DIRECTORY,
  PROP_CHECKSUM,
  PROP_SEGMENTS,
  PROP_STALL_TIMEOUT,
  PROP_RETRY_DELAY,
  PROP_ACCEPT_INVALID_CERTIFICATES,
  PROP_ALLOW_INSECURE_REDIRECTS,
  PROP_STATE,
  PROP_PATH,
  PROP_SIZE,
  PROP_ENGINE,
  PROP_RATE_LIMIT,
  PROP_ETAG,
  PROP_LAST_MODIFIED,
  PROP_ACCEPTS_RANGES,
  PROP_CHECKSUM_RESULT,
  PROP_REQUEST,
  PROP_CONTINUE_ONLY,
  PROP_SUGGESTED_NAME,
  PROP_VERIFIED_BY,
  N_PROPS
};

enum {
  PROGRESS,
  NOTICE,
  N_SIGNALS
};

/* How often a download starts over when the file changes under it. */
#define MAX_RESTARTS 2

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
dp_download_dispose (GObject *object)
{
  DpDownload *self = DP_DOWNLOAD (object);

  if (self->transfer != NULL)
    dp_transfer_cancel (self->transfer);
  if (self->cancellable != NULL)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->transfer, dp_transfer_unref);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dp_download_parent_class)->dispose (object);
}

static void
dp_download_finalize (GObject *object)
{
  DpDownload *self = DP_DOWNLOAD (object);

  g_free (self->url);
  g_free (self->output);
  g_free (self->directory);
  g_free (self->suggested_name);
  g_free (self->checksum);
  g_free (self->path);
  g_free (self->etag);
  g_clear_pointer (&self->last_modified, g_date_time_unref);
  g_free (self->checked_checksum);
  g_clear_pointer (&self->segment_map, g_array_unref);
  dp_rate_limiter_unref (self->limiter);
  g_clear_pointer (&self->request, dp_request_free);
  g_clear_pointer (&self->mirrors, g_ptr_array_unref);
  g_clear_pointer (&self->metalink, dp_metalink_file_free);
  g_free (self->verified_algorithm);
  g_clear_pointer (&self->mirror_infos, g_ptr_array_unref);

  G_OBJECT_CLASS (dp_download_parent_class)->finalize (object);
}

static void
dp_download_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DpDownload *self = DP_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_OUTPUT:
      g_value_set_string (value, self->output);
      break;
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_CHECKSUM:
      g_value_set_string (value, self->checksum);
      break;
    case PROP_SEGMENTS:
      g_value_set_uint (value, self->segments);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, self->stall_timeout);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint (value, self->retry_delay);
      break;
    case PROP_ACCEPT_INVALID_CERTIFICATES:
      g_value_set_boolean (value, self->accept_invalid_certificates);
      break;
    case PROP_ALLOW_INSECURE_REDIRECTS:
      g_value_set_boolean (value, self->allow_insecure_redirects);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_SIZE:
      g_value_set_int64 (value, self->size);
      break;
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint64 (value, dp_download_get_rate_limit (self));
      break;
    case PROP_ETAG:
      g_value_set_string (value, self->etag);
      break;
    case PROP_LAST_MODIFIED:
      g_value_set_boxed (value, self->last_modified);
      break;
    case PROP_ACCEPTS_RANGES:
      g_value_set_int (value, self->accepts_ranges);
      break;
    case PROP_CHECKSUM_RESULT:
      g_value_set_int (value, dp_download_get_checksum_result (self));
      break;
    case PROP_REQUEST:
      g_value_set_boxed (value, self->request);
      break;
    case PROP_CONTINUE_ONLY:
      g_value_set_boolean (value, self->continue_only);
      break;
    case PROP_VERIFIED_BY:
      g_value_set_int (value, (int) self->verified_by);
      break;
    case PROP_SUGGESTED_NAME:
      g_value_set_string (value, self->suggested_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_download_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DpDownload *self = DP_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    case PROP_OUTPUT:
      dp_download_set_output (self, g_value_get_string (value));
      break;
    case PROP_DIRECTORY:
      dp_download_set_directory (self, g_value_get_string (value));
      break;
    case PROP_CHECKSUM:
      dp_download_set_checksum (self, g_value_get_string (value));
      break;
    case PROP_SEGMENTS:
      dp_download_set_segments (self, g_value_get_uint (value));
      break;
    case PROP_STALL_TIMEOUT:
      dp_download_set_stall_timeout (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_DELAY:
      dp_download_set_retry_delay (self, g_value_get_uint (value));
      break;
    case PROP_ACCEPT_INVALID_CERTIFICATES:
      dp_download_set_accept_invalid_certificates (self, g_value_get_boolean (value));
      break;
    case PROP_ALLOW_INSECURE_REDIRECTS:
      dp_download_set_allow_insecure_redirects (self, g_value_get_boolean (value));
      break;
    case PROP_ENGINE:
      dp_download_set_engine (self, g_value_get_object (value));
      break;
    case PROP_RATE_LIMIT:
      dp_download_set_rate_limit (self, g_value_get_uint64 (value));
      break;
    case PROP_REQUEST:
      dp_download_set_request (self, g_value_get_boxed (value));
      break;
    case PROP_CONTINUE_ONLY:
      dp_download_set_continue_only (self, g_value_get_boolean (value));
      break;
    case PROP_SUGGESTED_NAME:
      dp_download_set_suggested_name (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_download_class_init (DpDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_download_dispose;
  object_class->finalize = dp_download_finalize;
  object_class->get_property = dp_download_get_property;
  object_class->set_property = dp_download_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT] =
    g_param_spec_string ("output", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHECKSUM] =
    g_param_spec_string ("checksum", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEGMENTS] =
    g_param_spec_uint ("segments", NULL, NULL,
                       DP_DOWNLOAD_SEGMENTS_AUTO, DP_DOWNLOAD_MAX_SEGMENTS,
                       DP_DOWNLOAD_DEFAULT_SEGMENTS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STALL_TIMEOUT] =
    g_param_spec_uint ("stall-timeout", NULL, NULL, 1, 3600, 15,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_DELAY] =
    g_param_spec_uint ("retry-delay", NULL, NULL, 1, 60000, 500,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:accept-invalid-certificates:
   *
   * Whether to go on when the server's TLS certificate cannot be
   * verified. Off by default; only an explicit choice of the user may
   * turn it on, and front ends should show that it is on.
   */
  properties[PROP_ACCEPT_INVALID_CERTIFICATES] =
    g_param_spec_boolean ("accept-invalid-certificates", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:allow-insecure-redirects:
   *
   * Whether to follow a redirect from https:// to plain http://. Off by
   * default, when such a redirect fails with %DP_ERROR_INSECURE_REDIRECT.
   */
  properties[PROP_ALLOW_INSECURE_REDIRECTS] =
    g_param_spec_boolean ("allow-insecure-redirects", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      DP_DOWNLOAD_STATE_IDLE, DP_DOWNLOAD_STATE_CANCELLED, DP_DOWNLOAD_STATE_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIZE] =
    g_param_spec_int64 ("size", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:engine:
   *
   * The engine whose connection budget and speed limit the download
   * shares, or %NULL for dp_engine_get_default(). Read when the
   * download starts.
   */
  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, DP_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:rate-limit:
   *
   * Bytes per second for this download, 0 for no limit. A change takes
   * effect at once, also while the download runs.
   */
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint64 ("rate-limit", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:etag:
   *
   * The ETag of the server's first answer, as sent (a weak one starts
   * with "W/"), or %NULL when it sent none or has not answered yet.
   */
  properties[PROP_ETAG] =
    g_param_spec_string ("etag", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:last-modified:
   *
   * The Last-Modified date of the server's first answer, or %NULL.
   */
  properties[PROP_LAST_MODIFIED] =
    g_param_spec_boxed ("last-modified", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:accepts-ranges:
   *
   * A #DpDownloadRanges: whether the server serves byte ranges.
   */
  properties[PROP_ACCEPTS_RANGES] =
    g_param_spec_int ("accepts-ranges", NULL, NULL,
                      DP_DOWNLOAD_RANGES_UNKNOWN, DP_DOWNLOAD_RANGES_ACCEPTED,
                      DP_DOWNLOAD_RANGES_UNKNOWN,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:checksum-result:
   *
   * A #DpDownloadChecksumResult: how the last check of the file against
   * #DpDownload:checksum came out.
   */
  properties[PROP_CHECKSUM_RESULT] =
    g_param_spec_int ("checksum-result", NULL, NULL,
                      DP_DOWNLOAD_CHECKSUM_NONE, DP_DOWNLOAD_CHECKSUM_MISMATCH,
                      DP_DOWNLOAD_CHECKSUM_NONE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:request:
   *
   * Headers, cookies and a login to send besides the address (see
   * #DpRequest), or %NULL. Copied when the download starts.
   */
  properties[PROP_REQUEST] =
    g_param_spec_boxed ("request", NULL, NULL, DP_TYPE_REQUEST,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpDownload:continue-only:
   *
   * Only continue the partial file of #DpDownload:output: when it cannot
   * be (the address now has another file, or nothing can show it is the
   * same one), fail with %DP_ERROR_CHANGED and leave the partial file as
   * it is, instead of starting over. For a new address given to a
   * download whose link expired.
   */
  /**
   * DpDownload:suggested-name:
   *
   * The name to save under in #DpDownload:directory instead of the one
   * the server's answer gives, such as the name a browser chose; made
   * safe like any name, and numbered like any when it is taken.
   */
  /**
   * DpDownload:verified-by:
   *
   * Where the digest the file is checked against came from (a
   * #DpDigestOrigin): the user's checksum, the Metalink file or the
   * server; known once the server answered.
   */
  properties[PROP_VERIFIED_BY] =
    g_param_spec_int ("verified-by", NULL, NULL, DP_DIGEST_ORIGIN_NONE, DP_DIGEST_ORIGIN_SERVER,
                      DP_DIGEST_ORIGIN_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUGGESTED_NAME] =
    g_param_spec_string ("suggested-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTINUE_ONLY] =
    g_param_spec_boolean ("continue-only", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpDownload::progress:
   *
   * Emitted on the main context at most about ten times a second while
   * bytes arrive, and once more when the download ends.
   */
  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * DpDownload::notice:
   * @message: a sentence for the user
   *
   * Something the user should know that is not an error: the download
   * continues an earlier attempt, or has to start over, and why.
   */
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
dp_download_init (DpDownload *self)
{
  self->segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
  self->stall_timeout = 15;
  self->retry_delay = 500;
  self->size = -1;
  self->segment_map = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  self->limiter = dp_rate_limiter_new (0);
  self->read_metalink = TRUE;
  self->server_mirrors = TRUE;
  self->mirror_infos = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_mirror_info_free);
}

/**
 * dp_download_new:
 * @url: the address to download
 *
 * Returns: (transfer full): a new download, not started
 */
DpDownload *
dp_download_new (const char *url)
{
  return g_object_new (DP_TYPE_DOWNLOAD, "url", url, NULL);
}

const char *
dp_download_get_url (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->url;
}

#define DEFINE_STRING_SETTER(field, PROP)                             \
  void                                                                \
  dp_download_set_##field (DpDownload *self,                          \
                           const char *field)                         \
  {                                                                   \
    g_return_if_fail (DP_IS_DOWNLOAD (self));                         \
    if (set_str (&self->field, field))                              \
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);   \
  }                                                                   \
  const char *                                                        \
  dp_download_get_##field (DpDownload *self)                          \
  {                                                                   \
    g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);               \
    return self->field;                                               \
  }

#define DEFINE_UINT_SETTER(field, PROP)                               \
  void                                                                \
  dp_download_set_##field (DpDownload *self,                          \
                           guint       value)                         \
  {                                                                   \
    GParamSpecUInt *spec = G_PARAM_SPEC_UINT (properties[PROP]);      \
    g_return_if_fail (DP_IS_DOWNLOAD (self));                         \
    value = CLAMP (value, spec->minimum, spec->maximum);              \
    if (self->field != value)                                         \
      {                                                               \
        self->field = value;                                          \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]); \
      }                                                               \
  }                                                                   \
  guint                                                               \
  dp_download_get_##field (DpDownload *self)                          \
  {                                                                   \
    g_return_val_if_fail (DP_IS_DOWNLOAD (self), 0);                  \
    return self->field;                                               \
  }

DEFINE_STRING_SETTER (output, PROP_OUTPUT)
DEFINE_STRING_SETTER (directory, PROP_DIRECTORY)
DEFINE_STRING_SETTER (suggested_name, PROP_SUGGESTED_NAME)
DEFINE_UINT_SETTER (segments, PROP_SEGMENTS)
DEFINE_UINT_SETTER (stall_timeout, PROP_STALL_TIMEOUT)
DEFINE_UINT_SETTER (retry_delay, PROP_RETRY_DELAY)

void
dp_download_set_checksum (DpDownload *self,
                          const char *checksum)
{
  DpDownloadChecksumResult was;

  g_return_if_fail (DP_IS_DOWNLOAD (self));

  /* The result is that of the checksum set: another one is unchecked. */
  was = dp_download_get_checksum_result (self);
  if (!set_str (&self->checksum, checksum))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKSUM]);
  if (dp_download_get_checksum_result (self) != was)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKSUM_RESULT]);
}

const char *
dp_download_get_checksum (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->checksum;
}

const DpRequest *
dp_download_get_request (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->request;
}

void
dp_download_set_request (DpDownload      *self,
                         const DpRequest *request)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));

  if (request == NULL && self->request == NULL)
    return;
  g_clear_pointer (&self->request, dp_request_free);
  if (request != NULL)
    self->request = dp_request_copy (request);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST]);
}

DpEngine *
dp_download_get_engine (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->engine;
}

void
dp_download_set_engine (DpDownload *self,
                        DpEngine   *engine)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));
  g_return_if_fail (engine == NULL || DP_IS_ENGINE (engine));
  if (g_set_object (&self->engine, engine))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}

guint64
dp_download_get_rate_limit (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), 0);
  return dp_rate_limiter_get_rate (self->limiter);
}

void
dp_download_set_rate_limit (DpDownload *self,
                            guint64     rate)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));
  if (dp_rate_limiter_get_rate (self->limiter) == rate)
    return;
  dp_rate_limiter_set_rate (self->limiter, rate);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE_LIMIT]);
}

#define DEFINE_BOOLEAN_SETTER(field, PROP)                            \
  void                                                                \
  dp_download_set_##field (DpDownload *self,                          \
                           gboolean    value)                         \
  {                                                                   \
    g_return_if_fail (DP_IS_DOWNLOAD (self));                         \
    value = !!value;                                                  \
    if (self->field != value)                                         \
      {                                                               \
        self->field = value;                                          \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]); \
      }                                                               \
  }                                                                   \
  gboolean                                                            \
  dp_download_get_##field (DpDownload *self)                          \
  {                                                                   \
    g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);              \
    return self->field;                                               \
  }

DEFINE_BOOLEAN_SETTER (accept_invalid_certificates, PROP_ACCEPT_INVALID_CERTIFICATES)
DEFINE_BOOLEAN_SETTER (allow_insecure_redirects, PROP_ALLOW_INSECURE_REDIRECTS)
DEFINE_BOOLEAN_SETTER (continue_only, PROP_CONTINUE_ONLY)

DpDownloadState
dp_download_get_state (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), DP_DOWNLOAD_STATE_IDLE);
  return self->state;
}

/**
 * dp_download_get_path:
 *
 * Returns: (nullable): the file the download is saved to, once known
 */
const char *
dp_download_get_path (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->path;
}

/* Returns: the size in bytes, or -1 while unknown */
gint64
dp_download_get_size (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), -1);
  return self->size;
}

gint64
dp_download_get_received (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), 0);
  return self->received;
}

/* Returns: bytes per second, averaged over the last few seconds */
double
dp_download_get_speed (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), 0);
  return self->speed;
}

/* Returns: seconds left at the current speed, or -1 when unknown */
gint64
dp_download_get_eta (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), -1);

  if (self->size < 0 || self->speed < 1.0)
    return -1;
  return (gint64) ((double) (self->size - self->received) / self->speed + 0.5);
}

guint
dp_download_get_connections (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), 0);
  return self->connections;
}

/**
 * dp_download_dup_segments:
 *
 * Returns: (transfer full): a #GArray of #DpSegmentInfo sorted by start
 */
GArray *
dp_download_dup_segments (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return g_array_copy (self->segment_map);
}

static void
set_state (DpDownload      *self,
           DpDownloadState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
add_sample (DpDownload *self,
            gint64      now,
            gint64      bytes)
{
  const Sample *oldest;

  if (self->n_samples == MAX_SAMPLES)
    {
      memmove (&self->samples[0], &self->samples[1], sizeof (Sample) * (MAX_SAMPLES - 1));
      self->n_samples--;
    }
  self->samples[self->n_samples++] = (Sample) { now, bytes };

  while (self->n_samples > 2 && now - self->samples[1].time >= SPEED_WINDOW_US)
    {
      memmove (&self->samples[0], &self->samples[1], sizeof (Sample) * (self->n_samples - 1));
      self->n_samples--;
    }

  oldest = &self->samples[0];
  if (now - oldest->time > 0 && bytes >= oldest->bytes)
    self->speed = (double) (bytes - oldest->bytes) * G_USEC_PER_SEC / (double) (now - oldest->time);
  else if (bytes < oldest->bytes)
    {
      /* The transfer started over (a server without ranges). */
      self->n_samples = 0;
      self->speed = 0;
    }
}

/* Returns FALSE when a progress report could not be had without
 * waiting (another follows soon); @wait is for the final one. */
static void update_server_answer (DpDownload               *self,
                                  const DpTransferSnapshot *snap);
static void set_checksum_result  (DpDownload               *self,
                                  DpDownloadChecksumResult  result);

static gboolean
update_from_transfer (DpDownload *self,
                      gboolean    wait)
{
  DpTransferSnapshot snap;

  if (self->transfer == NULL)
    return FALSE;

  if (wait)
    dp_transfer_snapshot (self->transfer, &snap);
  else if (!dp_transfer_try_snapshot (self->transfer, &snap))
    return FALSE;

  if (set_str (&self->path, snap.path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
  if (self->size != snap.size)
    {
      self->size = snap.size;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
    }
  self->received = snap.received;
  self->connections = snap.connections;
  if (snap.answered)
    update_server_answer (self, &snap);
  if (snap.sources != NULL)
    {
      g_ptr_array_set_size (self->mirror_infos, 0);
      for (guint i = 0; i < snap.sources->len; i++)
        {
          const DpTransferSourceInfo *source = &g_array_index (snap.sources, DpTransferSourceInfo, i);
          DpMirrorInfo *info = g_new0 (DpMirrorInfo, 1);

          info->url = g_strdup (source->url);
          info->state = (DpMirrorState) source->state;
          info->reason = g_strdup (source->why);
          info->connections = source->connections;
          info->speed = source->speed;
          info->received = source->received;
          info->bad_pieces = source->bad_pieces;
          info->from_server = source->from_link;
          g_ptr_array_add (self->mirror_infos, info);
        }
    }
  if (snap.verify_origin != self->verified_by)
    {
      self->verified_by = snap.verify_origin;
      set_str (&self->verified_algorithm, snap.verify_name);
      if (self->checksum_result == DP_DOWNLOAD_CHECKSUM_NONE && self->verified_by != DP_DIGEST_ORIGIN_NONE)
        set_checksum_result (self, DP_DOWNLOAD_CHECKSUM_PENDING);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFIED_BY]);
    }

  g_array_set_size (self->segment_map, snap.segments->len);
  for (guint i = 0; i < snap.segments->len; i++)
    {
      const DpSegment *seg = &g_array_index (snap.segments, DpSegment, i);
      DpSegmentInfo *info = &g_array_index (self->segment_map, DpSegmentInfo, i);

      info->start = seg->start;
      info->pos = seg->pos;
      info->end = MIN (seg->end, snap.size >= 0 ? snap.size : seg->pos);
      info->active = seg->owner >= 0;
    }

  add_sample (self, g_get_monotonic_time (), snap.received);

  for (guint i = 0; snap.notices != NULL && i < snap.notices->len; i++)
    g_signal_emit (self, signals[NOTICE], 0, g_ptr_array_index (snap.notices, i));

  if (self->state == DP_DOWNLOAD_STATE_CONNECTING || self->state == DP_DOWNLOAD_STATE_DOWNLOADING)
    {
      switch (snap.phase)
        {
        case DP_TRANSFER_PHASE_CONNECTING:
          break;
        case DP_TRANSFER_PHASE_TRANSFERRING:
          set_state (self, DP_DOWNLOAD_STATE_DOWNLOADING);
          break;
        case DP_TRANSFER_PHASE_FINISHING:
          set_state (self, DP_DOWNLOAD_STATE_FINISHING);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  dp_transfer_snapshot_clear (&snap);
  return TRUE;
}

static void
on_transfer_progress (gpointer data)
{
  g_autoptr(DpDownload) self = g_weak_ref_get (data);

  if (self != NULL && update_from_transfer (self, FALSE))
    g_signal_emit (self, signals[PROGRESS], 0);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
on_cancelled (GCancellable *cancellable,
              DpTransfer   *transfer)
{
  dp_transfer_cancel (transfer);
}

static void start_transfer (DpDownload *self,
                            GTask      *task,
                            GUri       *uri,
                            const char *output);

/* Whether a Metalink's address may be used: one read over https does
 * not lead to plain http unless its hashes protect the file (or the
 * user allows such redirects). */
static gboolean
metalink_url_allowed (DpDownload *self,
                      GUri       *uri)
{
  GChecksumType type;

  if (!self->metalink_secure || self->allow_insecure_redirects ||
      g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0)
    return TRUE;
  if (self->metalink->checksum != NULL)
    {
      type = dp_checksum_get_algorithm (self->metalink->checksum);
      if (type == G_CHECKSUM_SHA256 || type == G_CHECKSUM_SHA512)
        return TRUE;
    }
  return self->metalink->pieces->len > 0 &&
         (self->metalink->piece_type == G_CHECKSUM_SHA256 ||
          self->metalink->piece_type == G_CHECKSUM_SHA512);
}

/* The Metalink's usable addresses, best first. */
static GPtrArray *
metalink_uris (DpDownload *self)
{
  GPtrArray *uris = g_ptr_array_new_with_free_func ((GDestroyNotify) g_uri_unref);

  for (guint i = 0; i < self->metalink->urls->len; i++)
    {
      GUri *uri = dp_http_parse_url (((DpMetalinkUrl *) g_ptr_array_index (self->metalink->urls, i))->url, NULL);

      if (uri != NULL && metalink_url_allowed (self, uri))
        g_ptr_array_add (uris, uri);
      else if (uri != NULL)
        g_uri_unref (uri);
    }
  return uris;
}

/* Where a transfer starts: the download's address, or the first usable
 * address of the file its Metalink describes. */
static GUri *
first_uri (DpDownload  *self,
           GError     **error)
{
  g_autoptr(GPtrArray) uris = NULL;

  if (self->metalink == NULL)
    return dp_http_parse_url (self->url, error);
  uris = metalink_uris (self);
  if (uris->len == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INSECURE_REDIRECT,
                           _("The Metalink file, read over a secure connection, only has "
                             "insecure addresses and no SHA-256 or SHA-512 hash to check "
                             "the file with."));
      return NULL;
    }
  return g_uri_ref (g_ptr_array_index (uris, 0));
}

static void
on_transfer_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DpDownload *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GPtrArray *metalink = NULL;

  path = g_task_propagate_pointer (G_TASK (result), &error);
  dp_transfer_join (g_task_get_task_data (G_TASK (result)));

  update_from_transfer (self, TRUE);
  metalink = dp_transfer_take_metalink (self->transfer);
  g_clear_pointer (&self->transfer, dp_transfer_unref);

  /* The address was a Metalink document: the file it describes is
   * downloaded from its mirrors instead. Only once: a Metalink whose
   * addresses lead to another Metalink is refused. */
  if (metalink != NULL && self->metalink == NULL && metalink->len > 0 &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      DpMetalinkFile *file = g_ptr_array_index (metalink, 0);
      g_autoptr(GUri) uri = NULL;

      g_ptr_array_index (metalink, 0) = NULL;
      self->metalink = file;
      self->metalink_secure = g_str_has_prefix (self->url, "https:") || g_str_has_prefix (self->url, "HTTPS:");
      if (metalink->len > 1)
        {
          g_autofree char *notice = g_strdup_printf (ngettext ("The Metalink file describes %u more file; "
                                                               "only the first, “%s”, is downloaded.",
                                                               "The Metalink file describes %u more files; "
                                                               "only the first, “%s”, is downloaded.",
                                                               metalink->len - 1),
                                                     metalink->len - 1,
                                                     file->name != NULL ? file->name : "");

          g_signal_emit (self, signals[NOTICE], 0, notice);
        }
      g_ptr_array_set_free_func (metalink, (GDestroyNotify) dp_metalink_file_free);
      g_clear_pointer (&metalink, g_ptr_array_unref);
      g_clear_error (&error);
      uri = first_uri (self, &error);
      if (uri != NULL)
        {
          start_transfer (self, g_steal_pointer (&task), uri, self->output);
          return;
        }
    }
  else if (metalink != NULL && self->metalink != NULL)
    {
      g_clear_error (&error);
      g_set_error_literal (&error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("A mirror of the Metalink file’s file is itself a Metalink file."));
    }
  g_clear_pointer (&metalink, g_ptr_array_unref);

  /* A file that changed on the server starts over with the new version,
   * into the same name; a mix of both is never saved. */
  if (g_error_matches (error, DP_ERROR, DP_ERROR_CHANGED) && self->restarts < MAX_RESTARTS &&
      self->path != NULL && !g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr(GUri) uri = first_uri (self, NULL);
      g_autofree char *message = g_strdup_printf (_("%s Starting over with the new version."),
                                                  error->message);

      self->restarts++;
      g_signal_emit (self, signals[NOTICE], 0, message);
      start_transfer (self, g_steal_pointer (&task), uri, self->path);
      return;
    }

  if (self->cancellable != NULL)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);

  self->speed = 0;
  self->connections = 0;
  /* The transfer verifies the file before it gives it its name: a path
   * means it matched. */
  if (self->checksum_result == DP_DOWNLOAD_CHECKSUM_PENDING)
    {
      if (path != NULL && self->verified_by == DP_DIGEST_ORIGIN_NONE)
        set_checksum_result (self, DP_DOWNLOAD_CHECKSUM_NONE);
      else if (path != NULL)
        set_checksum_result (self, DP_DOWNLOAD_CHECKSUM_VERIFIED);
      else if (g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM))
        set_checksum_result (self, DP_DOWNLOAD_CHECKSUM_MISMATCH);
    }
  if (path != NULL)
    {
      if (set_str (&self->path, path))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
      set_state (self, DP_DOWNLOAD_STATE_FINISHED);
    }
  else if (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED))
    set_state (self, DP_DOWNLOAD_STATE_CANCELLED);
  else
    set_state (self, DP_DOWNLOAD_STATE_FAILED);

  g_signal_emit (self, signals[PROGRESS], 0);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_transfer (DpDownload *self,
                GTask      *task,
                GUri       *uri,
                const char *output)
{
  DpTransferConfig config = { 0 };
  GTask *inner;
  GWeakRef *weak;

  /* Already checked by dp_download_start_async(). */
  if (self->checksum != NULL && *self->checksum != '\0')
    config.checksum = dp_checksum_parse (self->checksum, NULL);
  set_str (&self->checked_checksum, config.checksum != NULL ? self->checksum : NULL);
  set_checksum_result (self, config.checksum != NULL ||
                             (self->metalink != NULL && self->metalink->checksum != NULL)
                             ? DP_DOWNLOAD_CHECKSUM_PENDING : DP_DOWNLOAD_CHECKSUM_NONE);
  config.uri = g_uri_ref (uri);
  config.output = g_strdup (output);
  config.directory = g_strdup (self->directory);
  config.suggested_name = g_strdup (self->suggested_name);
  /* A restart into the name a folder download chose: that name was only
   * free, it is not the user's to replace. */
  config.keep_existing = output != NULL && self->output == NULL;
  config.segments = self->segments;
  config.min_segment = DP_MIN_SEGMENT_SIZE;
  config.stall_timeout = self->stall_timeout;
  config.retry_delay_ms = self->retry_delay;
  config.max_attempts = 8;
  config.allow_downgrade = self->allow_insecure_redirects;
  config.accept_invalid_certificates = self->accept_invalid_certificates;
  config.resume = TRUE;
  config.continue_only = self->continue_only;
  config.engine = g_object_ref (self->engine != NULL ? self->engine : dp_engine_get_default ());
  config.limiter = dp_rate_limiter_ref (self->limiter);
  config.request = self->request != NULL ? dp_request_copy (self->request) : NULL;
  config.no_metalink = !self->read_metalink;
  config.no_links = !self->server_mirrors;
  config.mirrors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_uri_unref);
  config.expected_size = -1;
  if (self->metalink != NULL)
    {
      /* The Metalink's addresses, best first; @uri is among them. */
      g_autoptr(GPtrArray) uris = metalink_uris (self);

      for (guint i = 0; i < uris->len; i++)
        if (!soup_uri_equal (g_ptr_array_index (uris, i), uri))
          g_ptr_array_add (config.mirrors, g_uri_ref (g_ptr_array_index (uris, i)));
      config.expected = dp_checksum_copy (self->metalink->checksum);
      config.expected_size = self->metalink->size;
      if (self->metalink->pieces->len > 0)
        {
          config.piece_type = self->metalink->piece_type;
          config.piece_length = self->metalink->piece_length;
          config.pieces = g_ptr_array_ref (self->metalink->pieces);
        }
      if (config.suggested_name == NULL && self->metalink->name != NULL)
        {
          /* Of a Metalink's name only the last part counts. */
          const char *slash = strrchr (self->metalink->name, '/');

          config.suggested_name = g_strdup (slash != NULL ? slash + 1 : self->metalink->name);
        }
    }
  for (guint i = 0; self->mirrors != NULL && i < self->mirrors->len; i++)
    {
      GUri *mirror = dp_http_parse_url (g_ptr_array_index (self->mirrors, i), NULL);

      if (mirror != NULL)
        g_ptr_array_add (config.mirrors, mirror);
    }
  self->verified_by = DP_DIGEST_ORIGIN_NONE;

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  self->transfer = dp_transfer_new (&config, on_transfer_progress, weak, weak_ref_free);
  dp_transfer_config_clear (&config);

  /* The handler may run in any thread: it holds its own reference to
   * this transfer. */
  if (self->cancellable != NULL)
    {
      g_cancellable_disconnect (self->cancellable, self->cancelled_id);
      self->cancelled_id = g_cancellable_connect (self->cancellable, G_CALLBACK (on_cancelled),
                                                  dp_transfer_ref (self->transfer),
                                                  (GDestroyNotify) dp_transfer_unref);
    }

  self->received = 0;
  self->n_samples = 0;
  self->speed = 0;
  set_state (self, DP_DOWNLOAD_STATE_CONNECTING);

  inner = g_task_new (NULL, NULL, on_transfer_done, task);
  dp_transfer_run (self->transfer, inner);
  g_object_unref (inner);
}

/**
 * dp_download_start_async:
 * @self: a #DpDownload that is not running
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the caller's main context when the download ends
 * @user_data: data for @callback
 *
 * Starts the download in threads of its own. Progress is reported with
 * #DpDownload::progress on the thread-default main context of the
 * caller. A partial file left by an earlier attempt at the same address
 * is continued when the server still has the same file.
 */
void
dp_download_start_async (DpDownload          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_if_fail (DP_IS_DOWNLOAD (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_download_start_async);

  if (self->transfer != NULL)
    {
      g_task_return_new_error (task, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                               _("The download is already running."));
      return;
    }

  uri = first_uri (self, &error);
  if (uri == NULL)
    {
      set_state (self, DP_DOWNLOAD_STATE_FAILED);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->output == NULL && self->directory == NULL)
    {
      g_task_return_new_error (task, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                               _("Neither a file nor a folder to save to was given."));
      return;
    }

  if (self->checksum != NULL && *self->checksum != '\0')
    {
      g_autoptr(DpChecksum) checksum = dp_checksum_parse (self->checksum, &error);

      if (checksum == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  self->restarts = 0;
  g_clear_object (&self->cancellable);
  if (cancellable != NULL)
    self->cancellable = g_object_ref (cancellable);
  start_transfer (self, g_steal_pointer (&task), uri, self->output);
}

gboolean
dp_download_start_finish (DpDownload    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * dp_download_cancel:
 *
 * Stops every connection of a running download within moments. The
 * partial file stays on disk.
 */
void
dp_download_cancel (DpDownload *self)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));

  if (self->transfer != NULL)
    dp_transfer_cancel (self->transfer);
}

/* ---------------------------------------------------------------------- */
/* What the server said about its file, and how the check came out. */

static void
update_server_answer (DpDownload               *self,
                      const DpTransferSnapshot *snap)
{
  g_autoptr(GDateTime) last_modified = NULL;
  DpDownloadRanges ranges;

  if (set_str (&self->etag, snap->etag))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETAG]);

  /* A date that does not parse tells nothing. */
  if (snap->last_modified != NULL)
    last_modified = soup_date_time_new_from_http_string (snap->last_modified);
  if ((last_modified == NULL) != (self->last_modified == NULL) ||
      (last_modified != NULL && !g_date_time_equal (last_modified, self->last_modified)))
    {
      g_clear_pointer (&self->last_modified, g_date_time_unref);
      self->last_modified = g_steal_pointer (&last_modified);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MODIFIED]);
    }

  ranges = snap->accepts_ranges ? DP_DOWNLOAD_RANGES_ACCEPTED : DP_DOWNLOAD_RANGES_NONE;
  if (self->accepts_ranges != ranges)
    {
      self->accepts_ranges = ranges;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCEPTS_RANGES]);
    }
}

static void
set_checksum_result (DpDownload               *self,
                     DpDownloadChecksumResult  result)
{
  if (self->checksum_result == result)
    return;
  self->checksum_result = result;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKSUM_RESULT]);
}

/**
 * dp_download_get_etag:
 *
 * The ETag of the server's first answer to the last attempt, as sent:
 * quoted, with "W/" before a weak one. It stays while a new attempt
 * waits for its own answer.
 *
 * Returns: (nullable): the ETag, or %NULL when the server sent none or
 *   has not answered yet
 */
const char *
dp_download_get_etag (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->etag;
}

/* Whether the ETag is strong: only a strong one tells two versions of
 * the file apart byte for byte. FALSE without an ETag. */
gboolean
dp_download_get_etag_is_strong (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);
  return dp_etag_is_strong (self->etag);
}

/**
 * dp_download_get_last_modified:
 *
 * Returns: (nullable) (transfer none): the server's Last-Modified date
 *   (in UTC), or %NULL when it sent none, sent one that does not parse,
 *   or has not answered yet
 */
GDateTime *
dp_download_get_last_modified (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->last_modified;
}

/* Whether the server serves byte ranges (and kept to them): what
 * several connections and continuing an interrupted download need. */
DpDownloadRanges
dp_download_get_accepts_ranges (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), DP_DOWNLOAD_RANGES_UNKNOWN);
  return self->accepts_ranges;
}

/**
 * dp_download_get_checksum_result:
 *
 * How the file compared to #DpDownload:checksum. A checksum set after
 * the check is pending until the next attempt checks it.
 *
 * Returns: %DP_DOWNLOAD_CHECKSUM_NONE when no checksum is set
 */
DpDownloadChecksumResult
dp_download_get_checksum_result (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), DP_DOWNLOAD_CHECKSUM_NONE);

  /* A digest from the server or a Metalink checks the file without
   * the user's checksum. */
  if (self->checksum == NULL || *self->checksum == '\0')
    return self->verified_by == DP_DIGEST_ORIGIN_METALINK || self->verified_by == DP_DIGEST_ORIGIN_SERVER ||
           (self->metalink != NULL && self->metalink->checksum != NULL)
           ? self->checksum_result : DP_DOWNLOAD_CHECKSUM_NONE;
  if (g_strcmp0 (self->checked_checksum, self->checksum) != 0)
    return DP_DOWNLOAD_CHECKSUM_PENDING;
  return self->checksum_result;
}

/* ---------------------------------------------------------------------- */
/* Mirrors, Metalink and verification. */

void
dp_mirror_info_free (DpMirrorInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->url);
  g_free (info->reason);
  g_free (info);
}

/**
 * dp_download_add_mirror:
 * @self: a #DpDownload that has not started
 * @url: another address of the same file
 * @error: return location for a %DP_ERROR_INVALID_URL,
 *   %DP_ERROR_UNSUPPORTED_SCHEME or %DP_ERROR_INVALID_ARGUMENT error
 *
 * Adds a mirror: the download fetches ranges from every address at
 * once. Each must have the same file (the same size); one that does not
 * is no longer used.
 *
 * Returns: %TRUE when the address was added
 */
gboolean
dp_download_add_mirror (DpDownload  *self,
                        const char  *url,
                        GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) own = NULL;

  g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  uri = dp_http_parse_url (url, error);
  if (uri == NULL)
    return FALSE;
  if (self->mirrors == NULL)
    self->mirrors = g_ptr_array_new_with_free_func (g_free);
  own = self->url != NULL ? dp_http_parse_url (self->url, NULL) : NULL;
  if (own != NULL && soup_uri_equal (own, uri))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("A mirror is the download’s own address."));
      return FALSE;
    }
  for (guint i = 0; i < self->mirrors->len; i++)
    {
      g_autoptr(GUri) other = dp_http_parse_url (g_ptr_array_index (self->mirrors, i), NULL);

      if (other != NULL && soup_uri_equal (other, uri))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("The mirror %s was given twice."), url);
          return FALSE;
        }
    }
  if (self->mirrors->len + 1 >= DP_DOWNLOAD_MAX_MIRRORS)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("A download can have at most %d addresses."), DP_DOWNLOAD_MAX_MIRRORS);
      return FALSE;
    }
  g_ptr_array_add (self->mirrors, g_strdup (url));
  return TRUE;
}

/**
 * dp_download_get_mirrors:
 * @self: a #DpDownload
 *
 * Returns: (transfer none) (nullable): the mirrors given with
 *   dp_download_add_mirror(), as strings, or %NULL
 */
GPtrArray *
dp_download_get_mirrors (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->mirrors;
}

/**
 * dp_download_set_read_metalink:
 * @self: a #DpDownload
 * @value: whether a Metalink document is read
 *
 * By default an address that leads to a Metalink document (by its type
 * `application/metalink4+xml` or `application/metalink+xml`, or a name
 * ending in `.meta4` or `.metalink`) downloads the file it describes,
 * from its mirrors, checked against its hashes. With %FALSE the
 * document itself is saved.
 */
void
dp_download_set_read_metalink (DpDownload *self,
                               gboolean    value)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));
  self->read_metalink = !!value;
}

gboolean
dp_download_get_read_metalink (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);
  return self->read_metalink;
}

/**
 * dp_download_new_from_metalink:
 * @file: a file of a Metalink document (dp_metalink_parse())
 *
 * A download of the file @file describes: from its first address and
 * the others as mirrors, checked against its hash (unless a checksum is
 * set) and, as they arrive, its pieces, saved under its name unless
 * another is set.
 *
 * Returns: (transfer full): a new download, not started
 */
DpDownload *
dp_download_new_from_metalink (const DpMetalinkFile *file)
{
  DpDownload *self;

  g_return_val_if_fail (file != NULL && file->urls != NULL && file->urls->len > 0, NULL);

  self = dp_download_new (((const DpMetalinkUrl *) g_ptr_array_index (file->urls, 0))->url);
  self->metalink = dp_metalink_file_copy (file);
  return self;
}

/**
 * dp_download_dup_mirror_infos:
 * @self: a #DpDownload
 *
 * The addresses the download uses and how each is doing, as last
 * reported (#DpDownload::progress): the first is the one that answered
 * first. Empty until the download started.
 *
 * Returns: (transfer full) (element-type DpMirrorInfo): a new array
 */
GPtrArray *
dp_download_dup_mirror_infos (DpDownload *self)
{
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_mirror_info_free);

  g_return_val_if_fail (DP_IS_DOWNLOAD (self), infos);
  for (guint i = 0; i < self->mirror_infos->len; i++)
    {
      const DpMirrorInfo *info = g_ptr_array_index (self->mirror_infos, i);
      DpMirrorInfo *copy = g_memdup2 (info, sizeof *info);

      copy->url = g_strdup (info->url);
      copy->reason = g_strdup (info->reason);
      g_ptr_array_add (infos, copy);
    }
  return infos;
}

/**
 * dp_download_get_verified_by:
 * @self: a #DpDownload
 *
 * Returns: where the digest the file is (or was) checked against came
 *   from; see #DpDownload:verified-by and
 *   dp_download_get_checksum_result() for the outcome
 */
DpDigestOrigin
dp_download_get_verified_by (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), DP_DIGEST_ORIGIN_NONE);
  return self->verified_by;
}

/**
 * dp_download_get_verified_algorithm:
 * @self: a #DpDownload
 *
 * Returns: (nullable): the digest's algorithm ("sha256", "sha512", …),
 *   or %NULL when the file is not checked
 */
const char *
dp_download_get_verified_algorithm (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), NULL);
  return self->verified_by != DP_DIGEST_ORIGIN_NONE ? self->verified_algorithm : NULL;
}

/**
 * dp_download_set_use_server_mirrors:
 * @self: a #DpDownload
 * @value: whether mirrors the server names are used
 *
 * A server may name mirrors of its file (`Link: <…>; rel=duplicate`,
 * RFC 6249, as MirrorBrain does); by default they are used too. With
 * %FALSE only the download's own address and the mirrors given with
 * dp_download_add_mirror() are.
 */
void
dp_download_set_use_server_mirrors (DpDownload *self,
                                    gboolean    value)
{
  g_return_if_fail (DP_IS_DOWNLOAD (self));
  self->server_mirrors = !!value;
}

gboolean
dp_download_get_use_server_mirrors (DpDownload *self)
{
  g_return_val_if_fail (DP_IS_DOWNLOAD (self), FALSE);
  return self->server_mirrors;
}
