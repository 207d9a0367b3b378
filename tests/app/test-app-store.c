/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "dp-app-manager.h"
#include "dp-app-store.h"
#include "dp-app-test-util.h"
#include "dp-error.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

#define CHECKSUM "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *downloads;
  char *store_path;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->downloads = g_build_filename (f->dir, "Downloads", NULL);
  g_mkdir (f->downloads, 0700);
  f->store_path = g_build_filename (f->dir, "data", "downpour", "downloads.gvariant", NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->downloads);
  g_free (f->store_path);
  g_free (f);
  return 0;
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GError **error = user_data;

  dp_app_manager_load_finish (DP_APP_MANAGER (source), result, error);
}

static gboolean
is_loaded (gpointer data)
{
  return dp_app_manager_get_loaded (data);
}

static DpAppManager *
load_manager (Fixture  *f,
              GError  **error)
{
  g_autoptr(DpAppStore) store = dp_app_store_new (f->store_path);
  DpAppManager *manager = dp_app_manager_new (store);

  dp_app_manager_load_async (manager, NULL, on_loaded, error);
  dp_app_test_wait_until (is_loaded, manager, 10);
  /* The callback runs right after the flag is set. */
  dp_app_test_spin (10);
  return manager;
}

static gboolean
is_done (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED);
}

static gboolean
store_is_idle (gpointer data)
{
  return dp_app_store_is_idle (data);
}

static gboolean
is_running (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_DOWNLOADING;
}

static gboolean
is_running_or_done (gpointer data)
{
  return dp_app_item_is_running (data) || is_done (data);
}

static DpAppItem *
item_at (DpAppManager *manager,
         guint         position)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (dp_app_manager_get_model (manager), position);
  return item;
}

/* Finished, failed and paused items come back as they were, in order,
 * through the throttled save in the worker thread. */
static void
test_round_trip (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = NULL;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *good = dp_test_server_url (f->server, "/file/good.bin?size=300000");
  g_autofree char *bad = dp_test_server_url (f->server, "/file/gone.bin?status=404");
  const char *paused_url = "https://example.com/paused.iso";
  DpAppItem *finished, *failed, *paused, *item;
  g_autofree char *expected_path = g_build_filename (f->downloads, "good.bin", NULL);

  manager = load_manager (f, &error);
  assert_null (error);
  g_object_set (manager, "directory", f->downloads, "max-active", 2, NULL);

  finished = dp_app_manager_add (manager, good, NULL, 3, NULL, TRUE);
  failed = dp_app_manager_add (manager, bad, NULL, 0, NULL, TRUE);
  paused = dp_app_manager_add (manager, paused_url, NULL, 5, CHECKSUM, FALSE);
  assert_int_equal (dp_app_item_get_status (paused), DP_APP_ITEM_PAUSED);

  dp_app_test_wait_until (is_done, finished, 30);
  dp_app_test_wait_until (is_done, failed, 30);
  assert_int_equal (dp_app_item_get_status (finished), DP_APP_ITEM_FINISHED);
  assert_int_equal (dp_app_item_get_status (failed), DP_APP_ITEM_FAILED);
  assert_non_null (dp_app_item_get_error (failed));

  dp_app_test_wait_until (store_is_idle, dp_app_manager_get_store (manager), 10);
  assert_true (g_file_test (f->store_path, G_FILE_TEST_EXISTS));

  reloaded = load_manager (f, &error);
  assert_null (error);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (reloaded)), 3);

  item = item_at (reloaded, 0);
  assert_string_equal (dp_app_item_get_url (item), good);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  assert_string_equal (dp_app_item_get_path (item), expected_path);
  assert_int_equal (dp_app_item_get_size (item), 300000);
  assert_int_equal (dp_app_item_get_received (item), 300000);
  assert_int_equal (dp_app_item_get_segments (item), 3);
  assert_string_equal (dp_app_item_get_display_name (item), "good.bin");

  item = item_at (reloaded, 1);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_string_equal (dp_app_item_get_error (item), dp_app_item_get_error (failed));

  item = item_at (reloaded, 2);
  assert_string_equal (dp_app_item_get_url (item), paused_url);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  assert_string_equal (dp_app_item_get_checksum (item), CHECKSUM);
  assert_int_equal (dp_app_item_get_segments (item), 5);
  assert_string_equal (dp_app_item_get_directory (item), f->downloads);

  /* Paused stays paused: nothing runs after loading. */
  dp_app_test_spin (200);
  assert_int_equal (dp_app_manager_get_n_running (reloaded), 0);
}

/* Automatic connections (segments 0) and a download's own speed limit
 * are the user's choices: they survive a restart, and the restored
 * download shares the new manager's engine. */
static void
test_automatic_and_limit_round_trip (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = NULL;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  DpAppItem *limited, *plain, *item;

  manager = load_manager (f, &error);
  assert_null (error);
  g_object_set (manager, "directory", f->downloads, NULL);
  limited = dp_app_manager_add (manager, "https://example.com/limited.iso", NULL,
                                DP_DOWNLOAD_SEGMENTS_AUTO, NULL, FALSE);
  plain = dp_app_manager_add (manager, "https://example.com/plain.iso", NULL, 4, NULL, FALSE);
  assert_int_equal (dp_app_item_get_segments (limited), DP_DOWNLOAD_SEGMENTS_AUTO);
  assert_ptr_equal (dp_download_get_engine (dp_app_item_get_download (plain)),
                    dp_app_manager_get_engine (manager));

  dp_app_item_set_rate_limit (limited, 1500000);
  assert_int_equal (dp_download_get_rate_limit (dp_app_item_get_download (limited)), 1500000);
  assert_int_equal (dp_app_item_get_rate_limit (plain), 0);

  dp_app_manager_shutdown (manager);
  g_clear_object (&manager);

  reloaded = load_manager (f, &error);
  assert_null (error);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (reloaded)), 2);

  item = item_at (reloaded, 0);
  assert_string_equal (dp_app_item_get_url (item), "https://example.com/limited.iso");
  assert_int_equal (dp_app_item_get_segments (item), DP_DOWNLOAD_SEGMENTS_AUTO);
  assert_int_equal (dp_app_item_get_rate_limit (item), 1500000);
  assert_int_equal (dp_download_get_rate_limit (dp_app_item_get_download (item)), 1500000);
  assert_ptr_equal (dp_download_get_engine (dp_app_item_get_download (item)),
                    dp_app_manager_get_engine (reloaded));

  item = item_at (reloaded, 1);
  assert_int_equal (dp_app_item_get_segments (item), 4);
  assert_int_equal (dp_app_item_get_rate_limit (item), 0);
}

/* A download that runs at shutdown is saved as queued, and resumes
 * after the next start, into the same file. */
static void
test_running_resumes (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = NULL;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dp_test_server_url (f->server, "/file/slow.bin?size=400000&rate=100000");
  g_autofree char *path = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *expected = dp_test_content_sha256 (1, 400000);
  DpAppItem *item;

  manager = load_manager (f, &error);
  g_object_set (manager, "directory", f->downloads, NULL);
  item = dp_app_manager_add (manager, url, NULL, 2, NULL, TRUE);
  dp_app_test_wait_until (is_running, item, 10);
  path = g_strdup (dp_app_item_get_path (item));
  assert_non_null (path);

  dp_app_manager_shutdown (manager);
  g_clear_object (&manager);
  dp_app_test_spin (300);

  reloaded = load_manager (f, &error);
  assert_null (error);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (reloaded)), 1);
  item = item_at (reloaded, 0);
  assert_string_equal (dp_app_item_get_path (item), path);

  dp_app_test_wait_until (is_done, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  assert_string_equal (dp_app_item_get_path (item), path);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);
}

/* Unreadable data is kept aside, not overwritten by an empty list. */
static void
test_corrupt_file (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_dirname (f->store_path);
  g_autofree char *broken = g_strconcat (f->store_path, ".broken", NULL);

  g_mkdir_with_parents (folder, 0700);
  assert_true (g_file_set_contents (f->store_path, "not a list", -1, NULL));

  manager = load_manager (f, &error);
  assert_non_null (error);
  assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (manager)), 0);
}

static gboolean
hold_removal (DpAppManager *manager,
              guint         id,
              const char   *title,
              guint        *held)
{
  *held = id;
  return TRUE;
}

/* Removing an unfinished download deletes its partial file, once the
 * removal is confirmed. */
static void
test_remove_deletes_partial (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/big.bin?size=4000000&rate=200000");
  g_autofree char *part = NULL;
  DpAppItem *item;
  guint held = 0;

  g_object_set (manager, "directory", f->downloads, NULL);
  g_signal_connect (manager, "removal-pending", G_CALLBACK (hold_removal), &held);
  item = dp_app_manager_add (manager, url, NULL, 2, NULL, TRUE);
  g_object_ref (item);
  dp_app_test_wait_until (is_running, item, 10);
  part = g_strconcat (dp_app_item_get_path (item), ".part", NULL);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));

  dp_app_manager_remove (manager, item, FALSE);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (manager)), 0);
  assert_false (dp_app_manager_get_busy (manager));
  assert_true (dp_app_manager_confirm_removal (manager, held));

  for (int i = 0; i < 100 && g_file_test (part, G_FILE_TEST_EXISTS); i++)
    dp_app_test_spin (50);
  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_object_unref (item);
}

/* No more than max-active run; the rest wait as queued. */
static void
test_queue_limit (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  DpAppItem *items[4];

  g_object_set (manager, "directory", f->downloads, "max-active", 2, NULL);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *path = g_strdup_printf ("/file/q%d.bin?size=200000&rate=100000", i);
      g_autofree char *url = dp_test_server_url (f->server, path);
      items[i] = dp_app_manager_add (manager, url, NULL, 1, NULL, TRUE);
    }

  dp_app_test_spin (300);
  assert_int_equal (dp_app_manager_get_n_running (manager), 2);
  assert_true (dp_app_item_is_running (items[0]));
  assert_true (dp_app_item_is_running (items[1]));
  assert_int_equal (dp_app_item_get_status (items[2]), DP_APP_ITEM_QUEUED);
  assert_int_equal (dp_app_item_get_status (items[3]), DP_APP_ITEM_QUEUED);

  /* Pausing a running one frees its slot for the next in line. */
  dp_app_item_pause (items[0]);
  dp_app_test_spin (600);
  assert_int_equal (dp_app_item_get_status (items[0]), DP_APP_ITEM_PAUSED);
  assert_true (dp_app_item_is_running (items[2]));
  assert_int_equal (dp_app_item_get_status (items[3]), DP_APP_ITEM_QUEUED);

  for (int i = 0; i < 4; i++)
    dp_app_item_pause (items[i]);
  dp_app_test_spin (600);
  assert_int_equal (dp_app_manager_get_n_running (manager), 0);
}

/* A certificate that fails verification fails the download, and only
 * then may the user let this one download skip the check; that choice
 * is kept with the download, and nothing else changes. */
static void
test_download_anyway (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = NULL;
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dp_test_server_https_url (f->server, "/file/self-signed.bin?size=300007&seed=9");
  g_autofree char *plain = dp_test_server_url (f->server, "/file/plain.bin?size=1000&seed=9");
  g_autofree char *expected = dp_test_content_sha256 (9, 300007);
  g_autofree char *sum = NULL;
  DpAppItem *item, *other;

  manager = load_manager (f, &error);
  g_object_set (manager, "directory", f->downloads, NULL);
  item = dp_app_manager_add (manager, url, NULL, 2, NULL, TRUE);
  other = dp_app_manager_add (manager, plain, NULL, 2, NULL, TRUE);
  dp_app_test_wait_until (is_done, item, 30);
  dp_app_test_wait_until (is_done, other, 30);

  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_int_equal (dp_app_item_get_insecure_failure (item), DP_ERROR_TLS);
  assert_false (dp_app_item_is_insecure (item));
  assert_int_equal (dp_app_item_get_insecure_failure (other), -1);
  /* Nothing to skip for a download that did not fail on a check. */
  dp_app_item_allow_insecure (other);
  assert_false (dp_app_item_is_insecure (other));

  dp_app_item_allow_insecure (item);
  assert_true (dp_app_item_is_insecure (item));
  dp_app_test_wait_until (is_running_or_done, item, 30);
  dp_app_test_wait_until (is_done, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  sum = dp_test_file_sha256 (dp_app_item_get_path (item));
  assert_string_equal (sum, expected);

  dp_app_manager_shutdown (manager);
  g_clear_object (&manager);
  dp_app_test_spin (300);

  reloaded = load_manager (f, &error);
  assert_null (error);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (reloaded)), 2);
  assert_true (dp_app_item_is_insecure (item_at (reloaded, 0)) != dp_app_item_is_insecure (item_at (reloaded, 1)));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown (test_running_resumes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_automatic_and_limit_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown (test_corrupt_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_deletes_partial, setup, teardown),
    cmocka_unit_test_setup_teardown (test_queue_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_download_anyway, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
