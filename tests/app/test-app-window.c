/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <adwaita.h>

#include "dp-app-manager.h"
#include "dp-app-test-util.h"
#include "dp-app-window.h"
#include "dp-test-util.h"

/* The main window, on its own: no other window in the process. */

typedef struct
{
  char *dir;
  DpAppManager *manager;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

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

  g_object_unref (f->manager);
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

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_long_list_is_revealed_in_steps, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
