/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>

#include "dp-app-download-row.h"
#include "dp-app-segment-map.h"
#include "dp-app-speed-limit-dialog.h"
#include "dp-app-details-window.h"
#include "dp-app-test-util.h"
#include "dp-test-server.h"
#include "dp-test-util.h"
#include "dp-error.h"

typedef struct
{
  DpTestServer *server;
  char *dir;
  DpAppManager *manager;
  GtkWidget *window;
  DpAppDownloadRow *row;
  GPtrArray *seen;  /* status texts in the order the row showed them */
} Fixture;

static void
on_item_changed (DpAppItem *item,
                 Fixture   *f)
{
  const char *text = dp_app_download_row_get_status_text (f->row);

  if (f->seen->len == 0 || g_strcmp0 (g_ptr_array_index (f->seen, f->seen->len - 1), text) != 0)
    g_ptr_array_add (f->seen, g_strdup (text));
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->manager = dp_app_manager_new (NULL);
  g_object_set (f->manager, "directory", f->dir, NULL);
  f->row = DP_APP_DOWNLOAD_ROW (dp_app_download_row_new (f->manager));
  f->window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->row));
  gtk_window_present (GTK_WINDOW (f->window));
  f->seen = g_ptr_array_new_with_free_func (g_free);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_object_unref (f->manager);
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->seen);
  g_free (f);
  return 0;
}

/* Bound after the item's own handlers, so that it sees the row's text
 * after the row updated. */
static DpAppItem *
add_and_bind (Fixture    *f,
              const char *path_and_query,
              gboolean    start)
{
  g_autofree char *url = dp_test_server_url (f->server, path_and_query);
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 4, NULL, start);

  dp_app_download_row_set_item (f->row, item);
  g_signal_connect_after (item, "changed", G_CALLBACK (on_item_changed), f);
  on_item_changed (item, f);
  return item;
}

/* g_format_size() puts a no-break space before the unit. */
static char *
details (Fixture *f)
{
  g_auto(GStrv) parts = g_strsplit (dp_app_download_row_get_details_text (f->row), "\u00a0", -1);

  return g_strjoinv (" ", parts);
}

static gboolean
is_settled (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED ||
          status == DP_APP_ITEM_PAUSED || status == DP_APP_ITEM_CANCELLED);
}

static gboolean
is_downloading (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_DOWNLOADING &&
         dp_app_item_get_received (data) > 0;
}

static gboolean
seen (Fixture    *f,
      const char *text)
{
  for (guint i = 0; i < f->seen->len; i++)
    if (g_str_equal (g_ptr_array_index (f->seen, i), text))
      return TRUE;
  return FALSE;
}

/* Queued, connecting, downloading with numbers, then finished. */
static void
test_runs_to_finished (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/movie.webm?size=2000000&rate=1000000", TRUE);
  g_autofree char *running = NULL;
  g_autofree char *finished = NULL;

  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Queued");

  dp_app_test_wait_until (is_downloading, item, 10);
  dp_app_test_spin (300);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Downloading");
  running = details (f);
  assert_non_null (strstr (running, " of 2.0 MB · "));
  assert_non_null (strstr (running, "/s"));
  assert_true (dp_app_download_row_get_fraction (f->row) > 0);
  assert_true (gtk_widget_is_visible (GTK_WIDGET (f->row)));

  dp_app_test_wait_until (is_settled, item, 30);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Finished");
  finished = details (f);
  assert_string_equal (finished, "2.0 MB");

  assert_true (seen (f, "Queued"));
  assert_true (seen (f, "Connecting…"));
  assert_true (seen (f, "Downloading"));
  assert_string_equal (g_ptr_array_index (f->seen, f->seen->len - 1), "Finished");
}

static void
count_starts (DpAppItem  *item,
              GParamSpec *pspec,
              guint      *n_starts)
{
  if (dp_app_item_is_running (item))
    (*n_starts)++;
}

/* The reason of a failure is shown in the row. */
static void
test_failure_reason (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/gone.zip?status=404", TRUE);
  guint n_starts = 0;
  gulong handler;

  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_true (g_str_has_prefix (dp_app_download_row_get_status_text (f->row), "Failed: "));
  assert_non_null (strstr (dp_app_download_row_get_status_text (f->row), "404"));

  /* Retry queues it again, and it runs (and fails) once more. */
  handler = g_signal_connect (item, "notify::running", G_CALLBACK (count_starts), &n_starts);
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.retry", NULL);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_QUEUED);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Queued");
  dp_app_test_wait_until (is_settled, item, 30);
  g_signal_handler_disconnect (item, handler);
  assert_int_equal (n_starts, 1);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
}

/* A checksum given in the add dialog reaches the engine: a file that
 * does not match fails, and the row says why. */
static void
test_checksum_mismatch (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/signed.iso?size=100000");
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 2,
                                        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                                        TRUE);

  dp_app_download_row_set_item (f->row, item);
  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_true (g_str_has_prefix (dp_app_download_row_get_status_text (f->row), "Failed: "));
  assert_non_null (strstr (dp_app_download_row_get_status_text (f->row),
                           "The downloaded file does not match its sha256 checksum"));
}

/* The inscription that shows the status text. */
static GtkWidget *
find_status_widget (Fixture *f)
{
  return dp_app_test_find_text_widget (GTK_WIDGET (f->row),
                                       dp_app_download_row_get_status_text (f->row));
}

/* The row's buttons pause and resume the download it shows. */
static void
test_pause_resume (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  g_autofree char *paused = NULL;
  g_autofree char *part = NULL;

  dp_app_test_wait_until (is_downloading, item, 10);
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.pause", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Paused");
  paused = details (f);
  assert_non_null (strstr (paused, " of 3.0 MB"));

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.resume", NULL);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Queued");
  dp_app_test_wait_until (is_downloading, item, 10);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Downloading");

  /* Narrow: the share and the speed, with the plain status hidden. */
  dp_app_download_row_set_compact (f->row, TRUE);
  assert_non_null (strstr (dp_app_download_row_get_details_text (f->row), " % · "));
  assert_null (strstr (dp_app_download_row_get_details_text (f->row), " of "));
  assert_false (gtk_widget_get_visible (find_status_widget (f)));
  dp_app_download_row_set_compact (f->row, FALSE);
  assert_non_null (strstr (dp_app_download_row_get_details_text (f->row), " of "));
  assert_true (gtk_widget_get_visible (find_status_widget (f)));

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Cancelled");
  /* What it downloaded stays until the cancellation is confirmed, so
   * that Undo continues it (test-app-manager covers both ways). */
  assert_non_null (dp_app_item_get_path (item));
  part = g_strconcat (dp_app_item_get_path (item), ".part", NULL);
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* A paused item does not start, and shows so. */
static void
test_added_paused (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/later.bin?size=1000", FALSE);

  dp_app_test_spin (200);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Paused");
  assert_string_equal (dp_app_download_row_get_details_text (f->row), "");
  assert_int_equal (dp_app_manager_get_n_running (f->manager), 0);

  /* Rebinding to nothing and back shows the same. */
  dp_app_download_row_set_item (f->row, NULL);
  dp_app_download_row_set_item (f->row, item);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Paused");
}

static char *
status (Fixture *f)
{
  g_auto(GStrv) parts = g_strsplit (dp_app_download_row_get_status_text (f->row), "\u00a0", -1);

  return g_strjoinv (" ", parts);
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* The alert that holds the speed limit's form. */
static GtkWidget *
find_limit_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (dp_app_test_find_widget (window, DP_APP_TYPE_SPEED_LIMIT_DIALOG, NULL) != NULL)
        return window;
    }
  return NULL;
}

static gboolean
no_limit_dialog (gpointer data)
{
  return find_limit_dialog () == NULL;
}

/* Opens the row's "Speed Limit…" dialog, sets it as the user would and
 * answers @response. */
static void
set_limit_in_dialog (Fixture    *f,
                     gboolean    on,
                     double      megabytes,
                     const char *response)
{
  GtkWidget *dialog, *limit, *spin;

  assert_null (find_limit_dialog ());
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.speed-limit", NULL);
  dialog = find_limit_dialog ();
  assert_non_null (dialog);
  dp_app_test_wait_until (is_mapped, dialog, 10);
  limit = dp_app_test_find_widget (dialog, GTK_TYPE_SWITCH, "Limit Speed");
  spin = dp_app_test_find_widget (dialog, GTK_TYPE_SPIN_BUTTON,
                                  "Maximum Speed");
  assert_non_null (limit);
  assert_non_null (spin);

  /* It shows the limit there is. */
  assert_int_equal (gtk_switch_get_active (GTK_SWITCH (limit)),
                    dp_app_item_get_rate_limit (dp_app_download_row_get_item (f->row)) > 0);

  gtk_switch_set_active (GTK_SWITCH (limit), on);
  assert_int_equal (gtk_widget_is_sensitive (spin), on);
  if (on)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), megabytes);
  /* A button both answers and closes; the function only answers. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_close (GTK_WINDOW (dialog));
  dp_app_test_wait_until (no_limit_dialog, NULL, 10);
}

/* A download's own limit is set from its menu while it runs, reaches
 * the engine at once, and the row says it is on. */
static void
test_speed_limit (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  DpDownload *download = dp_app_item_get_download (item);
  g_autofree char *limited = NULL;

  dp_app_test_wait_until (is_downloading, item, 10);
  assert_int_equal (dp_download_get_rate_limit (download), 0);

  set_limit_in_dialog (f, TRUE, 1.5, "apply");
  assert_true (dp_app_item_is_running (item));
  assert_int_equal (dp_download_get_rate_limit (download), 1500000);
  limited = status (f);
  assert_string_equal (limited, "Downloading · limited to 1.5 MB/s");

  /* Cancel leaves it as it was. */
  set_limit_in_dialog (f, TRUE, 4, "cancel");
  assert_int_equal (dp_download_get_rate_limit (download), 1500000);

  set_limit_in_dialog (f, FALSE, 0, "apply");
  assert_int_equal (dp_download_get_rate_limit (download), 0);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Downloading");

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Details opens the details of the row's download, which stay with it
 * when the row shows another one. */
static void
test_details (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/later.bin?size=1000", FALSE);
  GtkWidget *details;

  assert_null (dp_app_test_find_toplevel (DP_APP_TYPE_DETAILS_WINDOW));
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.details", NULL);
  details = dp_app_test_find_toplevel (DP_APP_TYPE_DETAILS_WINDOW);
  assert_non_null (details);
  dp_app_download_row_set_item (f->row, NULL);
  assert_ptr_equal (dp_app_details_window_get_item (DP_APP_DETAILS_WINDOW (details)), item);
  gtk_window_destroy (GTK_WINDOW (details));
}

/* The menu is made when it is first opened, and offers the row's
 * actions then. */
static void
test_menu_made_when_opened (void **state)
{
  Fixture *f = *state;
  GtkMenuButton *button;
  GtkPopover *popover;

  add_and_bind (f, "/file/later.bin?size=1000", FALSE);
  button = GTK_MENU_BUTTON (find_descendant (GTK_WIDGET (f->row), GTK_TYPE_MENU_BUTTON));
  assert_non_null (button);
  assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
  assert_null (gtk_menu_button_get_popover (button));

  gtk_menu_button_popup (button);
  popover = gtk_menu_button_get_popover (button);
  assert_non_null (popover);
  assert_true (GTK_IS_POPOVER_MENU (popover));
  assert_int_equal (g_menu_model_get_n_items (gtk_menu_button_get_menu_model (button)), 3);
  dp_app_test_spin (50);
  assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));

  gtk_menu_button_popdown (button);
  gtk_menu_button_popup (button);
  assert_ptr_equal (gtk_menu_button_get_popover (button), popover);
  gtk_menu_button_popdown (button);
}

/* The texts of the menu's items a user sees and can use: GtkPopoverMenu
 * makes one widget with a "text" property per item, hidden when the item
 * does not apply. */
static void
collect_menu_items (GtkWidget *widget,
                    GPtrArray *texts)
{
  if (!gtk_widget_get_visible (widget))
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (widget), "text") != NULL &&
      !GTK_IS_LABEL (widget) && !GTK_IS_EDITABLE (widget))
    {
      char *text = NULL;

      g_object_get (widget, "text", &text, NULL);
      if (text != NULL && gtk_widget_is_sensitive (widget))
        g_ptr_array_add (texts, text);
      else
        g_free (text);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_menu_items (child, texts);
}

static GPtrArray *
open_menu (Fixture *f)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (find_descendant (GTK_WIDGET (f->row),
                                                            GTK_TYPE_MENU_BUTTON));
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  gtk_menu_button_popup (button);
  dp_app_test_spin (50);
  collect_menu_items (GTK_WIDGET (gtk_menu_button_get_popover (button)), texts);
  gtk_menu_button_popdown (button);
  return texts;
}

static gboolean
has_text (GPtrArray  *texts,
          const char *text)
{
  for (guint i = 0; i < texts->len; i++)
    if (g_str_equal (g_ptr_array_index (texts, i), text))
      return TRUE;
  return FALSE;
}

/* The menu offers what applies to the download, and skipping a
 * security check only where one failed. */
static void
test_menu_items (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GPtrArray) finished = NULL;
  g_autoptr(GPtrArray) insecure = NULL;
  g_autoptr(GPtrArray) unbound = NULL;
  g_autofree char *https = NULL;
  GtkWidget *dialog;

  dp_app_test_wait_until (is_downloading, item, 10);
  running = open_menu (f);
  assert_true (has_text (running, "Cancel"));
  assert_true (has_text (running, "Remove"));
  assert_true (has_text (running, "Speed Limit…"));
  assert_false (has_text (running, "Download Anyway…"));
  assert_false (has_text (running, "Move to Trash"));
  assert_false (has_text (running, "Retry"));
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);

  item = add_and_bind (f, "/file/gone.zip?status=404", TRUE);
  dp_app_test_wait_until (is_settled, item, 30);
  failed = open_menu (f);
  assert_true (has_text (failed, "Retry"));
  assert_false (has_text (failed, "Download Anyway…"));
  assert_false (has_text (failed, "Cancel"));

  item = add_and_bind (f, "/file/small.bin?size=1000", TRUE);
  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  finished = open_menu (f);
  assert_true (has_text (finished, "Move to Trash"));
  assert_true (has_text (finished, "Open File"));
  assert_false (has_text (finished, "Cancel"));
  assert_false (has_text (finished, "Download Anyway…"));

  https = dp_test_server_https_url (f->server, "/file/self-signed.bin?size=1000");
  item = dp_app_manager_add (f->manager, https, NULL, 2, NULL, TRUE);
  dp_app_download_row_set_item (f->row, item);
  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_insecure_failure (item), DP_ERROR_TLS);
  insecure = open_menu (f);
  assert_true (has_text (insecure, "Download Anyway…"));
  assert_true (has_text (insecure, "Retry"));

  /* It asks, and Download Anyway skips the check and starts again. */
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.download-anyway", NULL);
  dialog = dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  assert_non_null (dialog);
  assert_string_equal (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                       "Download Without Verifying the Server?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "anyway");
  gtk_window_destroy (GTK_WINDOW (dialog));
  assert_true (dp_app_item_is_insecure (item));
  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);

  /* A row the list view has taken back offers nothing of its last item. */
  dp_app_download_row_set_item (f->row, NULL);
  unbound = open_menu (f);
  assert_false (has_text (unbound, "Download Anyway…"));
  assert_false (has_text (unbound, "Retry"));
}

static GtkWidget *
find_toplevel_dialog (void)
{
  return dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static gboolean
is_cancelled (gpointer data)
{
  return !dp_app_item_is_running (data) &&
         dp_app_item_get_status (data) == DP_APP_ITEM_CANCELLED;
}

static gboolean
in_list (DpAppManager *manager,
         DpAppItem    *item)
{
  GListModel *model = dp_app_manager_get_model (manager);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DpAppItem) other = g_list_model_get_item (model, i);

      if (other == item)
        return TRUE;
    }
  return FALSE;
}

static gboolean
file_is_gone (gpointer path)
{
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A server that wants a login: the row's button logs in instead of
 * retrying, is named so, and the menu offers Log In…; the dialog it
 * opens takes the login and the download goes on with it. */
static void
test_login_button (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/members.zip?size=100000&auth=ann%3Apw", TRUE);
  g_autoptr(GPtrArray) menu = NULL;
  GtkWidget *button;
  GtkWidget *dialog;
  GtkWidget *user, *password;

  dp_app_test_wait_until (is_settled, item, 30);
  assert_true (dp_app_item_needs_login (item));
  button = dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_BUTTON,
                                    "Log In to Download members.zip");
  assert_non_null (button);
  assert_true (gtk_widget_get_visible (button));
  assert_string_equal (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), "row.log-in");
  menu = open_menu (f);
  assert_true (has_text (menu, "Log In…"));
  assert_false (has_text (menu, "Update Address…"));

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.log-in", NULL);
  dialog = dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  assert_non_null (dialog);
  assert_string_equal (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), "Log In");
  user = dp_app_test_find_widget (dialog, GTK_TYPE_ENTRY, "User name");
  password = dp_app_test_find_widget (dialog, GTK_TYPE_PASSWORD_ENTRY, "Password");
  assert_non_null (user);
  assert_non_null (password);
  gtk_editable_set_text (GTK_EDITABLE (user), "ann");
  gtk_editable_set_text (GTK_EDITABLE (password), "pw");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "log-in");
  gtk_window_destroy (GTK_WINDOW (dialog));
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_QUEUED);
  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  assert_false (dp_app_item_get_remember_login (item));
  assert_string_equal (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), "row.retry");
}

/* Cancel, Remove and Move to Trash act at once, without asking. */
static void
test_cancel_and_remove_at_once (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  g_autofree char *path = NULL;

  dp_app_test_wait_until (is_downloading, item, 10);
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  assert_null (find_toplevel_dialog ());
  dp_app_test_wait_until (is_cancelled, item, 10);
  assert_null (find_toplevel_dialog ());

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.remove", NULL);
  assert_null (find_toplevel_dialog ());
  assert_false (in_list (f->manager, item));

  item = add_and_bind (f, "/file/keep.bin?size=1000", TRUE);
  dp_app_test_wait_until (is_settled, item, 30);
  path = g_strdup (dp_app_item_get_path (item));
  assert_non_null (path);
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.trash", NULL);
  assert_null (find_toplevel_dialog ());
  assert_false (in_list (f->manager, item));
  dp_app_test_wait_until (file_is_gone, path, 10);
}

/* The model: the status is an enum property, the rest real properties. */
static void
test_item_properties (void **state)
{
  GObjectClass *klass = g_type_class_ref (DP_APP_TYPE_ITEM);
  GParamSpec *pspec = g_object_class_find_property (klass, "status");
  const struct {
    const char *name;
    GType type;
  } expected[] = {
    { "display-name", G_TYPE_STRING },
    { "icon", G_TYPE_ICON },
    { "path", G_TYPE_STRING },
    { "error", G_TYPE_STRING },
    { "rate-limit", G_TYPE_UINT64 },
    { "insecure", G_TYPE_BOOLEAN },
    { "size", G_TYPE_INT64 },
    { "received", G_TYPE_INT64 },
    { "speed", G_TYPE_DOUBLE },
    { "eta", G_TYPE_INT64 },
    { "segments", G_TYPE_ARRAY },
    { "connections", G_TYPE_UINT },
    { "active-connections", G_TYPE_UINT },
  };
  g_autoptr(GEnumClass) statuses = g_type_class_ref (DP_APP_TYPE_ITEM_STATUS);
  g_autoptr(DpAppItem) item = dp_app_item_new ("http://127.0.0.1:1/debian-12.iso", "/tmp", 4, NULL);
  g_autofree char *name = NULL;
  DpAppItemStatus status = -1;

  (void) state;
  assert_non_null (pspec);
  assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
  assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == DP_APP_TYPE_ITEM_STATUS);
  assert_int_equal (g_enum_get_value_by_nick (statuses, "downloading")->value,
                    DP_APP_ITEM_DOWNLOADING);
  assert_int_equal (g_enum_get_value_by_nick (statuses, "cancelled")->value,
                    DP_APP_ITEM_CANCELLED);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      pspec = g_object_class_find_property (klass, expected[i].name);
      assert_non_null (pspec);
      assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == expected[i].type);
      assert_true (pspec->flags & G_PARAM_READABLE);
      assert_false (pspec->flags & G_PARAM_WRITABLE);
    }

  g_object_get (item, "display-name", &name, "status", &status, NULL);
  assert_string_equal (name, "debian-12.iso");
  assert_int_equal (status, DP_APP_ITEM_QUEUED);
  g_type_class_unref (klass);
}

static void
record_time (GObject    *item,
             GParamSpec *pspec,
             GArray     *times)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (times, now);
}

/* However often the engine reports, a row hears of progress at most
 * twice in any 100 ms, and the first report after a quiet spell at once. */
static void
test_progress_rate_limited (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) segments = NULL;
  gint64 start;
  guint in_burst = 0;

  dp_app_test_wait_until (is_downloading, item, 10);
  segments = dp_app_item_dup_segments (item);
  g_signal_connect (item, "notify::received", G_CALLBACK (record_time), times);

  start = g_get_monotonic_time ();
  for (int i = 1; i <= 100; i++)
    dp_app_item_report_progress (item, 3000000, 2000000 + i, 1000.0 * i, 10, 4, segments);
  /* The getters have the last report at once. */
  assert_int_equal (dp_app_item_get_received (item), 2000100);
  assert_true (times->len <= 1);
  dp_app_test_spin (400);

  for (guint i = 0; i < times->len; i++)
    if (g_array_index (times, gint64, i) - start <= 100 * 1000)
      in_burst++;
  assert_true (in_burst <= 2);
  /* The last values are notified, after the burst. */
  assert_true (times->len >= 1);
  assert_true (g_array_index (times, gint64, times->len - 1) > start);
  for (guint i = 0; i + 2 < times->len; i++)
    assert_true (g_array_index (times, gint64, i + 2) - g_array_index (times, gint64, i) >
                 100 * 1000);

  g_signal_handlers_disconnect_by_data (item, times);
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
}

static void
setup_list_item (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 GtkWidget                *row)
{
  if (gtk_widget_get_parent (row) == NULL)
    gtk_list_item_set_child (list_item, row);
}

/* At 360 pixels, the narrowest a phone shows, a row with a long name
 * and a long status is whole: its minimum width and the list's margins
 * fit. */
static void
test_fits_360 (void **state)
{
  Fixture *f = *state;
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  DpAppItem *item = add_and_bind (f, "/file/debian-12.7.0-amd64-DVD-with-a-very-long-name-indeed-"
                                     "for-testing-1.iso?size=30000000&rate=300000", TRUE);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *list;
  int minimum, natural;

  gtk_css_provider_load_from_resource (provider, "/io/github/downpour/Downpour/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  dp_app_test_wait_until (is_downloading, item, 10);
  dp_app_item_set_rate_limit (item, 1500000);
  dp_app_test_spin (300);
  assert_non_null (strstr (dp_app_download_row_get_status_text (f->row), "limited to"));
  assert_non_null (strstr (dp_app_download_row_get_details_text (f->row), "/s"));

  gtk_widget_measure (GTK_WIDGET (f->row), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, &natural, NULL, NULL);
  /* The list's padding is 12 pixels on either side. */
  assert_true (minimum + 2 * 12 <= 360);
  /* With room, nothing is cut. */
  assert_true (natural > minimum);

  /* The same row in the list, as the window shows it. */
  g_object_ref (f->row);
  gtk_window_set_child (GTK_WINDOW (f->window), NULL);
  list = gtk_list_view_new (NULL, factory);
  gtk_widget_add_css_class (list, "downloads");
  gtk_window_set_child (GTK_WINDOW (f->window), list);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_list_item), f->row);
  gtk_list_view_set_model (GTK_LIST_VIEW (list),
                           GTK_SELECTION_MODEL (gtk_no_selection_new (
                             G_LIST_MODEL (g_object_ref (dp_app_manager_get_model (f->manager))))));
  dp_app_test_spin (100);
  assert_non_null (gtk_widget_get_parent (GTK_WIDGET (f->row)));
  gtk_widget_measure (list, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  assert_true (minimum <= 360);
  g_object_unref (f->row);

  gtk_style_context_remove_provider_for_display (gdk_display_get_default (),
                                                 GTK_STYLE_PROVIDER (provider));
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
}

static gboolean
has_label (GtkWidget  *widget,
           const char *label)
{
  g_autofree char *mismatch = NULL;

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, label);
  if (mismatch != NULL)
    g_printerr ("%s: %s\n", label, mismatch);
  return mismatch == NULL;
}

/* Icon-only buttons name the file they act on, and the row is
 * announced by its file and status. */
static void
test_accessible_labels (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/debian-12.iso?size=3000000&rate=300000", TRUE);
  DpAppItem *other;
  GtkWidget *button;

  dp_app_test_wait_until (is_downloading, item, 10);
  button = dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_BUTTON, "Pause debian-12.iso");
  assert_non_null (button);
  assert_true (gtk_widget_get_visible (button));
  assert_non_null (dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_MENU_BUTTON,
                                            "More Actions for debian-12.iso"));
  assert_true (has_label (GTK_WIDGET (f->row), "debian-12.iso, Downloading"));
  assert_true (gtk_test_accessible_has_role (GTK_ACCESSIBLE (f->row), GTK_ACCESSIBLE_ROLE_GROUP));

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.pause", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
  button = dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_BUTTON, "Resume debian-12.iso");
  assert_non_null (button);
  assert_true (gtk_widget_get_visible (button));
  assert_false (gtk_widget_get_visible (dp_app_test_find_widget (GTK_WIDGET (f->row),
                                                                 GTK_TYPE_BUTTON,
                                                                 "Pause debian-12.iso")));
  assert_true (has_label (GTK_WIDGET (f->row), "debian-12.iso, Paused"));

  /* A recycled row names its new file. */
  other = add_and_bind (f, "/file/other.bin?size=1000", FALSE);
  assert_non_null (dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_BUTTON,
                                            "Resume other.bin"));
  assert_null (dp_app_test_find_widget (GTK_WIDGET (f->row), GTK_TYPE_BUTTON,
                                        "Resume debian-12.iso"));
  assert_true (has_label (GTK_WIDGET (f->row), "other.bin, Paused"));
  assert_int_equal (dp_app_item_get_status (other), DP_APP_ITEM_PAUSED);
}

/* One bar shows progress and segments, and says both to assistive
 * technologies. */
static void
test_bar (void **state)
{
  Fixture *f = *state;
  DpAppSegmentMap *bar = DP_APP_SEGMENT_MAP (dp_app_segment_map_new ());
  g_autoptr(GArray) segments = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  DpSegmentInfo parts[] = {
    { 0, 300, 300, FALSE },
    { 300, 400, 600, TRUE },
    { 600, 650, 1000, TRUE },
  };
  g_autofree char *mismatch = NULL;

  (void) f;
  g_object_ref_sink (bar);
  assert_true (gtk_test_accessible_has_role (GTK_ACCESSIBLE (bar),
                                             GTK_ACCESSIBLE_ROLE_PROGRESS_BAR));

  /* Unknown size: it pulses. */
  dp_app_segment_map_set_progress (bar, segments, -1, 5000);
  dp_app_segment_map_pulse (bar);
  assert_true (dp_app_segment_map_get_pulsing (bar));
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (bar),
                                                 GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT,
                                                 "5.0\u00a0kB downloaded");
  assert_null (mismatch);

  g_array_append_vals (segments, parts, G_N_ELEMENTS (parts));
  dp_app_segment_map_set_progress (bar, segments, 1000, 450);
  dp_app_segment_map_set_connections (bar, 8, 3);
  assert_false (dp_app_segment_map_get_pulsing (bar));
  assert_int_equal (dp_app_segment_map_get_n_segments (bar), 3);
  assert_true (dp_app_segment_map_get_fraction (bar) == 0.45);
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (bar),
                                                 GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT,
                                                 "45 %, 8 connections, 3 active");
  assert_null (mismatch);
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (bar),
                                                 GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, 45.0);
  assert_null (mismatch);
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (bar),
                                                 GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 100.0);
  assert_null (mismatch);

  dp_app_segment_map_set_connections (bar, 1, 1);
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (bar),
                                                 GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT,
                                                 "45 %, 1 connection, 1 active");
  assert_null (mismatch);
  g_object_unref (bar);
}

static void
count_nodes (GskRenderNode *node,
             guint         *borders,
             GdkRGBA       *border_color)
{
  switch (gsk_render_node_get_node_type (node))
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        count_nodes (gsk_container_node_get_child (node, i), borders, border_color);
      break;
    case GSK_ROUNDED_CLIP_NODE:
      count_nodes (gsk_rounded_clip_node_get_child (node), borders, border_color);
      break;
    case GSK_CLIP_NODE:
      count_nodes (gsk_clip_node_get_child (node), borders, border_color);
      break;
    case GSK_BORDER_NODE:
      /* The first: the parts come before the bar's own outline. */
      if ((*borders)++ == 0)
        *border_color = gsk_border_node_get_colors (node)[0];
      break;
    default:
      break;
    }
}

static void
draw_bar (DpAppSegmentMap *bar,
          guint           *borders,
          GdkRGBA         *border_color)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  GTK_WIDGET_GET_CLASS (bar)->snapshot (GTK_WIDGET (bar), snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  *borders = 0;
  if (node != NULL)
    count_nodes (node, borders, border_color);
}

static gboolean
is_allocated (gpointer widget)
{
  return gtk_widget_get_width (widget) >= 300;
}

static gboolean
is_high_contrast (gpointer data)
{
  return adw_style_manager_get_high_contrast (adw_style_manager_get_default ()) ==
         GPOINTER_TO_INT (data);
}

/* Parts being downloaded are outlined, not only tinted; the
 * high-contrast setting outlines them in the text colour, and the bar. */
static void
test_bar_high_contrast (void **state)
{
  Fixture *f = *state;
  g_autoptr(GSettings) a11y = g_settings_new ("org.gnome.desktop.a11y.interface");
  GtkWidget *bar = dp_app_segment_map_new ();
  g_autoptr(GArray) segments = g_array_new (FALSE, FALSE, sizeof (DpSegmentInfo));
  DpSegmentInfo parts[] = {
    { 0, 300, 300, FALSE },
    { 300, 400, 600, TRUE },
    { 600, 650, 1000, TRUE },
  };
  guint borders;
  GdkRGBA edge, fg;

  g_array_append_vals (segments, parts, G_N_ELEMENTS (parts));
  gtk_widget_set_size_request (bar, 300, -1);
  gtk_window_set_child (GTK_WINDOW (f->window), bar);
  dp_app_segment_map_set_progress (DP_APP_SEGMENT_MAP (bar), segments, 1000, 450);
  dp_app_test_wait_until (is_allocated, bar, 10);

  g_settings_set_boolean (a11y, "high-contrast", FALSE);
  dp_app_test_wait_until (is_high_contrast, GINT_TO_POINTER (FALSE), 10);
  draw_bar (DP_APP_SEGMENT_MAP (bar), &borders, &edge);
  /* Each part a connection works on. */
  assert_int_equal (borders, 2);
  gtk_style_context_get_color (gtk_widget_get_style_context (bar), &fg);
  assert_false (gdk_rgba_equal (&edge, &fg));

  g_settings_set_boolean (a11y, "high-contrast", TRUE);
  dp_app_test_wait_until (is_high_contrast, GINT_TO_POINTER (TRUE), 10);
  draw_bar (DP_APP_SEGMENT_MAP (bar), &borders, &edge);
  /* And the bar; all in the text colour. */
  assert_int_equal (borders, 3);
  gtk_style_context_get_color (gtk_widget_get_style_context (bar), &fg);
  assert_true (gdk_rgba_equal (&edge, &fg));

  g_settings_set_boolean (a11y, "high-contrast", FALSE);
  dp_app_test_wait_until (is_high_contrast, GINT_TO_POINTER (FALSE), 10);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_runs_to_finished, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failure_reason, setup, teardown),
    cmocka_unit_test_setup_teardown (test_login_button, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pause_resume, setup, teardown),
    cmocka_unit_test_setup_teardown (test_added_paused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_speed_limit, setup, teardown),
    /* Last: GTK 4.8's tooltips keep the menu's popover after it is gone,
     * and the next window that appears under the pointer makes them ask
     * that popover's surface where the pointer is (a critical). */
    cmocka_unit_test_setup_teardown (test_item_properties, setup, teardown),
    cmocka_unit_test_setup_teardown (test_progress_rate_limited, setup, teardown),
    cmocka_unit_test_setup_teardown (test_fits_360, setup, teardown),
    cmocka_unit_test_setup_teardown (test_accessible_labels, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bar, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bar_high_contrast, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cancel_and_remove_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_menu_items, setup, teardown),
    cmocka_unit_test_setup_teardown (test_menu_made_when_opened, setup, teardown),
    cmocka_unit_test_setup_teardown (test_details, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
