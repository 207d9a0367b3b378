/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "dp-app-application.h"
#include "dp-app-manager.h"
#include "dp-app-preferences-window.h"
#include "dp-app-test-util.h"
#include "dp-app-window.h"
#include "dp-error.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

#define APP_ID "io.github.downpour.Downpour"

/* How the application lives on with its window closed, asks before
 * quitting running downloads, and how the list reacts to the network
 * and to Power Saver. The application runs in this process through
 * g_application_run(), driven by a step function on a timer, so that
 * whether run() returns, and when, is what the tests observe. */

typedef struct
{
  DpTestServer *server;
  char *dir;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *store = dp_app_store_dup_default_path ();

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  /* Each test starts from an empty list and its own folder. */
  g_unlink (store);
  g_settings_set_string (settings, "download-folder", f->dir);
  g_settings_reset (settings, "download-on-metered");
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  GListModel *toplevels = gtk_window_get_toplevels ();

  while (g_list_model_get_n_items (toplevels) > 0)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, 0);
      gtk_window_destroy (window);
    }
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static DpAppItem *
first_item (DpAppManager *manager)
{
  g_autoptr(DpAppItem) item = NULL;

  if (g_list_model_get_n_items (dp_app_manager_get_model (manager)) == 0)
    return NULL;
  /* The list keeps its own reference. */
  item = g_list_model_get_item (dp_app_manager_get_model (manager), 0);
  return item;
}

static gboolean
has_notification (DpAppApplication *app,
                  const char       *id)
{
  g_auto(GStrv) ids = dp_app_application_dup_notification_ids (app);

  return g_strv_contains ((const char * const *) ids, id);
}

/* The button whose label reads @label, mnemonic aside. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && gtk_button_get_label (GTK_BUTTON (root)) != NULL)
    {
      g_autoptr(GString) text = g_string_new (gtk_button_get_label (GTK_BUTTON (root)));

      g_string_replace (text, "_", "", 0);
      if (g_str_equal (text->str, label))
        return root;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
item_notification_id (const char *url)
{
  return g_strdup_printf ("download-%u", g_str_hash (url));
}

/* The application in this process ------------------------------------ */

typedef struct _Run Run;
typedef void (*RunStep) (Run *run);

struct _Run
{
  DpAppApplication *app;
  RunStep step;        /* called every few milliseconds while it runs */
  guint stage;
  gboolean timed_out;
  /* What the steps saw, checked once run() returned. */
  gboolean closed_while_running;
  gboolean alive_after_close;
  gboolean saw_dialog;
  gboolean background_notified;
  gboolean finished_notified;
  gboolean withdrawn;
  DpAppItemStatus status_after_cancel;
  char *heading;
  char *body;
  char *url;
};

static gboolean
run_tick (gpointer data)
{
  Run *run = data;

  run->step (run);
  return G_SOURCE_CONTINUE;
}

static gboolean
run_watchdog (gpointer data)
{
  Run *run = data;

  run->timed_out = TRUE;
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

static void
on_startup (GApplication *app,
            Run          *run)
{
  g_timeout_add (20, run_tick, run);
}

/* Runs a fresh application with @url on its command line (or none)
 * until it ends by itself, or 60 s have passed. */
static void
run_app (Run        *run,
         const char *url)
{
  char *argv[] = { (char *) "downpour", (char *) url, NULL };

  run->app = dp_app_application_new ();
  /* No bus to ask: a single instance of our own. */
  g_application_set_flags (G_APPLICATION (run->app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_signal_connect_after (run->app, "startup", G_CALLBACK (on_startup), run);
  g_timeout_add_seconds (60, run_watchdog, run);

  assert_int_equal (g_application_run (G_APPLICATION (run->app), url != NULL ? 2 : 1, argv), 0);

  /* The tick and the watchdog. */
  while (g_source_remove_by_user_data (run))
    ;
}

static void
run_clear (Run *run)
{
  g_clear_object (&run->app);
  g_clear_pointer (&run->heading, g_free);
  g_clear_pointer (&run->body, g_free);
}

static GtkWindow *
main_window (Run *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (run->app));

  return window != NULL && DP_APP_IS_WINDOW (window) ? window : NULL;
}

static gboolean
first_item_downloading (Run *run)
{
  DpAppItem *item = first_item (dp_app_application_get_manager (run->app));

  return item != NULL && dp_app_item_get_status (item) == DP_APP_ITEM_DOWNLOADING;
}

/* Closing the window ------------------------------------------------- */

static void
close_while_running_step (Run *run)
{
  switch (run->stage)
    {
    case 0:
      if (main_window (run) == NULL || !first_item_downloading (run))
        return;
      run->closed_while_running = TRUE;
      /* What Ctrl+W and the close button do. */
      gtk_window_close (main_window (run));
      run->stage++;
      break;
    case 1:
      /* Still here, a tick after the window went. */
      run->alive_after_close = gtk_application_get_windows (GTK_APPLICATION (run->app)) == NULL;
      run->background_notified = has_notification (run->app, "background");
      run->stage++;
      break;
    default:
      break;
    }
}

/* With a download running, closing the window leaves the application
 * running until the download has finished, with the right bytes; then,
 * with no window, it ends by itself. The user hears once that it did
 * not quit. */
static void
test_close_keeps_downloads_running (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/close.bin?size=1500000&rate=500000");
  g_autofree char *path = g_build_filename (f->dir, "close.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (1, 1500000);
  g_autofree char *sum = NULL;
  Run run = { .step = close_while_running_step };
  DpAppItem *item;

  run_app (&run, url);

  assert_false (run.timed_out);
  assert_true (run.closed_while_running);
  assert_true (run.alive_after_close);
  assert_true (run.background_notified);
  /* run() returned because the download was done, not before. */
  item = first_item (dp_app_application_get_manager (run.app));
  assert_non_null (item);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  sum = dp_test_file_sha256 (path);
  assert_non_null (sum);
  assert_string_equal (sum, expected);
  run_clear (&run);
}

static void
close_idle_step (Run *run)
{
  if (run->stage > 0 || main_window (run) == NULL ||
      !dp_app_manager_get_loaded (dp_app_application_get_manager (run->app)))
    return;
  run->stage++;
  gtk_window_close (main_window (run));
}

/* Without downloads running, closing the window quits, silently. */
static void
test_close_without_downloads_quits (void **state)
{
  Run run = { .step = close_idle_step };

  run_app (&run, NULL);

  assert_false (run.timed_out);
  assert_int_equal (run.stage, 1);
  assert_false (has_notification (run.app, "background"));
  run_clear (&run);
}

/* Activating the application again ----------------------------------- */

static void
notifications_step (Run *run)
{
  DpAppItem *item;
  g_autofree char *id = NULL;
  g_auto(GStrv) ids = NULL;

  switch (run->stage)
    {
    case 0:
      if (main_window (run) == NULL || !first_item_downloading (run))
        return;
      /* Keeps it alive after the download, while the test looks. */
      g_application_hold (G_APPLICATION (run->app));
      gtk_window_close (main_window (run));
      run->stage++;
      break;
    case 1:
      /* Finished with no window: a notification says so. */
      item = first_item (dp_app_application_get_manager (run->app));
      if (dp_app_item_get_status (item) != DP_APP_ITEM_FINISHED)
        return;
      id = item_notification_id (run->url);
      run->background_notified = has_notification (run->app, "background");
      run->finished_notified = has_notification (run->app, id);
      /* As from the launcher, or the notification's default action. */
      g_application_activate (G_APPLICATION (run->app));
      run->stage++;
      break;
    case 2:
      if (main_window (run) == NULL || !gtk_window_is_active (main_window (run)))
        return;
      /* The same list in the new window. */
      if (g_list_model_get_n_items (dp_app_manager_get_model (dp_app_window_get_manager (DP_APP_WINDOW (main_window (run))))) != 1)
        return;
      ids = dp_app_application_dup_notification_ids (run->app);
      run->withdrawn = g_strv_length (ids) == 0;
      g_application_release (G_APPLICATION (run->app));
      gtk_window_close (main_window (run));
      run->stage++;
      break;
    default:
      break;
    }
}

/* Activating the application brings the window back with the same
 * list, and looking at it withdraws the notifications sent meanwhile. */
static void
test_notifications_withdrawn_when_window_active (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/note.bin?size=600000&rate=400000");
  Run run = { .step = notifications_step, .url = url };

  run_app (&run, url);

  assert_false (run.timed_out);
  assert_int_equal (run.stage, 3);
  assert_true (run.background_notified);
  assert_true (run.finished_notified);
  assert_true (run.withdrawn);
  run_clear (&run);
}

/* Quitting ---------------------------------------------------------- */

static void
quit_step (Run *run)
{
  GtkWidget *dialog = dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  switch (run->stage)
    {
    case 0:
      if (main_window (run) == NULL || !first_item_downloading (run))
        return;
      g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);
      run->stage++;
      break;
    case 1:
      if (dialog == NULL)
        return;
      run->saw_dialog = TRUE;
      run->heading = g_strdup (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)));
      run->body = g_strdup (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
      /* As a click does: the dialog answers, then closes. */
      g_signal_emit_by_name (find_button (dialog, "Cancel"), "clicked");
      run->stage++;
      break;
    case 2:
      /* Cancel keeps everything as it was. */
      if (dialog != NULL)
        return;
      run->status_after_cancel = dp_app_item_get_status (first_item (dp_app_application_get_manager (run->app)));
      g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);
      run->stage++;
      break;
    case 3:
      if (dialog == NULL)
        return;
      g_signal_emit_by_name (find_button (dialog, "Quit"), "clicked");
      run->stage++;
      break;
    default:
      break;
    }
}

/* Quit with a download running asks first; Cancel leaves it running,
 * Quit quits before it is done. */
static void
test_quit_asks_with_running_downloads (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/quit.bin?size=4000000&rate=200000");
  Run run = { .step = quit_step };
  DpAppItem *item;

  run_app (&run, url);

  assert_int_equal (run.stage, 4);
  assert_false (run.timed_out);
  assert_true (run.saw_dialog);
  assert_string_equal (run.heading, "Stop Downloads?");
  assert_non_null (strstr (run.body, "1 download will stop"));
  assert_int_equal (run.status_after_cancel, DP_APP_ITEM_DOWNLOADING);
  item = first_item (dp_app_application_get_manager (run.app));
  assert_int_not_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  run_clear (&run);
}

static void
quit_idle_step (Run *run)
{
  if (run->stage > 0 || main_window (run) == NULL ||
      !dp_app_manager_get_loaded (dp_app_application_get_manager (run->app)))
    return;
  run->stage++;
  g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);
  run->saw_dialog = dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* Without running downloads, Quit quits at once. */
static void
test_quit_without_downloads_does_not_ask (void **state)
{
  Run run = { .step = quit_idle_step };

  run_app (&run, NULL);

  assert_false (run.timed_out);
  assert_int_equal (run.stage, 1);
  assert_false (run.saw_dialog);
  run_clear (&run);
}

/* Retry from a notification ----------------------------------------- */

static void
retry_step (Run *run)
{
  DpAppItem *item;

  if (main_window (run) == NULL)
    return;
  item = first_item (dp_app_application_get_manager (run->app));
  switch (run->stage)
    {
    case 0:
      if (item == NULL || dp_app_item_get_status (item) != DP_APP_ITEM_FAILED)
        return;
      /* The folder is there now; the button of the notification that
       * said it failed carries the address and the file. */
      g_mkdir (dp_app_item_get_directory (item), 0700);
      g_action_group_activate_action (G_ACTION_GROUP (run->app), "retry",
                                      g_variant_new ("(ss)", dp_app_item_get_url (item),
                                                     dp_app_item_get_path (item) != NULL ?
                                                     dp_app_item_get_path (item) : ""));
      run->stage++;
      break;
    case 1:
      if (dp_app_item_get_status (item) != DP_APP_ITEM_FINISHED)
        return;
      gtk_window_close (main_window (run));
      run->stage++;
      break;
    default:
      break;
    }
}

/* The Retry button of a failed download's notification starts that
 * download again. */
static void
test_retry_from_notification (void **state)
{
  Fixture *f = *state;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *url = dp_test_server_url (f->server, "/file/retry.bin?size=200000");
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  g_autofree char *path = g_build_filename (missing, "retry.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (1, 200000);
  g_autofree char *sum = NULL;
  Run run = { .step = retry_step };

  /* A folder that is not there makes the download fail. */
  g_settings_set_string (settings, "download-folder", missing);
  run_app (&run, url);

  assert_false (run.timed_out);
  assert_int_equal (run.stage, 2);
  sum = dp_test_file_sha256 (path);
  assert_non_null (sum);
  assert_string_equal (sum, expected);
  run_clear (&run);
}

/* The manager and the network ---------------------------------------- */

static gboolean
is_paused_and_stopped (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_PAUSED && !dp_app_item_is_running (data);
}

static gboolean
is_downloading (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_DOWNLOADING;
}

static gboolean
is_finished (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_FINISHED;
}

static gboolean
is_failed (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_FAILED && !dp_app_item_is_running (data);
}

/* On a metered connection the manager pauses what runs and waits;
 * when it is no longer metered those resume, and only those: what the
 * user paused, before or meanwhile, stays paused. */
static void
test_metered_pauses_and_resumes (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  g_autofree char *url_a = dp_test_server_url (f->server, "/file/a.bin?size=800000&rate=400000");
  g_autofree char *url_b = dp_test_server_url (f->server, "/file/b.bin?size=100000");
  g_autofree char *url_c = dp_test_server_url (f->server, "/file/c.bin?size=100000");
  g_autofree char *url_d = dp_test_server_url (f->server, "/file/d.bin?size=100000");
  g_autofree char *path_a = g_build_filename (f->dir, "a.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (1, 800000);
  g_autofree char *sum = NULL;
  DpAppItem *a, *b, *c, *d;

  g_object_set (manager, "directory", f->dir, "max-active", 1, NULL);
  a = dp_app_manager_add (manager, url_a, NULL, 2, NULL, TRUE);
  b = dp_app_manager_add (manager, url_b, NULL, 2, NULL, TRUE);
  c = dp_app_manager_add (manager, url_c, NULL, 2, NULL, TRUE);
  d = dp_app_manager_add (manager, url_d, NULL, 2, NULL, FALSE);
  dp_app_test_wait_until (is_downloading, a, 30);
  assert_int_equal (dp_app_item_get_status (b), DP_APP_ITEM_QUEUED);
  assert_false (dp_app_manager_get_paused_on_metered (manager));

  g_object_set (manager, "metered", TRUE, NULL);
  assert_true (dp_app_manager_get_paused_on_metered (manager));
  assert_int_equal (dp_app_item_get_status (b), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_item_get_status (c), DP_APP_ITEM_PAUSED);
  dp_app_test_wait_until (is_paused_and_stopped, a, 30);
  /* Nothing starts in their place. */
  dp_app_test_spin (100);
  assert_int_equal (dp_app_manager_get_n_running (manager), 0);

  /* The user takes C over: resumed, then paused again by hand. */
  dp_app_item_resume (c);
  dp_app_item_pause (c);
  assert_int_equal (dp_app_item_get_status (c), DP_APP_ITEM_PAUSED);

  g_object_set (manager, "metered", FALSE, NULL);
  assert_false (dp_app_manager_get_paused_on_metered (manager));
  assert_int_not_equal (dp_app_item_get_status (a), DP_APP_ITEM_PAUSED);
  assert_int_not_equal (dp_app_item_get_status (b), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_item_get_status (c), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_item_get_status (d), DP_APP_ITEM_PAUSED);

  dp_app_test_wait_until (is_finished, a, 30);
  dp_app_test_wait_until (is_finished, b, 30);
  sum = dp_test_file_sha256 (path_a);
  assert_string_equal (sum, expected);
  assert_int_equal (dp_app_item_get_status (c), DP_APP_ITEM_PAUSED);
  assert_int_equal (dp_app_item_get_status (d), DP_APP_ITEM_PAUSED);
}

/* The window says why downloads wait, and "Download Anyway" lets them
 * go on for the session. */
static void
test_metered_notice_download_anyway (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  g_autoptr(GtkApplication) app = gtk_application_new (APP_ID ".MeteredTest",
                                                       G_APPLICATION_NON_UNIQUE);
  g_autofree char *url = dp_test_server_url (f->server, "/file/m.bin?size=100000");
  g_autoptr(GError) error = NULL;
  GtkWidget *window, *button, *revealer;
  DpAppItem *item;

  g_object_set (manager, "directory", f->dir, NULL);
  assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  window = GTK_WIDGET (dp_app_window_new (app, manager));
  gtk_window_present (GTK_WINDOW (window));
  button = find_button (window, "Download Anyway");
  assert_non_null (button);
  revealer = gtk_widget_get_ancestor (button, GTK_TYPE_REVEALER);
  assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  g_object_set (manager, "metered", TRUE, NULL);
  item = dp_app_manager_add (manager, url, NULL, 2, NULL, FALSE);
  dp_app_item_resume (item);
  /* Added while metered, by the user: it runs; the notice is for what
   * the manager paused. */
  assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  dp_app_test_wait_until (is_finished, item, 30);

  g_object_set (manager, "metered", FALSE, NULL);
  item = dp_app_manager_add (manager, url, NULL, 2, NULL, TRUE);
  g_object_set (manager, "metered", TRUE, NULL);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  g_signal_emit_by_name (button, "clicked");
  assert_true (dp_app_manager_get_paused_on_metered (manager) == FALSE);
  assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  assert_int_not_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  dp_app_test_wait_until (is_finished, item, 30);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
count_start (DpAppItem  *item,
             GParamSpec *pspec,
             guint      *starts)
{
  if (dp_app_item_is_running (item))
    (*starts)++;
}

/* When the network comes back, downloads that failed for lack of it
 * try again; others that failed stay as they are. */
static void
test_network_back_retries (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/n.bin?size=1000");
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  DpAppItem *offline, *elsewhere;
  guint offline_starts = 0, elsewhere_starts = 0;

  g_object_set (manager, "directory", f->dir, NULL);
  /* Nothing listens on port 1: the connection is refused, as with no
   * network, and fails after quick retries. */
  offline = dp_app_manager_add (manager, "http://127.0.0.1:1/n.bin", NULL, 1, NULL, TRUE);
  dp_download_set_retry_delay (dp_app_item_get_download (offline), 1);
  elsewhere = dp_app_manager_add (manager, url, missing, 1, NULL, TRUE);
  g_signal_connect (offline, "notify::running", G_CALLBACK (count_start), &offline_starts);
  g_signal_connect (elsewhere, "notify::running", G_CALLBACK (count_start), &elsewhere_starts);

  dp_app_test_wait_until (is_failed, offline, 60);
  dp_app_test_wait_until (is_failed, elsewhere, 30);
  assert_int_equal (dp_app_item_get_failure_code (offline), DP_ERROR_NETWORK);
  assert_int_not_equal (dp_app_item_get_failure_code (elsewhere), DP_ERROR_NETWORK);
  assert_int_equal (offline_starts, 1);

  g_object_set (manager, "network-available", FALSE, NULL);
  assert_true (is_failed (offline));
  g_object_set (manager, "network-available", TRUE, NULL);
  assert_int_equal (dp_app_item_get_status (offline), DP_APP_ITEM_QUEUED);
  dp_app_test_wait_until (is_failed, offline, 60);
  assert_int_equal (offline_starts, 2);
  assert_int_equal (elsewhere_starts, 1);
  assert_true (is_failed (elsewhere));

  g_signal_handlers_disconnect_by_data (offline, &offline_starts);
  g_signal_handlers_disconnect_by_data (elsewhere, &elsewhere_starts);
}

/* The preference reaches the manager through the application, and its
 * row in the preferences writes it. */
static void
test_metered_preference (void **state)
{
  g_autoptr(DpAppApplication) app = dp_app_application_new ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  DpAppPreferencesWindow *window;
  DpAppManager *manager;
  GtkWidget *toggle;
  gboolean on = TRUE;

  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  manager = dp_app_application_get_manager (app);
  g_object_get (manager, "download-on-metered", &on, NULL);
  assert_false (on);

  window = dp_app_preferences_window_new (NULL, settings);
  toggle = dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SWITCH,
                                    "Download on Metered Connections");
  assert_non_null (toggle);
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  assert_true (g_settings_get_boolean (settings, "download-on-metered"));
  g_object_get (manager, "download-on-metered", &on, NULL);
  assert_true (on);

  gtk_window_destroy (GTK_WINDOW (window));
  dp_app_test_wait_until ((DpAppTestCondition) dp_app_manager_get_loaded, manager, 10);
}

/* Power Saver ------------------------------------------------------- */

/* While the system saves power the window says so and offers fewer
 * connections: new downloads then use at most 4, and the engine shares
 * no more than 4 a running download. */
static void
test_power_saver_notice (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = dp_app_manager_new (NULL);
  g_autoptr(GtkApplication) app = gtk_application_new (APP_ID ".PowerTest",
                                                       G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  GtkWidget *window, *button, *revealer;
  DpAppItem *item;

  g_object_set (manager, "directory", f->dir, "segments", DP_DOWNLOAD_SEGMENTS_AUTO,
                "max-active", 3, NULL);
  assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  window = GTK_WIDGET (dp_app_window_new (app, manager));
  gtk_window_present (GTK_WINDOW (window));
  button = find_button (window, "Use Fewer Connections");
  assert_non_null (button);
  revealer = gtk_widget_get_ancestor (button, GTK_TYPE_REVEALER);
  assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  /* What the application binds GPowerProfileMonitor to. */
  g_object_set (window, "power-saver", TRUE, NULL);
  assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  g_signal_emit_by_name (button, "clicked");
  assert_int_equal (dp_app_manager_get_segments (manager), 4);
  assert_int_equal (dp_engine_get_max_connections (dp_app_manager_get_engine (manager)), 12);
  item = dp_app_manager_add (manager, "http://127.0.0.1:9/p.bin", NULL,
                             DP_APP_MANAGER_DEFAULT_SEGMENTS, NULL, FALSE);
  assert_int_equal (dp_app_item_get_segments (item), 4);
  /* Done what it offered. */
  assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_close_keeps_downloads_running, setup, teardown),
    cmocka_unit_test_setup_teardown (test_close_without_downloads_quits, setup, teardown),
    cmocka_unit_test_setup_teardown (test_notifications_withdrawn_when_window_active, setup, teardown),
    cmocka_unit_test_setup_teardown (test_quit_asks_with_running_downloads, setup, teardown),
    cmocka_unit_test_setup_teardown (test_quit_without_downloads_does_not_ask, setup, teardown),
    cmocka_unit_test_setup_teardown (test_retry_from_notification, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_pauses_and_resumes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_notice_download_anyway, setup, teardown),
    cmocka_unit_test_setup_teardown (test_network_back_retries, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metered_preference, setup, teardown),
    cmocka_unit_test_setup_teardown (test_power_saver_notice, setup, teardown),
  };
  g_autofree char *data = NULL;
  int ret;

  if (!dp_app_test_have_display ())
    return 0;
  /* The saved list lives under the data folder: one of this process's
   * own, read once by GLib, so that no other test's list shows up. */
  data = dp_test_mkdtemp ();
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  /* The application would look for a session bus; there is none here,
   * and starting one is not the test's business. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  adw_init ();
  ret = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_rmdir (data);
  return ret;
}
