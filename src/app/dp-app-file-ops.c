/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "dp-app-compat.h"
#include "dp-app-file-ops.h"
#include "dp-error.h"
#include "dp-part-file.h"

/* Things done to downloaded files on behalf of the user. None of them
 * may block the main thread: a deletion on a slow disk or a network
 * mount can take seconds. */

/* Operations under way; main thread only. Each holds the application,
 * when there is one, so that it does not quit with the user's files
 * half dealt with once nothing else keeps it. */
static guint n_pending;

static GApplication *
hold_application (void)
{
  GApplication *application = g_application_get_default ();

  n_pending++;
  if (application == NULL)
    return NULL;
  g_application_hold (application);
  return g_object_ref (application);
}

static void
release_application (GApplication *application)
{
  g_assert (n_pending > 0);
  n_pending--;
  if (application == NULL)
    return;
  g_application_release (application);
  g_object_unref (application);
}

/**
 * dp_app_file_ops_get_n_pending:
 *
 * Returns: how many deletions and moves to the trash are under way
 */
guint
dp_app_file_ops_get_n_pending (void)
{
  return n_pending;
}

/* Deletes a download's partial data, unless a download holds it: a
 * download added again for the same link may continue that very file,
 * and it is its own now. */
static void
delete_partial (const char *part,
                const char *state)
{
  g_autoptr(GError) error = NULL;

  if (!dp_part_file_delete (part, state, &error))
    g_debug ("Not deleting %s: %s", part, error->message);
}

static void
delete_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const char * const *paths = task_data;

  delete_partial (paths[0], paths[1]);
  if (paths[2] != NULL && g_unlink (paths[2]) != 0 && errno != ENOENT)
    g_debug ("Could not delete %s: %s", paths[2], g_strerror (errno));

  g_task_return_boolean (task, TRUE);
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  release_application (user_data);
}

/* The partial data of a download is two files: the bytes, and the
 * engine's record of which of them arrived (kept beside them so that a
 * later start continues). Deleting only the first leaves a stale record
 * behind for good. In this order: the part, its record, the file. */
static char **
download_files (const char *path,
                gboolean    include_final)
{
  char **paths = g_new0 (char *, 4);

  paths[0] = g_strconcat (path, ".part", NULL);
  paths[1] = g_strconcat (path, ".part.state", NULL);
  if (include_final)
    paths[2] = g_strdup (path);
  return paths;
}

/**
 * dp_app_delete_file_async:
 * @path: the final path of a download
 * @include_final: whether to delete @path itself, not only its partial
 *   data ("@path.part" and "@path.part.state")
 *
 * Deletes the download's files in a worker thread. Missing files are
 * fine: the point is that they are gone afterwards. Partial data that a
 * download holds are its own, and stay. The application is held until
 * it is done.
 */
void
dp_app_delete_file_async (const char *path,
                          gboolean    include_final)
{
  g_autoptr(GTask) task = NULL;
  char **paths;

  g_return_if_fail (path != NULL);

  paths = download_files (path, include_final);

  task = g_task_new (NULL, NULL, on_deleted, hold_application ());
  g_task_set_source_tag (task, dp_app_delete_file_async);
  g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, delete_in_thread);
}

/**
 * dp_app_delete_partial_now:
 * @path: the final path of a download
 *
 * Deletes "@path.part" and "@path.part.state" before returning, for
 * when there is no later to wait for (the application quits), unless a
 * download holds them.
 */
void
dp_app_delete_partial_now (const char *path)
{
  g_auto(GStrv) paths = NULL;

  g_return_if_fail (path != NULL);

  paths = download_files (path, FALSE);
  delete_partial (paths[0], paths[1]);
}

typedef struct
{
  GAsyncReadyCallback callback;
  gpointer user_data;
  GApplication *application;
} TrashCall;

static void
on_trashed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrashCall *call = user_data;

  if (call->callback != NULL)
    call->callback (source, result, call->user_data);
  release_application (call->application);
  g_free (call);
}

/**
 * dp_app_trash_file_async:
 * @path: a finished download
 *
 * Moves @path to the trash, where the user can still get it back.
 * A file that is already gone is not an error. The application is held
 * until @callback has run.
 */
void
dp_app_trash_file_async (const char          *path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GFile) file = NULL;
  TrashCall *call;

  g_return_if_fail (path != NULL);

  file = g_file_new_for_path (path);
  call = g_new0 (TrashCall, 1);
  call->callback = callback;
  call->user_data = user_data;
  call->application = hold_application ();
  g_file_trash_async (file, G_PRIORITY_DEFAULT, cancellable, on_trashed, call);
}

gboolean
dp_app_trash_file_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  GFile *file = G_FILE (g_async_result_get_source_object (result));
  gboolean ok;

  ok = g_file_trash_finish (file, result, &local_error);
  g_object_unref (file);
  if (!ok && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_app_open_file:
 * @parent: (nullable): the window to attach a chooser to
 * @path: a file
 *
 * Opens @path with the default application (through the portal when
 * sandboxed).
 */
void
dp_app_open_file (GtkWindow  *parent,
                  const char *path)
{
  g_autoptr(GFile) file = NULL;

  g_return_if_fail (path != NULL);

  file = g_file_new_for_path (path);
  dp_app_launch_file (parent, file);
}

/**
 * dp_app_show_in_folder:
 * @parent: (nullable): the window that asks
 * @path: a file
 *
 * Opens the file manager on @path's folder with @path selected, through
 * the portal, so that it works from a sandbox.
 */
void
dp_app_show_in_folder (GtkWindow  *parent,
                       const char *path)
{
  g_autoptr(GFile) file = NULL;

  g_return_if_fail (path != NULL);

  file = g_file_new_for_path (path);
  dp_app_open_containing_folder (parent, file);
}
