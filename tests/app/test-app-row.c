/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>

#include "dp-app-download-row.h"
#include "dp-app-speed-limit-dialog.h"
#include "dp-app-test-util.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

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

/* The reason of a failure is shown in the row. */
static void
test_failure_reason (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/gone.zip?status=404", TRUE);

  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_true (g_str_has_prefix (dp_app_download_row_get_status_text (f->row), "Failed: "));
  assert_non_null (strstr (dp_app_download_row_get_status_text (f->row), "404"));

  /* Retry queues it again. */
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.retry", NULL);
  assert_true (seen (f, "Queued") || g_str_equal (dp_app_download_row_get_status_text (f->row),
                                                  "Queued"));
  dp_app_test_wait_until (is_settled, item, 30);
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

/* The row's buttons pause and resume the download it shows. */
static void
test_pause_resume (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add_and_bind (f, "/file/slow.iso?size=3000000&rate=300000", TRUE);
  g_autofree char *paused = NULL;

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

  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.cancel", NULL);
  dp_app_test_wait_until (is_settled, item, 10);
  assert_string_equal (dp_app_download_row_get_status_text (f->row), "Cancelled");
  assert_null (dp_app_item_get_path (item));
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

static gboolean
no_limit_dialog (gpointer data)
{
  return dp_app_test_find_toplevel (DP_APP_TYPE_SPEED_LIMIT_DIALOG) == NULL;
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

  assert_null (dp_app_test_find_toplevel (DP_APP_TYPE_SPEED_LIMIT_DIALOG));
  gtk_widget_activate_action (GTK_WIDGET (f->row), "row.speed-limit", NULL);
  dialog = dp_app_test_find_toplevel (DP_APP_TYPE_SPEED_LIMIT_DIALOG);
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
  assert_int_equal (g_menu_model_get_n_items (gtk_menu_button_get_menu_model (button)), 2);
  dp_app_test_spin (50);
  assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));

  gtk_menu_button_popdown (button);
  gtk_menu_button_popup (button);
  assert_ptr_equal (gtk_menu_button_get_popover (button), popover);
  gtk_menu_button_popdown (button);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_runs_to_finished, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failure_reason, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pause_resume, setup, teardown),
    cmocka_unit_test_setup_teardown (test_added_paused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_speed_limit, setup, teardown),
    /* Last: GTK 4.8's tooltips keep the menu's popover after it is gone,
     * and the next window that appears under the pointer makes them ask
     * that popover's surface where the pointer is (a critical). */
    cmocka_unit_test_setup_teardown (test_menu_made_when_opened, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
