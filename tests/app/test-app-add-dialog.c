/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>

#include "dp-app-add-dialog.h"
#include "dp-app-test-util.h"
#include "dp-request.h"

#define CHECKSUM "3A7BD3E2360A3D29EEA436FCFB7E44C735D117C42D1C1835420B6B9942DD4F1B"

typedef struct
{
  DpAppManager *manager;
  DpAppAddDialog *dialog;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->manager = dp_app_manager_new (NULL);
  g_object_set (f->manager, "directory", g_get_tmp_dir (), "segments", 6, NULL);
  f->dialog = dp_app_add_dialog_new (NULL, f->manager);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (f->dialog));
  g_object_unref (f->manager);
  g_free (f);
  return 0;
}

static void
test_empty (void **state)
{
  Fixture *f = *state;

  assert_int_equal (dp_app_add_dialog_get_n_valid (f->dialog), 0);
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  assert_string_equal (dp_app_add_dialog_get_problems_text (f->dialog), "");
  assert_int_equal (dp_app_add_dialog_add (f->dialog), 0);
}

/* Each bad line is marked where it is and explained with its number;
 * blank lines are ignored; the good lines can still be added. */
static void
test_mixed_lines (void **state)
{
  Fixture *f = *state;
  const char *problems;

  dp_app_add_dialog_set_text (f->dialog,
                              "https://example.com/a.iso\n"
                              "ftp://example.com/b.iso\n"
                              "\n"
                              "  http://example.org/c.tar.xz  \n"
                              "example.com/d.zip\n"
                              "https://example.com/a.iso\n");

  assert_int_equal (dp_app_add_dialog_get_n_valid (f->dialog), 2);
  assert_int_equal (dp_app_add_dialog_get_n_invalid (f->dialog), 3);
  assert_true (dp_app_add_dialog_can_add (f->dialog));

  assert_false (dp_app_add_dialog_line_is_marked (f->dialog, 0));
  assert_true (dp_app_add_dialog_line_is_marked (f->dialog, 1));
  assert_false (dp_app_add_dialog_line_is_marked (f->dialog, 2));
  assert_false (dp_app_add_dialog_line_is_marked (f->dialog, 3));
  assert_true (dp_app_add_dialog_line_is_marked (f->dialog, 4));
  assert_true (dp_app_add_dialog_line_is_marked (f->dialog, 5));

  problems = dp_app_add_dialog_get_problems_text (f->dialog);
  assert_non_null (strstr (problems, "Line 2: Downpour cannot download “ftp:” addresses"));
  assert_non_null (strstr (problems, "Line 5: “example.com/d.zip” is not a complete address"));
  assert_non_null (strstr (problems, "Line 6: This link is already in the list above."));
  assert_null (strstr (problems, "Line 1:"));
  assert_null (strstr (problems, "Line 4:"));

  dp_app_add_dialog_set_start (f->dialog, FALSE);
  assert_int_equal (dp_app_add_dialog_add (f->dialog), 2);

  {
    GListModel *model = dp_app_manager_get_model (f->manager);
    g_autoptr(DpAppItem) first = g_list_model_get_item (model, 0);
    g_autoptr(DpAppItem) second = g_list_model_get_item (model, 1);

    assert_int_equal (g_list_model_get_n_items (model), 2);
    assert_string_equal (dp_app_item_get_url (first), "https://example.com/a.iso");
    assert_string_equal (dp_app_item_get_url (second), "http://example.org/c.tar.xz");
    assert_int_equal (dp_app_item_get_status (first), DP_APP_ITEM_PAUSED);
    assert_int_equal (dp_app_item_get_segments (first), 6);
    assert_string_equal (dp_app_item_get_directory (first), g_get_tmp_dir ());
    assert_null (dp_app_item_get_checksum (first));
  }
}

static void
test_only_invalid (void **state)
{
  Fixture *f = *state;

  dp_app_add_dialog_set_text (f->dialog, "not a link\nhttp://\n");
  assert_int_equal (dp_app_add_dialog_get_n_valid (f->dialog), 0);
  assert_int_equal (dp_app_add_dialog_get_n_invalid (f->dialog), 2);
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog), "Line 1: "));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog), "Line 2: "));
}

/* The text is checked as it is typed, not only on set_text(). */
static gboolean
has_one_valid (gpointer dialog)
{
  return dp_app_add_dialog_get_n_valid (dialog) == 1;
}

static gboolean
has_one_invalid (gpointer dialog)
{
  return dp_app_add_dialog_get_n_invalid (dialog) == 1;
}

static void
test_validates_while_typing (void **state)
{
  Fixture *f = *state;
  GtkTextView *view = NULL;
  GtkWidget *child;

  /* Find the text view through the widget tree, as a user would. */
  for (child = gtk_widget_get_first_child (GTK_WIDGET (f->dialog)); child != NULL && view == NULL;)
    {
      if (GTK_IS_TEXT_VIEW (child))
        view = GTK_TEXT_VIEW (child);
      else if (gtk_widget_get_first_child (child) != NULL)
        child = gtk_widget_get_first_child (child);
      else
        {
          while (child != NULL && gtk_widget_get_next_sibling (child) == NULL)
            child = gtk_widget_get_parent (child);
          if (child != NULL)
            child = gtk_widget_get_next_sibling (child);
        }
    }
  assert_non_null (view);

  /* Checking waits for a pause in typing; a slow machine (or a
   * sanitizer build) may need longer than a person would. */
  gtk_text_buffer_insert_at_cursor (gtk_text_view_get_buffer (view), "https://example.com/x", -1);
  dp_app_test_wait_until (has_one_valid, f->dialog, 10);
  assert_int_equal (dp_app_add_dialog_get_n_valid (f->dialog), 1);
  assert_true (dp_app_add_dialog_can_add (f->dialog));

  gtk_text_buffer_insert_at_cursor (gtk_text_view_get_buffer (view),
                                    "\nmailto:someone@example.com", -1);
  dp_app_test_wait_until (has_one_invalid, f->dialog, 10);
  assert_int_equal (dp_app_add_dialog_get_n_invalid (f->dialog), 1);
  assert_true (dp_app_add_dialog_line_is_marked (f->dialog, 1));
}

/* A checksum goes with a single link, and it must be one. */
static void
test_checksum (void **state)
{
  Fixture *f = *state;
  GListModel *model = dp_app_manager_get_model (f->manager);
  g_autoptr(DpAppItem) item = NULL;

  dp_app_add_dialog_set_text (f->dialog, "https://example.com/a.iso");
  dp_app_add_dialog_set_checksum (f->dialog, "abc");
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog), "checksum"));
  assert_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog), "Line 1"));

  dp_app_add_dialog_set_checksum (f->dialog, " " CHECKSUM " ");
  assert_true (dp_app_add_dialog_can_add (f->dialog));
  dp_app_add_dialog_set_segments (f->dialog, 12);
  dp_app_add_dialog_set_start (f->dialog, FALSE);
  assert_int_equal (dp_app_add_dialog_add (f->dialog), 1);

  item = g_list_model_get_item (model, 0);
  assert_int_equal (dp_app_item_get_segments (item), 12);
  /* Stored the way the engine reads it back. */
  assert_string_equal (dp_app_item_get_checksum (item),
                       "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b");
}

/* With Automatic, the default for new downloads, the number cannot be
 * changed and the downloads choose their connections (segments 0); the
 * number counts again when Automatic is switched off. */
static void
test_automatic (void **state)
{
  Fixture *f = *state;
  GListModel *model = dp_app_manager_get_model (f->manager);
  DpAppAddDialog *dialog;
  GtkWidget *automatic, *spin;
  g_autoptr(DpAppItem) first = NULL;
  g_autoptr(DpAppItem) second = NULL;

  g_object_set (f->manager, "segments", DP_DOWNLOAD_SEGMENTS_AUTO, NULL);
  dialog = dp_app_add_dialog_new (NULL, f->manager);
  automatic = dp_app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SWITCH,
                                       "Automatic Connections");
  spin = dp_app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON,
                                  "Connections per File");
  assert_non_null (automatic);
  assert_non_null (spin);

  assert_true (gtk_switch_get_active (GTK_SWITCH (automatic)));
  assert_false (gtk_widget_is_sensitive (spin));

  dp_app_add_dialog_set_text (dialog, "https://example.com/auto.iso");
  dp_app_add_dialog_set_start (dialog, FALSE);
  assert_int_equal (dp_app_add_dialog_add (dialog), 1);
  first = g_list_model_get_item (model, 0);
  assert_int_equal (dp_app_item_get_segments (first), DP_DOWNLOAD_SEGMENTS_AUTO);

  gtk_switch_set_active (GTK_SWITCH (automatic), FALSE);
  assert_true (gtk_widget_is_sensitive (spin));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 3);
  dp_app_add_dialog_set_text (dialog, "https://example.com/three.iso");
  assert_int_equal (dp_app_add_dialog_add (dialog), 1);
  second = g_list_model_get_item (model, 1);
  assert_int_equal (dp_app_item_get_segments (second), 3);

  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* A screen reader reads the problems with the links box, and hears that
 * it holds something wrong. */
static void
test_problems_described (void **state)
{
  Fixture *f = *state;
  GtkWidget *view = dp_app_test_find_widget (GTK_WIDGET (f->dialog), GTK_TYPE_TEXT_VIEW, NULL);
  GtkWidget *problems = NULL;
  g_autofree char *mismatch = NULL;

  assert_non_null (view);
  dp_app_add_dialog_set_text (f->dialog, "https://example.com/a.iso");
  dp_app_add_dialog_get_n_valid (f->dialog);
  mismatch = gtk_test_accessible_check_state (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_STATE_INVALID,
                                              GTK_ACCESSIBLE_INVALID_FALSE);
  assert_null (mismatch);

  dp_app_add_dialog_set_text (f->dialog, "ftp://example.com/b.iso");
  dp_app_add_dialog_get_n_valid (f->dialog);
  mismatch = gtk_test_accessible_check_state (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_STATE_INVALID,
                                              GTK_ACCESSIBLE_INVALID_TRUE);
  assert_null (mismatch);

  /* The label that says what is wrong. */
  for (GtkWidget *w = gtk_widget_get_first_child (gtk_widget_get_parent (gtk_widget_get_parent (view)));
       w != NULL; w = gtk_widget_get_next_sibling (w))
    if (GTK_IS_LABEL (w) && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (w)), "Line 1:"))
      problems = w;
  assert_non_null (problems);
  assert_true (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (view),
                                                 GTK_ACCESSIBLE_RELATION_DESCRIBED_BY));
  mismatch = gtk_test_accessible_check_relation (GTK_ACCESSIBLE (view),
                                                 GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, problems, NULL);
  assert_null (mismatch);
}

/* Every button of the dialog has a name a screen reader can read. */
static void
test_buttons_named (void **state)
{
  Fixture *f = *state;
  g_autofree char *unnamed = NULL;

  gtk_window_present (GTK_WINDOW (f->dialog));
  dp_app_test_spin (200);
  unnamed = dp_app_test_dup_unnamed_buttons (GTK_WIDGET (f->dialog));
  if (*unnamed != '\0')
    fail_msg ("no accessible name: %s", unnamed);
}

static gboolean
has_items (gpointer data)
{
  return g_list_model_get_n_items (dp_app_manager_get_model (data)) > 0;
}

/* Ctrl+Return adds the links while the cursor is in the links box,
 * which would otherwise take it as a new line. */
static void
test_ctrl_return_adds (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppItem) item = NULL;

  g_object_ref (f->dialog);
  dp_app_add_dialog_set_start (f->dialog, FALSE);
  dp_app_add_dialog_set_text (f->dialog, "https://example.com/keys.iso");
  dp_app_test_send_keys (GTK_WINDOW (f->dialog), "ctrl+Return");
  dp_app_test_wait_until (has_items, f->manager, 10);

  item = g_list_model_get_item (dp_app_manager_get_model (f->manager), 0);
  assert_string_equal (dp_app_item_get_url (item), "https://example.com/keys.iso");
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (f->manager)), 1);
  /* The dialog closed, as after a click on Add. */
  assert_false (gtk_widget_get_visible (GTK_WIDGET (f->dialog)));
  g_clear_object (&f->dialog);
}

/* The preferences row titled @title under @root. */
static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
type_into (Fixture    *f,
           const char *title,
           const char *text)
{
  GtkWidget *row = find_row (GTK_WIDGET (f->dialog), title);

  if (row == NULL)
    fail_msg ("no row “%s”", title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* Login, cookies and headers: each field is checked as the engine checks
 * it, a wrong one is marked and said and keeps Add off, and what is
 * right goes with every download added; the login is remembered only
 * when asked. */
static void
test_login_cookies_and_headers (void **state)
{
  Fixture *f = *state;
  GtkTextView *headers = NULL;
  GtkWidget *remember = NULL;
  g_autoptr(DpAppItem) first = NULL;
  const DpRequest *request;
  g_autofree char *cookies = NULL;

  dp_app_add_dialog_set_text (f->dialog, "https://example.com/a.iso\nhttps://example.com/b.iso\n");
  assert_true (dp_app_add_dialog_can_add (f->dialog));

  type_into (f, "Cookies", "novalue");
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog), "“novalue” is not a cookie"));
  assert_true (gtk_widget_has_css_class (find_row (GTK_WIDGET (f->dialog), "Cookies"), "error"));
  type_into (f, "Cookies", "sid=42; theme=dark");
  assert_true (dp_app_add_dialog_can_add (f->dialog));
  assert_false (gtk_widget_has_css_class (find_row (GTK_WIDGET (f->dialog), "Cookies"), "error"));

  type_into (f, "Referrer", "ftp://example.com/");
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  type_into (f, "Referrer", "https://example.com/downloads");
  type_into (f, "User Agent", "Mozilla/5.0 (X11)");
  type_into (f, "User Name", "alice");
  type_into (f, "Password", "pw");

  headers = GTK_TEXT_VIEW (dp_app_test_find_widget (GTK_WIDGET (f->dialog), GTK_TYPE_TEXT_VIEW,
                                                    "Headers"));
  assert_non_null (headers);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (headers), "X-Token: abc\nRange: bytes=0-\n", -1);
  assert_false (dp_app_add_dialog_can_add (f->dialog));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (f->dialog),
                           "Downpour sets the header “Range” itself"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (headers), "X-Token: abc\n\nAccept: */*", -1);
  assert_true (dp_app_add_dialog_can_add (f->dialog));

  remember = dp_app_test_find_widget (find_row (GTK_WIDGET (f->dialog), "Remember Login"),
                                      GTK_TYPE_SWITCH, NULL);
  assert_non_null (remember);
  gtk_switch_set_active (GTK_SWITCH (remember), TRUE);

  assert_int_equal (dp_app_add_dialog_add (f->dialog), 2);
  first = g_list_model_get_item (dp_app_manager_get_model (f->manager), 0);
  request = dp_app_item_get_request (first);
  assert_non_null (request);
  assert_string_equal (dp_request_get_headers (request)[0], "X-Token: abc");
  assert_string_equal (dp_request_get_headers (request)[1], "Accept: */*");
  assert_string_equal (dp_request_get_referrer (request), "https://example.com/downloads");
  assert_string_equal (dp_request_get_user_agent (request), "Mozilla/5.0 (X11)");
  assert_string_equal (dp_request_get_user (request), "alice");
  assert_string_equal (dp_request_get_password (request), "pw");
  cookies = dp_request_dup_cookies (request);
  assert_string_equal (cookies, "sid=42; theme=dark");
  assert_true (dp_app_item_get_remember_login (first));
}

/* A download the browser handed over, with "ask first": the dialog
 * shows what came with it, and adds it under the browser's name. */
static void
test_filled_from_the_browser (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) given = dp_request_new ();
  g_autoptr(DpAppItem) item = NULL;
  const DpRequest *request;
  g_autofree char *cookies = NULL;

  assert_true (dp_request_set_referrer (given, "https://example.org/page", NULL));
  assert_true (dp_request_set_user_agent (given, "Mozilla/5.0 (Browser)", NULL));
  assert_true (dp_request_add_cookies (given, "sid=1", NULL));
  dp_app_add_dialog_set_text (f->dialog, "https://example.org/get?id=7");
  dp_app_add_dialog_set_request (f->dialog, given);
  dp_app_add_dialog_set_suggested_name (f->dialog, "Report 2026.pdf");

  assert_string_equal (gtk_editable_get_text (GTK_EDITABLE (find_row (GTK_WIDGET (f->dialog),
                                                                      "Referrer"))),
                       "https://example.org/page");
  assert_string_equal (gtk_editable_get_text (GTK_EDITABLE (find_row (GTK_WIDGET (f->dialog),
                                                                      "Cookies"))),
                       "sid=1");
  assert_int_equal (dp_app_add_dialog_add (f->dialog), 1);
  item = g_list_model_get_item (dp_app_manager_get_model (f->manager), 0);
  assert_string_equal (dp_app_item_get_display_name (item), "Report 2026.pdf");
  request = dp_app_item_get_request (item);
  assert_string_equal (dp_request_get_user_agent (request), "Mozilla/5.0 (Browser)");
  cookies = dp_request_dup_cookies (request);
  assert_string_equal (cookies, "sid=1");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mixed_lines, setup, teardown),
    cmocka_unit_test_setup_teardown (test_only_invalid, setup, teardown),
    cmocka_unit_test_setup_teardown (test_validates_while_typing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum, setup, teardown),
    cmocka_unit_test_setup_teardown (test_automatic, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ctrl_return_adds, setup, teardown),
    cmocka_unit_test_setup_teardown (test_problems_described, setup, teardown),
    cmocka_unit_test_setup_teardown (test_buttons_named, setup, teardown),
    cmocka_unit_test_setup_teardown (test_login_cookies_and_headers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_filled_from_the_browser, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
