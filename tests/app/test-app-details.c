/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>

#include "dp-app-details-window.h"
#include "dp-app-manager.h"
#include "dp-app-segment-map.h"
#include "dp-app-test-util.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-state.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

#define OLD_DATE_Q "Tue%2C%2001%20Dec%202020%2010%3A00%3A00%20GMT"

typedef struct
{
  DpTestServer *server;
  char *dir;
  DpAppManager *manager;
  GtkWidget *window;
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
  g_object_unref (f->manager);
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static DpAppItem *
add (Fixture    *f,
     const char *path_and_query,
     const char *checksum,
     gboolean    start)
{
  g_autofree char *url = dp_test_server_url (f->server, path_and_query);

  return dp_app_manager_add (f->manager, url, NULL, 2, checksum, start);
}

static gboolean
is_settled (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED);
}

static void
open_details (Fixture   *f,
              DpAppItem *item)
{
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item));
  assert_true (dp_app_details_window_get_item (DP_APP_DETAILS_WINDOW (f->window)) == item);
}

static AdwActionRow *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_ACTION_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return ADW_ACTION_ROW (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwActionRow *found = find_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* What the row with @title shows under it; fails if there is none. */
static const char *
value_of (Fixture    *f,
          const char *title)
{
  AdwActionRow *row = find_row (f->window, title);

  if (row == NULL)
    fail_msg ("no row “%s”", title);
  return adw_action_row_get_subtitle (row);
}

static GtkLabel *
find_subtitle_label (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found;

      if (GTK_IS_LABEL (child) && gtk_widget_has_css_class (child, "subtitle"))
        return GTK_LABEL (child);
      found = find_subtitle_label (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  Fixture *f;
  const char *title;
  const char *text;
} RowShows;

static gboolean
row_shows (gpointer data)
{
  RowShows *wait = data;

  return g_strcmp0 (value_of (wait->f, wait->title), wait->text) == 0;
}

/* A finished download: its size, the server's validators and the
 * checksum's outcome. */
static void
test_finished (void **state)
{
  Fixture *f = *state;
  g_autofree char *sha = dp_test_content_sha256 (7, 200003);
  g_autofree char *checksum = g_strconcat ("sha256:", sha, NULL);
  DpAppItem *item = add (f, "/file/done.bin?size=200003&seed=7&etag=abc&lastmod=" OLD_DATE_Q,
                         checksum, TRUE);
  g_autoptr(GDateTime) date = g_date_time_new_utc (2020, 12, 1, 10, 0, 0);
  g_autoptr(GDateTime) local = g_date_time_to_local (date);
  g_autofree char *day = g_date_time_format (local, "%-d %B %Y");

  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  open_details (f, item);

  assert_string_equal (value_of (f, "Status"), "Finished");
  /* g_format_size() puts a no-break space before the unit. */
  assert_string_equal (value_of (f, "Size"), "200.0\u00a0kB (200003 bytes)");
  assert_string_equal (value_of (f, "File Name"), "done.bin");
  assert_string_equal (value_of (f, "Folder"), f->dir);
  assert_string_equal (value_of (f, "ETag"), "\"abc\" (strong)");
  assert_non_null (strstr (value_of (f, "Last Modified"), day));
  assert_string_equal (value_of (f, "Byte Ranges"), "Supported: several connections, and resuming");
  assert_string_equal (value_of (f, "Checksum"), "Verified: SHA-256 from your checksum");
  assert_false (gtk_widget_get_visible (gtk_widget_get_ancestor (GTK_WIDGET (find_row (f->window, "Error")),
                                                                ADW_TYPE_PREFERENCES_GROUP)));
}

/* A weak ETag says so; no validators and no checksum say so too. */
static void
test_weak_and_none (void **state)
{
  Fixture *f = *state;
  DpAppItem *weak = add (f, "/file/weak.bin?size=1000&etag=w&weaketag=1", NULL, TRUE);
  DpAppItem *plain = add (f, "/file/plain.bin?size=1000&norange=1", NULL, TRUE);

  dp_app_test_wait_until (is_settled, weak, 30);
  dp_app_test_wait_until (is_settled, plain, 30);

  open_details (f, weak);
  assert_string_equal (value_of (f, "ETag"), "W/\"w\" (weak)");
  assert_string_equal (value_of (f, "Checksum"), "None given");
  gtk_window_destroy (GTK_WINDOW (f->window));

  open_details (f, plain);
  assert_string_equal (value_of (f, "ETag"), "None");
  assert_string_equal (value_of (f, "Last Modified"), "None");
  assert_string_equal (value_of (f, "Byte Ranges"), "Not supported: one connection, and no resuming");
}

/* A failed download shows why in full, in a label that can be copied;
 * here the checksum did not match. */
static void
test_failed (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add (f, "/file/bad.bin?size=5000",
                         "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                         TRUE);
  AdwActionRow *row;
  GtkLabel *label;

  dp_app_test_wait_until (is_settled, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  open_details (f, item);

  row = find_row (f->window, "Error");
  assert_non_null (row);
  assert_true (gtk_widget_is_visible (GTK_WIDGET (row)));
  assert_true (strlen (dp_app_item_get_error (item)) > 40);
  assert_string_equal (adw_action_row_get_subtitle (row), dp_app_item_get_error (item));
  label = find_subtitle_label (GTK_WIDGET (row));
  assert_non_null (label);
  assert_string_equal (gtk_label_get_text (label), dp_app_item_get_error (item));
  assert_true (gtk_label_get_selectable (label));
  assert_true (gtk_label_get_wrap (label));
  assert_int_equal (gtk_label_get_ellipsize (label), PANGO_ELLIPSIZE_NONE);

  assert_string_equal (value_of (f, "Status"), "Failed");
  assert_string_equal (value_of (f, "Checksum"), "Mismatch: the file did not match the SHA-256 from your checksum");
}

static DpAppItem *
restore (Fixture    *f,
         const char *status,
         const char *path,
         int         error_code)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/saved.bin?size=3000000");
  g_autoptr(GVariant) saved = NULL;
  DpAppItem *item;

  g_variant_dict_insert (&dict, "url", "s", url);
  g_variant_dict_insert (&dict, "directory", "s", f->dir);
  g_variant_dict_insert (&dict, "status", "s", status);
  g_variant_dict_insert (&dict, "checksum", "s",
                         "sha256:0000000000000000000000000000000000000000000000000000000000000000");
  if (path != NULL)
    g_variant_dict_insert (&dict, "path", "s", path);
  if (error_code >= 0)
    {
      g_variant_dict_insert (&dict, "error", "s", "Expected <b>0000</b> & got “ffff”.");
      g_variant_dict_insert (&dict, "error-code", "i", error_code);
    }
  saved = g_variant_ref_sink (g_variant_dict_end (&dict));
  item = dp_app_item_new_from_variant (saved);
  assert_non_null (item);
  return item;
}

/* Items from an earlier session: the checksum's outcome comes from
 * their saved status. */
static void
test_restored_checksum (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppItem) finished = restore (f, "finished", NULL, -1);
  g_autoptr(DpAppItem) failed = restore (f, "failed", NULL, DP_ERROR_CHECKSUM);
  g_autoptr(DpAppItem) other = restore (f, "failed", NULL, DP_ERROR_NETWORK);
  g_autoptr(DpAppItem) queued = restore (f, "queued", NULL, -1);

  open_details (f, finished);
  assert_string_equal (value_of (f, "Checksum"), "Verified: SHA-256 from your checksum");
  gtk_window_destroy (GTK_WINDOW (f->window));
  open_details (f, failed);
  assert_string_equal (value_of (f, "Checksum"), "Mismatch: the file did not match the SHA-256 from your checksum");
  /* Shown as written, not read as markup. */
  assert_string_equal (gtk_label_get_text (find_subtitle_label (GTK_WIDGET (find_row (f->window, "Error")))),
                       "Expected <b>0000</b> & got “ffff”.");
  gtk_window_destroy (GTK_WINDOW (f->window));
  open_details (f, other);
  assert_string_equal (value_of (f, "Checksum"), "Not checked yet: SHA-256 from your checksum");
  gtk_window_destroy (GTK_WINDOW (f->window));
  open_details (f, queued);
  assert_string_equal (value_of (f, "Checksum"), "Not checked yet: SHA-256 from your checksum");
  assert_string_equal (value_of (f, "ETag"), "Not known yet");
}

/* A paused download from an earlier session shows the validators its
 * resume state kept, before it asks the server again. */
static void
test_saved_validators (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->dir, "saved.bin", NULL);
  g_autofree char *state_path = g_strconcat (path, ".part.state", NULL);
  g_autofree char *url = dp_test_server_url (f->server, "/file/saved.bin?size=3000000");
  g_autoptr(DpState) saved = dp_state_new ();
  g_autoptr(DpAppItem) item = NULL;
  g_autoptr(GError) error = NULL;
  DpRange done = { 0, 1000 };
  RowShows etag = { f, "ETag", "\"s1\" (strong)" };

  saved->url = g_strdup (url);
  saved->size = 3000000;
  saved->etag = g_strdup ("\"s1\"");
  saved->last_modified = g_strdup ("Tue, 01 Dec 2020 10:00:00 GMT");
  g_array_append_val (saved->done, done);
  if (!dp_state_save (saved, state_path, &error))
    fail_msg ("%s", error->message);

  item = restore (f, "paused", path, -1);
  open_details (f, item);
  dp_app_test_wait_until (row_shows, &etag, 10);
  assert_non_null (strstr (value_of (f, "Last Modified"), "2020"));
  assert_string_equal (value_of (f, "Byte Ranges"), "Supported: several connections, and resuming");
}

static void
on_text_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* The address is shown without its login and copied with it. */
static void
test_copy_address (void **state)
{
  Fixture *f = *state;
  g_autofree char *plain = dp_test_server_url (f->server, "/file/secret.bin?size=10");
  g_autofree char *url = g_strconcat ("http://user:hunter2@", plain + strlen ("http://"), NULL);
  g_autofree char *redacted = dp_http_redact_address (url);
  g_autofree char *copied = NULL;
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 2, NULL, FALSE);
  GtkWidget *button;

  open_details (f, item);
  assert_string_equal (value_of (f, "Address"), redacted);
  assert_null (strstr (value_of (f, "Address"), "hunter2"));

  button = dp_app_test_find_widget (f->window, GTK_TYPE_BUTTON, "Copy Address");
  assert_non_null (button);
  assert_string_equal (gtk_widget_get_tooltip_text (button), "Copy Address");
  g_signal_emit_by_name (button, "clicked");

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (f->window), NULL, on_text_read, &copied);
  dp_app_test_wait_until (is_set, &copied, 10);
  assert_string_equal (copied, url);
}

/* It fits a phone's width, however long the address and the error. */
static void
test_narrow (void **state)
{
  Fixture *f = *state;
  g_autofree char *long_name = g_strnfill (300, 'x');
  g_autofree char *query = g_strdup_printf ("/file/%s.bin?size=10&status=404", long_name);
  DpAppItem *item = add (f, query, NULL, TRUE);
  int minimum = 0, natural = 0;

  dp_app_test_wait_until (is_settled, item, 30);
  open_details (f, item);
  gtk_widget_measure (f->window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  assert_true (minimum > 0);
  if (minimum > 360)
    fail_msg ("the window needs %d pixels", minimum);
}

typedef struct
{
  guint changes;
} Counter;

static void
on_subtitle (GObject    *row,
             GParamSpec *pspec,
             Counter    *counter)
{
  counter->changes++;
}

static void
on_connections (AdwActionRow *row,
                GParamSpec   *pspec,
                guint        *most)
{
  guint64 n = g_ascii_strtoull (adw_action_row_get_subtitle (row), NULL, 10);

  *most = MAX (*most, (guint) n);
}

static gboolean
is_finished (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_FINISHED;
}

/* The view follows the download while it runs, at most four times a
 * second, and shows how it ends. */
static void
test_follows_download (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add (f, "/file/live.bin?size=1500000&rate=600000", NULL, TRUE);
  AdwActionRow *received;
  Counter counter = { 0 };
  RowShows finished = { f, "Status", "Finished" };
  GtkWidget *open_folder;
  guint most_connections = 0;
  gint64 start;
  double elapsed;

  open_details (f, item);
  /* Nothing to show in a folder before the file has a name. */
  open_folder = dp_app_test_find_widget (f->window, GTK_TYPE_BUTTON, "Open Folder");
  assert_non_null (open_folder);
  assert_false (gtk_widget_get_sensitive (open_folder));
  g_signal_connect (find_row (f->window, "Connections"), "notify::subtitle",
                    G_CALLBACK (on_connections), &most_connections);
  received = find_row (f->window, "Received");
  g_signal_connect (received, "notify::subtitle", G_CALLBACK (on_subtitle), &counter);
  start = g_get_monotonic_time ();
  dp_app_test_wait_until (is_finished, item, 30);
  elapsed = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  dp_app_test_wait_until (row_shows, &finished, 5);

  /* Several steps in between, but never more than four a second. */
  assert_true (counter.changes >= 3);
  if (counter.changes > (guint) (elapsed * 4) + 2)
    fail_msg ("%u updates in %.2f s", counter.changes, elapsed);
  assert_string_equal (value_of (f, "Size"), "1.5\u00a0MB (1500000 bytes)");
  assert_string_equal (value_of (f, "Speed"), "Not downloading");
  assert_string_equal (value_of (f, "File Name"), "live.bin");
  assert_true (gtk_widget_get_sensitive (open_folder));
  assert_true (most_connections >= 1);
  assert_string_equal (value_of (f, "Connections"), "0");
  assert_true (dp_app_segment_map_get_n_segments (DP_APP_SEGMENT_MAP (
                 dp_app_test_find_widget (f->window, DP_APP_TYPE_SEGMENT_MAP, NULL))) > 0);
}

static void
check_rows_readable (GtkWidget *root,
                     guint     *n_rows)
{
  if (ADW_IS_ACTION_ROW (root) && gtk_widget_is_visible (root))
    {
      const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root));
      const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (root));

      assert_non_null (title);
      assert_true (*title != '\0');
      if (subtitle == NULL || *subtitle == '\0')
        fail_msg ("the row “%s” shows nothing", title);
      /* libadwaita names the row by its title and describes it by its
       * subtitle. */
      assert_true (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (root),
                                                     GTK_ACCESSIBLE_RELATION_LABELLED_BY));
      assert_true (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (root),
                                                     GTK_ACCESSIBLE_RELATION_DESCRIBED_BY));
      (*n_rows)++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_rows_readable (child, n_rows);
}

/* Every value has a row with a title and text, as a screen reader
 * reads them, even before the download started; the segment map is
 * drawn larger than in the list. */
static void
test_rows_readable (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add (f, "/file/queued.bin?size=10", NULL, FALSE);
  g_autofree char *unnamed = NULL;
  GtkWidget *map;
  int minimum = 0;
  guint n_rows = 0;

  open_details (f, item);
  check_rows_readable (f->window, &n_rows);
  assert_int_equal (n_rows, 13);

  map = dp_app_test_find_widget (f->window, DP_APP_TYPE_SEGMENT_MAP, "Segments");
  assert_non_null (map);
  gtk_widget_measure (map, GTK_ORIENTATION_VERTICAL, -1, &minimum, NULL, NULL, NULL);
  assert_true (minimum >= 24);

  dp_app_test_spin (200);
  unnamed = dp_app_test_dup_unnamed_buttons (f->window);
  if (*unnamed != '\0')
    fail_msg ("no accessible name: %s", unnamed);
}

/* Escape closes it, as any dialog. */
static void
test_escape_closes (void **state)
{
  Fixture *f = *state;
  DpAppItem *item = add (f, "/file/esc.bin?size=10", NULL, FALSE);
  g_autoptr(GListModel) controllers = NULL;
  g_autoptr(GtkShortcutTrigger) escape = gtk_keyval_trigger_new (GDK_KEY_Escape, 0);
  gboolean found = FALSE;

  open_details (f, item);
  /* The class's key bindings live in a shortcut controller of the
   * window's own. */
  controllers = gtk_widget_observe_controllers (f->window);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !found; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)) && !found; j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          found = gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), escape) &&
                  GTK_IS_NAMED_ACTION (action) &&
                  g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)),
                             "window.close") == 0;
        }
    }
  assert_true (found);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_finished, setup, teardown),
    cmocka_unit_test_setup_teardown (test_weak_and_none, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_restored_checksum, setup, teardown),
    cmocka_unit_test_setup_teardown (test_saved_validators, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_address, setup, teardown),
    cmocka_unit_test_setup_teardown (test_narrow, setup, teardown),
    cmocka_unit_test_setup_teardown (test_escape_closes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rows_readable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_follows_download, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
