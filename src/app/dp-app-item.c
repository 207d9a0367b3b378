/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-file-ops.h"
#include "dp-app-item.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-names.h"

/* What a running download turns into once the engine has stopped it. */
#define NO_PENDING ((DpAppItemStatus) -1)

struct _DpAppItem
{
  GObject parent_instance;

  /* Everything here belongs to the main thread. */
  DpDownload *download;
  char *directory;
  char *checksum;
  guint segments;
  gint64 added;

  DpAppItemStatus status;
  DpAppItemStatus pending;
  gboolean running;
  gboolean keep_partial;  /* a cancellation that may still be undone */
  char *error;
  int error_code;       /* in DP_ERROR, or -1 */

  /* Copied from the engine on each progress report, or restored from
   * the saved list, so that the row reads one place either way. */
  char *path;
  char *display_name;
  GIcon *icon;
  gint64 size;
  gint64 received;
  double speed;
  gint64 eta;
  GArray *segment_map;
};

G_DEFINE_FINAL_TYPE (DpAppItem, dp_app_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_RUNNING,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const struct {
  DpAppItemStatus status;
  const char *nick;
} status_nicks[] = {
  { DP_APP_ITEM_QUEUED, "queued" },
  { DP_APP_ITEM_PAUSED, "paused" },
  { DP_APP_ITEM_FINISHED, "finished" },
  { DP_APP_ITEM_FAILED, "failed" },
  { DP_APP_ITEM_CANCELLED, "cancelled" },
};

static void
update_display_name (DpAppItem *self)
{
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;

  if (self->path != NULL)
    name = g_path_get_basename (self->path);
  else
    name = dp_filename_from_url (dp_download_get_url (self->download));
  if (name == NULL || *name == '\0')
    {
      g_free (name);
      name = dp_http_redact_address (dp_download_get_url (self->download));
    }

  if (g_strcmp0 (name, self->display_name) == 0)
    return;

  g_free (self->display_name);
  self->display_name = g_steal_pointer (&name);

  g_clear_object (&self->icon);
  type = g_content_type_guess (self->display_name, NULL, 0, NULL);
  self->icon = g_content_type_get_symbolic_icon (type);
}

static void
set_path (DpAppItem  *self,
          const char *path)
{
  if (g_strcmp0 (self->path, path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  update_display_name (self);
}

static void
set_status (DpAppItem       *self,
            DpAppItemStatus  status)
{
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
set_running (DpAppItem *self,
             gboolean   running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
copy_from_download (DpAppItem *self)
{
  DpDownload *download = self->download;

  if (dp_download_get_path (download) != NULL)
    set_path (self, dp_download_get_path (download));
  self->size = dp_download_get_size (download);
  self->received = dp_download_get_received (download);
  self->speed = dp_download_get_speed (download);
  self->eta = dp_download_get_eta (download);
  g_clear_pointer (&self->segment_map, g_array_unref);
  self->segment_map = dp_download_dup_segments (download);
}

static void
on_progress (DpDownload *download,
             DpAppItem  *self)
{
  if (!self->running)
    return;

  copy_from_download (self);

  if (self->pending == NO_PENDING)
    {
      switch (dp_download_get_state (download))
        {
        case DP_DOWNLOAD_STATE_CONNECTING:
          set_status (self, DP_APP_ITEM_CONNECTING);
          break;
        case DP_DOWNLOAD_STATE_DOWNLOADING:
          set_status (self, DP_APP_ITEM_DOWNLOADING);
          break;
        case DP_DOWNLOAD_STATE_FINISHING:
          set_status (self, DP_APP_ITEM_FINISHING);
          break;
        case DP_DOWNLOAD_STATE_IDLE:
        case DP_DOWNLOAD_STATE_FINISHED:
        case DP_DOWNLOAD_STATE_FAILED:
        case DP_DOWNLOAD_STATE_CANCELLED:
        default:
          /* The end is reported by the start callback. */
          break;
        }
    }

  g_signal_emit (self, signals[CHANGED], 0);
}

static void
forget_partial_file (DpAppItem *self)
{
  if (self->path != NULL)
    dp_app_delete_file_async (self->path, FALSE);
  set_path (self, NULL);
  self->received = 0;
  g_clear_pointer (&self->segment_map, g_array_unref);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DpAppItem) self = user_data;
  g_autoptr(GError) error = NULL;
  DpAppItemStatus pending = self->pending;

  self->pending = NO_PENDING;
  copy_from_download (self);
  self->speed = 0;
  self->eta = -1;

  if (dp_download_start_finish (DP_DOWNLOAD (source), result, &error))
    {
      if (self->size < 0)
        self->size = self->received;
      self->received = self->size;
      g_clear_pointer (&self->error, g_free);
      set_status (self, DP_APP_ITEM_FINISHED);
    }
  else if (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED) && pending != NO_PENDING)
    {
      if (pending == DP_APP_ITEM_CANCELLED && !self->keep_partial)
        forget_partial_file (self);
      set_status (self, pending);
    }
  else
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      self->error_code = error->domain == DP_ERROR ? error->code : -1;
      set_status (self, DP_APP_ITEM_FAILED);
    }

  /* Last, so that whoever counts running items sees the final status. */
  set_running (self, FALSE);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
dp_app_item_dispose (GObject *object)
{
  DpAppItem *self = DP_APP_ITEM (object);

  if (self->download != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->download, self);
      dp_download_cancel (self->download);
    }
  g_clear_object (&self->download);
  g_clear_object (&self->icon);

  G_OBJECT_CLASS (dp_app_item_parent_class)->dispose (object);
}

static void
dp_app_item_finalize (GObject *object)
{
  DpAppItem *self = DP_APP_ITEM (object);

  g_free (self->directory);
  g_free (self->checksum);
  g_free (self->error);
  g_free (self->path);
  g_free (self->display_name);
  g_clear_pointer (&self->segment_map, g_array_unref);

  G_OBJECT_CLASS (dp_app_item_parent_class)->finalize (object);
}

static void
dp_app_item_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DpAppItem *self = DP_APP_ITEM (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_app_item_class_init (DpAppItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_app_item_dispose;
  object_class->finalize = dp_app_item_finalize;
  object_class->get_property = dp_app_item_get_property;

  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      DP_APP_ITEM_QUEUED, DP_APP_ITEM_CANCELLED, DP_APP_ITEM_QUEUED,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpAppItem::changed:
   *
   * Something the list shows changed: progress, status or the speed
   * limit. Emitted at most as often as the engine reports progress.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dp_app_item_init (DpAppItem *self)
{
  self->pending = NO_PENDING;
  self->error_code = -1;
  self->size = -1;
  self->eta = -1;
  self->segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
}

/* 0 (DP_DOWNLOAD_SEGMENTS_AUTO) is a choice of its own, not too few. */
static guint
valid_segments (guint segments)
{
  if (segments == DP_DOWNLOAD_SEGMENTS_AUTO)
    return segments;
  return CLAMP (segments, DP_DOWNLOAD_MIN_SEGMENTS, DP_DOWNLOAD_MAX_SEGMENTS);
}

static DpAppItem *
item_new (const char *url)
{
  DpAppItem *self = g_object_new (DP_APP_TYPE_ITEM, NULL);

  self->download = dp_download_new (url);
  g_signal_connect (self->download, "progress", G_CALLBACK (on_progress), self);
  update_display_name (self);
  return self;
}

/**
 * dp_app_item_new:
 * @url: the address
 * @directory: the folder to save into
 * @segments: connections to use, or %DP_DOWNLOAD_SEGMENTS_AUTO
 * @checksum: (nullable): what the user expects the file to hash to
 *
 * Returns: (transfer full): a queued item
 */
DpAppItem *
dp_app_item_new (const char *url,
                 const char *directory,
                 guint       segments,
                 const char *checksum)
{
  DpAppItem *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (directory != NULL, NULL);

  self = item_new (url);
  self->directory = g_strdup (directory);
  self->segments = valid_segments (segments);
  self->checksum = checksum != NULL && *checksum != '\0' ? g_strdup (checksum) : NULL;
  self->added = g_get_real_time () / G_USEC_PER_SEC;
  return self;
}

/**
 * dp_app_item_new_from_variant:
 * @dict: an `a{sv}` from dp_app_item_serialize()
 *
 * A download that was running when the list was saved comes back
 * queued, so that it resumes; a paused one stays paused.
 *
 * Returns: (transfer full) (nullable): the item, or %NULL when @dict
 *   lacks an address or folder
 */
DpAppItem *
dp_app_item_new_from_variant (GVariant *dict)
{
  g_autoptr(GVariant) map = NULL;
  const char *url = NULL;
  const char *directory = NULL;
  const char *checksum = NULL;
  const char *path = NULL;
  const char *error = NULL;
  const char *status = NULL;
  gboolean has_segments = FALSE;
  guint segments = 0;
  gboolean has_size = FALSE, has_received = FALSE, has_added = FALSE;
  gint64 size = 0, received = 0, added = 0;
  guint64 rate_limit = 0;
  gboolean has_error_code = FALSE;
  gint32 error_code = -1;
  gboolean insecure_tls = FALSE, insecure_redirects = FALSE;
  GVariantIter iter;
  const char *key;
  GVariant *value;
  DpAppItem *self;

  g_return_val_if_fail (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT), NULL);

  /* One pass over the entries: g_variant_lookup() would walk them again
   * for every key, and a saved list has thousands of items. The first
   * entry of a key with the expected type counts. The strings point
   * into @dict. */
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      const GVariantType *type = g_variant_get_type (value);
      gboolean is_string = g_variant_type_equal (type, G_VARIANT_TYPE_STRING);
      gboolean is_int64 = g_variant_type_equal (type, G_VARIANT_TYPE_INT64);

      if (is_string && url == NULL && g_str_equal (key, "url"))
        url = g_variant_get_string (value, NULL);
      else if (is_string && directory == NULL && g_str_equal (key, "directory"))
        directory = g_variant_get_string (value, NULL);
      else if (is_string && checksum == NULL && g_str_equal (key, "checksum"))
        checksum = g_variant_get_string (value, NULL);
      else if (is_string && path == NULL && g_str_equal (key, "path"))
        path = g_variant_get_string (value, NULL);
      else if (is_string && error == NULL && g_str_equal (key, "error"))
        error = g_variant_get_string (value, NULL);
      else if (is_string && status == NULL && g_str_equal (key, "status"))
        status = g_variant_get_string (value, NULL);
      else if (is_int64 && !has_size && g_str_equal (key, "size"))
        {
          size = g_variant_get_int64 (value);
          has_size = TRUE;
        }
      else if (is_int64 && !has_received && g_str_equal (key, "received"))
        {
          received = g_variant_get_int64 (value);
          has_received = TRUE;
        }
      else if (is_int64 && !has_added && g_str_equal (key, "added"))
        {
          added = g_variant_get_int64 (value);
          has_added = TRUE;
        }
      else if (!has_error_code && g_variant_type_equal (type, G_VARIANT_TYPE_INT32) &&
               g_str_equal (key, "error-code"))
        {
          error_code = g_variant_get_int32 (value);
          has_error_code = TRUE;
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN) &&
               g_str_equal (key, "insecure-tls"))
        insecure_tls = g_variant_get_boolean (value);
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN) &&
               g_str_equal (key, "insecure-redirects"))
        insecure_redirects = g_variant_get_boolean (value);
      else if (!has_segments && g_variant_type_equal (type, G_VARIANT_TYPE_UINT32) &&
               g_str_equal (key, "segments"))
        {
          segments = g_variant_get_uint32 (value);
          has_segments = TRUE;
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT64) &&
               g_str_equal (key, "rate-limit"))
        rate_limit = g_variant_get_uint64 (value);
      else if (map == NULL && g_variant_type_equal (type, G_VARIANT_TYPE ("a(xxx)")) &&
               g_str_equal (key, "map"))
        map = g_variant_ref (value);
      g_variant_unref (value);
    }

  if (url == NULL || directory == NULL)
    return NULL;

  self = item_new (url);
  self->directory = g_strdup (directory);
  if (has_segments)
    self->segments = valid_segments (segments);
  if (checksum != NULL && *checksum != '\0')
    self->checksum = g_strdup (checksum);
  if (path != NULL && *path != '\0')
    set_path (self, path);
  if (error != NULL && *error != '\0')
    {
      self->error = g_strdup (error);
      self->error_code = error_code;
    }
  dp_download_set_accept_invalid_certificates (self->download, insecure_tls);
  dp_download_set_allow_insecure_redirects (self->download, insecure_redirects);
  dp_download_set_rate_limit (self->download, rate_limit);
  if (has_size)
    self->size = size;
  if (has_received)
    self->received = received;
  if (has_added)
    self->added = added;

  if (status != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (status_nicks); i++)
      if (g_str_equal (status, status_nicks[i].nick))
        self->status = status_nicks[i].status;

  if (map != NULL)
    {
      DpSegmentInfo info = { 0 };

      self->segment_map = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
      g_variant_iter_init (&iter, map);
      while (g_variant_iter_next (&iter, "(xxx)", &info.start, &info.pos, &info.end))
        g_array_append_val (self->segment_map, info);
    }

  return self;
}

/**
 * dp_app_item_serialize:
 *
 * Returns: (transfer floating): an `a{sv}` for dp_app_item_new_from_variant()
 */
GVariant *
dp_app_item_serialize (DpAppItem *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  DpAppItemStatus status = self->status;
  const char *nick = "queued";

  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);

  /* A running download resumes next time unless it was being paused or
   * cancelled. */
  if (self->running)
    status = self->pending != NO_PENDING ? self->pending : DP_APP_ITEM_QUEUED;
  for (guint i = 0; i < G_N_ELEMENTS (status_nicks); i++)
    if (status_nicks[i].status == status)
      nick = status_nicks[i].nick;

  g_variant_builder_add (&builder, "{sv}", "url",
                         g_variant_new_string (dp_app_item_get_url (self)));
  g_variant_builder_add (&builder, "{sv}", "directory", g_variant_new_string (self->directory));
  g_variant_builder_add (&builder, "{sv}", "segments", g_variant_new_uint32 (self->segments));
  g_variant_builder_add (&builder, "{sv}", "status", g_variant_new_string (nick));
  g_variant_builder_add (&builder, "{sv}", "size", g_variant_new_int64 (self->size));
  g_variant_builder_add (&builder, "{sv}", "received", g_variant_new_int64 (self->received));
  g_variant_builder_add (&builder, "{sv}", "added", g_variant_new_int64 (self->added));
  if (self->checksum != NULL)
    g_variant_builder_add (&builder, "{sv}", "checksum", g_variant_new_string (self->checksum));
  if (self->path != NULL)
    g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (self->path));
  if (self->error != NULL)
    {
      g_variant_builder_add (&builder, "{sv}", "error", g_variant_new_string (self->error));
      g_variant_builder_add (&builder, "{sv}", "error-code", g_variant_new_int32 (self->error_code));
    }
  /* The user's choice to go on without a check holds for this download
   * only, and for good: it was made for this server. */
  if (dp_download_get_accept_invalid_certificates (self->download))
    g_variant_builder_add (&builder, "{sv}", "insecure-tls", g_variant_new_boolean (TRUE));
  if (dp_download_get_allow_insecure_redirects (self->download))
    g_variant_builder_add (&builder, "{sv}", "insecure-redirects", g_variant_new_boolean (TRUE));
  if (dp_download_get_rate_limit (self->download) > 0)
    g_variant_builder_add (&builder, "{sv}", "rate-limit",
                           g_variant_new_uint64 (dp_download_get_rate_limit (self->download)));

  /* The map only matters while there is something left to fetch. */
  if (status != DP_APP_ITEM_FINISHED && self->segment_map != NULL && self->segment_map->len > 0)
    {
      GVariantBuilder map;

      g_variant_builder_init (&map, G_VARIANT_TYPE ("a(xxx)"));
      for (guint i = 0; i < self->segment_map->len; i++)
        {
          const DpSegmentInfo *info = &g_array_index (self->segment_map, DpSegmentInfo, i);
          g_variant_builder_add (&map, "(xxx)", info->start, info->pos, info->end);
        }
      g_variant_builder_add (&builder, "{sv}", "map", g_variant_builder_end (&map));
    }

  return g_variant_builder_end (&builder);
}

DpDownload *
dp_app_item_get_download (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->download;
}

const char *
dp_app_item_get_url (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return dp_download_get_url (self->download);
}

const char *
dp_app_item_get_directory (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->directory;
}

guint
dp_app_item_get_segments (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->segments;
}

/* Bytes per second for this download alone, 0 for no limit. */
guint64
dp_app_item_get_rate_limit (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return dp_download_get_rate_limit (self->download);
}

/**
 * dp_app_item_set_rate_limit:
 * @rate: bytes per second, or 0 for no limit
 *
 * Takes effect at once, also while the download runs, and is saved
 * with the item.
 */
void
dp_app_item_set_rate_limit (DpAppItem *self,
                            guint64    rate)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (dp_download_get_rate_limit (self->download) == rate)
    return;
  dp_download_set_rate_limit (self->download, rate);
  /* The row shows the limit, and the list is saved. */
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Returns: (nullable): the checksum the finished file must match, as
 * "ALGO:HEX" */
const char *
dp_app_item_get_checksum (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->checksum;
}

/* Returns: (nullable): the file, once the engine has chosen its name */
const char *
dp_app_item_get_path (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->path;
}

const char *
dp_app_item_get_display_name (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->display_name;
}

/* Returns: (transfer none): a symbolic icon for the file type */
GIcon *
dp_app_item_get_icon (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->icon;
}

DpAppItemStatus
dp_app_item_get_status (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), DP_APP_ITEM_QUEUED);
  return self->status;
}

/* Returns: (nullable): why the download failed */
const char *
dp_app_item_get_error (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->status == DP_APP_ITEM_FAILED ? self->error : NULL;
}

/**
 * dp_app_item_get_insecure_failure:
 *
 * Returns: %DP_ERROR_TLS or %DP_ERROR_INSECURE_REDIRECT when the last
 *   attempt failed on a security check that the user may choose to
 *   skip for this download, or -1
 */
int
dp_app_item_get_insecure_failure (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), -1);

  if (self->status != DP_APP_ITEM_FAILED || self->running)
    return -1;
  if (self->error_code == DP_ERROR_TLS || self->error_code == DP_ERROR_INSECURE_REDIRECT)
    return self->error_code;
  return -1;
}

/**
 * dp_app_item_get_failure_code:
 *
 * Returns: the #DpError code of the failure, while the item stands
 *   failed, or -1 (also for an error outside %DP_ERROR)
 */
int
dp_app_item_get_failure_code (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), -1);

  if (self->status != DP_APP_ITEM_FAILED || self->running)
    return -1;
  return self->error_code;
}

/**
 * dp_app_item_allow_insecure:
 *
 * The user's explicit choice after a failure reported by
 * dp_app_item_get_insecure_failure(): skips that one check for this
 * download from now on, and tries again.
 */
void
dp_app_item_allow_insecure (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  switch (dp_app_item_get_insecure_failure (self))
    {
    case DP_ERROR_TLS:
      dp_download_set_accept_invalid_certificates (self->download, TRUE);
      break;
    case DP_ERROR_INSECURE_REDIRECT:
      dp_download_set_allow_insecure_redirects (self->download, TRUE);
      break;
    default:
      return;
    }
  dp_app_item_resume (self);
}

/* Whether a security check is off for this download. */
gboolean
dp_app_item_is_insecure (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);

  return dp_download_get_accept_invalid_certificates (self->download) ||
         dp_download_get_allow_insecure_redirects (self->download);
}

gint64
dp_app_item_get_size (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), -1);
  return self->size;
}

gint64
dp_app_item_get_received (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->received;
}

double
dp_app_item_get_speed (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->running ? self->speed : 0;
}

gint64
dp_app_item_get_eta (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), -1);
  return self->running ? self->eta : -1;
}

/**
 * dp_app_item_dup_segments:
 *
 * A finished download is one full extent, whatever the engine reported.
 *
 * Returns: (transfer full): a #GArray of #DpSegmentInfo
 */
GArray *
dp_app_item_dup_segments (DpAppItem *self)
{
  GArray *segments;

  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);

  if (self->status == DP_APP_ITEM_FINISHED && self->size > 0)
    {
      DpSegmentInfo full = { 0, self->size, self->size, FALSE };

      segments = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
      g_array_append_val (segments, full);
      return segments;
    }
  if (self->segment_map == NULL)
    return g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  return g_array_copy (self->segment_map);
}

gboolean
dp_app_item_is_running (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return self->running;
}

/* Whether there is a partial file, or none yet, rather than a result. */
gboolean
dp_app_item_is_unfinished (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return self->status != DP_APP_ITEM_FINISHED;
}

/**
 * dp_app_item_start:
 *
 * Starts a queued item. Only the queue calls this; everyone else asks
 * for dp_app_item_resume() and lets the queue decide when.
 */
void
dp_app_item_start (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  g_return_if_fail (!self->running);

  /* Once the engine has picked a name, a new start must write the same
   * file so that its partial data can be reused. */
  dp_download_set_output (self->download, self->path);
  dp_download_set_directory (self->download, self->directory);
  dp_download_set_segments (self->download, self->segments);
  dp_download_set_checksum (self->download, self->checksum);

  g_clear_pointer (&self->error, g_free);
  self->pending = NO_PENDING;
  self->keep_partial = FALSE;
  set_running (self, TRUE);
  set_status (self, DP_APP_ITEM_CONNECTING);
  g_signal_emit (self, signals[CHANGED], 0);

  dp_download_start_async (self->download, NULL, on_started, g_object_ref (self));
}

void
dp_app_item_pause (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      self->pending = DP_APP_ITEM_PAUSED;
      dp_download_cancel (self->download);
    }
  else if (self->status == DP_APP_ITEM_QUEUED)
    {
      set_status (self, DP_APP_ITEM_PAUSED);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/* Queues a paused, failed or cancelled item again. */
void
dp_app_item_resume (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      /* Still stopping: come back once the engine let go. */
      if (self->pending != NO_PENDING)
        self->pending = DP_APP_ITEM_QUEUED;
      return;
    }

  switch (self->status)
    {
    case DP_APP_ITEM_PAUSED:
    case DP_APP_ITEM_FAILED:
    case DP_APP_ITEM_CANCELLED:
      g_clear_pointer (&self->error, g_free);
      set_status (self, DP_APP_ITEM_QUEUED);
      g_signal_emit (self, signals[CHANGED], 0);
      break;
    case DP_APP_ITEM_QUEUED:
    case DP_APP_ITEM_CONNECTING:
    case DP_APP_ITEM_DOWNLOADING:
    case DP_APP_ITEM_FINISHING:
    case DP_APP_ITEM_FINISHED:
    default:
      break;
    }
}

/* Stops the item for good and deletes its partial file. */
void
dp_app_item_cancel (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      self->pending = DP_APP_ITEM_CANCELLED;
      self->keep_partial = FALSE;
      dp_download_cancel (self->download);
    }
  else if (self->status != DP_APP_ITEM_FINISHED && self->status != DP_APP_ITEM_CANCELLED)
    {
      forget_partial_file (self);
      set_status (self, DP_APP_ITEM_CANCELLED);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/**
 * dp_app_item_cancel_keeping_data:
 *
 * Stops the item as cancelled but keeps its partial file, so that
 * dp_app_item_resume() continues where it stopped. Until
 * dp_app_item_discard() the cancellation can be taken back.
 */
void
dp_app_item_cancel_keeping_data (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      self->pending = DP_APP_ITEM_CANCELLED;
      self->keep_partial = TRUE;
      dp_download_cancel (self->download);
    }
  else if (self->status != DP_APP_ITEM_FINISHED && self->status != DP_APP_ITEM_CANCELLED)
    {
      set_status (self, DP_APP_ITEM_CANCELLED);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/**
 * dp_app_item_discard:
 *
 * Cancels an unfinished item for good and deletes its partial file,
 * also when it was cancelled with dp_app_item_cancel_keeping_data().
 * A finished item is left alone.
 */
void
dp_app_item_discard (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      /* The file goes once the engine has let go of it. */
      self->pending = DP_APP_ITEM_CANCELLED;
      self->keep_partial = FALSE;
      dp_download_cancel (self->download);
    }
  else if (self->status != DP_APP_ITEM_FINISHED)
    {
      forget_partial_file (self);
      set_status (self, DP_APP_ITEM_CANCELLED);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/* Stops a running item so that it resumes when Downpour starts again. */
void
dp_app_item_stop_for_quit (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  if (self->running)
    {
      if (self->pending == NO_PENDING)
        self->pending = DP_APP_ITEM_QUEUED;
      dp_download_cancel (self->download);
    }
}

/* ---------------------------------------------------------------------- */
/* For the details view. */

/* Connections fetching right now; 0 unless it runs. */
guint
dp_app_item_get_connections (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->running ? dp_download_get_connections (self->download) : 0;
}

/**
 * dp_app_item_get_checksum_result:
 *
 * How the file compared to the item's checksum. The status tells, also
 * for an item from an earlier session: the engine only names a file
 * once it matched (so a finished item with a checksum passed it), and
 * fails with %DP_ERROR_CHECKSUM when it did not.
 */
DpDownloadChecksumResult
dp_app_item_get_checksum_result (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), DP_DOWNLOAD_CHECKSUM_NONE);

  if (self->checksum == NULL)
    return DP_DOWNLOAD_CHECKSUM_NONE;
  if (self->status == DP_APP_ITEM_FINISHED)
    return DP_DOWNLOAD_CHECKSUM_VERIFIED;
  if (self->status == DP_APP_ITEM_FAILED && self->error_code == DP_ERROR_CHECKSUM)
    return DP_DOWNLOAD_CHECKSUM_MISMATCH;
  return DP_DOWNLOAD_CHECKSUM_PENDING;
}
