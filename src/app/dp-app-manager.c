/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-file-ops.h"
#include "dp-app-manager.h"
#include "dp-app-metalink.h"
#include "dp-error.h"

#define DEFAULT_MAX_ACTIVE 3
#define MAX_MAX_ACTIVE 20

/* How long a removal nobody shows waits before it is carried out: as
 * long as a toast would have offered to undo it. */
#define REMOVAL_TIMEOUT_S 5

/*
 * Removing and cancelling can be undone. Nothing is deleted when the
 * user asks: the item leaves the list (or stops, as cancelled) at once,
 * and a Removal remembers what to put back. Only when the removal is
 * confirmed (the window's toast went away, a timeout passed without a
 * window, or the application quits) are partial data deleted and
 * finished files moved to the trash.
 */
typedef struct
{
  DpAppItem *item;
  guint position;          /* in the list when it was removed */
  DpAppItemStatus status;  /* before it was stopped */
  gboolean metered_paused; /* the manager had paused it */
} Removed;

typedef struct
{
  DpAppManager *manager;   /* which owns it */
  guint id;
  gboolean cancel;         /* the items stay in the list, cancelled */
  gboolean delete_files;
  GArray *items;           /* of Removed, by position */
  guint timeout_id;
} Removal;

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
  GPtrArray *removals;     /* of Removal, pending */
  /* Items of the list by status, for what the window may offer. */
  guint status_counts[DP_APP_ITEM_CANCELLED + 1];
  guint last_removal_id;
  gboolean loaded;
  gboolean shutting_down;

  /* The network as GNetworkMonitor sees it, and the user's choice about
   * metered connections: plain properties that the application binds,
   * so that the tests can set them. */
  gboolean metered;
  gboolean download_on_metered;
  gboolean network_available;
  /* The items this manager paused because the connection is metered
   * (each holds a reference): only these resume when it no longer is,
   * not the ones the user paused. */
  GHashTable *metered_paused;
  gboolean paused_on_metered;
};

G_DEFINE_FINAL_TYPE (DpAppManager, dp_app_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_SEGMENTS,
  PROP_MAX_ACTIVE,
  PROP_BUSY,
  PROP_LOADED,
  PROP_METERED,
  PROP_DOWNLOAD_ON_METERED,
  PROP_NETWORK_AVAILABLE,
  PROP_PAUSED_ON_METERED,
  N_PROPS
};

enum {
  ITEM_DONE,
  REMOVAL_PENDING,
  FILE_ERROR,
  STATUSES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The status an item was counted under. */
static GQuark counted_status_quark;

static void
count_item (DpAppManager *self,
            DpAppItem    *item,
            gboolean      add)
{
  DpAppItemStatus status;

  if (add)
    {
      status = dp_app_item_get_status (item);
      g_object_set_qdata (G_OBJECT (item), counted_status_quark, GINT_TO_POINTER (status + 1));
      self->status_counts[status]++;
    }
  else
    {
      status = GPOINTER_TO_INT (g_object_get_qdata (G_OBJECT (item), counted_status_quark)) - 1;
      g_return_if_fail (status >= 0 && self->status_counts[status] > 0);
      self->status_counts[status]--;
      g_object_set_qdata (G_OBJECT (item), counted_status_quark, NULL);
    }
}

static void
statuses_changed (DpAppManager *self)
{
  g_signal_emit (self, signals[STATUSES_CHANGED], 0);
}

static void
removed_clear (Removed *removed)
{
  g_clear_object (&removed->item);
}

static void
removal_free (Removal *removal)
{
  g_clear_handle_id (&removal->timeout_id, g_source_remove);
  g_array_unref (removal->items);
  g_free (removal);
}

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

/* What an item is, or is about to be: one that runs only until the
 * engine let go of it as cancelled counts as cancelled already. */
static DpAppItemStatus
item_status (DpAppItem *item)
{
  if (dp_app_item_is_being_cancelled (item))
    return DP_APP_ITEM_CANCELLED;
  return dp_app_item_get_status (item);
}

/* Metered connections ---------------------------------------------- */

static gboolean
holds_for_metered (DpAppManager *self)
{
  return self->metered && !self->download_on_metered;
}

static void
update_paused_on_metered (DpAppManager *self)
{
  gboolean paused = g_hash_table_size (self->metered_paused) > 0;

  if (self->paused_on_metered == paused)
    return;
  self->paused_on_metered = paused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED_ON_METERED]);
}

/* An item the manager paused that the user resumed, or that finished
 * while it was being stopped, is no longer the manager's to resume. */
static void
forget_metered_pause (DpAppManager *self,
                      DpAppItem    *item)
{
  if (dp_app_item_get_status (item) == DP_APP_ITEM_PAUSED ||
      !g_hash_table_remove (self->metered_paused, item))
    return;
  update_paused_on_metered (self);
}

static void
pause_for_metered (DpAppManager *self,
                   DpAppItem    *item)
{
  /* One being cancelled stops for good, not for the connection. */
  if (dp_app_item_is_being_cancelled (item) ||
      (!dp_app_item_is_running (item) && dp_app_item_get_status (item) != DP_APP_ITEM_QUEUED))
    return;
  dp_app_item_pause (item);
  if (!g_hash_table_contains (self->metered_paused, item))
    g_hash_table_add (self->metered_paused, g_object_ref (item));
}

/* Pauses what runs or waits to run. What the user starts afterwards,
 * with the notice in front of them, runs: that is their choice. */
static void
pause_all_for_metered (DpAppManager *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      pause_for_metered (self, item);
    }
  update_paused_on_metered (self);
}

static void
resume_metered_paused (DpAppManager *self)
{
  g_autoptr(GHashTable) paused = g_steal_pointer (&self->metered_paused);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  self->metered_paused = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  /* In list order, which is the order of the queue. */
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (g_hash_table_contains (paused, item))
        dp_app_item_resume (item);
    }
  update_paused_on_metered (self);
}

/* An undone removal gives back to the manager an item it had paused:
 * paused still while the connection is metered, else resumed as the
 * others were meanwhile. */
static void
restore_metered_pause (DpAppManager *self,
                       DpAppItem    *item)
{
  if (!holds_for_metered (self))
    {
      dp_app_item_resume (item);
      return;
    }
  dp_app_item_pause (item);
  if (!g_hash_table_contains (self->metered_paused, item))
    g_hash_table_add (self->metered_paused, g_object_ref (item));
}

static void
set_metered_hold (DpAppManager *self,
                  gboolean      was_holding)
{
  if (was_holding == holds_for_metered (self))
    return;
  if (holds_for_metered (self))
    pause_all_for_metered (self);
  else
    resume_metered_paused (self);
}

/* Downloads that failed because the network went away try again once it
 * is back, as the user would have to otherwise. */
static void
retry_network_failures (DpAppManager *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (dp_app_item_get_failure_code (item) != DP_ERROR_NETWORK)
        continue;
      dp_app_item_resume (item);
      if (holds_for_metered (self))
        pause_for_metered (self, item);
    }
  update_paused_on_metered (self);
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

  forget_metered_pause (self, item);

  /* Only a download that ran in this session ends worth a word. */
  if (dp_app_item_is_running (item) &&
      (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED))
    g_signal_emit (self, signals[ITEM_DONE], 0, item);

  count_item (self, item, FALSE);
  count_item (self, item, TRUE);
  statuses_changed (self);

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
  count_item (self, item, TRUE);
  g_signal_connect_object (item, "notify::running", G_CALLBACK (on_item_running), self, 0);
  g_signal_connect_object (item, "notify::status", G_CALLBACK (on_item_status), self, 0);
  g_signal_connect_object (item, "changed", G_CALLBACK (on_item_changed), self, 0);
}

/* The item no longer counts: it is out of the list, or about to be. */
static void
unwatch_item (DpAppManager *self,
              DpAppItem    *item)
{
  g_signal_handlers_disconnect_by_data (item, self);
  count_item (self, item, FALSE);
  /* Nothing to resume once the network is cheap again. */
  if (g_hash_table_remove (self->metered_paused, item))
    update_paused_on_metered (self);
  if (dp_app_item_is_running (item))
    {
      /* It no longer holds a slot, though the engine takes a moment. */
      self->n_running--;
      if (self->n_running == 0)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

static void
rewatch_item (DpAppManager *self,
              DpAppItem    *item)
{
  watch_item (self, item);
  if (dp_app_item_is_running (item))
    {
      self->n_running++;
      if (self->n_running == 1)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

static void
dp_app_manager_dispose (GObject *object)
{
  DpAppManager *self = DP_APP_MANAGER (object);

  g_clear_handle_id (&self->queue_idle_id, g_source_remove);
  /* Dropped, not confirmed: only dp_app_manager_shutdown() may act on
   * the user's files without a word. */
  g_clear_pointer (&self->removals, g_ptr_array_unref);
  if (self->store != NULL)
    dp_app_store_set_snapshot_func (self->store, NULL, NULL);
  g_clear_object (&self->store);
  g_clear_pointer (&self->metered_paused, g_hash_table_unref);
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
    case PROP_METERED:
      g_value_set_boolean (value, self->metered);
      break;
    case PROP_DOWNLOAD_ON_METERED:
      g_value_set_boolean (value, self->download_on_metered);
      break;
    case PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, self->network_available);
      break;
    case PROP_PAUSED_ON_METERED:
      g_value_set_boolean (value, self->paused_on_metered);
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
    case PROP_METERED:
    case PROP_DOWNLOAD_ON_METERED:
      {
        gboolean *field = prop_id == PROP_METERED ? &self->metered : &self->download_on_metered;
        gboolean was_holding = holds_for_metered (self);

        if (*field == g_value_get_boolean (value))
          break;
        *field = g_value_get_boolean (value);
        set_metered_hold (self, was_holding);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    case PROP_NETWORK_AVAILABLE:
      if (self->network_available != g_value_get_boolean (value))
        {
          self->network_available = g_value_get_boolean (value);
          if (self->network_available)
            retry_network_failures (self);
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
  /* GNetworkMonitor:network-metered, bound by the application. While it
   * holds and #DpAppManager:download-on-metered does not, the manager
   * pauses running and queued downloads, and resumes those (only those)
   * when either changes. */
  properties[PROP_METERED] =
    g_param_spec_boolean ("metered", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOWNLOAD_ON_METERED] =
    g_param_spec_boolean ("download-on-metered", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* GNetworkMonitor:network-available: when it comes back, downloads
   * that failed on a network error try again. */
  properties[PROP_NETWORK_AVAILABLE] =
    g_param_spec_boolean ("network-available", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether downloads wait because the connection is metered. */
  properties[PROP_PAUSED_ON_METERED] =
    g_param_spec_boolean ("paused-on-metered", NULL, NULL, FALSE,
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

  /**
   * DpAppManager::removal-pending:
   * @id: the removal, for dp_app_manager_undo_removal() and
   *   dp_app_manager_confirm_removal()
   * @title: what happened, for a toast
   *
   * Items were removed or cancelled, and nothing is deleted yet. A
   * handler that offers to undo it returns %TRUE and later confirms or
   * undoes it; when none does, the removal is confirmed after a few
   * seconds.
   *
   * Returns: whether the removal was taken care of
   */
  signals[REMOVAL_PENDING] =
    g_signal_new ("removal-pending", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, g_signal_accumulator_true_handled, NULL, NULL,
                  G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * DpAppManager::file-error:
   * @message: what went wrong, for the user
   *
   * A confirmed removal could not move a file to the trash.
   */
  signals[FILE_ERROR] =
    g_signal_new ("file-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * DpAppManager::statuses-changed:
   *
   * What dp_app_manager_count_status() returns may have changed.
   */
  signals[STATUSES_CHANGED] =
    g_signal_new ("statuses-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  counted_status_quark = g_quark_from_static_string ("dp-app-manager-counted-status");
}

static void
dp_app_manager_init (DpAppManager *self)
{
  self->items = g_list_store_new (DP_APP_TYPE_ITEM);
  self->removals = g_ptr_array_new_with_free_func ((GDestroyNotify) removal_free);
  self->engine = dp_engine_new ();
  self->directory = g_strdup ("");
  self->segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
  self->max_active = DEFAULT_MAX_ACTIVE;
  self->network_available = TRUE;
  self->metered_paused = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
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

/* @item: (transfer full): a new item for the end of the list */
static DpAppItem *
append_item (DpAppManager *self,
             DpAppItem    *item,
             gboolean      start)
{
  g_autoptr(DpAppItem) owned = item;

  if (!start)
    dp_app_item_pause (item);

  watch_item (self, item);
  g_list_store_append (self->items, item);
  statuses_changed (self);

  /* Started from an idle: until then the caller may still give the
   * item what goes with it (dp_app_item_set_mirrors()). */
  schedule_queue (self);
  mark_dirty (self, TRUE);
  return item;
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
  return dp_app_manager_add_full (self, url, directory, segments, checksum, NULL, start);
}

/**
 * dp_app_manager_add_full:
 * @request: (nullable): headers, cookies and a login for the download
 *
 * dp_app_manager_add() with what the download sends besides its address.
 *
 * Returns: (transfer none): the new item, at the end of the list
 */
DpAppItem *
dp_app_manager_add_full (DpAppManager    *self,
                         const char      *url,
                         const char      *directory,
                         guint            segments,
                         const char      *checksum,
                         const DpRequest *request,
                         gboolean         start)
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
  if (request != NULL)
    dp_app_item_set_request (item, request);
  return append_item (self, g_steal_pointer (&item), start);
}

/**
 * dp_app_manager_add_metalink_file:
 * @file: a file of a Metalink document
 * @directory: (nullable): the folder, or %NULL for the default one
 * @start: whether to queue the download, rather than add it paused
 *
 * Adds a download of the file @file describes, from all its addresses
 * (see dp_app_item_new_from_metalink()), with the manager's
 * connections.
 *
 * Returns: (transfer none): the new item, at the end of the list
 */
DpAppItem *
dp_app_manager_add_metalink_file (DpAppManager         *self,
                                  const DpMetalinkFile *file,
                                  const char           *directory,
                                  gboolean              start)
{
  g_autofree char *default_directory = NULL;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  g_return_val_if_fail (file != NULL, NULL);

  if (directory == NULL || *directory == '\0')
    directory = default_directory = dp_app_manager_dup_default_directory (self);
  return append_item (self, dp_app_item_new_from_metalink (file, directory, self->segments), start);
}

typedef struct
{
  GFile *file;
  gboolean start;
} AddMetalink;

static void
add_metalink_free (AddMetalink *data)
{
  g_object_unref (data->file);
  g_free (data);
}

static void
on_metalink_loaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DpAppManager *self = g_task_get_source_object (task);
  AddMetalink *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) files = NULL;
  GPtrArray *items;
  GError *error = NULL;

  files = dp_app_metalink_load_finish (result, &error);
  if (files == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (items, g_object_ref (dp_app_manager_add_metalink_file (self,
                                                                            g_ptr_array_index (files, i),
                                                                            NULL, data->start)));
  g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * dp_app_manager_add_metalink_async:
 * @file: a Metalink document on disk (.meta4 or .metalink)
 * @start: whether to queue the downloads, rather than add them paused
 *
 * Reads @file in a worker thread and adds one download for each file
 * it describes, in the default folder. Nothing is added when the
 * document cannot be read or used.
 */
void
dp_app_manager_add_metalink_async (DpAppManager        *self,
                                   GFile               *file,
                                   gboolean             start,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  AddMetalink *data;

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_app_manager_add_metalink_async);
  data = g_new0 (AddMetalink, 1);
  data->file = g_object_ref (file);
  data->start = start;
  g_task_set_task_data (task, data, (GDestroyNotify) add_metalink_free);
  dp_app_metalink_load_async (file, cancellable, on_metalink_loaded, task);
}

/**
 * dp_app_manager_add_metalink_finish:
 * @error: why nothing was added, in words for the user
 *
 * Returns: (transfer full) (element-type DpAppItem): the items added,
 *   at least one, or %NULL with @error set
 */
GPtrArray *
dp_app_manager_add_metalink_finish (DpAppManager  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
is_active_status (DpAppItemStatus status)
{
  return status == DP_APP_ITEM_QUEUED || status == DP_APP_ITEM_CONNECTING ||
         status == DP_APP_ITEM_DOWNLOADING || status == DP_APP_ITEM_FINISHING;
}

static Removal *
removal_new (DpAppManager *self,
             gboolean      cancel,
             gboolean      delete_files)
{
  Removal *removal = g_new0 (Removal, 1);

  removal->manager = self;
  removal->id = ++self->last_removal_id;
  removal->cancel = cancel;
  removal->delete_files = delete_files;
  removal->items = g_array_new (FALSE, TRUE, sizeof (Removed));
  g_array_set_clear_func (removal->items, (GDestroyNotify) removed_clear);
  return removal;
}

static Removal *
take_removal (DpAppManager *self,
              guint         id)
{
  for (guint i = 0; i < self->removals->len; i++)
    {
      Removal *removal = g_ptr_array_index (self->removals, i);

      if (removal->id == id)
        return g_ptr_array_steal_index (self->removals, i);
    }
  return NULL;
}

typedef struct
{
  DpAppManager *manager;
  char *path;
} TrashRequest;

static void
on_trashed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrashRequest *request = user_data;
  g_autoptr(GError) error = NULL;

  if (!dp_app_trash_file_finish (result, &error))
    {
      g_autofree char *name = g_path_get_basename (request->path);
      g_autofree char *message = NULL;

      /* Translators: %s is a file name. */
      message = g_strdup_printf (_("Could not move “%s” to the trash"), name);
      g_debug ("Trashing %s failed: %s", request->path, error->message);
      g_signal_emit (request->manager, signals[FILE_ERROR], 0, message);
    }

  g_object_unref (request->manager);
  g_free (request->path);
  g_free (request);
}

static void
trash_file (DpAppManager *self,
            const char   *path,
            gboolean      now)
{
  TrashRequest *request;

  if (now)
    {
      /* Quitting: no main loop is left to finish it. */
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GError) error = NULL;

      if (!g_file_trash (file, NULL, &error) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_warning ("Could not move %s to the trash: %s", path, error->message);
      return;
    }

  request = g_new0 (TrashRequest, 1);
  request->manager = g_object_ref (self);
  request->path = g_strdup (path);
  dp_app_trash_file_async (path, NULL, on_trashed, request);
}

/* Whether an item other than @item, in the list or in a removal that
 * may still be undone, has @path: the same link added again continues
 * the partial file that a removed or cancelled download left, and the
 * file is the new download's then. */
static gboolean
path_in_use (DpAppManager *self,
             DpAppItem    *item,
             const char   *path)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) other = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (other != item && g_strcmp0 (dp_app_item_get_path (other), path) == 0)
        return TRUE;
    }

  for (guint i = 0; i < self->removals->len; i++)
    {
      Removal *removal = g_ptr_array_index (self->removals, i);

      for (guint j = 0; j < removal->items->len; j++)
        {
          DpAppItem *other = g_array_index (removal->items, Removed, j).item;

          if (other != item && g_strcmp0 (dp_app_item_get_path (other), path) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* Deletes the partial data of an item that is out of the list or
 * cancelled, unless another download uses them; @now when there is no
 * later. Whatever the list says, a download that holds the file keeps
 * it: the deletion takes the engine's lock first. */
static void
discard_item (DpAppManager *self,
              DpAppItem    *item,
              gboolean      now)
{
  const char *path = dp_app_item_get_path (item);

  if (path != NULL && path_in_use (self, item, path))
    dp_app_item_discard_keeping_files (item);
  else if (now && !dp_app_item_is_running (item) && path != NULL &&
           dp_app_item_is_unfinished (item))
    {
      dp_app_delete_partial_now (path);
      dp_app_item_discard_keeping_files (item);
    }
  else
    dp_app_item_discard (item);
}

static void
confirm_removal (DpAppManager *self,
                 Removal      *removal,
                 gboolean      now)
{
  for (guint i = 0; i < removal->items->len; i++)
    {
      Removed *removed = &g_array_index (removal->items, Removed, i);
      DpAppItem *item = removed->item;

      if (removal->cancel)
        {
          /* Removed meanwhile: that removal decides, undone or not.
           * Retried meanwhile: nothing left to delete. One still
           * stopping is cancelled all the same. */
          if (g_list_store_find (self->items, item, NULL) &&
              item_status (item) == DP_APP_ITEM_CANCELLED)
            discard_item (self, item, now);
        }
      else if (dp_app_item_is_unfinished (item))
        discard_item (self, item, now);
      else if (removal->delete_files && dp_app_item_get_path (item) != NULL)
        trash_file (self, dp_app_item_get_path (item), now);
    }
  removal_free (removal);
}

static gboolean
on_removal_timeout (gpointer data)
{
  Removal *removal = data;

  removal->timeout_id = 0;
  dp_app_manager_confirm_removal (removal->manager, removal->id);
  return G_SOURCE_REMOVE;
}

static void
announce_removal (DpAppManager *self,
                  Removal      *removal,
                  const char   *title)
{
  gboolean handled = FALSE;
  guint id = removal->id;

  g_ptr_array_add (self->removals, removal);
  g_signal_emit (self, signals[REMOVAL_PENDING], 0, id, title, &handled);

  /* No window to offer an undo: carried out a little later all the
   * same, so that it behaves the same with or without one. */
  removal = NULL;
  for (guint i = 0; i < self->removals->len && !handled; i++)
    if (((Removal *) g_ptr_array_index (self->removals, i))->id == id)
      removal = g_ptr_array_index (self->removals, i);
  if (removal != NULL)
    removal->timeout_id = g_timeout_add_seconds (REMOVAL_TIMEOUT_S, on_removal_timeout, removal);
}

static int
compare_removed (gconstpointer a,
                 gconstpointer b)
{
  const Removed *ra = a, *rb = b;

  return ra->position < rb->position ? -1 : ra->position > rb->position;
}

/**
 * dp_app_manager_remove_items:
 * @items: (element-type DpAppItem): items in the list
 * @delete_files: whether finished files go to the trash as well
 *
 * Takes @items out of the list at once, and stops those that run so
 * that nothing is lost if the removal is undone. Once it is confirmed,
 * the partial data of unfinished downloads are deleted (without the
 * list entry nothing could resume them) and, if @delete_files, the
 * files of finished ones are moved to the trash. Announced with
 * #DpAppManager::removal-pending.
 */
void
dp_app_manager_remove_items (DpAppManager *self,
                             GPtrArray    *items,
                             gboolean      delete_files)
{
  Removal *removal;
  g_autofree char *title = NULL;

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (items != NULL);

  removal = removal_new (self, FALSE, delete_files);
  for (guint i = 0; i < items->len; i++)
    {
      Removed removed = { NULL, 0, 0, FALSE };

      g_return_if_fail (DP_APP_IS_ITEM (items->pdata[i]));
      if (!g_list_store_find (self->items, items->pdata[i], &removed.position))
        continue;
      /* Twice in @items counts once. */
      for (guint j = 0; j < removal->items->len; j++)
        if (g_array_index (removal->items, Removed, j).item == items->pdata[i])
          removed.item = items->pdata[i];
      if (removed.item != NULL)
        continue;
      removed.item = g_object_ref (items->pdata[i]);
      removed.status = item_status (removed.item);
      removed.metered_paused = g_hash_table_contains (self->metered_paused, removed.item);
      g_array_append_val (removal->items, removed);
    }

  if (removal->items->len == 0)
    {
      removal_free (removal);
      return;
    }
  g_array_sort (removal->items, compare_removed);

  /* From the end, so that the positions before stay right. */
  for (guint i = removal->items->len; i > 0; i--)
    {
      Removed *removed = &g_array_index (removal->items, Removed, i - 1);

      unwatch_item (self, removed->item);
      /* Stopped, not cancelled: an undo continues it. One being
       * cancelled stays so. */
      if (is_active_status (removed->status) || dp_app_item_is_running (removed->item))
        dp_app_item_pause (removed->item);
      g_list_store_remove (self->items, removed->position);
    }

  if (removal->items->len == 1)
    /* Translators: %s is a file name. */
    title = g_strdup_printf (_("“%s” removed"),
                             dp_app_item_get_display_name (g_array_index (removal->items, Removed, 0).item));
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u download removed",
                                          "%u downloads removed", removal->items->len),
                             removal->items->len);

  statuses_changed (self);
  schedule_queue (self);
  mark_dirty (self, TRUE);
  announce_removal (self, removal, title);
}

/**
 * dp_app_manager_remove:
 * @item: an item in the list
 * @delete_file: whether a finished file goes to the trash as well
 *
 * dp_app_manager_remove_items() for one item.
 */
void
dp_app_manager_remove (DpAppManager *self,
                       DpAppItem    *item,
                       gboolean      delete_file)
{
  g_autoptr(GPtrArray) items = NULL;

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (DP_APP_IS_ITEM (item));

  items = g_ptr_array_new ();
  g_ptr_array_add (items, item);
  dp_app_manager_remove_items (self, items, delete_file);
}

/**
 * dp_app_manager_cancel:
 * @item: an unfinished item in the list
 *
 * Stops @item at once; it stays in the list as cancelled. Its partial
 * data stay until the cancellation is confirmed, so that an undo
 * continues the download rather than starting it over.
 */
void
dp_app_manager_cancel (DpAppManager *self,
                       DpAppItem    *item)
{
  Removal *removal;
  Removed removed = { NULL, 0, 0, FALSE };

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (DP_APP_IS_ITEM (item));

  removed.status = item_status (item);
  if (removed.status == DP_APP_ITEM_FINISHED || removed.status == DP_APP_ITEM_CANCELLED ||
      !g_list_store_find (self->items, item, &removed.position))
    return;

  removal = removal_new (self, TRUE, FALSE);
  removed.item = g_object_ref (item);
  /* Cancelled, it is no longer the manager's to resume; an undo makes
   * it so again. */
  removed.metered_paused = g_hash_table_contains (self->metered_paused, item);
  g_array_append_val (removal->items, removed);
  dp_app_item_cancel_keeping_data (item);
  announce_removal (self, removal, _("Download cancelled"));
}

/**
 * dp_app_manager_undo_removal:
 * @id: from #DpAppManager::removal-pending
 *
 * Puts removed items back where they were, as they were (those that
 * ran are queued again and continue), or resumes cancelled ones.
 *
 * Returns: whether @id was still pending
 */
gboolean
dp_app_manager_undo_removal (DpAppManager *self,
                             guint         id)
{
  Removal *removal;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);

  removal = take_removal (self, id);
  if (removal == NULL)
    return FALSE;

  for (guint i = 0; i < removal->items->len; i++)
    {
      Removed *removed = &g_array_index (removal->items, Removed, i);
      DpAppItem *item = removed->item;

      if (removal->cancel)
        {
          /* Removed meanwhile: not brought back behind the user's back
           * (that removal has an undo of its own). */
          if (!g_list_store_find (self->items, item, NULL) ||
              (dp_app_item_get_status (item) != DP_APP_ITEM_CANCELLED &&
               !dp_app_item_is_running (item)))
            continue;
          /* Queued again, from the bytes it has; a paused one stays
           * paused. */
          dp_app_item_resume (item);
          if (removed->status == DP_APP_ITEM_PAUSED)
            dp_app_item_pause (item);
          if (removed->metered_paused)
            restore_metered_pause (self, item);
        }
      else
        {
          guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));

          /* In order of position, so that each lands where it was. */
          g_list_store_insert (self->items, MIN (removed->position, n_items), item);
          rewatch_item (self, item);
          if (is_active_status (removed->status))
            dp_app_item_resume (item);
          if (removed->metered_paused)
            restore_metered_pause (self, item);
        }
    }

  removal_free (removal);
  update_paused_on_metered (self);
  statuses_changed (self);
  schedule_queue (self);
  mark_dirty (self, TRUE);
  return TRUE;
}

/**
 * dp_app_manager_confirm_removal:
 * @id: from #DpAppManager::removal-pending
 *
 * Carries the removal out: deletes partial data and trashes files as
 * asked. Nothing can bring them back through the list after this.
 *
 * Returns: whether @id was still pending
 */
gboolean
dp_app_manager_confirm_removal (DpAppManager *self,
                                guint         id)
{
  Removal *removal;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);

  removal = take_removal (self, id);
  if (removal == NULL)
    return FALSE;
  confirm_removal (self, removal, FALSE);
  return TRUE;
}

/* Whether any removal waits for its confirmation. */
gboolean
dp_app_manager_has_pending_removals (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);
  return self->removals->len > 0;
}

/**
 * dp_app_manager_pause_all:
 *
 * Pauses every download that runs or waits to.
 */
void
dp_app_manager_pause_all (DpAppManager *self)
{
  guint n_items;

  g_return_if_fail (DP_APP_IS_MANAGER (self));

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (is_active_status (item_status (item)))
        dp_app_item_pause (item);
    }
}

/**
 * dp_app_manager_resume_all:
 *
 * Queues every paused download again; failed and cancelled ones stay
 * as they are, each of them is the user's call.
 */
void
dp_app_manager_resume_all (DpAppManager *self)
{
  guint n_items;

  g_return_if_fail (DP_APP_IS_MANAGER (self));

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (dp_app_item_get_status (item) == DP_APP_ITEM_PAUSED)
        dp_app_item_resume (item);
    }
}

/* How many items of the list have @status, without a walk over it. */
guint
dp_app_manager_count_status (DpAppManager    *self,
                             DpAppItemStatus  status)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), 0);
  g_return_val_if_fail (status <= DP_APP_ITEM_CANCELLED, 0);
  return self->status_counts[status];
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

  /* A cancellation is saved at once, before it can be undone; partial
   * data still beside it means that the last session ended before it
   * was confirmed. It is now, once the whole list is there to tell
   * whether another download continues the same file. */
  for (guint i = 0; i < loaded->len; i++)
    {
      DpAppItem *item = g_ptr_array_index (loaded, i);

      if (dp_app_item_get_status (item) == DP_APP_ITEM_CANCELLED &&
          dp_app_item_get_path (item) != NULL)
        discard_item (self, item, FALSE);
    }

  /* Restored downloads wait for an unmetered connection too. */
  if (holds_for_metered (self))
    pause_all_for_metered (self);

  self->loaded = TRUE;
  statuses_changed (self);
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

  /* Nobody is left to undo anything. Removed items are out of the list
   * already, so the list saved below does not bring them back. */
  while (self->removals->len > 0)
    confirm_removal (self, g_ptr_array_steal_index (self->removals, 0), TRUE);

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
 * dp_app_manager_use_fewer_connections:
 * @per_download: connections a download may use
 *
 * Saves power and data for the rest of the session: new downloads use
 * at most @per_download connections (not more than they would have),
 * and the engine shares at most that many per running download among
 * the running ones, which takes effect at once.
 */
void
dp_app_manager_use_fewer_connections (DpAppManager *self,
                                      guint         per_download)
{
  DpEngine *engine;
  guint total;

  g_return_if_fail (DP_APP_IS_MANAGER (self));
  g_return_if_fail (per_download >= DP_DOWNLOAD_MIN_SEGMENTS);

  if (self->segments == DP_DOWNLOAD_SEGMENTS_AUTO || self->segments > per_download)
    g_object_set (self, "segments", per_download, NULL);

  engine = self->engine;
  total = per_download * self->max_active;
  if (dp_engine_get_max_connections (engine) > total)
    dp_engine_set_max_connections (engine, total);
}

/* Whether downloads wait for an unmetered connection. */
gboolean
dp_app_manager_get_paused_on_metered (DpAppManager *self)
{
  g_return_val_if_fail (DP_APP_IS_MANAGER (self), FALSE);
  return self->paused_on_metered;
}

/**
 * dp_app_manager_find:
 * @url: the address of a download
 * @path: (nullable): its file, or %NULL for one that has none yet
 *
 * Finds a download by what identifies it across restarts, for actions
 * that outlive the process, like a notification's buttons. A failed
 * download wins over another one of the same address and file.
 *
 * Returns: (transfer none) (nullable): the item
 */
DpAppItem *
dp_app_manager_find (DpAppManager *self,
                     const char   *url,
                     const char   *path)
{
  guint n_items;
  DpAppItem *found = NULL;

  g_return_val_if_fail (DP_APP_IS_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  if (path != NULL && *path == '\0')
    path = NULL;
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (g_strcmp0 (dp_app_item_get_url (item), url) != 0 ||
          g_strcmp0 (dp_app_item_get_path (item), path) != 0)
        continue;
      if (dp_app_item_get_status (item) == DP_APP_ITEM_FAILED)
        return item;
      if (found == NULL)
        found = item;
    }
  return found;
}
