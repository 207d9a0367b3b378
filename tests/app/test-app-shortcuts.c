/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <adwaita.h>

#include "dp-app-add-dialog.h"
#include "dp-app-application.h"
#include "dp-app-test-util.h"
#include "dp-app-window.h"

/* The keyboard as the application sets it up: what the shortcuts
 * window promises must be what the keys do. */

typedef struct
{
  DpAppApplication *app;
} Fixture;

static int
setup (void **state)
{
  static guint n_apps;
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  f->app = dp_app_application_new ();
  /* An id of its own per test: the last one may still be on the bus. */
  id = g_strdup_printf ("io.github.downpour.Downpour.ShortcutsTest%u", n_apps++);
  g_application_set_application_id (G_APPLICATION (f->app), id);
  /* No session bus needed, and no other instance to hand over to. */
  g_application_set_flags (G_APPLICATION (f->app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  GList *windows;

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (f->app))) != NULL)
    gtk_window_destroy (windows->data);
  g_object_unref (f->app);
  g_free (f);
  return 0;
}

static void
check_shortcuts (GtkWidget       *widget,
                 GtkApplication  *app,
                 guint           *n_checked)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_autofree char *title = NULL;
      g_autofree char *accelerator = NULL;
      g_autofree char *action = NULL;

      g_object_get (widget, "title", &title, "accelerator", &accelerator, "action-name", &action,
                    NULL);
      if (accelerator == NULL || *accelerator == '\0')
        {
          g_auto(GStrv) accels = NULL;

          if (action == NULL)
            fail_msg ("“%s” has neither a key nor an action", title);
          accels = gtk_application_get_accels_for_action (app, action);
          if (accels[0] == NULL)
            fail_msg ("“%s” is listed without a key (%s has none)", title, action);
        }
      (*n_checked)++;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_shortcuts (child, app, n_checked);
}

/* Every entry of the shortcuts window shows a key. */
static void
test_help_overlay_shows_keys (void **state)
{
  Fixture *f = *state;
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWidget *overlay;
  guint n_checked = 0;

  builder = gtk_builder_new_from_resource ("/io/github/downpour/Downpour/gtk/help-overlay.ui");
  overlay = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  check_shortcuts (overlay, GTK_APPLICATION (f->app), &n_checked);
  assert_true (n_checked >= 5);
  gtk_window_destroy (GTK_WINDOW (overlay));
}

static gboolean
add_dialog_shown (gpointer data)
{
  GtkWidget *dialog = dp_app_test_find_toplevel (DP_APP_TYPE_ADD_DIALOG);

  return dialog != NULL && gtk_widget_get_visible (dialog);
}

/* Ctrl+N in the main window opens the add dialog. */
static void
test_ctrl_n_adds (void **state)
{
  Fixture *f = *state;
  GtkWindow *window;

  g_application_activate (G_APPLICATION (f->app));
  window = gtk_application_get_active_window (GTK_APPLICATION (f->app));
  assert_non_null (window);
  assert_null (dp_app_test_find_toplevel (DP_APP_TYPE_ADD_DIALOG));

  dp_app_test_send_keys (window, "ctrl+n");
  dp_app_test_wait_until (add_dialog_shown, NULL, 10);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_help_overlay_shows_keys, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ctrl_n_adds, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  /* Never the desktop's bus of whoever runs the tests. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
