/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "dp-app-file-ops.h"
#include "dp-app-manager.h"
#include "dp-app-store.h"
#include "dp-app-test-util.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* Removing and cancelling through the manager: undo, confirmation and
 * what each leaves on disk. No display needed. */

/* The trash of this process: XDG_DATA_HOME is set to a folder of the
 * same temporary tree as the downloads, so that GIO trashes into it
 * (a trash is per file system). */
static char *test_root;

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *store_path;
  DpAppManager *manager;
  /* Removals announced and not handled by the manager's timeout. */
  guint last_id;
  char *last_title;
  guint n_pending;
  gboolean hold;
} Fixture;

static gboolean
on_removal_pending (DpAppManager *manager,
                    guint         id,
                    const char   *title,
                    Fixture      *f)
{
  f->last_id = id;
  g_free (f->last_title);
  f->last_title = g_strdup (title);
  f->n_pending++;
  return f->hold;
}

static DpAppManager *
new_manager (Fixture    *f,
             DpAppStore *store)
{
  DpAppManager *manager = dp_app_manager_new (store);

  g_object_set (manager, "directory", f->dir, NULL);
  g_signal_connect (manager, "removal-pending", G_CALLBACK (on_removal_pending), f);
  return manager;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr(GError) error = NULL;

  f->server = dp_test_server_new ();
  f->dir = g_build_filename (test_root, "downloads-XXXXXX", NULL);
  assert_non_null (g_mkdtemp (f->dir));
  f->store_path = g_build_filename (f->dir, "store", "downloads.gvariant", NULL);
  f->hold = TRUE;
  f->manager = new_manager (f, NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_clear_object (&f->manager);
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->store_path);
  g_free (f->last_title);
  g_free (f);
  return 0;
}

static DpAppItem *
item_at (DpAppManager *manager,
         guint         position)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (dp_app_manager_get_model (manager), position);
  return item;
}

static guint
n_items (DpAppManager *manager)
{
  return g_list_model_get_n_items (dp_app_manager_get_model (manager));
}

static gboolean
has_some_bytes (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_DOWNLOADING &&
         dp_app_item_get_received (data) >= 200000;
}

static gboolean
is_stopped (gpointer data)
{
  return !dp_app_item_is_running (data);
}

static gboolean
is_finished (gpointer data)
{
  return !dp_app_item_is_running (data) && dp_app_item_get_status (data) == DP_APP_ITEM_FINISHED;
}

static gboolean
is_running (gpointer data)
{
  return dp_app_item_is_running (data);
}

static gboolean
file_is_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
file_is_there (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

/* No deletion nor move to the trash is under way. */
static gboolean
file_ops_done (gpointer data)
{
  return dp_app_file_ops_get_n_pending () == 0;
}

/* A download well under way, slow enough to still run when looked at. */
static DpAppItem *
add_running (Fixture    *f,
             const char *name)
{
  g_autofree char *path = g_strdup_printf ("/file/%s?size=3000000&rate=300000", name);
  g_autofree char *url = dp_test_server_url (f->server, path);
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);

  dp_app_test_wait_until (has_some_bytes, item, 20);
  return item;
}

static DpAppItem *
add_finished (Fixture    *f,
              const char *name)
{
  g_autofree char *path = g_strdup_printf ("/file/%s?size=20000", name);
  g_autofree char *url = dp_test_server_url (f->server, path);
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);

  dp_app_test_wait_until (is_finished, item, 20);
  return item;
}

static char *
part_path (DpAppItem  *item,
           const char *suffix)
{
  return g_strconcat (dp_app_item_get_path (item), suffix, NULL);
}

/* Cancel stops at once and keeps what arrived; Undo continues from
 * there: no request of the resumed download asks for byte 0 again. */
static void
test_cancel_then_undo_continues (void **state)
{
  Fixture *f = *state;
  g_autofree char *expected = dp_test_content_sha256 (1, 3000000);
  g_autofree char *part = NULL;
  g_autofree char *part_state = NULL;
  g_autofree char *sum = NULL;
  g_autoptr(GPtrArray) log = NULL;
  guint n_ranges = 0;
  DpAppItem *item = add_running (f, "undo.iso");

  part = part_path (item, ".part");
  part_state = part_path (item, ".part.state");

  dp_app_manager_cancel (f->manager, item);
  assert_int_equal (f->n_pending, 1);
  assert_string_equal (f->last_title, "Download cancelled");
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  assert_int_equal (n_items (f->manager), 1);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_true (g_file_test (part_state, G_FILE_TEST_EXISTS));
  assert_true (dp_app_item_get_received (item) >= 200000);

  dp_test_server_reset_counters (f->server);
  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_false (dp_app_manager_has_pending_removals (f->manager));
  dp_app_test_wait_until (is_finished, item, 30);

  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      DpTestRequest *request = g_ptr_array_index (log, i);
      gint64 first, last;

      if (!g_str_equal (request->method, "GET"))
        continue;
      assert_true (dp_test_request_get_range (request, &first, &last));
      assert_true (first >= 200000);
      n_ranges++;
    }
  assert_true (n_ranges > 0);
  sum = dp_test_file_sha256 (dp_app_item_get_path (item));
  assert_string_equal (sum, expected);
  /* Nothing is left to confirm: the undo used the id up. */
  assert_false (dp_app_manager_confirm_removal (f->manager, f->last_id));
}

/* Confirming a cancellation deletes the partial data, the engine's
 * state file included. */
static void
test_cancel_then_confirm_deletes_partial (void **state)
{
  Fixture *f = *state;
  g_autofree char *part = NULL;
  g_autofree char *part_state = NULL;
  DpAppItem *item = add_running (f, "confirm.iso");

  part = part_path (item, ".part");
  part_state = part_path (item, ".part.state");
  dp_app_manager_cancel (f->manager, item);
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_true (g_file_test (part_state, G_FILE_TEST_EXISTS));

  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
  dp_app_test_wait_until (file_is_gone, part, 10);
  dp_app_test_wait_until (file_is_gone, part_state, 10);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  assert_null (dp_app_item_get_path (item));
  assert_int_equal (n_items (f->manager), 1);
}

/* Removed items leave the list at once and come back where they were,
 * as they were; a removed running download stops and then continues. */
static void
test_remove_then_undo_restores_position (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  DpAppItem *items[4];
  guint single;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:9/paused-%u.bin", i);
      items[i] = dp_app_manager_add (f->manager, url, NULL, 1, NULL, FALSE);
    }
  items[3] = add_running (f, "moving.iso");
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_PAUSED), 3);

  dp_app_manager_remove (f->manager, items[1], FALSE);
  assert_int_equal (n_items (f->manager), 3);
  assert_string_equal (f->last_title, "“paused-1.bin” removed");
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_PAUSED), 2);
  single = f->last_id;

  g_ptr_array_add (batch, items[3]);
  g_ptr_array_add (batch, items[0]);
  dp_app_manager_remove_items (f->manager, batch, FALSE);
  assert_string_equal (f->last_title, "2 downloads removed");
  assert_int_equal (n_items (f->manager), 1);
  assert_ptr_equal (item_at (f->manager, 0), items[2]);
  assert_false (dp_app_manager_get_busy (f->manager));
  dp_app_test_wait_until (is_stopped, items[3], 10);

  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_true (dp_app_manager_undo_removal (f->manager, single));
  assert_int_equal (n_items (f->manager), 4);
  for (guint i = 0; i < 4; i++)
    assert_ptr_equal (item_at (f->manager, i), items[i]);
  for (guint i = 0; i < 3; i++)
    assert_int_equal (dp_app_item_get_status (items[i]), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_PAUSED), 3);

  /* The running one runs again, on from what it had. */
  dp_app_test_wait_until (is_running, items[3], 10);
  assert_true (dp_app_manager_get_busy (f->manager));
  assert_true (dp_app_item_get_received (items[3]) >= 200000);
}

static char *
trashed_path (const char *name)
{
  return g_build_filename (g_get_user_data_dir (), "Trash", "files", name, NULL);
}

/* A finished file removed with its file goes to the trash once the
 * removal is confirmed, and not before. */
static void
test_remove_finished_with_delete_trashes (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_finished (f, "trash-me.bin");
  g_autofree char *path = g_strdup (dp_app_item_get_path (item));
  g_autofree char *trashed = trashed_path ("trash-me.bin");

  dp_app_manager_remove (f->manager, item, TRUE);
  assert_int_equal (n_items (f->manager), 0);
  dp_app_test_spin (100);
  assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
  dp_app_test_wait_until (file_is_there, trashed, 10);
  assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Without the file asked for, a finished file stays where it is. */
static void
test_remove_finished_keeps_file (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_finished (f, "keep-me.bin");
  g_autofree char *path = g_strdup (dp_app_item_get_path (item));
  g_autofree char *trashed = trashed_path ("keep-me.bin");

  dp_app_manager_remove (f->manager, item, FALSE);
  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
  dp_app_test_spin (300);
  assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (trashed, G_FILE_TEST_EXISTS));
  assert_int_equal (n_items (f->manager), 0);
}

/* Nobody offers an undo (no window): the removal is carried out on its
 * own after a few seconds. */
static void
test_unhandled_removal_confirms_itself (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_finished (f, "unattended.bin");
  g_autofree char *trashed = trashed_path ("unattended.bin");

  f->hold = FALSE;
  dp_app_manager_remove (f->manager, item, TRUE);
  assert_true (dp_app_manager_has_pending_removals (f->manager));
  dp_app_test_wait_until (file_is_there, trashed, 20);
  assert_false (dp_app_manager_has_pending_removals (f->manager));
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  dp_app_manager_load_finish (DP_APP_MANAGER (source), result, NULL);
}

static gboolean
is_loaded (gpointer data)
{
  return dp_app_manager_get_loaded (data);
}

static DpAppManager *
load_manager (Fixture *f)
{
  g_autoptr(DpAppStore) store = dp_app_store_new (f->store_path);
  DpAppManager *manager = new_manager (f, store);

  dp_app_manager_load_async (manager, NULL, on_loaded, NULL);
  dp_app_test_wait_until (is_loaded, manager, 10);
  return manager;
}

/* Quitting confirms what is pending: a removed download does not come
 * back, a cancelled one stays cancelled, and the partial data of both
 * are gone by the time shutdown returns. */
static void
test_shutdown_confirms_pending (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autofree char *cancelled_part = NULL, *cancelled_state = NULL;
  g_autofree char *removed_part = NULL, *removed_state = NULL;
  DpAppItem *cancelled, *removed;

  g_clear_object (&f->manager);
  f->manager = load_manager (f);
  cancelled = add_running (f, "cancelled.iso");
  removed = add_running (f, "removed.iso");
  g_object_ref (removed);
  cancelled_part = part_path (cancelled, ".part");
  cancelled_state = part_path (cancelled, ".part.state");
  removed_part = part_path (removed, ".part");
  removed_state = part_path (removed, ".part.state");

  dp_app_manager_cancel (f->manager, cancelled);
  dp_app_manager_remove (f->manager, removed, FALSE);
  dp_app_test_wait_until (is_stopped, cancelled, 10);
  dp_app_test_wait_until (is_stopped, removed, 10);
  assert_true (g_file_test (removed_state, G_FILE_TEST_EXISTS));
  assert_true (g_file_test (cancelled_state, G_FILE_TEST_EXISTS));

  dp_app_manager_shutdown (f->manager);
  assert_false (dp_app_manager_has_pending_removals (f->manager));
  assert_false (g_file_test (cancelled_part, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (cancelled_state, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (removed_part, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (removed_state, G_FILE_TEST_EXISTS));
  g_clear_object (&f->manager);
  g_object_unref (removed);

  reloaded = load_manager (f);
  assert_int_equal (n_items (reloaded), 1);
  assert_int_equal (dp_app_item_get_status (item_at (reloaded, 0)), DP_APP_ITEM_CANCELLED);
  assert_null (dp_app_item_get_path (item_at (reloaded, 0)));
}

/* The session ends without a shutdown while a cancellation is pending
 * (a crash): the next start finds the cancelled item with its partial
 * data, and confirms the cancellation then. */
static void
test_cancel_pending_at_crash_is_confirmed_on_load (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *part = NULL, *part_state = NULL;
  DpAppItem *item;

  g_clear_object (&f->manager);
  f->manager = load_manager (f);
  item = add_running (f, "crash.iso");
  part = part_path (item, ".part");
  part_state = part_path (item, ".part.state");
  dp_app_manager_cancel (f->manager, item);
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_true (dp_app_store_flush (dp_app_manager_get_store (f->manager), &error));
  g_clear_object (&f->manager);
  assert_true (g_file_test (part_state, G_FILE_TEST_EXISTS));

  reloaded = load_manager (f);
  assert_int_equal (n_items (reloaded), 1);
  assert_int_equal (dp_app_item_get_status (item_at (reloaded, 0)), DP_APP_ITEM_CANCELLED);
  dp_app_test_wait_until (file_is_gone, part, 10);
  dp_app_test_wait_until (file_is_gone, part_state, 10);
}

/* Pause All pauses what runs or waits; Resume All queues the paused
 * ones again and leaves failed and cancelled ones alone. */
static void
test_pause_all_and_resume_all (void **state)
{
  Fixture *f = *state;
  DpAppItem *running = add_running (f, "all.iso");
  DpAppItem *waiting, *cancelled;

  g_object_set (f->manager, "max-active", 1, NULL);
  waiting = dp_app_manager_add (f->manager, "http://127.0.0.1:9/waiting.bin", NULL, 1, NULL, TRUE);
  cancelled = dp_app_manager_add (f->manager, "http://127.0.0.1:9/c.bin", NULL, 1, NULL, FALSE);
  dp_app_manager_cancel (f->manager, cancelled);
  assert_int_equal (dp_app_item_get_status (waiting), DP_APP_ITEM_QUEUED);

  dp_app_manager_pause_all (f->manager);
  dp_app_test_wait_until (is_stopped, running, 10);
  assert_int_equal (dp_app_item_get_status (running), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_item_get_status (waiting), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_PAUSED), 2);
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_CANCELLED), 1);

  dp_app_manager_resume_all (f->manager);
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_PAUSED), 0);
  assert_int_equal (dp_app_item_get_status (cancelled), DP_APP_ITEM_CANCELLED);
  dp_app_test_wait_until (is_running, running, 10);
}

static gboolean
is_paused (gpointer data)
{
  return !dp_app_item_is_running (data) && dp_app_item_get_status (data) == DP_APP_ITEM_PAUSED;
}

/* A removed download's partial file is taken over by the same link added
 * again before the removal is confirmed: the confirmation leaves it to
 * the new download, even paused (when it holds no lock on it), which
 * then finishes with the whole file. */
static void
test_readded_download_keeps_adopted_part (void **state)
{
  Fixture *f = *state;
  g_autofree char *expected = dp_test_content_sha256 (1, 3000000);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *part = NULL;
  DpAppItem *old = add_running (f, "again.iso");
  DpAppItem *fresh;
  guint id;

  url = g_strdup (dp_app_item_get_url (old));
  part = part_path (old, ".part");
  path = g_strdup (dp_app_item_get_path (old));
  g_object_ref (old);
  dp_app_manager_remove (f->manager, old, FALSE);
  id = f->last_id;
  dp_app_test_wait_until (is_stopped, old, 10);

  fresh = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);
  dp_app_test_wait_until (has_some_bytes, fresh, 20);
  /* It continues the old partial file rather than starting another. */
  assert_string_equal (dp_app_item_get_path (fresh), path);
  dp_app_item_pause (fresh);
  dp_app_test_wait_until (is_stopped, fresh, 10);

  assert_true (dp_app_manager_confirm_removal (f->manager, id));
  dp_app_test_wait_until (file_ops_done, NULL, 10);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  dp_app_item_resume (fresh);
  dp_app_test_wait_until (is_running, fresh, 10);
  dp_app_test_wait_until (is_stopped, fresh, 30);
  assert_int_equal (dp_app_item_get_status (fresh), DP_APP_ITEM_FINISHED);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);
  g_object_unref (old);
}

/* The same while the new download is removed too and may come back:
 * confirming the first removal leaves it its file. */
static void
test_readded_then_removed_keeps_part (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = NULL;
  g_autofree char *part = NULL;
  DpAppItem *old = add_running (f, "again-removed.iso");
  DpAppItem *fresh;
  guint old_id;

  url = g_strdup (dp_app_item_get_url (old));
  part = part_path (old, ".part");
  dp_app_manager_remove (f->manager, old, FALSE);
  old_id = f->last_id;
  dp_app_test_wait_until (is_stopped, old, 10);

  fresh = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);
  dp_app_test_wait_until (has_some_bytes, fresh, 20);
  dp_app_manager_remove (f->manager, fresh, FALSE);
  dp_app_test_wait_until (is_stopped, fresh, 10);

  assert_true (dp_app_manager_confirm_removal (f->manager, old_id));
  dp_app_test_wait_until (file_ops_done, NULL, 10);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  dp_app_test_wait_until (is_running, fresh, 10);
  assert_true (dp_app_item_get_received (fresh) >= 200000);
}

static void
on_download_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError **error = user_data;

  if (!dp_download_start_finish (DP_DOWNLOAD (source), result, error) && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "finished");
}

static gboolean
download_has_some_bytes (gpointer data)
{
  return dp_download_get_state (data) == DP_DOWNLOAD_STATE_DOWNLOADING &&
         dp_download_get_received (data) >= 400000;
}

static gboolean
is_set (gpointer data)
{
  return *(GError **) data != NULL;
}

/* The same, with a download the list does not know (another window, the
 * command line): the lock it holds on the partial file keeps the
 * confirmation from deleting it. */
static void
test_confirm_spares_part_locked_elsewhere (void **state)
{
  Fixture *f = *state;
  g_autofree char *expected = dp_test_content_sha256 (1, 3000000);
  g_autofree char *path = NULL;
  g_autofree char *sum = NULL;
  g_autoptr(DpDownload) other = NULL;
  g_autoptr(GError) error = NULL;
  DpAppItem *old = add_running (f, "elsewhere.iso");
  guint id;

  path = g_strdup (dp_app_item_get_path (old));
  other = dp_download_new (dp_app_item_get_url (old));
  dp_download_set_directory (other, f->dir);
  dp_download_set_segments (other, 1);
  dp_app_manager_remove (f->manager, old, FALSE);
  id = f->last_id;
  dp_app_test_wait_until (is_stopped, old, 10);

  dp_download_start_async (other, NULL, on_download_done, &error);
  dp_app_test_wait_until (download_has_some_bytes, other, 20);
  assert_string_equal (dp_download_get_path (other), path);

  assert_true (dp_app_manager_confirm_removal (f->manager, id));
  dp_app_test_wait_until (is_set, &error, 30);
  assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS));
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);
}

/* Pause All and the download's own Pause right after Cancel, before the
 * engine let go: the download ends cancelled all the same, and the
 * confirmation deletes its data. */
static void
test_cancel_then_pause_all_stays_cancelled (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "cancel-pause.iso");
  g_autofree char *part = part_path (item, ".part");
  guint id;

  dp_app_manager_cancel (f->manager, item);
  id = f->last_id;
  dp_app_manager_pause_all (f->manager);
  dp_app_item_pause (item);
  assert_true (dp_app_item_is_running (item));
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);

  assert_true (dp_app_manager_confirm_removal (f->manager, id));
  dp_app_test_wait_until (file_is_gone, part, 10);
  assert_null (dp_app_item_get_path (item));
}

/* The connection turns metered right after Cancel: the download is not
 * taken for one the manager paused, and stays cancelled once the
 * connection is cheap again. */
static void
test_cancel_then_metered_stays_cancelled (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "cancel-metered.iso");

  dp_app_manager_cancel (f->manager, item);
  g_object_set (f->manager, "metered", TRUE, NULL);
  assert_false (dp_app_manager_get_paused_on_metered (f->manager));
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);

  g_object_set (f->manager, "metered", FALSE, NULL);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  assert_int_equal (dp_app_manager_count_status (f->manager, DP_APP_ITEM_QUEUED), 0);
}

/* Undoing the removal of a download the manager paused for a metered
 * connection gives it back to the manager: it resumes with the others
 * when the connection is cheap again. */
static void
test_metered_remove_undo_resumes (void **state)
{
  Fixture *f = *state;
  DpAppItem *a = add_running (f, "metered-1.iso");
  DpAppItem *b = add_running (f, "metered-2.iso");

  g_object_set (f->manager, "metered", TRUE, NULL);
  dp_app_test_wait_until (is_paused, a, 10);
  dp_app_test_wait_until (is_paused, b, 10);

  dp_app_manager_remove (f->manager, a, FALSE);
  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_int_equal (dp_app_item_get_status (a), DP_APP_ITEM_PAUSED);
  assert_true (dp_app_manager_get_paused_on_metered (f->manager));

  g_object_set (f->manager, "metered", FALSE, NULL);
  assert_false (dp_app_manager_get_paused_on_metered (f->manager));
  dp_app_test_wait_until (is_running, a, 10);
  dp_app_test_wait_until (is_running, b, 10);
}

/* Undone once the connection is cheap again, the removal of a download
 * the manager had paused resumes it, as the others were. */
static void
test_metered_remove_undo_after_unmetered (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "metered-late.iso");

  g_object_set (f->manager, "metered", TRUE, NULL);
  dp_app_test_wait_until (is_paused, item, 10);
  dp_app_manager_remove (f->manager, item, FALSE);
  g_object_set (f->manager, "metered", FALSE, NULL);

  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_false (dp_app_manager_get_paused_on_metered (f->manager));
  dp_app_test_wait_until (is_running, item, 10);
}

/* The same for a cancellation undone. */
static void
test_metered_cancel_undo_resumes (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "metered-cancel.iso");

  g_object_set (f->manager, "metered", TRUE, NULL);
  dp_app_test_wait_until (is_paused, item, 10);

  dp_app_manager_cancel (f->manager, item);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  assert_true (dp_app_manager_get_paused_on_metered (f->manager));

  g_object_set (f->manager, "metered", FALSE, NULL);
  dp_app_test_wait_until (is_running, item, 10);
}

/* Cancel, then Remove: once the removal is confirmed, undoing the
 * cancellation does not bring back a download that is no longer in the
 * list. */
static void
test_undo_cancel_of_removed_item (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "cancel-remove.iso");
  guint cancel_id;

  g_object_ref (item);
  dp_app_manager_cancel (f->manager, item);
  cancel_id = f->last_id;
  dp_app_test_wait_until (is_stopped, item, 10);
  dp_app_manager_remove (f->manager, item, FALSE);
  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));

  dp_app_manager_undo_removal (f->manager, cancel_id);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  dp_app_test_spin (100);
  assert_false (dp_app_item_is_running (item));
  g_object_unref (item);
}

/* Cancel, then Remove, then the cancellation is confirmed: the removal
 * still decides, and its undo brings the download back with its data. */
static void
test_confirm_cancel_of_removed_item (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "cancel-remove-undo.iso");
  g_autofree char *part = part_path (item, ".part");
  guint cancel_id;

  dp_app_manager_cancel (f->manager, item);
  cancel_id = f->last_id;
  dp_app_test_wait_until (is_stopped, item, 10);
  dp_app_manager_remove (f->manager, item, FALSE);
  assert_true (dp_app_manager_confirm_removal (f->manager, cancel_id));
  assert_non_null (dp_app_item_get_path (item));

  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  assert_int_equal (n_items (f->manager), 1);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  assert_true (dp_app_item_get_received (item) >= 200000);
}

/* Two downloads of the list share a partial file (the first cancelled,
 * the same link added again, the cancellation undone): confirming the
 * first one's cancellation while it is still stopping leaves the file
 * to the second. */
static void
test_confirm_while_stopping_spares_shared_part (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = NULL;
  g_autofree char *part = NULL;
  DpAppItem *first = add_running (f, "shared.iso");
  DpAppItem *second;

  url = g_strdup (dp_app_item_get_url (first));
  part = part_path (first, ".part");
  dp_app_manager_cancel (f->manager, first);
  dp_app_test_wait_until (is_stopped, first, 10);
  second = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);
  dp_app_test_wait_until (has_some_bytes, second, 20);
  assert_string_equal (dp_app_item_get_path (second), dp_app_item_get_path (first));
  dp_app_item_pause (second);
  dp_app_test_wait_until (is_stopped, second, 10);

  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  dp_app_test_wait_until (has_some_bytes, first, 20);
  dp_app_manager_cancel (f->manager, first);
  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
  dp_app_test_wait_until (is_stopped, first, 10);
  assert_int_equal (dp_app_item_get_status (first), DP_APP_ITEM_CANCELLED);
  assert_null (dp_app_item_get_path (first));

  dp_app_test_wait_until (file_ops_done, NULL, 10);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* Remove right after Cancel, before the engine let go, then Undo of the
 * removal: the download comes back cancelled, as it was when removed. */
static void
test_remove_while_cancelling_then_undo (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "cancel-then-remove.iso");
  guint cancel_id;

  dp_app_manager_cancel (f->manager, item);
  cancel_id = f->last_id;
  assert_true (dp_app_item_is_running (item));
  dp_app_manager_remove (f->manager, item, FALSE);
  assert_true (dp_app_manager_undo_removal (f->manager, f->last_id));
  dp_app_test_wait_until (is_stopped, item, 10);
  dp_app_test_spin (100);
  assert_false (dp_app_item_is_running (item));
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);

  /* The cancellation is still the user's to undo. */
  assert_true (dp_app_manager_undo_removal (f->manager, cancel_id));
  dp_app_test_wait_until (is_running, item, 10);
}

/* A cancellation confirmed while the engine is still stopping (the
 * window closed right after Cancel) deletes the partial data all the
 * same. */
static void
test_confirm_cancel_while_stopping (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_running (f, "quick-confirm.iso");
  g_autofree char *part = part_path (item, ".part");
  g_autofree char *part_state = part_path (item, ".part.state");

  dp_app_manager_cancel (f->manager, item);
  assert_true (dp_app_item_is_running (item));
  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
  dp_app_test_wait_until (is_stopped, item, 10);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_CANCELLED);
  dp_app_test_wait_until (file_is_gone, part, 10);
  dp_app_test_wait_until (file_is_gone, part_state, 10);
  assert_null (dp_app_item_get_path (item));
}

/* The session ends without a shutdown while a cancellation is pending,
 * and the same link, added again, continues the cancelled download's
 * partial file: the next start confirms the cancellation and leaves
 * that file to the other download. */
static void
test_crash_cleanup_spares_adopted_part (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  DpAppItem *cancelled, *fresh;

  g_clear_object (&f->manager);
  f->manager = load_manager (f);
  cancelled = add_running (f, "crash-again.iso");
  url = g_strdup (dp_app_item_get_url (cancelled));
  path = g_strdup (dp_app_item_get_path (cancelled));
  part = part_path (cancelled, ".part");
  dp_app_manager_cancel (f->manager, cancelled);
  dp_app_test_wait_until (is_stopped, cancelled, 10);

  fresh = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);
  dp_app_test_wait_until (has_some_bytes, fresh, 20);
  assert_string_equal (dp_app_item_get_path (fresh), path);
  dp_app_item_pause (fresh);
  dp_app_test_wait_until (is_stopped, fresh, 10);
  assert_true (dp_app_store_flush (dp_app_manager_get_store (f->manager), &error));
  g_clear_object (&f->manager);

  reloaded = load_manager (f);
  assert_int_equal (n_items (reloaded), 2);
  cancelled = item_at (reloaded, 0);
  fresh = item_at (reloaded, 1);
  assert_int_equal (dp_app_item_get_status (cancelled), DP_APP_ITEM_CANCELLED);
  assert_null (dp_app_item_get_path (cancelled));
  assert_string_equal (dp_app_item_get_path (fresh), path);
  dp_app_test_wait_until (file_ops_done, NULL, 10);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
}

static void
confirm_on_activate (GApplication *application,
                     Fixture      *f)
{
  assert_true (dp_app_manager_confirm_removal (f->manager, f->last_id));
}

/* Confirming works on in worker threads: the application runs until
 * they are done, though nothing else holds it. */
static void
test_confirm_holds_application (void **state)
{
  Fixture *f = *state;
  g_autoptr(GApplication) application = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autofree char *trashed = trashed_path ("held.bin");
  g_autofree char *part = NULL;
  g_autofree char *part_state = NULL;
  DpAppItem *finished = add_finished (f, "held.bin");
  DpAppItem *running = add_running (f, "held.iso");

  part = part_path (running, ".part");
  part_state = part_path (running, ".part.state");
  g_ptr_array_add (batch, finished);
  g_ptr_array_add (batch, running);
  dp_app_manager_remove_items (f->manager, batch, TRUE);
  dp_app_test_wait_until (is_stopped, running, 10);

  application = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  assert_ptr_equal (g_application_get_default (), application);
  g_signal_connect (application, "activate", G_CALLBACK (confirm_on_activate), f);
  assert_int_equal (g_application_run (application, 0, NULL), 0);

  assert_int_equal (dp_app_file_ops_get_n_pending (), 0);
  assert_true (g_file_test (trashed, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (part_state, G_FILE_TEST_EXISTS));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_cancel_then_undo_continues, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_then_confirm_deletes_partial, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_then_undo_restores_position, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_finished_with_delete_trashes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_finished_keeps_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unhandled_removal_confirms_itself, setup, teardown),
    cmocka_unit_test_setup_teardown (test_shutdown_confirms_pending, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_pending_at_crash_is_confirmed_on_load, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pause_all_and_resume_all, setup, teardown),
    cmocka_unit_test_setup_teardown (test_readded_download_keeps_adopted_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_readded_then_removed_keeps_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_confirm_spares_part_locked_elsewhere, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_then_pause_all_stays_cancelled, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_then_metered_stays_cancelled, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_remove_undo_resumes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_remove_undo_after_unmetered, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_cancel_undo_resumes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_undo_cancel_of_removed_item, setup, teardown),
    cmocka_unit_test_setup_teardown (test_confirm_cancel_of_removed_item, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_while_cancelling_then_undo, setup, teardown),
    cmocka_unit_test_setup_teardown (test_confirm_cancel_while_stopping, setup, teardown),
    cmocka_unit_test_setup_teardown (test_confirm_while_stopping_spares_shared_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_crash_cleanup_spares_adopted_part, setup, teardown),
    cmocka_unit_test_setup_teardown (test_confirm_holds_application, setup, teardown),
  };
  g_autofree char *data_home = NULL;
  int result;

  /* Before anything asks GLib for the folder: it is read once. */
  test_root = dp_test_mkdtemp ();
  data_home = g_build_filename (test_root, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  result = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_rmdir (test_root);
  g_free (test_root);
  return result;
}
