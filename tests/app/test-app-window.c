/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <adwaita.h>

#include "dp-app-download-row.h"
#include "dp-app-format.h"
#include "dp-app-manager.h"
#include "dp-app-details-window.h"
#include "dp-app-test-util.h"
#include "dp-app-window.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* The main window, on its own: no other window in the process. */

typedef struct
{
  char *dir;
  DpAppManager *manager;
  DpTestServer *server;
  GtkApplication *app;
  DpAppWindow *window;
  char *opened;         /* what app.open-file was asked to open */
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->manager = dp_app_manager_new (NULL);
  g_object_set (f->manager, "directory", f->dir, NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->app);
  g_object_unref (f->manager);
  dp_test_server_free (f->server);
  g_free (f->opened);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

typedef struct
{
  GtkWidget *list_view;
  guint first_rows;     /* rows in the window's first frame, once painted */
  gboolean painted;
} RevealWatch;

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

static void
on_first_paint (GdkFrameClock *clock,
                RevealWatch   *watch)
{
  if (watch->painted)
    return;
  watch->painted = TRUE;
  watch->first_rows = count_children (watch->list_view);
}

static gboolean
was_painted (gpointer data)
{
  return ((RevealWatch *) data)->painted;
}

static gboolean
shows_everything (gpointer data)
{
  RevealWatch *watch = data;

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (watch->list_view)))) == 300;
}

/* A long list reaches the view a few rows a frame: the first frame does
 * not wait for a row for each of hundreds of items (GTK 4.8 would make
 * about 200), and in the end the view shows every item. */
static void
test_long_list_is_revealed_in_steps (void **state)
{
  Fixture *f = *state;
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.downpour.Downpour.RevealTest",
                                                       G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  RevealWatch watch = { NULL, 0, FALSE };
  GtkWidget *window;
  gulong handler;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:9/file-%u.bin", i);

      dp_app_manager_add (f->manager, url, f->dir, 4, NULL, FALSE);
    }
  assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  window = GTK_WIDGET (dp_app_window_new (app, f->manager));
  watch.list_view = dp_app_window_get_list_view (DP_APP_WINDOW (window));
  /* Presenting maps the window; its first frame comes from the main loop. */
  gtk_window_present (GTK_WINDOW (window));
  handler = g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                              G_CALLBACK (on_first_paint), &watch);

  dp_app_test_wait_until (was_painted, &watch, 60);
  g_signal_handler_disconnect (gtk_widget_get_frame_clock (window), handler);
  if (watch.first_rows == 0 || watch.first_rows > 100)
    fail_msg ("%u rows in the first frame", watch.first_rows);

  dp_app_test_wait_until (shows_everything, &watch, 60);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
open_file_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  Fixture *f = user_data;

  g_free (f->opened);
  f->opened = g_variant_dup_string (parameter, NULL);
}

/* The window of an application that records what it is asked to open
 * instead of opening it. */
static void
show_window (Fixture *f)
{
  static guint n_apps;
  g_autofree char *id = g_strdup_printf ("io.github.downpour.Downpour.WindowTest%u", n_apps++);
  const GActionEntry entries[] = { { "open-file", open_file_action, "s" } };
  g_autoptr(GError) error = NULL;

  f->app = gtk_application_new (id, G_APPLICATION_NON_UNIQUE);
  assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  g_action_map_add_action_entries (G_ACTION_MAP (f->app), entries, G_N_ELEMENTS (entries), f);
  f->window = dp_app_window_new (f->app, f->manager);
  gtk_window_present (GTK_WINDOW (f->window));
}

static gboolean
is_done (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED);
}

static DpAppItem *
add_from_server (Fixture    *f,
                 const char *path_and_query)
{
  g_autofree char *url = dp_test_server_url (f->server, path_and_query);
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);

  dp_app_test_wait_until (is_done, item, 20);
  return item;
}

static DpAppItem *
add_paused (Fixture    *f,
            const char *name)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:9/%s", name);

  return dp_app_manager_add (f->manager, url, NULL, 1, NULL, FALSE);
}

/* A button in the header bar bound to @action: it is sensitive exactly
 * when the action is enabled, and clicking it activates the action. */
static GtkWidget *
probe_button (Fixture    *f,
              const char *action)
{
  GtkWidget *header = dp_app_test_find_widget (GTK_WIDGET (f->window), ADW_TYPE_HEADER_BAR, NULL);
  GtkWidget *button = gtk_button_new ();

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), button);
  return button;
}

static guint
n_shown (Fixture *f)
{
  GtkWidget *list_view = dp_app_window_get_list_view (f->window);

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list_view))));
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0 &&
      gtk_widget_get_mapped (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The toast's button, once the toast shows. */
static GtkWidget *
undo_button (Fixture *f)
{
  return find_button (GTK_WIDGET (f->window), "_Undo");
}

static gboolean
has_undo_button (gpointer data)
{
  return undo_button (data) != NULL;
}

static DpAppItem *
item_at (Fixture *f,
         guint    position)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (dp_app_manager_get_model (f->manager), position);
  return item;
}

/* Pause All, Resume All and Clear Finished are enabled only when they
 * have something to do, and do it; Clear Finished can be undone and
 * keeps the files. */
static void
test_bulk_actions (void **state)
{
  Fixture *f = *state;
  DpAppItem *finished = add_from_server (f, "/file/done.bin?size=1000");
  g_autofree char *path = g_strdup (dp_app_item_get_path (finished));
  DpAppItem *paused = add_paused (f, "later.iso");
  GtkWidget *pause_all, *resume_all, *clear;

  show_window (f);
  pause_all = probe_button (f, "win.pause-all");
  resume_all = probe_button (f, "win.resume-all");
  clear = probe_button (f, "win.clear-finished");
  assert_false (gtk_widget_get_sensitive (pause_all));
  assert_true (gtk_widget_get_sensitive (resume_all));
  assert_true (gtk_widget_get_sensitive (clear));

  g_signal_emit_by_name (resume_all, "clicked");
  assert_int_equal (dp_app_item_get_status (paused), DP_APP_ITEM_QUEUED);
  assert_true (gtk_widget_get_sensitive (pause_all));
  assert_false (gtk_widget_get_sensitive (resume_all));

  g_signal_emit_by_name (pause_all, "clicked");
  assert_int_equal (dp_app_item_get_status (paused), DP_APP_ITEM_PAUSED);
  assert_false (gtk_widget_get_sensitive (pause_all));

  g_signal_emit_by_name (clear, "clicked");
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 1);
  assert_ptr_equal (item_at (f, 0), paused);
  assert_false (gtk_widget_get_sensitive (clear));

  dp_app_test_wait_until (has_undo_button, f, 10);
  g_signal_emit_by_name (undo_button (f), "clicked");
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 2);
  assert_ptr_equal (item_at (f, 0), finished);
  assert_true (gtk_widget_get_sensitive (clear));

  g_signal_emit_by_name (clear, "clicked");
  assert_true (dp_app_manager_has_pending_removals (f->manager));
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  /* Closing the window confirmed it; the file stays. */
  assert_false (dp_app_manager_has_pending_removals (f->manager));
  dp_app_test_spin (100);
  assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* The filter and the search narrow what the list shows; nothing left
 * shows "No Results"; Escape in the search clears it. */
static void
test_filter_and_search (void **state)
{
  Fixture *f = *state;
  GtkWidget *dropdown, *entry, *search_bar;

  add_from_server (f, "/file/done.bin?size=1000");
  add_from_server (f, "/file/gone.bin?status=404");
  add_paused (f, "alpha.iso");
  add_paused (f, "beta.iso");
  show_window (f);
  dropdown = dp_app_test_find_widget (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN, NULL);
  entry = dp_app_test_find_widget (GTK_WIDGET (f->window), GTK_TYPE_SEARCH_ENTRY, NULL);
  search_bar = dp_app_test_find_widget (GTK_WIDGET (f->window), GTK_TYPE_SEARCH_BAR, NULL);
  assert_int_equal (n_shown (f), 4);

  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 1);
  assert_int_equal (n_shown (f), 2);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 2);
  assert_int_equal (n_shown (f), 1);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 3);
  assert_int_equal (n_shown (f), 1);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  assert_int_equal (n_shown (f), 4);
  /* A status change moves an item between views. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 1);
  dp_app_item_cancel (item_at (f, 2));
  assert_int_equal (n_shown (f), 1);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);

  assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL));
  assert_true (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (search_bar)));
  /* By name, case aside, and by address. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "ALPHA");
  g_signal_emit_by_name (entry, "search-changed");
  assert_int_equal (n_shown (f), 1);
  gtk_editable_set_text (GTK_EDITABLE (entry), "127.0.0.1:9/");
  g_signal_emit_by_name (entry, "search-changed");
  assert_int_equal (n_shown (f), 2);
  assert_string_equal (dp_app_window_get_visible_page (f->window), "list");
  gtk_editable_set_text (GTK_EDITABLE (entry), "nothing like it");
  g_signal_emit_by_name (entry, "search-changed");
  assert_int_equal (n_shown (f), 0);
  assert_string_equal (dp_app_window_get_visible_page (f->window), "no-results");

  g_signal_emit_by_name (entry, "stop-search");
  assert_string_equal (gtk_editable_get_text (GTK_EDITABLE (entry)), "");
  assert_false (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (search_bar)));
  assert_int_equal (n_shown (f), 4);
  assert_string_equal (dp_app_window_get_visible_page (f->window), "list");
}

/* The shortcut of the list bound to @keyval, activated as a key press
 * would. */
static void
press_list_key (Fixture *f,
                guint    keyval)
{
  GtkWidget *list_view = dp_app_window_get_list_view (f->window);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (list_view);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0)
            {
              assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                         list_view, NULL));
              return;
            }
        }
    }
  fail_msg ("No shortcut for key %u on the list", keyval);
}

/* Delete removes the selected rows at once; the toast's Undo puts them
 * back where they were. */
static void
test_delete_key_removes_with_undo (void **state)
{
  Fixture *f = *state;
  DpAppItem *items[3];
  GtkSelectionModel *selection;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%u.iso", i);
      items[i] = add_paused (f, name);
    }
  show_window (f);
  selection = gtk_list_view_get_model (GTK_LIST_VIEW (dp_app_window_get_list_view (f->window)));
  assert_true (GTK_IS_MULTI_SELECTION (selection));
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_selection_model_select_item (selection, 2, FALSE);

  press_list_key (f, GDK_KEY_Delete);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 1);
  assert_ptr_equal (item_at (f, 0), items[1]);

  dp_app_test_wait_until (has_undo_button, f, 10);
  g_signal_emit_by_name (undo_button (f), "clicked");
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 3);
  for (guint i = 0; i < 3; i++)
    assert_ptr_equal (item_at (f, i), items[i]);
  assert_false (dp_app_manager_has_pending_removals (f->manager));

  /* Ctrl+A, the list's own select-all, reaches every row. */
  assert_true (gtk_widget_activate_action (dp_app_window_get_list_view (f->window),
                                           "list.select-all", NULL));
  press_list_key (f, GDK_KEY_Delete);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 0);
  assert_string_equal (dp_app_window_get_visible_page (f->window), "empty");
}

typedef struct
{
  Fixture *f;
  guint n_frames;
  guint first_frame_rows;   /* in the view when the first frame was painted */
} FrameWatch;

static void
on_painted (GdkFrameClock *clock,
            FrameWatch    *watch)
{
  if (watch->n_frames++ == 0)
    watch->first_frame_rows = n_shown (watch->f);
}

static gboolean
was_painted_once (gpointer data)
{
  return ((FrameWatch *) data)->n_frames > 0;
}

static gboolean
shows_one (gpointer data)
{
  return n_shown (data) == 1;
}

/* The first download added to an empty list: the list page shows at
 * once, and its first frame has no row yet; the row comes in the next,
 * so that the frame which replaces the empty page does not also make,
 * lay out and draw rows. Again after the list was emptied. */
static void
test_first_row_comes_after_the_list_page (void **state)
{
  Fixture *f = *state;
  FrameWatch watch = { f, 0, 0 };
  GdkFrameClock *clock;
  gulong handler;

  show_window (f);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_painted), &watch);
  dp_app_test_wait_until (was_painted_once, &watch, 60);
  assert_string_equal (dp_app_window_get_visible_page (f->window), "empty");

  for (guint round = 0; round < 2; round++)
    {
      add_paused (f, "first.iso");
      assert_string_equal (dp_app_window_get_visible_page (f->window), "list");
      assert_int_equal (n_shown (f), 0);
      watch.n_frames = 0;
      dp_app_test_wait_until (was_painted_once, &watch, 10);
      assert_int_equal (watch.first_frame_rows, 0);
      dp_app_test_wait_until (shows_one, f, 10);

      dp_app_manager_remove (f->manager, item_at (f, 0), FALSE);
      assert_string_equal (dp_app_window_get_visible_page (f->window), "empty");
      assert_int_equal (n_shown (f), 0);
    }
  g_signal_handler_disconnect (clock, handler);
}

/* Activating a finished row (Enter, or a double click) opens its file;
 * an unfinished one has nothing to open. */
static void
test_activation_opens_finished (void **state)
{
  Fixture *f = *state;
  DpAppItem *finished = add_from_server (f, "/file/open-me.bin?size=1000");
  GtkWidget *list_view;

  add_paused (f, "not-yet.iso");
  show_window (f);
  list_view = dp_app_window_get_list_view (f->window);

  g_signal_emit_by_name (list_view, "activate", 1);
  assert_null (f->opened);
  g_signal_emit_by_name (list_view, "activate", 0);
  assert_non_null (f->opened);
  assert_string_equal (f->opened, dp_app_item_get_path (finished));
}

static GtkWidget *
find_popover_menu (GtkWidget *list_view)
{
  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER_MENU (child))
      return child;
  return NULL;
}

static gboolean
has_rows (gpointer data)
{
  GtkWidget *list_view = data;
  GtkWidget *first = gtk_widget_get_first_child (list_view);

  return first != NULL && gtk_widget_get_width (first) > 0;
}

/* A right click on a row that is not selected selects it alone and
 * opens the menu of what can be done to it. */
static void
test_context_menu (void **state)
{
  Fixture *f = *state;
  GtkWidget *list_view, *menu, *row = NULL, *details, *shown;
  GtkSelectionModel *selection;
  GtkEventController *click = NULL;
  g_autoptr(GListModel) controllers = NULL;
  g_autoptr(GString) labels = g_string_new (NULL);
  GMenuModel *model;
  graphene_rect_t bounds;

  add_paused (f, "first.iso");
  add_paused (f, "second.iso");
  show_window (f);
  list_view = dp_app_window_get_list_view (f->window);
  selection = gtk_list_view_get_model (GTK_LIST_VIEW (list_view));
  dp_app_test_wait_until (has_rows, list_view, 10);
  gtk_selection_model_select_item (selection, 0, TRUE);

  /* The second row, the list view's second child with a row in it. */
  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (dp_app_test_find_widget (child, DP_APP_TYPE_DOWNLOAD_ROW, NULL) != NULL)
      {
        GtkWidget *found = dp_app_test_find_widget (child, DP_APP_TYPE_DOWNLOAD_ROW, NULL);

        if (dp_app_download_row_get_item (DP_APP_DOWNLOAD_ROW (found)) == item_at (f, 1))
          row = child;
      }
  assert_non_null (row);
  assert_true (gtk_widget_compute_bounds (row, list_view, &bounds));

  controllers = gtk_widget_observe_controllers (list_view);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller) &&
          gtk_gesture_single_get_button (GTK_GESTURE_SINGLE (controller)) == GDK_BUTTON_SECONDARY)
        click = controller;
    }
  assert_non_null (click);
  g_signal_emit_by_name (click, "pressed", 1,
                         (double) (bounds.origin.x + 20), (double) (bounds.origin.y + 10));

  menu = find_popover_menu (list_view);
  assert_non_null (menu);
  assert_true (gtk_widget_get_visible (menu));
  assert_false (gtk_selection_model_is_selected (selection, 0));
  assert_true (gtk_selection_model_is_selected (selection, 1));

  model = gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (menu));
  for (int s = 0; s < g_menu_model_get_n_items (model); s++)
    {
      GMenuModel *section = g_menu_model_get_item_link (model, s, G_MENU_LINK_SECTION);

      for (int i = 0; i < g_menu_model_get_n_items (section); i++)
        {
          g_autofree char *label = NULL;

          g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
          g_string_append_printf (labels, "%s;", label);
        }
      g_object_unref (section);
    }
  assert_string_equal (labels->str,
                       "_Pause;_Resume;Re_try;_Details;_Open File;_Show in Folder;_Copy Link;"
                       "Re_move;Move to _Trash;");

  /* The menu acts on the selection: Resume queues the clicked row. */
  assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "items.resume", NULL));
  assert_int_equal (dp_app_item_get_status (item_at (f, 1)), DP_APP_ITEM_QUEUED);
  assert_int_equal (dp_app_item_get_status (item_at (f, 0)), DP_APP_ITEM_PAUSED);
  gtk_popover_popdown (GTK_POPOVER (menu));

  /* The Menu key opens it too. */
  press_list_key (f, GDK_KEY_Menu);
  assert_true (gtk_widget_get_visible (menu));
  gtk_popover_popdown (GTK_POPOVER (menu));

  /* Details are of one download: the selected one. */
  details = probe_button (f, "items.details");
  assert_true (gtk_widget_get_sensitive (details));
  g_signal_emit_by_name (details, "clicked");
  shown = dp_app_test_find_toplevel (DP_APP_TYPE_DETAILS_WINDOW);
  assert_non_null (shown);
  assert_ptr_equal (dp_app_details_window_get_item (DP_APP_DETAILS_WINDOW (shown)), item_at (f, 1));
  gtk_window_destroy (GTK_WINDOW (shown));
  gtk_selection_model_select_all (selection);
  assert_false (gtk_widget_get_sensitive (details));
}

typedef struct
{
  Fixture *f;
  DpAppItem *items[2];
  gboolean matched;
  char *mismatch;
} SummaryWatch;

/* Checked in the same main loop turn as the header changed, so that the
 * speeds are the ones it was made from. */
static void
on_subtitle (AdwWindowTitle *title,
             GParamSpec     *pspec,
             SummaryWatch   *watch)
{
  double speed = 0;
  gint64 remaining = 0;
  g_autofree char *speed_text = NULL;
  g_autofree char *left_text = NULL;
  g_autofree char *expected = NULL;

  for (guint i = 0; i < 2; i++)
    {
      if (dp_app_item_get_speed (watch->items[i]) <= 0 || dp_app_item_get_size (watch->items[i]) < 0)
        return;
      speed += dp_app_item_get_speed (watch->items[i]);
      remaining += dp_app_item_get_size (watch->items[i]) - dp_app_item_get_received (watch->items[i]);
    }
  speed_text = dp_app_format_speed (speed);
  left_text = dp_app_format_time_left ((gint64) ((double) remaining / speed));
  expected = g_strdup_printf ("%s · %s", speed_text, left_text);
  if (g_str_equal (adw_window_title_get_subtitle (title), expected))
    watch->matched = TRUE;
  else
    {
      g_free (watch->mismatch);
      watch->mismatch = g_strdup_printf ("“%s”, not “%s”", adw_window_title_get_subtitle (title),
                                         expected);
    }
}

static gboolean
summary_matched (gpointer data)
{
  return ((SummaryWatch *) data)->matched;
}

static gboolean
subtitle_is_empty (gpointer data)
{
  return *adw_window_title_get_subtitle (data) == '\0';
}

/* While two downloads run, the header shows their total speed and the
 * time left for both; nothing once they stopped. */
static void
test_header_shows_total (void **state)
{
  Fixture *f = *state;
  SummaryWatch watch = { f, { NULL, NULL }, FALSE, NULL };
  GtkWidget *title;

  show_window (f);
  title = dp_app_test_find_widget (GTK_WIDGET (f->window), ADW_TYPE_WINDOW_TITLE, NULL);
  assert_string_equal (adw_window_title_get_title (ADW_WINDOW_TITLE (title)), "Downpour");
  assert_string_equal (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (title)), "");
  g_signal_connect (title, "notify::subtitle", G_CALLBACK (on_subtitle), &watch);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/file/both-%u.iso?size=4000000&rate=%u", i,
                                               150000 * (i + 1));
      g_autofree char *url = dp_test_server_url (f->server, path);

      watch.items[i] = dp_app_manager_add (f->manager, url, NULL, 1, NULL, TRUE);
    }
  dp_app_test_wait_until (summary_matched, &watch, 20);
  if (watch.mismatch != NULL)
    g_debug ("before the match: %s", watch.mismatch);

  dp_app_manager_pause_all (f->manager);
  dp_app_test_wait_until (subtitle_is_empty, title, 10);
  g_free (watch.mismatch);
  g_signal_handlers_disconnect_by_data (title, &watch);
}

/* Everything fits a phone's 360 pixels, with the search bar open and
 * the header's total showing. */
static void
test_fits_360 (void **state)
{
  Fixture *f = *state;
  GtkWidget *title;
  int minimum, natural;

  add_paused (f, "a-file-with-a-rather-long-name-that-goes-on-and-on.iso");
  show_window (f);
  assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL));
  title = dp_app_test_find_widget (GTK_WIDGET (f->window), ADW_TYPE_WINDOW_TITLE, NULL);
  adw_window_title_set_subtitle (ADW_WINDOW_TITLE (title), "999.9 MB/s · 59 minutes left");

  gtk_widget_measure (adw_application_window_get_content (ADW_APPLICATION_WINDOW (f->window)),
                      GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  if (minimum > 360)
    fail_msg ("%d pixels wide at least", minimum);
}

/* Every button a screen reader reaches has a name of its own. */
static void
test_buttons_named (void **state)
{
  Fixture *f = *state;
  g_autofree char *unnamed = NULL;

  add_paused (f, "first.iso");
  show_window (f);
  dp_app_test_wait_until (has_rows, dp_app_window_get_list_view (f->window), 10);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  dp_app_test_spin (300);
  unnamed = dp_app_test_dup_unnamed_buttons (GTK_WIDGET (f->window));
  if (*unnamed != '\0')
    fail_msg ("no accessible name: %s", unnamed);
}

static DpAppDownloadRow *
first_row (Fixture *f)
{
  GtkWidget *list_view = dp_app_window_get_list_view (f->window);

  return (DpAppDownloadRow *) dp_app_test_find_widget (list_view, DP_APP_TYPE_DOWNLOAD_ROW, NULL);
}

static gboolean
row_is_compact (gpointer data)
{
  DpAppDownloadRow *row = first_row (data);

  return row != NULL && dp_app_download_row_get_compact (row);
}

static gboolean
row_is_wide (gpointer data)
{
  DpAppDownloadRow *row = first_row (data);

  return row != NULL && !dp_app_download_row_get_compact (row);
}

/* A phone-sized window makes its rows, those there and those made
 * later, shorten their numbers; a wide one makes them whole again. */
static void
test_narrow_window_compacts_rows (void **state)
{
  Fixture *f = *state;

  add_paused (f, "first.iso");
  show_window (f);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  dp_app_test_wait_until (row_is_wide, f, 10);

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 600);
  dp_app_test_wait_until (row_is_compact, f, 10);

  /* A row made while narrow starts compact. */
  for (guint i = 0; i < 30; i++)
    add_paused (f, "more.iso");
  dp_app_test_wait_until (has_rows, dp_app_window_get_list_view (f->window), 10);
  dp_app_test_spin (100);
  for (GtkWidget *child = gtk_widget_get_first_child (dp_app_window_get_list_view (f->window));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = dp_app_test_find_widget (child, DP_APP_TYPE_DOWNLOAD_ROW, NULL);

      if (row != NULL)
        assert_true (dp_app_download_row_get_compact (DP_APP_DOWNLOAD_ROW (row)));
    }

  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  dp_app_test_wait_until (row_is_wide, f, 10);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_long_list_is_revealed_in_steps, setup, teardown),
    cmocka_unit_test_setup_teardown (test_first_row_comes_after_the_list_page, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bulk_actions, setup, teardown),
    cmocka_unit_test_setup_teardown (test_filter_and_search, setup, teardown),
    cmocka_unit_test_setup_teardown (test_delete_key_removes_with_undo, setup, teardown),
    cmocka_unit_test_setup_teardown (test_activation_opens_finished, setup, teardown),
    cmocka_unit_test_setup_teardown (test_context_menu, setup, teardown),
    cmocka_unit_test_setup_teardown (test_header_shows_total, setup, teardown),
    cmocka_unit_test_setup_teardown (test_fits_360, setup, teardown),
    cmocka_unit_test_setup_teardown (test_narrow_window_compacts_rows, setup, teardown),
    cmocka_unit_test_setup_teardown (test_buttons_named, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
