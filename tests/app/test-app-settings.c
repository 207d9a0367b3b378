/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <adwaita.h>

#include "dp-app-application.h"
#include "dp-app-preferences-window.h"
#include "dp-app-test-util.h"

#define APP_ID "io.github.downpour.Downpour"

/* The memory backend is one per process: start each test from the
 * defaults. */
static int
reset_settings (void **state)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  g_settings_reset (settings, "segments");
  g_settings_reset (settings, "rate-limit");
  *state = NULL;
  return 0;
}

static gboolean
is_loaded (gpointer data)
{
  return dp_app_manager_get_loaded (data);
}

/* The application binds the settings to the engine its downloads share:
 * a new speed limit reaches it while it runs, without a restart, and
 * every download, new or restored, uses that engine. */
static void
test_settings_reach_engine (void **state)
{
  g_autoptr(DpAppApplication) app = dp_app_application_new ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  DpAppManager *manager;
  DpEngine *engine;
  DpAppItem *item;

  /* No bus to ask: a single instance of our own, with startup run. */
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  assert_null (error);

  manager = dp_app_application_get_manager (app);
  assert_non_null (manager);
  engine = dp_app_manager_get_engine (manager);
  assert_non_null (engine);
  assert_int_equal (dp_engine_get_rate_limit (engine), 0);
  /* Automatic is the default for new downloads. */
  assert_int_equal (dp_app_manager_get_segments (manager), DP_DOWNLOAD_SEGMENTS_AUTO);

  g_settings_set_uint64 (settings, "rate-limit", 2500000);
  assert_int_equal (dp_engine_get_rate_limit (engine), 2500000);
  g_settings_set_uint64 (settings, "rate-limit", 0);
  assert_int_equal (dp_engine_get_rate_limit (engine), 0);

  g_settings_set_uint (settings, "segments", 5);
  assert_int_equal (dp_app_manager_get_segments (manager), 5);

  item = dp_app_manager_add (manager, "https://example.com/a.iso", g_get_tmp_dir (),
                             DP_APP_MANAGER_DEFAULT_SEGMENTS, NULL, FALSE);
  assert_int_equal (dp_app_item_get_segments (item), 5);
  assert_ptr_equal (dp_download_get_engine (dp_app_item_get_download (item)), engine);
  dp_app_manager_remove (manager, item, FALSE);

  /* The list is read in a worker; let it finish before the end. */
  dp_app_test_wait_until (is_loaded, manager, 10);
  dp_app_test_spin (20);
}

/* Automatic is a switch over the number, and both live in one key: 0 is
 * Automatic. Switching it off brings back the number, and the number
 * cannot be changed while it is on. */
static void
test_preferences_connections (void **state)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  DpAppPreferencesWindow *window = dp_app_preferences_window_new (NULL, settings);
  GtkWidget *automatic, *spin;

  automatic = dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SWITCH,
                                       "Automatic");
  spin = dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON,
                                  "Connections per Download");
  assert_non_null (automatic);
  assert_non_null (spin);

  assert_true (gtk_switch_get_active (GTK_SWITCH (automatic)));
  assert_false (gtk_widget_is_sensitive (spin));

  gtk_switch_set_active (GTK_SWITCH (automatic), FALSE);
  assert_true (gtk_widget_is_sensitive (spin));
  assert_int_equal (g_settings_get_uint (settings, "segments"), 8);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 12);
  assert_int_equal (g_settings_get_uint (settings, "segments"), 12);

  gtk_switch_set_active (GTK_SWITCH (automatic), TRUE);
  assert_int_equal (g_settings_get_uint (settings, "segments"), DP_DOWNLOAD_SEGMENTS_AUTO);
  assert_false (gtk_widget_is_sensitive (spin));
  /* The number waits for the switch. */
  assert_int_equal (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), 12);

  /* A change from elsewhere shows. */
  g_settings_set_uint (settings, "segments", 5);
  assert_false (gtk_switch_get_active (GTK_SWITCH (automatic)));
  assert_int_equal (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), 5);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The speed limit is off by default; on, it is typed in MB/s and saved
 * in bytes per second, as the engine takes it, at every change. */
static void
test_preferences_speed_limit (void **state)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  DpAppPreferencesWindow *window = dp_app_preferences_window_new (NULL, settings);
  GtkWidget *limit, *spin;

  limit = dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SWITCH, "Limit Download Speed");
  spin = dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON,
                                  "Maximum Speed");
  assert_non_null (limit);
  assert_non_null (spin);

  assert_false (gtk_switch_get_active (GTK_SWITCH (limit)));
  assert_false (gtk_widget_is_sensitive (spin));

  gtk_switch_set_active (GTK_SWITCH (limit), TRUE);
  assert_true (gtk_widget_is_sensitive (spin));
  assert_int_equal (g_settings_get_uint64 (settings, "rate-limit"), 1000000);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 2.5);
  assert_int_equal (g_settings_get_uint64 (settings, "rate-limit"), 2500000);

  g_settings_set_uint64 (settings, "rate-limit", 300000);
  assert_true (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)) == 0.3);

  gtk_switch_set_active (GTK_SWITCH (limit), FALSE);
  assert_int_equal (g_settings_get_uint64 (settings, "rate-limit"), 0);
  assert_false (gtk_widget_is_sensitive (spin));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A screen reader names every control of the window, not only the rows
 * around them. */
static void
test_preferences_labels (void **state)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  DpAppPreferencesWindow *window = dp_app_preferences_window_new (NULL, settings);

  assert_non_null (dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON,
                                            "Simultaneous Downloads"));
  assert_non_null (dp_app_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SWITCH,
                                            "Notify When Done"));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (test_settings_reach_engine, reset_settings),
    cmocka_unit_test_setup (test_preferences_connections, reset_settings),
    cmocka_unit_test_setup (test_preferences_speed_limit, reset_settings),
    cmocka_unit_test_setup (test_preferences_labels, reset_settings),
  };

  if (!dp_app_test_have_display ())
    return 0;
  /* The application would look for a session bus; there is none here,
   * and starting one is not the test's business. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
