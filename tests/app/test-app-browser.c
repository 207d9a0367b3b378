/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dp-app-test-util.h"
#include "dp-host-message.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* downpour-browser-host against the real app on a private session bus:
 * the host starts the app through D-Bus activation, hands a download
 * over, and the app saves it with the cookies, referrer, user agent and
 * file name the browser gave, from a server that refuses it without
 * them. */

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *downloads;
  char *services;
  GTestDBus *bus;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *dirs = NULL;
  g_autofree char *contents = NULL;

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->downloads = g_build_filename (f->dir, "Downloads", NULL);
  f->services = g_build_filename (f->dir, "services", NULL);
  config = g_build_filename (f->dir, "config", NULL);
  data = g_build_filename (f->dir, "data", NULL);
  cache = g_build_filename (f->dir, "cache", NULL);
  g_mkdir (f->downloads, 0700);
  g_mkdir (f->services, 0700);
  g_mkdir (config, 0700);

  /* The bus daemon starts the app with this process's environment: a
   * home of its own, its download folder in it. */
  dirs = g_build_filename (config, "user-dirs.dirs", NULL);
  contents = g_strdup_printf ("XDG_DOWNLOAD_DIR=\"%s\"\n", f->downloads);
  g_file_set_contents (dirs, contents, -1, NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->bus != NULL)
    {
      g_test_dbus_down (f->bus);
      g_object_unref (f->bus);
    }
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->downloads);
  g_free (f->services);
  g_free (f);
  return 0;
}

/* A private session bus, which can start the app when @activatable. */
static void
bus_up (Fixture  *f,
        gboolean  activatable)
{
  if (activatable)
    {
      g_autofree char *service = g_build_filename (f->services, "io.github.downpour.Downpour.service",
                                                   NULL);
      g_autofree char *text = g_strdup_printf ("[D-BUS Service]\n"
                                               "Name=io.github.downpour.Downpour\n"
                                               "Exec=%s --gapplication-service\n",
                                               g_getenv ("DOWNPOUR_APP"));

      assert_true (g_file_set_contents (service, text, -1, NULL));
    }
  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_add_service_dir (f->bus, f->services);
  g_test_dbus_up (f->bus);
}

/* Starts the host as a browser does, sends it @json as one message and
 * returns its answer. */
static char *
ask_host (const char *json)
{
  g_autoptr(GSubprocess) host = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  const char *path = g_getenv ("DOWNPOUR_BROWSER_HOST");
  GOutputStream *in;

  assert_non_null (path);
  host = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           path, "chrome-extension://leifnmfbnlbhdljpbcbndcojdpmdkdij/", NULL);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (host);
  assert_true (dp_host_write_message (in, json, NULL, &error));
  answer = dp_host_read_message (g_subprocess_get_stdout_pipe (host), NULL, &error);
  g_assert_no_error (error);
  assert_non_null (answer);
  /* The browser closes the pipe: the host ends. */
  g_output_stream_close (in, NULL, NULL);
  assert_true (g_subprocess_wait_check (host, NULL, &error));
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static gboolean
file_is_complete (gpointer data)
{
  g_autofree char *part = g_strconcat (data, ".part", NULL);

  return g_file_test (data, G_FILE_TEST_EXISTS) && !g_file_test (part, G_FILE_TEST_EXISTS);
}

static void
quit_app (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  g_dbus_connection_call_sync (bus, "io.github.downpour.Downpour", "/io/github/downpour/Downpour",
                               "org.freedesktop.Application", "ActivateAction",
                               g_variant_new ("(sava{sv})", "quit", NULL, NULL), NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, NULL, NULL);
}

static gboolean
app_is_on_the_bus (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) owner = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
                                                           "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "GetNameOwner",
                                                           g_variant_new ("(s)",
                                                                          "io.github.downpour.Downpour"),
                                                           NULL, G_DBUS_CALL_FLAGS_NONE, 10000,
                                                           NULL, NULL);
  return owner != NULL;
}

static void
test_hand_over (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server,
    "/file/d.bin?size=3145739&seed=71&needcookie=sid%3D42%7Ctheme%3Ddark"
    "&needreferer=https%3A%2F%2Fexample.org%2Fdownloads");
  g_autofree char *json = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *saved = g_build_filename (f->downloads, "Handed Over.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (71, 3145739);
  g_autofree char *got = NULL;
  g_autoptr(GPtrArray) log = NULL;

  bus_up (f, TRUE);
  assert_false (app_is_on_the_bus ());
  json = g_strdup_printf ("{\"url\":\"%s\",\"referrer\":\"https://example.org/downloads\","
                          "\"cookies\":\"sid=42; theme=dark\",\"userAgent\":\"BrowserAgent/1.0\","
                          "\"filename\":\"Handed Over.bin\",\"incognito\":false}", url);
  answer = ask_host (json);
  assert_string_equal (answer, "{\"ok\":true}");

  dp_app_test_wait_until (file_is_complete, saved, 60);
  got = dp_test_file_sha256 (saved);
  assert_string_equal (got, want);
  log = dp_test_server_dup_log (f->server);
  assert_true (log->len >= 1);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);

      assert_int_not_equal (r->status, 403);
      assert_string_equal (r->user_agent, "BrowserAgent/1.0");
      assert_string_equal (r->referer, "https://example.org/downloads");
    }

  /* The app checks again whatever calls it: a refusal comes back to the
   * caller, who then keeps its own download. */
  {
    g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) refused = NULL;
    GVariantBuilder dict;

    g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&dict, "{sv}", "url", g_variant_new_string ("ftp://example.org/a.iso"));
    reply = g_dbus_connection_call_sync (bus, "io.github.downpour.Downpour",
                                         "/io/github/downpour/Downpour",
                                         "io.github.downpour.Downpour.Browser", "AddDownload",
                                         g_variant_new ("(a{sv})", &dict), NULL,
                                         G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &refused);
    assert_null (reply);
    assert_non_null (refused);
    g_dbus_error_strip_remote_error (refused);
    assert_string_equal (refused->message,
                         "Downpour cannot download “ftp:” addresses; use http:// or https://.");
  }
  quit_app ();
}

/* What the host refuses never reaches the app: it is not even started. */
static void
test_refused_before_the_app (void **state)
{
  Fixture *f = *state;
  const struct { const char *json; const char *answer; } cases[] = {
    { "{\"url\":\"file:///etc/passwd\"}",
      "{\"ok\":false,\"error\":\"“url” is not an http:// or https:// address.\"}" },
    { "{\"referrer\":\"https://example.org/\"}",
      "{\"ok\":false,\"error\":\"The message has no “url”.\"}" },
    { "{\"url\":\"https://example.org/a\",\"cookies\":\"a=1\\r\\nX: y\"}",
      "{\"ok\":false,\"error\":\"“cookies” holds a control character.\"}" },
    { "[\"https://example.org/a\"]",
      "{\"ok\":false,\"error\":\"The message is not a JSON object.\"}" },
  };

  bus_up (f, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *answer = ask_host (cases[i].json);

      assert_string_equal (answer, cases[i].answer);
    }
  assert_false (app_is_on_the_bus ());
  assert_int_equal (dp_test_server_get_requests (f->server), 0);
}

/* No app to hand over to: the browser hears why. */
static void
test_no_app (void **state)
{
  Fixture *f = *state;
  g_autofree char *answer = NULL;

  bus_up (f, FALSE);
  answer = ask_host ("{\"url\":\"https://example.org/a.iso\"}");
  assert_true (g_str_has_prefix (answer, "{\"ok\":false,\"error\":\""));
  assert_non_null (strstr (answer, "io.github.downpour.Downpour"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_hand_over, setup, teardown),
    cmocka_unit_test_setup_teardown (test_refused_before_the_app, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_app, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
