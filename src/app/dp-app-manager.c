/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-file-ops.h"
#include "dp-app-manager.h"

#define DEFAULT_MAX_ACTIVE 3
#define MAX_MAX_ACTIVE 20

/*
 * The list of downloads and its queue: at most max-active items run, the
 * others wait in list order. It owns the items and tells the store when
 * something worth saving changed. GSettings are bound onto its plain
 * properties by the application, so that it can be tested without them.
 */
struct _DpAppManager
{
  GObject parent_instance;

  GListStore *items;
  DpAppStore *store;
  /* Shared by every download of the list: the connection budget and the
   * speed limit for all of them together. */
  DpEngine *engine;

  char *directory;
  guint segments;
  guint max_active;

  guint n_running;
  guint queue_idle_id;
  gboolean loaded;
  gboolean shutting_down;
};

G_DEFINE_FINAL_TYPE (DpAppManager, dp_app_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_SEGMENTS,
  PROP_MAX_ACTIVE,
  PROP_BUSY,
  PROP_LOADED,
  N_PROPS
};

enum {
  ITEM_DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
mark_dirty (DpAppManager *self,
            gboolean      soon)
{
  /* Before the saved list is read, saving would overwrite it. */
  if (self->store != NULL && self->loaded)
    dp_app_store_mark_dirty (self->store, soon);
}

static gboolean
process_queue (gpointer data)
{
  DpAppManager *self = data;
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  self->queue_idle_id = 0;

  for (guint i = 0; i < n_items && self->n_running < self->max_active; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (dp_app_item_get_status (item) == DP_APP_ITEM_QUEUED && !dp_app_item_is_running (item))
        dp_app_item_start (item);
    }

  return G_SOURCE_REMOVE;
}

static void
schedule_queue (DpAppManager *self)
{
  if (self->queue_idle_id == 0 && !self->shutting_down)
    self->queue_idle_id = g_idle_add (process_queue, self);
}

static void
on_item_running (DpAppItem    *item,
                 GParamSpec   *pspec,
                 DpAppManager *self)
{
  gboolean was_busy = self->n_running > 0;

  if (dp_app_item_is_running (item))
    self->n_running++;
  else
    {
      g_assert (self->n_running > 0);
      self->n_running--;
    }

  if (was_busy != (self->n_running > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  schedule_queue (self);
  mark_dirty (self, TRUE);
}

static void
on_item_status (DpAppItem    *item,
                GParamSpec   *pspec,
                DpAppManager *self)
{
  DpAppItemStatus status = dp_app_item_get_status (item);

  /* Only a download that ran in this session ends worth a word. */
  if (dp_app_item_is_running (item) &&
      (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED))
    g_signal_emit (self, signals[ITEM_DONE], 0, item);

  if (status == DP_APP_ITEM_QUEUED)
    schedule_queue (self);
  mark_dirty (self, TRUE);
}

static void
on_item_changed (DpAppItem    *item,
                 DpAppManager *self)
{
  mark_dirty (self, FALSE);
}

static void
watch_item (DpAppManager *self,
            DpAppItem    *item)
{
  /* Every item passes here, new or restored, before it can start. */
  dp_download_set_engine (dp_app_item_get_download (item), self->engine);
  g_signal_connect_object (item, "notify::running", G_CALLBACK (on_item_running), self, 0);
  g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_status), self, 0);
  g_signal_connect_object (item, "changed", G_CALLBACK (on_item_changed), self, 0);
}

static void
dp_app_manager_dispose (GObject *object)
{
  DpAppManager *self = DP_APP_MANAGER (object);

  g_clear_handle_id (&self->queue_idle_id, g_source_remove);
  if (self->store != NULL)
    dp_app_store_set_snapshot_func (self->store, NULL, NULL);
  g_clear_object (&self->store);
  g_clear_object (&self->items);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (dp_app_manager_parent_class)->dispose (object);
}

static void
dp_app_manager_finalize (GObject *object)
{
  DpAppManager *self = DP_APP_MANAGER (object);

  g_free (self->directory);

  G_OBJECT_CLASS (dp_app_manager_parent_class)->finalize (object);
}

static void
dp_app_manager_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DpAppManager *self = DP_APP_MANAGER (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_SEGMENTS:
      g_value_set_uint (value, self->segments);
      break;
    case PROP_MAX_ACTIVE:
      g_value_set_uint (value, self->max_active);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->n_running > 0);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_app_manager_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DpAppManager *self = DP_APP_MANAGER (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      if (g_strcmp0 (self->directory, g_value_get_string (value)) != 0)
        {
          g_free (self->directory);
          self->directory = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SEGMENTS:
      if (self->segments != g_value_get_uint (value))
        {
          self->segments = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_ACTIVE:
      if (self->max_active != g_value_get_uint (value))
        {
          /* A lower limit lets running downloads finish; a higher one
           * starts waiting ones now. */
          self->max_active = g_value_get_uint (value);
          schedule_queue (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_app_manager_class_init (DpAppManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_app_manager_dispose;
  object_class->finalize = dp_app_manager_finalize;
  object_class->get_property = dp_app_manager_get_property;
  object_class->set_property = dp_app_manager_set_property;

  /* An empty string means the user's download folder. */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* DP_DOWNLOAD_SEGMENTS_AUTO (0) lets each download choose. */
  properties[PROP_SEGMENTS] =
    g_param_spec_uint ("segments", NULL, NULL,
                       DP_DOWNLOAD_SEGMENTS_AUTO, DP_DOWNLOAD_MAX_SEGMENTS, DP_DOWNLOAD_DEFAULT_SEGMENTS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ACTIVE] =
    g_param_spec_uint ("max-active", NULL, NULL, 1, MAX_MAX_ACTIVE, DEFAULT_MAX_ACTIVE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpAppManager::item-done:
   * @item: the item
   *
   * A download that ran in this session finished or failed.
   */
  signals[ITEM_DONE] =
    g_signal_new ("item-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DP_APP_TYPE_ITEM);
}

static void
dp_app_manager_init (DpAppManager *self)
{
  self->items = g_list_store_new (DP_APP_TYPE_ITEM);
  self->engine = dp_engine_new ();
  self->directory = g_strdup ("");
  self->segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
  self->max_active = DEFAULT_MAX_ACTIVE;
}

static GVariant *
snapshot (gpointer data)
{
  return dp_app_manager_serialize (data);
}

/**
 * dp_app_manager_new:
 * @store: (nullable): where to keep the list, or %NULL to keep it in
 *   memory only
 *
 * Returns: (transfer full): a manager with an empty list
 */
DpAppManager *
dp_app_manager_new (DpAppStore *store)
{
  DpAppManager *self;

  g_return_val_if_fail (store == NULL || DP_APP_IS_STORE (store), NULL);

  self = g_object_new (DP_APP_TYPE_MANAGER, NULL);
  if (store != NULL)
    {
      self->store = g_object_ref (store);
      dp_app_store_set_snapshot_func (store, snapshot, self);
    }
  else
    self->loaded = TRUE;
  return self;
}

/* Returns: (transfer none): a #GListModel of #DpAppItem */
GListModel *
dp_app_manager_get_model (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  return G_LIST_MODEL (self->items);
}

/* Returns: (transfer none) (nullable): the store */
DpAppStore *
dp_app_manager_get_store (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  return self->store;
}

/* Returns: (transfer none): the engine every download of the list shares */
DpEngine *
dp_app_manager_get_engine (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  return self->engine;
}

/* Returns: (transfer full): the folder new downloads go to */
char *
dp_app_manager_dup_default_directory (DpAppManager *self)
{
  const char *xdg;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);

  if (self->directory != NULL && *self->directory != '\0')
    return g_strdup (self->directory);
  xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  return g_strdup (xdg != NULL ? xdg : g_get_home_dir ());
}

guint
dp_app_manager_get_segments (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), DP_DOWNLOAD_DEFAULT_SEGMENTS);
  return self->segments;
}

guint
dp_app_manager_get_max_active (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), DEFAULT_MAX_ACTIVE);
  return self->max_active;
}

guint
dp_app_manager_get_n_running (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), 0);
  return self->n_running;
}

/* Whether any download is running: what keeps the system awake. */
gboolean
dp_app_manager_get_busy (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);
  return self->n_running > 0;
}

gboolean
dp_app_manager_get_loaded (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);
  return self->loaded;
}

/**
 * dp_app_manager_add:
 * @url: a valid http:// or https:// address
 * @directory: (nullable): the folder, or %NULL for the default one
 * @segments: connections per file, %DP_DOWNLOAD_SEGMENTS_AUTO to let the
 *   download choose, or %DP_APP_MANAGER_DEFAULT_SEGMENTS for the
 *   manager's #DpAppManager:segments
 * @checksum: (nullable): the checksum the user expects
 * @start: whether to queue the download, rather than add it paused
 *
 * Returns: (transfer none): the new item, at the end of the list
 */
DpAppItem *
dp_app_manager_add (DpAppManager *self,
                    const char   *url,
                    const char   *directory,
                    guint         segments,
                    const char   *checksum,
                    gboolean      start)
{
  g_autoptr(DpAppItem) item = NULL;
  g_autofree char *default_directory = NULL;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  if (directory == NULL || *directory == '\0')
    directory = default_directory = dp_app_manager_dup_default_directory (self);

  if (segments == DP_APP_MANAGER_DEFAULT_SEGMENTS)
    segments = self->segments;
  item = dp_app_item_new (url, directory, segments, checksum);
  if (!start)
    dp_app_item_pause (item);

  watch_item (self, item);
  g_list_store_append (self->items, item);

  schedule_queue (self);
  mark_dirty (self, TRUE);
  return item;
}

/**
 * dp_app_manager_remove:
 * @item: an item in the list
 * @delete_file: whether to delete the downloaded file as well
 *
 * Removes @item from the list. The partial file of an unfinished
 * download is always deleted: without the list entry nothing could
 * resume it.
 */
void
dp_app_manager_remove (DpAppManager *self,
                       DpAppItem    *item,
                       gboolean      delete_file)
{
  guint position;

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (DP_APP_IS_ITEM (item));

  if (!g_list_store_find (self->items, item, &position))
    return;

  g_object_ref (item);
  g_signal_handlers_disconnect_by_data (item, self);
  if (dp_app_item_is_running (item))
    {
      /* It no longer holds a slot, though the engine takes a moment. */
      self->n_running--;
      if (self->n_running == 0)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }

  if (dp_app_item_is_unfinished (item))
    dp_app_item_cancel (item);
  else if (delete_file && dp_app_item_get_path (item) != NULL)
    dp_app_delete_file_async (dp_app_item_get_path (item), TRUE);

  g_list_store_remove (self->items, position);
  g_object_unref (item);

  schedule_queue (self);
  mark_dirty (self, TRUE);
}

/**
 * dp_app_manager_serialize:
 *
 * Returns: (transfer floating): the list as an `aa{sv}`
 */
GVariant *
dp_app_manager_serialize (DpAppManager *self)
{
  GVariantBuilder builder;
  guint n_items;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      g_variant_builder_add_value (&builder, dp_app_item_serialize (item));
    }
  return g_variant_builder_end (&builder);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DpAppManager *self = g_task_get_source_object (task);
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  gboolean had_items = g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0;
  GVariantIter iter;
  GVariant *dict;

  list = dp_app_store_load_finish (DP_APP_STORE (source), result, &error);

  loaded = g_ptr_array_new_with_free_func (g_object_unref);
  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while ((dict = g_variant_iter_next_value (&iter)) != NULL)
        {
          DpAppItem *item = dp_app_item_new_from_variant (dict);

          if (item != NULL)
            {
              watch_item (self, item);
              g_ptr_array_add (loaded, item);
            }
          g_variant_unref (dict);
        }
    }

  /* Saved downloads come first: anything added meanwhile is newer. One
   * splice, so that a list of thousands is one change for the view. */
  g_list_store_splice (self->items, 0, 0, loaded->pdata, loaded->len);

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  if (had_items)
    mark_dirty (self, TRUE);
  schedule_queue (self);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * dp_app_manager_load_async:
 *
 * Reads the saved list and puts it before anything already added.
 * Downloads that were running when the list was saved start again.
 * Nothing is saved before this has finished.
 */
void
dp_app_manager_load_async (DpAppManager        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DP_APP_IS_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_app_manager_load_async);

  if (self->store == NULL || self->loaded)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  dp_app_store_load_async (self->store, cancellable, on_loaded, g_steal_pointer (&task));
}

gboolean
dp_app_manager_load_finish (DpAppManager  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * dp_app_manager_shutdown:
 *
 * Stops every running download so that it resumes next time, and
 * writes the list to disk before returning.
 */
void
dp_app_manager_shutdown (DpAppManager *self)
{
  g_autoptr(GError) error = NULL;
  guint n_items;

  g_return_if_fail (DP_APP_IS_MANAGER (self));

  self->shutting_down = TRUE;
  g_clear_handle_id (&self->queue_idle_id, g_source_remove);

  /* Saved first: a running item is saved as queued, which is what it
   * should be after a restart. */
  if (self->store != NULL && self->loaded && !dp_app_store_flush (self->store, &error))
    g_warning ("Could not save the list of downloads: %s", error->message);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      dp_app_item_stop_for_quit (item);
    }
}

/**
 * dp_app_manager_cancel:
 * @item: an item of the list
 *
 * Stops @item for good and deletes what it downloaded so far.
 */
void
dp_app_manager_cancel (DpAppManager *self,
                       DpAppItem    *item)
{
  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (DP_APP_IS_ITEM (item));

  dp_app_item_cancel (item);
}
