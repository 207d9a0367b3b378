/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "dp-app-file-ops.h"
#include "dp-app-item.h"
#include "dp-app-metalink.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-names.h"

/* What a running download turns into once the engine has stopped it. */
#define NO_PENDING ((DpAppItemStatus) -1)

/*
 * Progress (received, speed, time left, the segments, connections) is
 * notified at most once per interval per item: every notification makes
 * a row format text and GTK measure or draw again. The first change
 * after a quiet spell is notified at once, the others wait for a tick
 * that all items share, so that the window draws one frame for all
 * running downloads. Status and everything else is notified at once: it
 * answers what the user did.
 */
#define PROGRESS_INTERVAL_MS 100

struct _DpAppItem
{
  GObject parent_instance;

  /* Everything here belongs to the main thread. */
  DpDownload *download;
  char *directory;
  char *checksum;
  guint segments;
  gint64 added;
  char *suggested_name;   /* the browser's name for the file, or NULL */
  /* Headers, cookies and a login for every request, or NULL. */
  DpRequest *request;
  gboolean remember_login;  /* the login is saved with the list */
  /* Other addresses of the same file, or NULL: the user's mirrors, or
   * the addresses of @metalink besides the download's own. */
  GStrv mirrors;
  /* The file of a Metalink document this download fetches, as the
   * document described it, or NULL. Every DpDownload of the item is
   * made from it (see new_download()). */
  DpMetalinkFile *metalink;
  /* Whose digest the file is checked against, and its algorithm, as
   * the engine last said or as saved; NONE until then (see
   * dp_app_item_get_verified_by()). */
  DpDigestOrigin verified_by;
  char *verified_algorithm;
  /* Set while a new address is tried: where to go back to if it has
   * another file. */
  char *previous_url;
  gint64 previous_size;
  gint64 previous_received;
  GArray *previous_map;
  DpRequest *previous_request;
  gboolean previous_remember_login;

  DpAppItemStatus status;
  DpAppItemStatus pending;
  gboolean running;
  gboolean keep_partial;  /* a cancellation that may still be undone */
  gboolean keep_files;    /* another download continues the partial file */
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
  guint connections;
  guint active_connections;

  /* Progress properties changed but not notified yet, as 1 << PROP_… */
  guint dirty;
  /* In tick_items, waiting for the shared tick. */
  gboolean in_tick;
};

G_DEFINE_ENUM_TYPE (DpAppItemStatus, dp_app_item_status,
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_QUEUED, "queued"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_DOWNLOADING, "downloading"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_FINISHING, "finishing"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_FINISHED, "finished"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (DP_APP_ITEM_CANCELLED, "cancelled"))

G_DEFINE_FINAL_TYPE (DpAppItem, dp_app_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_RUNNING,
  PROP_DISPLAY_NAME,
  PROP_ICON,
  PROP_PATH,
  PROP_ERROR,
  PROP_RATE_LIMIT,
  PROP_INSECURE,
  PROP_SIZE,
  PROP_RECEIVED,
  PROP_SPEED,
  PROP_ETA,
  PROP_SEGMENTS,
  PROP_CONNECTIONS,
  PROP_ACTIVE_CONNECTIONS,
  PROP_URL,
  PROP_VERIFIED_BY,
  N_PROPS
};

G_STATIC_ASSERT (N_PROPS <= 32);

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
  g_autoptr(GIcon) icon = NULL;

  if (self->path != NULL)
    name = g_path_get_basename (self->path);
  else if (self->suggested_name != NULL)
    name = dp_sanitize_filename (self->suggested_name);
  if (name == NULL)
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

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);

  /* Most names change within one type, and a new icon costs a row a
   * lookup in the icon theme. */
  type = g_content_type_guess (self->display_name, NULL, 0, NULL);
  icon = g_content_type_get_symbolic_icon (type);
  if (self->icon == NULL || !g_icon_equal (self->icon, icon))
    {
      g_set_object (&self->icon, icon);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON]);
    }
}

static void
set_path (DpAppItem  *self,
          const char *path)
{
  if (g_strcmp0 (self->path, path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
  update_display_name (self);
}

static GPtrArray *tick_items;
static guint tick_id;

static void
notify_progress_now (DpAppItem *self)
{
  guint dirty = self->dirty;

  if (dirty == 0)
    return;
  self->dirty = 0;
  g_object_freeze_notify (G_OBJECT (self));
  for (guint prop = 1; prop < N_PROPS; prop++)
    if (dirty & (1u << prop))
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
on_progress_tick (gpointer data)
{
  g_autoptr(GPtrArray) items = NULL;

  if (tick_items->len == 0)
    {
      /* A quiet spell: the next change is notified at once. */
      tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  /* A handler may add an item again, or drop the last reference to one. */
  items = g_steal_pointer (&tick_items);
  tick_items = g_ptr_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      DpAppItem *item = g_ptr_array_index (items, i);

      item->in_tick = FALSE;
      g_object_ref (item);
    }
  for (guint i = 0; i < items->len; i++)
    {
      notify_progress_now (g_ptr_array_index (items, i));
      g_object_unref (g_ptr_array_index (items, i));
    }
  return G_SOURCE_CONTINUE;
}

static void
queue_progress_notify (DpAppItem *self)
{
  if (self->dirty == 0 || self->in_tick)
    return;
  if (tick_items == NULL)
    tick_items = g_ptr_array_new ();
  if (tick_id == 0)
    {
      /* Nothing was notified during the last interval. */
      notify_progress_now (self);
      tick_id = g_timeout_add (PROGRESS_INTERVAL_MS, on_progress_tick, NULL);
      g_source_set_name_by_id (tick_id, "[downpour] item progress");
      return;
    }
  self->in_tick = TRUE;
  g_ptr_array_add (tick_items, self);
}

static void
mark_progress (DpAppItem *self,
               guint      prop)
{
  self->dirty |= 1u << prop;
}

static void
set_status (DpAppItem       *self,
            DpAppItemStatus  status)
{
  if (self->status == status)
    return;
  self->status = status;
  /* The numbers go with the status they belong to. The error and the
   * speed and time left, which only a running item has, follow it. */
  g_object_freeze_notify (G_OBJECT (self));
  notify_progress_now (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));
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

static guint
count_active (GArray *segments)
{
  guint n = 0;

  for (guint i = 0; segments != NULL && i < segments->len; i++)
    if (g_array_index (segments, DpSegmentInfo, i).active)
      n++;
  return n;
}

static gboolean
segments_equal (GArray *a,
                GArray *b)
{
  guint len_a = a != NULL ? a->len : 0;
  guint len_b = b != NULL ? b->len : 0;

  /* An empty GArray may have no data at all, which memcmp() must not get. */
  return len_a == len_b &&
         (len_a == 0 || memcmp (a->data, b->data, sizeof (DpSegmentInfo) * len_a) == 0);
}

static void
store_progress (DpAppItem *self,
                gint64     size,
                gint64     received,
                double     speed,
                gint64     eta,
                guint      connections,
                GArray    *segments)
{
  guint active = count_active (segments);

  if (self->size != size)
    {
      self->size = size;
      mark_progress (self, PROP_SIZE);
    }
  if (self->received != received)
    {
      self->received = received;
      mark_progress (self, PROP_RECEIVED);
    }
  if (self->speed != speed)
    {
      self->speed = speed;
      mark_progress (self, PROP_SPEED);
    }
  if (self->eta != eta)
    {
      self->eta = eta;
      mark_progress (self, PROP_ETA);
    }
  if (self->connections != connections)
    {
      self->connections = connections;
      mark_progress (self, PROP_CONNECTIONS);
    }
  if (self->active_connections != active)
    {
      self->active_connections = active;
      mark_progress (self, PROP_ACTIVE_CONNECTIONS);
    }
  if (!segments_equal (self->segment_map, segments))
    mark_progress (self, PROP_SEGMENTS);
  g_clear_pointer (&self->segment_map, g_array_unref);
  self->segment_map = segments;
}

static void
set_verified (DpAppItem      *self,
              DpDigestOrigin  origin,
              const char     *algorithm)
{
  if (self->verified_by == origin && g_strcmp0 (self->verified_algorithm, algorithm) == 0)
    return;
  self->verified_by = origin;
  g_free (self->verified_algorithm);
  self->verified_algorithm = origin != DP_DIGEST_ORIGIN_NONE ? g_strdup (algorithm) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFIED_BY]);
}

static void
copy_from_download (DpAppItem *self)
{
  DpDownload *download = self->download;

  if (dp_download_get_path (download) != NULL)
    set_path (self, dp_download_get_path (download));
  /* The engine knows whose digest counts once the transfer began (the
   * server's only after it answered); before, the item's own guess of
   * dp_app_item_get_verified_by() stands. */
  if (dp_download_get_verified_by (download) != DP_DIGEST_ORIGIN_NONE)
    set_verified (self, dp_download_get_verified_by (download),
                  dp_download_get_verified_algorithm (download));
  store_progress (self,
                  dp_download_get_size (download),
                  dp_download_get_received (download),
                  dp_download_get_speed (download),
                  dp_download_get_eta (download),
                  dp_download_get_connections (download),
                  dp_download_dup_segments (download));
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

  queue_progress_notify (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * dp_app_item_report_progress:
 * @segments: (transfer none): a #GArray of #DpSegmentInfo
 *
 * Does to a running item what a progress report of the engine does:
 * the getters return the new values at once; their properties are
 * notified at most every 100 ms. For the tests, which send many reports
 * at once; the engine's own go the same way.
 */
void
dp_app_item_report_progress (DpAppItem *self,
                             gint64     size,
                             gint64     received,
                             double     speed,
                             gint64     eta,
                             guint      connections,
                             GArray    *segments)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  g_return_if_fail (segments != NULL);

  if (!self->running)
    return;
  store_progress (self, size, received, speed, eta, connections, g_array_copy (segments));
  queue_progress_notify (self);
}

/* The item no longer has partial data; @delete_files unless another
 * download continues them. */
static void
forget_partial_file (DpAppItem *self,
                     gboolean   delete_files)
{
  if (self->path != NULL && delete_files)
    dp_app_delete_file_async (self->path, FALSE);
  set_path (self, NULL);
  store_progress (self, self->size, 0, self->speed, self->eta, self->connections, NULL);
}

/* The Metalink's file with @url first: the user may have given a new
 * address for it (an expired link). */
static DpMetalinkFile *
metalink_starting_at (const DpMetalinkFile *metalink,
                      const char           *url)
{
  DpMetalinkFile *file = dp_metalink_file_copy (metalink);
  DpMetalinkUrl *first = NULL;

  for (guint i = 0; i < file->urls->len; i++)
    {
      DpMetalinkUrl *other = g_ptr_array_index (file->urls, i);

      if (g_str_equal (other->url, url))
        {
          first = g_ptr_array_steal_index (file->urls, i);
          break;
        }
    }
  if (first == NULL)
    {
      first = g_new0 (DpMetalinkUrl, 1);
      first->url = g_strdup (url);
      first->priority = 1;
    }
  g_ptr_array_insert (file->urls, 0, first);
  return file;
}

/* The other addresses of a Metalink item, as the list shows them. */
static void
update_metalink_mirrors (DpAppItem *self)
{
  GStrvBuilder *builder;
  const char *url = dp_download_get_url (self->download);

  g_clear_pointer (&self->mirrors, g_strfreev);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->metalink->urls->len; i++)
    {
      const DpMetalinkUrl *other = g_ptr_array_index (self->metalink->urls, i);

      if (!g_str_equal (other->url, url))
        g_strv_builder_add (builder, other->url);
    }
  self->mirrors = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  if (self->mirrors[0] == NULL)
    g_clear_pointer (&self->mirrors, g_strfreev);
}

/* An engine download of @url with the item's other addresses: its
 * Metalink file's, or the user's mirrors (a DpDownload takes mirrors
 * only before it starts, and never gives them back). */
static DpDownload *
new_download (DpAppItem  *self,
              const char *url)
{
  DpDownload *download;

  if (self->metalink != NULL)
    {
      g_autoptr(DpMetalinkFile) file = metalink_starting_at (self->metalink, url);

      download = dp_download_new_from_metalink (file);
    }
  else
    {
      download = dp_download_new (url);
      for (guint i = 0; self->mirrors != NULL && self->mirrors[i] != NULL; i++)
        {
          g_autoptr(GError) error = NULL;

          /* Only a new address of the download's own can clash with
           * them: that one is then left out. */
          if (!dp_download_add_mirror (download, self->mirrors[i], &error))
            g_debug ("A mirror is left out: %s", error->message);
        }
    }
  g_signal_connect (download, "progress", G_CALLBACK (on_progress), self);
  return download;
}

/* A new engine download for @url, with this one's settings: the
 * address of a DpDownload is fixed. */
static void
replace_download (DpAppItem  *self,
                  const char *url)
{
  DpDownload *old = self->download;
  DpDownload *download;
  gboolean new_url = g_strcmp0 (url, dp_download_get_url (old)) != 0;

  g_signal_handlers_disconnect_by_data (old, self);
  download = new_download (self, url);
  dp_download_set_engine (download, dp_download_get_engine (old));
  dp_download_set_accept_invalid_certificates (download,
                                               dp_download_get_accept_invalid_certificates (old));
  dp_download_set_allow_insecure_redirects (download,
                                            dp_download_get_allow_insecure_redirects (old));
  dp_download_set_rate_limit (download, dp_download_get_rate_limit (old));
  self->download = download;
  g_object_unref (old);
  if (self->metalink != NULL)
    update_metalink_mirrors (self);
  if (self->path == NULL)
    update_display_name (self);
  if (new_url)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
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
  store_progress (self, self->size, self->received, 0, -1, 0,
                  self->segment_map != NULL ? g_array_ref (self->segment_map) : NULL);

  if (dp_download_start_finish (DP_DOWNLOAD (source), result, &error))
    {
      gint64 size = self->size < 0 ? self->received : self->size;

      store_progress (self, size, size, 0, -1, 0,
                      self->segment_map != NULL ? g_array_ref (self->segment_map) : NULL);
      g_clear_pointer (&self->error, g_free);
      set_status (self, DP_APP_ITEM_FINISHED);
    }
  else if (g_error_matches (error, DP_ERROR, DP_ERROR_CANCELLED) && pending != NO_PENDING)
    {
      if (pending == DP_APP_ITEM_CANCELLED && !self->keep_partial)
        forget_partial_file (self, !self->keep_files);
      set_status (self, pending);
    }
  else
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      self->error_code = error->domain == DP_ERROR ? error->code : -1;
      set_status (self, DP_APP_ITEM_FAILED);
    }

  /* A new address that has another file is not kept: the download goes
   * back to the one its bytes came from, and says why. */
  if (self->previous_url != NULL)
    {
      g_autofree char *previous = g_steal_pointer (&self->previous_url);

      /* Only a download that went on from its bytes, or finished,
       * proves the new address has the file; anything else before that
       * (a network error, a pause) goes back too, so that a later retry
       * never starts over from another file. */
      if (self->status != DP_APP_ITEM_FINISHED && self->received <= self->previous_received)
        {
          /* The bytes on disk are as they were, and so is what shows
           * them and what goes with the old address. */
          replace_download (self, previous);
          store_progress (self, self->previous_size, self->previous_received, 0, -1, 0,
                          g_steal_pointer (&self->previous_map));
          g_clear_pointer (&self->request, dp_request_free);
          self->request = g_steal_pointer (&self->previous_request);
          self->remember_login = self->previous_remember_login;
        }
      else
        dp_download_set_continue_only (self->download, FALSE);
      g_clear_pointer (&self->previous_map, g_array_unref);
      g_clear_pointer (&self->previous_request, dp_request_free);
    }

  /* Last, so that whoever counts running items sees the final status. */
  set_running (self, FALSE);
  notify_progress_now (self);
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
  if (self->in_tick)
    {
      g_ptr_array_remove_fast (tick_items, self);
      self->in_tick = FALSE;
    }

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
  g_clear_pointer (&self->request, dp_request_free);
  g_free (self->suggested_name);
  g_strfreev (self->mirrors);
  g_clear_pointer (&self->metalink, dp_metalink_file_free);
  g_free (self->verified_algorithm);
  g_free (self->previous_url);
  g_clear_pointer (&self->previous_map, g_array_unref);
  g_clear_pointer (&self->previous_request, dp_request_free);
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
      g_value_set_enum (value, self->status);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_ICON:
      g_value_set_object (value, self->icon);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_ERROR:
      g_value_set_string (value, dp_app_item_get_error (self));
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint64 (value, dp_app_item_get_rate_limit (self));
      break;
    case PROP_INSECURE:
      g_value_set_boolean (value, dp_app_item_is_insecure (self));
      break;
    case PROP_SIZE:
      g_value_set_int64 (value, self->size);
      break;
    case PROP_RECEIVED:
      g_value_set_int64 (value, self->received);
      break;
    case PROP_SPEED:
      g_value_set_double (value, dp_app_item_get_speed (self));
      break;
    case PROP_ETA:
      g_value_set_int64 (value, dp_app_item_get_eta (self));
      break;
    case PROP_SEGMENTS:
      g_value_take_boxed (value, dp_app_item_dup_segments (self));
      break;
    case PROP_CONNECTIONS:
      g_value_set_uint (value, dp_app_item_get_connections (self));
      break;
    case PROP_ACTIVE_CONNECTIONS:
      g_value_set_uint (value, dp_app_item_get_active_connections (self));
      break;
    case PROP_URL:
      g_value_set_string (value, dp_app_item_get_url (self));
      break;
    case PROP_VERIFIED_BY:
      g_value_set_int (value, (int) dp_app_item_get_verified_by (self));
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

#define RO_FLAGS (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       DP_APP_TYPE_ITEM_STATUS, DP_APP_ITEM_QUEUED, RO_FLAGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, RO_FLAGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, RO_FLAGS);
  properties[PROP_ICON] =
    g_param_spec_object ("icon", NULL, NULL, G_TYPE_ICON, RO_FLAGS);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, RO_FLAGS);
  /* Set while the status is "failed". */
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, RO_FLAGS);
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint64 ("rate-limit", NULL, NULL, 0, G_MAXUINT64, 0, RO_FLAGS);
  properties[PROP_INSECURE] =
    g_param_spec_boolean ("insecure", NULL, NULL, FALSE, RO_FLAGS);

  /* Progress: notified at most every PROGRESS_INTERVAL_MS. */
  properties[PROP_SIZE] =
    g_param_spec_int64 ("size", NULL, NULL, -1, G_MAXINT64, -1, RO_FLAGS);
  properties[PROP_RECEIVED] =
    g_param_spec_int64 ("received", NULL, NULL, 0, G_MAXINT64, 0, RO_FLAGS);
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, 0, G_MAXDOUBLE, 0, RO_FLAGS);
  properties[PROP_ETA] =
    g_param_spec_int64 ("eta", NULL, NULL, -1, G_MAXINT64, -1, RO_FLAGS);
  /* A #GArray of #DpSegmentInfo, as dp_app_item_dup_segments(). */
  properties[PROP_SEGMENTS] =
    g_param_spec_boxed ("segments", NULL, NULL, G_TYPE_ARRAY, RO_FLAGS);
  properties[PROP_CONNECTIONS] =
    g_param_spec_uint ("connections", NULL, NULL, 0, G_MAXUINT, 0, RO_FLAGS);
  properties[PROP_ACTIVE_CONNECTIONS] =
    g_param_spec_uint ("active-connections", NULL, NULL, 0, G_MAXUINT, 0, RO_FLAGS);
  /* Changes when the user gives a new address (an expired link). */
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL, RO_FLAGS);
  /* A #DpDigestOrigin, as dp_app_item_get_verified_by(); notified also
   * when only the algorithm changes. */
  properties[PROP_VERIFIED_BY] =
    g_param_spec_int ("verified-by", NULL, NULL, DP_DIGEST_ORIGIN_NONE, DP_DIGEST_ORIGIN_SERVER,
                      DP_DIGEST_ORIGIN_NONE, RO_FLAGS);
#undef RO_FLAGS
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpAppItem::changed:
   *
   * Something worth saving changed: progress, status or the speed
   * limit. Emitted as often as the engine reports progress; the list
   * marks itself dirty on it. Widgets watch the properties instead,
   * whose progress is notified at a bounded rate.
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

/* @metalink: (transfer full) (nullable): the download's Metalink file */
static DpAppItem *
item_new (const char     *url,
          DpMetalinkFile *metalink)
{
  DpAppItem *self = g_object_new (DP_APP_TYPE_ITEM, NULL);

  self->metalink = metalink;
  self->download = new_download (self, url);
  if (self->metalink != NULL)
    update_metalink_mirrors (self);
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

  self = item_new (url, NULL);
  self->directory = g_strdup (directory);
  self->segments = valid_segments (segments);
  self->checksum = checksum != NULL && *checksum != '\0' ? g_strdup (checksum) : NULL;
  self->added = g_get_real_time () / G_USEC_PER_SEC;
  return self;
}

/**
 * dp_app_item_new_from_metalink:
 * @file: a file of a Metalink document (dp_metalink_parse())
 * @directory: the folder to save into
 * @segments: connections to use, or %DP_DOWNLOAD_SEGMENTS_AUTO
 *
 * A download of the file @file describes: from its first address, with
 * the others as mirrors, under its name, checked against its hash and
 * its pieces. The item keeps a copy of @file, also in the saved list.
 *
 * Returns: (transfer full): a queued item
 */
DpAppItem *
dp_app_item_new_from_metalink (const DpMetalinkFile *file,
                               const char           *directory,
                               guint                 segments)
{
  DpAppItem *self;
  const DpMetalinkUrl *first;

  g_return_val_if_fail (file != NULL && file->urls != NULL && file->urls->len > 0, NULL);
  g_return_val_if_fail (directory != NULL, NULL);

  first = g_ptr_array_index (file->urls, 0);
  self = item_new (first->url, dp_metalink_file_copy (file));
  self->directory = g_strdup (directory);
  self->segments = valid_segments (segments);
  self->added = g_get_real_time () / G_USEC_PER_SEC;
  /* The list shows the size before the server said it. */
  self->size = file->size;
  self->suggested_name = dp_app_metalink_file_dup_name (file);
  update_display_name (self);
  return self;
}

static const struct {
  DpDigestOrigin origin;
  const char *nick;
} origin_nicks[] = {
  { DP_DIGEST_ORIGIN_USER, "user" },
  { DP_DIGEST_ORIGIN_METALINK, "metalink" },
  { DP_DIGEST_ORIGIN_SERVER, "server" },
};

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
  g_autoptr(DpRequest) request = dp_request_new ();
  const char *user = NULL;
  const char *password = NULL;
  const char *suggested = NULL;
  const char *verified_by = NULL;
  const char *verified_algorithm = NULL;
  g_autofree const char **mirrors = NULL;
  DpMetalinkFile *metalink = NULL;
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
      /* What was checked when it was given is checked again: a list
       * edited by hand cannot smuggle a line break into a request. */
      else if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY) &&
               g_str_equal (key, "headers"))
        {
          g_autofree const char **headers = g_variant_get_strv (value, NULL);

          for (guint i = 0; headers[i] != NULL; i++)
            dp_request_add_header (request, headers[i], NULL);
        }
      else if (is_string && g_str_equal (key, "user-agent"))
        dp_request_set_user_agent (request, g_variant_get_string (value, NULL), NULL);
      else if (is_string && g_str_equal (key, "referrer"))
        dp_request_set_referrer (request, g_variant_get_string (value, NULL), NULL);
      else if (is_string && g_str_equal (key, "cookies"))
        dp_request_add_cookies (request, g_variant_get_string (value, NULL), NULL);
      else if (is_string && suggested == NULL && g_str_equal (key, "suggested-name"))
        suggested = g_variant_get_string (value, NULL);
      else if (is_string && user == NULL && g_str_equal (key, "user"))
        user = g_variant_get_string (value, NULL);
      else if (is_string && password == NULL && g_str_equal (key, "password"))
        password = g_variant_get_string (value, NULL);
      else if (mirrors == NULL && g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY) &&
               g_str_equal (key, "mirrors"))
        mirrors = g_variant_get_strv (value, NULL);
      /* Checked again as the parser checks a document (see
       * dp-app-metalink.c). */
      else if (metalink == NULL && g_variant_type_equal (type, G_VARIANT_TYPE_VARDICT) &&
               g_str_equal (key, "metalink"))
        metalink = dp_app_metalink_file_new_from_variant (value);
      else if (is_string && verified_by == NULL && g_str_equal (key, "verified-by"))
        verified_by = g_variant_get_string (value, NULL);
      else if (is_string && verified_algorithm == NULL && g_str_equal (key, "verified-algorithm"))
        verified_algorithm = g_variant_get_string (value, NULL);
      g_variant_unref (value);
    }

  if (url == NULL || directory == NULL)
    {
      g_clear_pointer (&metalink, dp_metalink_file_free);
      return NULL;
    }

  self = item_new (url, metalink);
  /* What the engine would not take is not kept: the list may have been
   * edited by hand. */
  if (metalink == NULL && mirrors != NULL && mirrors[0] != NULL)
    dp_app_item_set_mirrors (self, mirrors, NULL);
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
  if (user != NULL && *user != '\0')
    {
      dp_request_set_login (request, user, password);
      self->remember_login = TRUE;
    }
  if (!dp_request_is_empty (request))
    self->request = g_steal_pointer (&request);
  if (suggested != NULL && *suggested != '\0')
    dp_app_item_set_suggested_name (self, suggested);
  else if (self->metalink != NULL)
    {
      g_autofree char *name = dp_app_metalink_file_dup_name (self->metalink);

      dp_app_item_set_suggested_name (self, name);
    }
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
  /* Only what the engine says is shown: a list edited by hand could say
   * anything. */
  if (verified_by != NULL && verified_algorithm != NULL &&
      g_strv_contains ((const char * const []) { "sha256", "sha512", "sha1", "md5", NULL },
                       verified_algorithm))
    for (guint i = 0; i < G_N_ELEMENTS (origin_nicks); i++)
      if (g_str_equal (verified_by, origin_nicks[i].nick))
        {
          self->verified_by = origin_nicks[i].origin;
          self->verified_algorithm = g_strdup (verified_algorithm);
        }

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

  /* A new address not yet shown to have the file is not kept. */
  g_variant_builder_add (&builder, "{sv}", "url",
                         g_variant_new_string (self->previous_url != NULL
                                               ? self->previous_url
                                               : dp_app_item_get_url (self)));
  g_variant_builder_add (&builder, "{sv}", "directory", g_variant_new_string (self->directory));
  g_variant_builder_add (&builder, "{sv}", "segments", g_variant_new_uint32 (self->segments));
  g_variant_builder_add (&builder, "{sv}", "status", g_variant_new_string (nick));
  g_variant_builder_add (&builder, "{sv}", "size", g_variant_new_int64 (self->size));
  g_variant_builder_add (&builder, "{sv}", "received", g_variant_new_int64 (self->received));
  g_variant_builder_add (&builder, "{sv}", "added", g_variant_new_int64 (self->added));
  if (self->checksum != NULL)
    g_variant_builder_add (&builder, "{sv}", "checksum", g_variant_new_string (self->checksum));
  if (self->suggested_name != NULL && self->path == NULL)
    g_variant_builder_add (&builder, "{sv}", "suggested-name",
                           g_variant_new_string (self->suggested_name));
  if (self->path != NULL)
    g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (self->path));
  /* A Metalink's addresses, hashes and pieces come with it; the url
   * above says which of its addresses is the download's own. */
  if (self->metalink != NULL)
    g_variant_builder_add (&builder, "{sv}", "metalink",
                           dp_app_metalink_file_serialize (self->metalink));
  else if (self->mirrors != NULL)
    g_variant_builder_add (&builder, "{sv}", "mirrors",
                           g_variant_new_strv ((const char * const *) self->mirrors, -1));
  /* How a finished file was checked stays true after a restart. */
  for (guint i = 0; i < G_N_ELEMENTS (origin_nicks); i++)
    if (self->verified_by == origin_nicks[i].origin && self->verified_algorithm != NULL)
      {
        g_variant_builder_add (&builder, "{sv}", "verified-by",
                               g_variant_new_string (origin_nicks[i].nick));
        g_variant_builder_add (&builder, "{sv}", "verified-algorithm",
                               g_variant_new_string (self->verified_algorithm));
      }
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
  /* What the download needs to resume after a restart. The list is a
   * file only its user can read (see DpAppStore); a login is in it only
   * when the user asked for it to be remembered. */
  /* While a new address is unproven, the old one is what is kept, with
   * what went with it. */
  if ((self->previous_url != NULL ? self->previous_request : self->request) != NULL)
    {
      const DpRequest *request = self->previous_url != NULL ? self->previous_request
                                                            : self->request;
      gboolean remember_login = self->previous_url != NULL ? self->previous_remember_login
                                                           : self->remember_login;
      const char * const *headers = dp_request_get_headers (request);
      g_autofree char *cookies = dp_request_dup_cookies (request);

      if (headers[0] != NULL)
        g_variant_builder_add (&builder, "{sv}", "headers", g_variant_new_strv (headers, -1));
      if (dp_request_get_user_agent (request) != NULL)
        g_variant_builder_add (&builder, "{sv}", "user-agent",
                               g_variant_new_string (dp_request_get_user_agent (request)));
      if (dp_request_get_referrer (request) != NULL)
        g_variant_builder_add (&builder, "{sv}", "referrer",
                               g_variant_new_string (dp_request_get_referrer (request)));
      if (cookies != NULL)
        g_variant_builder_add (&builder, "{sv}", "cookies", g_variant_new_string (cookies));
      if (remember_login && dp_request_get_user (request) != NULL)
        {
          g_variant_builder_add (&builder, "{sv}", "user",
                                 g_variant_new_string (dp_request_get_user (request)));
          g_variant_builder_add (&builder, "{sv}", "password",
                                 g_variant_new_string (dp_request_get_password (request)));
        }
    }

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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE_LIMIT]);
  /* The list is saved. */
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INSECURE]);
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

/* Connections open now. */
guint
dp_app_item_get_connections (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->running ? self->connections : 0;
}

/* Segments a connection works on now. */
guint
dp_app_item_get_active_connections (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), 0);
  return self->running ? self->active_connections : 0;
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
  dp_download_set_request (self->download, self->request);
  dp_download_set_suggested_name (self->download, self->path == NULL ? self->suggested_name : NULL);

  g_clear_pointer (&self->error, g_free);
  self->pending = NO_PENDING;
  self->keep_partial = FALSE;
  self->keep_files = FALSE;
  /* Whose digest counts is the new transfer's to say: a server may give
   * one this time, or no longer. */
  set_verified (self, DP_DIGEST_ORIGIN_NONE, NULL);
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
      /* A cancellation under way stays one: the user was told so. */
      if (self->pending == DP_APP_ITEM_CANCELLED)
        return;
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
      self->keep_files = FALSE;
      dp_download_cancel (self->download);
    }
  else if (self->status != DP_APP_ITEM_FINISHED && self->status != DP_APP_ITEM_CANCELLED)
    {
      forget_partial_file (self, TRUE);
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

static void
discard (DpAppItem *self,
         gboolean   delete_files)
{
  if (self->running)
    {
      /* The file goes once the engine has let go of it. */
      self->pending = DP_APP_ITEM_CANCELLED;
      self->keep_partial = FALSE;
      self->keep_files = !delete_files;
      dp_download_cancel (self->download);
    }
  else if (self->status != DP_APP_ITEM_FINISHED)
    {
      forget_partial_file (self, delete_files);
      set_status (self, DP_APP_ITEM_CANCELLED);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/**
 * dp_app_item_discard:
 *
 * Cancels an unfinished item for good and deletes its partial file,
 * also when it was cancelled with dp_app_item_cancel_keeping_data().
 * The file is only deleted while no download holds it. A finished item
 * is left alone.
 */
void
dp_app_item_discard (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  discard (self, TRUE);
}

/**
 * dp_app_item_discard_keeping_files:
 *
 * dp_app_item_discard(), except that the partial file stays on disk:
 * another download continues it. The item no longer refers to it.
 */
void
dp_app_item_discard_keeping_files (DpAppItem *self)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  discard (self, FALSE);
}

/* Whether the item runs still, but only until the engine let go of it
 * as cancelled: for what to do with it, it is cancelled already. */
gboolean
dp_app_item_is_being_cancelled (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return self->running && self->pending == DP_APP_ITEM_CANCELLED;
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

/**
 * dp_app_item_get_checksum_result:
 *
 * How the file compared to the digest it is checked against (see
 * dp_app_item_get_verified_by()). The status tells, also for an item
 * from an earlier session: the engine only names a file once it
 * matched (so a finished item with a digest passed it), and fails with
 * %DP_ERROR_CHECKSUM when it did not.
 */
DpDownloadChecksumResult
dp_app_item_get_checksum_result (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), DP_DOWNLOAD_CHECKSUM_NONE);

  if (dp_app_item_get_verified_by (self) == DP_DIGEST_ORIGIN_NONE)
    return DP_DOWNLOAD_CHECKSUM_NONE;
  if (self->status == DP_APP_ITEM_FINISHED)
    return DP_DOWNLOAD_CHECKSUM_VERIFIED;
  if (self->status == DP_APP_ITEM_FAILED && self->error_code == DP_ERROR_CHECKSUM)
    return DP_DOWNLOAD_CHECKSUM_MISMATCH;
  return DP_DOWNLOAD_CHECKSUM_PENDING;
}

static const char *
algorithm_name (GChecksumType type)
{
  switch (type)
    {
    case G_CHECKSUM_SHA256:
      return "sha256";
    case G_CHECKSUM_SHA512:
      return "sha512";
    case G_CHECKSUM_SHA1:
      return "sha1";
    case G_CHECKSUM_MD5:
      return "md5";
    case G_CHECKSUM_SHA384:
    default:
      return NULL;
    }
}

/**
 * dp_app_item_get_verified_by:
 *
 * Whose digest the file is, or was, checked against: what the engine
 * said for the last transfer (also from an earlier session), else what
 * it will say: the user's checksum wins over the Metalink's hash. A
 * server's digest is known only once the server answered.
 *
 * Returns: the digest's origin, or %DP_DIGEST_ORIGIN_NONE
 */
DpDigestOrigin
dp_app_item_get_verified_by (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), DP_DIGEST_ORIGIN_NONE);

  if (self->verified_by != DP_DIGEST_ORIGIN_NONE)
    return self->verified_by;
  if (self->checksum != NULL)
    return DP_DIGEST_ORIGIN_USER;
  if (self->metalink != NULL && self->metalink->checksum != NULL)
    return DP_DIGEST_ORIGIN_METALINK;
  return DP_DIGEST_ORIGIN_NONE;
}

/**
 * dp_app_item_get_verified_algorithm:
 *
 * Returns: (nullable): the algorithm of the digest of
 *   dp_app_item_get_verified_by(): "sha256", "sha512", "sha1" or "md5",
 *   or %NULL when the file is not checked
 */
const char *
dp_app_item_get_verified_algorithm (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);

  if (self->verified_by != DP_DIGEST_ORIGIN_NONE)
    return self->verified_algorithm;
  if (self->checksum != NULL)
    {
      g_autoptr(DpChecksum) checksum = dp_checksum_parse (self->checksum, NULL);

      return checksum != NULL ? algorithm_name (dp_checksum_get_algorithm (checksum)) : NULL;
    }
  if (self->metalink != NULL && self->metalink->checksum != NULL)
    return algorithm_name (dp_checksum_get_algorithm (self->metalink->checksum));
  return NULL;
}

/* ---- other addresses -------------------------------------------------- */

/**
 * dp_app_item_set_mirrors:
 * @mirrors: (nullable) (array zero-terminated=1): other addresses of
 *   the same file, or %NULL for none
 * @error: return location for the engine's reason to refuse one
 *
 * The download fetches from all of them at once, from its next start
 * on. Each is checked as the engine checks it (an http(s) address,
 * not the download's own, not given twice, at most
 * %DP_DOWNLOAD_MAX_MIRRORS addresses in all); if one is refused,
 * nothing changes. Only for an item that does not run and does not
 * come from a Metalink file, whose addresses are its document's.
 *
 * Returns: %TRUE when the mirrors were taken
 */
gboolean
dp_app_item_set_mirrors (DpAppItem          *self,
                         const char * const *mirrors,
                         GError            **error)
{
  g_autoptr(DpDownload) check = NULL;

  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);
  g_return_val_if_fail (self->metalink == NULL, FALSE);

  check = dp_download_new (dp_app_item_get_url (self));
  for (guint i = 0; mirrors != NULL && mirrors[i] != NULL; i++)
    if (!dp_download_add_mirror (check, mirrors[i], error))
      return FALSE;

  g_clear_pointer (&self->mirrors, g_strfreev);
  if (mirrors != NULL && mirrors[0] != NULL)
    self->mirrors = g_strdupv ((char **) mirrors);
  replace_download (self, dp_app_item_get_url (self));
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/**
 * dp_app_item_get_mirrors:
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   addresses besides dp_app_item_get_url(): the user's mirrors or the
 *   Metalink file's other addresses, best first; %NULL when there are
 *   none. Mirrors a server names while it answers are not among them
 *   (see dp_download_dup_mirror_infos()).
 */
const char * const *
dp_app_item_get_mirrors (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return (const char * const *) self->mirrors;
}

/**
 * dp_app_item_get_metalink:
 *
 * Returns: (transfer none) (nullable): the file of a Metalink document
 *   the item downloads, as the document described it
 */
const DpMetalinkFile *
dp_app_item_get_metalink (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->metalink;
}

/* ---- what goes with the requests ------------------------------------ */

const DpRequest *
dp_app_item_get_request (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), NULL);
  return self->request;
}

/**
 * dp_app_item_set_request:
 * @request: (nullable): headers, cookies and a login for every request
 *
 * Takes effect when the download starts next. A login in @request is
 * kept for this session only; see dp_app_item_set_login().
 */
void
dp_app_item_set_request (DpAppItem       *self,
                         const DpRequest *request)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  g_clear_pointer (&self->request, dp_request_free);
  if (request != NULL && !dp_request_is_empty (request))
    self->request = dp_request_copy (request);
  self->remember_login = FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * dp_app_item_set_login:
 * @remember: save the login with the list, so that the download can
 *   resume after a restart; otherwise it lasts until Downpour quits
 *
 * Sets the login for the next start; dp_app_item_resume() tries it.
 */
void
dp_app_item_set_login (DpAppItem  *self,
                       const char *user,
                       const char *password,
                       gboolean    remember)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  g_return_if_fail (user != NULL);

  if (self->request == NULL)
    self->request = dp_request_new ();
  dp_request_set_login (self->request, user, password);
  self->remember_login = remember;
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
dp_app_item_get_remember_login (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return self->remember_login;
}

/* Failed because the server wants a login, or refused the one given. */
gboolean
dp_app_item_needs_login (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return self->status == DP_APP_ITEM_FAILED && self->error_code == DP_ERROR_LOGIN;
}

/* A stopped download with bytes on disk, which a new address for the
 * same file could continue: its link may have expired. */
gboolean
dp_app_item_can_update_address (DpAppItem *self)
{
  g_return_val_if_fail (DP_APP_IS_ITEM (self), FALSE);
  return !self->running && self->path != NULL && self->received > 0 &&
         (self->status == DP_APP_ITEM_FAILED || self->status == DP_APP_ITEM_PAUSED);
}

/**
 * dp_app_item_update_address:
 * @url: a fresh address for the same file, already checked
 *
 * Continues the download from @url, from the bytes on disk. The engine
 * accepts the address only if its server reports the same size and the
 * same strong validators; otherwise the download fails with the reason
 * and keeps its old address and its bytes.
 */
void
dp_app_item_update_address (DpAppItem  *self,
                            const char *url)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (dp_app_item_can_update_address (self));

  if (g_strcmp0 (url, dp_app_item_get_url (self)) == 0)
    {
      dp_app_item_resume (self);
      return;
    }
  /* Headers, cookies and a login given for one server never go to
   * another: a link moved elsewhere keeps only what a browser would
   * send anywhere. */
  g_clear_pointer (&self->previous_request, dp_request_free);
  self->previous_request = self->request != NULL ? dp_request_copy (self->request) : NULL;
  self->previous_remember_login = self->remember_login;
  if (self->request != NULL && !dp_http_same_origin (url, dp_app_item_get_url (self)))
    {
      dp_request_forget_origin_bound (self->request);
      self->remember_login = FALSE;
    }
  g_free (self->previous_url);
  self->previous_url = g_strdup (dp_app_item_get_url (self));
  self->previous_size = self->size;
  self->previous_received = self->received;
  g_clear_pointer (&self->previous_map, g_array_unref);
  if (self->segment_map != NULL)
    self->previous_map = g_array_copy (self->segment_map);
  replace_download (self, url);
  dp_download_set_continue_only (self->download, TRUE);
  g_signal_emit (self, signals[CHANGED], 0);
  dp_app_item_resume (self);
}

/**
 * dp_app_item_set_suggested_name:
 * @name: (nullable): the name a browser chose for the file
 *
 * Used instead of the server's name until the download has one; made
 * safe by the engine like any name.
 */
void
dp_app_item_set_suggested_name (DpAppItem  *self,
                                const char *name)
{
  g_return_if_fail (DP_APP_IS_ITEM (self));

  g_free (self->suggested_name);
  self->suggested_name = name != NULL && *name != '\0' ? g_strdup (name) : NULL;
  if (self->path == NULL)
    update_display_name (self);
}
