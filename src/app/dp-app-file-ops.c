/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "dp-app-compat.h"
#include "dp-app-file-ops.h"

/* Things done to downloaded files on behalf of the user. None of them
 * may block the main thread: a deletion on a slow disk or a network
 * mount can take seconds. */

static void
delete_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const char * const *paths = task_data;

  for (guint i = 0; paths[i] != NULL; i++)
    if (g_unlink (paths[i]) != 0 && errno != ENOENT)
      g_debug ("Could not delete %s: %s", paths[i], g_strerror (errno));

  g_task_return_boolean (task, TRUE);
}

/**
 * dp_app_delete_file_async:
 * @path: the final path of a download
 * @include_final: whether to delete @path itself, not only "@path.part"
 *
 * Deletes the download's files in a worker thread. Missing files are
 * fine: the point is that they are gone afterwards.
 */
void
dp_app_delete_file_async (const char *path,
                          gboolean    include_final)
{
  g_autoptr(GTask) task = NULL;
  char **paths;

  g_return_if_fail (path != NULL);

  paths = g_new0 (char *, 3);
  paths[0] = g_strconcat (path, ".part", NULL);
  if (include_final)
    paths[1] = g_strdup (path);

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, dp_app_delete_file_async);
  g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, delete_in_thread);
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
