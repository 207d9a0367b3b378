/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "dp-app-store.h"

/* How long a change may wait before it reaches the disk. A status
 * change (finished, paused, added, removed) is saved almost at once so
 * that a crash loses nothing the user did; progress only updates what
 * the rows show, since the engine keeps the partial data itself. */
#define SOON_MS 500
#define LATER_MS 10000

/*
 * The list of downloads on disk, saved in a worker thread with
 * g_file_set_contents_full() (write to a temporary file, fsync, rename)
 * so that a crash leaves either the old list or the new one.
 */
struct _DpAppStore
{
  GObject parent_instance;

  char *path;

  /* Main thread. */
  DpAppStoreSnapshotFunc snapshot_func;
  gpointer snapshot_data;
  guint timeout_id;
  gint64 deadline;
  gboolean dirty;
  gboolean saving;
  guint64 generation;

  /* Any thread, under write_mutex: the newest list that reached the disk.
   * A slow worker must not replace a newer list written by flush(). */
  GMutex write_mutex;
  guint64 written_generation;
};

G_DEFINE_FINAL_TYPE (DpAppStore, dp_app_store, G_TYPE_OBJECT)

typedef struct
{
  GVariant *list;
  guint64 generation;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_variant_unref (job->list);
  g_free (job);
}

static void schedule (DpAppStore *self, guint delay_ms);

static void
dp_app_store_finalize (GObject *object)
{
  DpAppStore *self = DP_APP_STORE (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_mutex_clear (&self->write_mutex);
  g_free (self->path);

  G_OBJECT_CLASS (dp_app_store_parent_class)->finalize (object);
}

static void
dp_app_store_class_init (DpAppStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_app_store_finalize;
}

static void
dp_app_store_init (DpAppStore *self)
{
  g_mutex_init (&self->write_mutex);
}

/**
 * dp_app_store_new:
 * @path: the file to keep the list in
 *
 * Returns: (transfer full): a store
 */
DpAppStore *
dp_app_store_new (const char *path)
{
  DpAppStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (DP_APP_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  return self;
}

const char *
dp_app_store_get_path (DpAppStore *self)
{
  g_return_val_if_fail (DP_APP_IS_STORE (self), NULL);
  return self->path;
}

/* Returns: (transfer full): $XDG_DATA_HOME/downpour/downloads.gvariant */
char *
dp_app_store_dup_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), PACKAGE_NAME, "downloads.gvariant", NULL);
}

void
dp_app_store_set_snapshot_func (DpAppStore             *self,
                                DpAppStoreSnapshotFunc  func,
                                gpointer                user_data)
{
  g_return_if_fail (DP_APP_IS_STORE (self));
  self->snapshot_func = func;
  self->snapshot_data = user_data;
}

static GBytes *
serialize (GVariant *list)
{
  g_autoptr(GVariant) file = g_variant_ref_sink (g_variant_new ("(u@aa{sv})", DP_APP_STORE_VERSION,
                                                                list));

  /* Little-endian on disk, whatever the machine. */
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      g_autoptr(GVariant) swapped = g_variant_byteswap (file);
      return g_variant_get_data_as_bytes (swapped);
    }
  return g_variant_get_data_as_bytes (file);
}

static gboolean
write_list (DpAppStore  *self,
            GVariant    *list,
            guint64      generation,
            GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *folder = NULL;
  gboolean ok = TRUE;

  bytes = serialize (list);
  folder = g_path_get_dirname (self->path);

  g_mutex_lock (&self->write_mutex);
  if (generation > self->written_generation)
    {
      if (g_mkdir_with_parents (folder, 0700) != 0)
        {
          int saved_errno = errno;
          g_autofree char *display = g_filename_display_name (folder);

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not create the folder “%s”: %s"), display, g_strerror (saved_errno));
          ok = FALSE;
        }
      else
        ok = g_file_set_contents_full (self->path,
                                       g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                       G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                       0600, error);
      if (ok)
        self->written_generation = generation;
    }
  g_mutex_unlock (&self->write_mutex);

  return ok;
}

static void
save_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SaveJob *job = task_data;
  GError *error = NULL;

  if (write_list (source_object, job->list, job->generation, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  DpAppStore *self = DP_APP_STORE (source);
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Could not save the list of downloads: %s", error->message);

  if (self->dirty && self->timeout_id == 0)
    schedule (self, SOON_MS);
}

static GVariant *
take_snapshot (DpAppStore *self)
{
  GVariant *list = NULL;

  if (self->snapshot_func != NULL)
    list = self->snapshot_func (self->snapshot_data);
  if (list == NULL)
    list = g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0);
  return g_variant_ref_sink (list);
}

static gboolean
on_timeout (gpointer data)
{
  DpAppStore *self = data;
  g_autoptr(GTask) task = NULL;
  SaveJob *job;

  self->timeout_id = 0;

  /* One save at a time; on_saved() comes back for the rest. */
  if (self->saving)
    return G_SOURCE_REMOVE;

  /* The snapshot is taken here, on the main thread, where the items
   * live; only the serializing and writing happen in the worker. */
  job = g_new0 (SaveJob, 1);
  job->list = take_snapshot (self);
  job->generation = ++self->generation;
  self->dirty = FALSE;
  self->saving = TRUE;

  task = g_task_new (self, NULL, on_saved, NULL);
  g_task_set_source_tag (task, dp_app_store_mark_dirty);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_in_thread);

  return G_SOURCE_REMOVE;
}

static void
schedule (DpAppStore *self,
          guint       delay_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) delay_ms * 1000;

  if (self->timeout_id != 0 && self->deadline <= deadline)
    return;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->deadline = deadline;
  self->timeout_id = g_timeout_add (delay_ms, on_timeout, self);
}

/**
 * dp_app_store_mark_dirty:
 * @soon: whether the change matters after a crash (a status change),
 *   rather than only for what the list shows (progress)
 *
 * Schedules a save. Many changes in a row make one save.
 */
void
dp_app_store_mark_dirty (DpAppStore *self,
                         gboolean    soon)
{
  g_return_if_fail (DP_APP_IS_STORE (self));

  self->dirty = TRUE;
  schedule (self, soon ? SOON_MS : LATER_MS);
}

/* Whether every change is on disk and no worker is writing. */
gboolean
dp_app_store_is_idle (DpAppStore *self)
{
  g_return_val_if_fail (DP_APP_IS_STORE (self), TRUE);
  return !self->dirty && !self->saving;
}

/**
 * dp_app_store_flush:
 *
 * Writes the list now, on the calling thread. Meant for quitting, when
 * the process is about to end and a worker would not finish.
 *
 * Returns: whether the list is on disk
 */
gboolean
dp_app_store_flush (DpAppStore  *self,
                    GError     **error)
{
  g_autoptr(GVariant) list = NULL;

  g_return_val_if_fail (DP_APP_IS_STORE (self), FALSE);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  list = take_snapshot (self);
  self->dirty = FALSE;
  return write_list (self, list, ++self->generation, error);
}

static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  DpAppStore *self = source_object;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autofree char *broken = NULL;
  char *contents = NULL;
  gsize length = 0;
  guint32 version = 0;

  if (!g_file_get_contents (self->path, &contents, &length, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_task_return_pointer (task,
                               g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARDICT,
                                                                        NULL, 0)),
                               (GDestroyNotify) g_variant_unref);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* GVariant copes with any bytes: malformed data reads as defaults. */
  file = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (DP_APP_STORE_TYPE),
                                                      contents, length, FALSE, g_free, contents));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    normal = g_variant_byteswap (file);
  else
    normal = g_variant_get_normal_form (file);

  g_variant_get (normal, "(u@aa{sv})", &version, &list);
  if (version == DP_APP_STORE_VERSION)
    {
      g_task_return_pointer (task, g_steal_pointer (&list), (GDestroyNotify) g_variant_unref);
      return;
    }

  /* Keep what cannot be read for a human to look at, instead of
   * overwriting it with an empty list. */
  broken = g_strconcat (self->path, ".broken", NULL);
  g_rename (self->path, broken);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The list of downloads could not be read; it was moved to “%s”."),
                           broken);
}

/**
 * dp_app_store_load_async:
 *
 * Reads the list in a worker thread. A missing file is an empty list.
 */
void
dp_app_store_load_async (DpAppStore          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DP_APP_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_app_store_load_async);
  g_task_run_in_thread (task, load_in_thread);
}

/**
 * dp_app_store_load_finish:
 *
 * Returns: (transfer full) (nullable): an `aa{sv}`, one per download
 */
GVariant *
dp_app_store_load_finish (DpAppStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DP_APP_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
