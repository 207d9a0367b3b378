/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "dp-test-util.h"

char *
dp_test_mkdtemp (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("downpour-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
dp_test_rmdir (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        dp_test_rmdir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

guint
dp_test_count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} RunData;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RunData *data = user_data;

  data->ok = dp_download_start_finish (DP_DOWNLOAD (source), result, &data->error);
  data->done = TRUE;
}

gboolean
dp_test_run_download (DpDownload  *download,
                      guint        timeout_s,
                      GError     **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  RunData data = { FALSE, FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  g_main_context_push_thread_default (context);
  dp_download_start_async (download, NULL, on_done, &data);
  while (!data.done)
    {
      g_main_context_iteration (context, FALSE);
      if (!data.done)
        g_usleep (1000);
      if (g_get_monotonic_time () > deadline)
        g_error ("download of %s did not end within %u s", dp_download_get_url (download), timeout_s);
    }
  /* Let the last sources run before the context goes away. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  if (data.error != NULL)
    g_propagate_error (error, data.error);
  return data.ok;
}

void
dp_test_quiesce_threads (void)
{
  g_thread_pool_set_max_unused_threads (0);
  for (guint i = 0; i < 100 && g_thread_pool_get_num_unused_threads () > 0; i++)
    {
      g_thread_pool_stop_unused_threads ();
      g_usleep (10 * 1000);
    }
  /* The last ones counted out may still be on their way out. */
  g_usleep (50 * 1000);
}

void
dp_test_stop_after_bytes (DpDownload *download,
                          DpTestStop *stop)
{
  if (!stop->stopped && dp_download_get_received (download) >= stop->stop_at)
    {
      stop->stopped = TRUE;
      dp_download_cancel (download);
    }
}
