/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

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
  g_autofree char *uri = NULL;

  g_return_if_fail (path != NULL);

  file = g_file_new_for_path (path);
  uri = g_file_get_uri (file);
  gtk_show_uri (parent, uri, GDK_CURRENT_TIME);
}

typedef struct
{
  GtkWindow *parent;
  char *path;
} ShowItem;

static void
show_item_free (ShowItem *show)
{
  g_clear_object (&show->parent);
  g_free (show->path);
  g_free (show);
}

/* No file manager that can select the file (or none reachable from a
 * sandbox): open the folder at least. */
static void
open_folder (ShowItem *show)
{
  g_autofree char *folder = g_path_get_dirname (show->path);
  g_autoptr(GFile) file = g_file_new_for_path (folder);
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri (show->parent, uri, GDK_CURRENT_TIME);
}

static void
on_show_items (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ShowItem *show = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_debug ("ShowItems failed: %s", error->message);
      open_folder (show);
    }

  show_item_free (show);
}

/**
 * dp_app_show_in_folder:
 * @parent: (nullable): the window that asks
 * @path: a file
 *
 * Opens the file manager on @path's folder with @path selected.
 */
void
dp_app_show_in_folder (GtkWindow  *parent,
                       const char *path)
{
  GApplication *app = g_application_get_default ();
  GDBusConnection *bus = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;
  const char *uris[2] = { NULL, NULL };
  ShowItem *show;

  g_return_if_fail (path != NULL);

  show = g_new0 (ShowItem, 1);
  show->parent = parent != NULL ? g_object_ref (parent) : NULL;
  show->path = g_strdup (path);

  /* The application's own connection: asking for the bus here could
   * block while it connects. */
  if (app != NULL)
    bus = g_application_get_dbus_connection (app);
  if (bus == NULL)
    {
      open_folder (show);
      show_item_free (show);
      return;
    }

  file = g_file_new_for_path (path);
  uri = g_file_get_uri (file);
  uris[0] = uri;
  g_dbus_connection_call (bus,
                          "org.freedesktop.FileManager1",
                          "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1",
                          "ShowItems",
                          g_variant_new ("(^ass)", uris, ""),
                          NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
                          on_show_items, show);
}
