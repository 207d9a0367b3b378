/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dp-app-test-util.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* The whole hand-off with a real browser: Debian's Chromium, headless,
 * loads the extension from the source tree, opens a loopback page that
 * sets a session cookie and starts a download; the extension takes it
 * over, downpour-browser-host hands it to the app (started by D-Bus
 * activation on a private bus, under Xvfb), and the app saves it from a
 * server that refuses it without that cookie and that page as the
 * referrer. */

#define EXTENSION_ID "leifnmfbnlbhdljpbcbndcojdpmdkdij"

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *downloads;
  GTestDBus *bus;
  GSubprocess *browser;
} Fixture;

static char *
write_in (const char *dir,
          const char *name,
          const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_mkdir_with_parents (parent, 0700);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *services = NULL;
  g_autofree char *dirs = NULL;
  g_autofree char *service = NULL;
  g_autofree char *text = NULL;

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->downloads = g_build_filename (f->dir, "Downloads", NULL);
  config = g_build_filename (f->dir, "config", NULL);
  data = g_build_filename (f->dir, "data", NULL);
  cache = g_build_filename (f->dir, "cache", NULL);
  services = g_build_filename (f->dir, "services", NULL);
  g_mkdir (f->downloads, 0700);

  /* The app's home: the bus daemon starts it with this environment. */
  text = g_strdup_printf ("XDG_DOWNLOAD_DIR=\"%s\"\n", f->downloads);
  dirs = write_in (config, "user-dirs.dirs", text);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_free (text);
  text = g_strdup_printf ("[D-BUS Service]\nName=io.github.downpour.Downpour\n"
                          "Exec=%s --gapplication-service\n", g_getenv ("DOWNPOUR_APP"));
  service = write_in (services, "io.github.downpour.Downpour.service", text);
  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_add_service_dir (f->bus, services);
  g_test_dbus_up (f->bus);

  *state = f;
  return 0;
}

static void
quit_app (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  if (bus != NULL)
    g_dbus_connection_call_sync (bus, "io.github.downpour.Downpour", "/io/github/downpour/Downpour",
                                 "org.freedesktop.Application", "ActivateAction",
                                 g_variant_new ("(sava{sv})", "quit", NULL, NULL), NULL,
                                 G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, NULL, NULL);
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->browser != NULL)
    {
      g_subprocess_send_signal (f->browser, SIGTERM);
      g_subprocess_wait (f->browser, NULL, NULL);
      g_object_unref (f->browser);
    }
  quit_app ();
  g_test_dbus_down (f->bus);
  g_object_unref (f->bus);
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->downloads);
  g_free (f);
  return 0;
}

/* The extension as shipped, plus the one thing the test page needs: it
 * may ask whether the extension listens. The key, and so the ID, stay. */
static char *
copy_extension (Fixture *f)
{
  g_autofree char *source = g_build_filename (g_getenv ("DOWNPOUR_SOURCE_ROOT"), "src",
                                              "browser-extension", NULL);
  char *copy = g_build_filename (f->dir, "extension", NULL);
  const char *files[] = { "background.js", "options.html", "options.js" };
  g_autofree char *manifest = NULL;
  g_autofree char *manifest_path = g_build_filename (source, "manifest.json", NULL);
  char *brace;

  g_mkdir (copy, 0700);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (source, files[i], NULL);
      g_autofree char *contents = NULL;
      g_autofree char *to = NULL;

      assert_true (g_file_get_contents (from, &contents, NULL, NULL));
      to = write_in (copy, files[i], contents);
    }
  assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  brace = strrchr (manifest, '}');
  assert_non_null (brace);
  *brace = '\0';
  {
    g_autofree char *patched = g_strdup_printf ("%s,\n  \"externally_connectable\": "
                                                "{ \"matches\": [\"http://127.0.0.1/*\"] }\n}\n",
                                                g_strchomp (manifest));
    g_autofree char *written = write_in (copy, "manifest.json", patched);
  }
  return copy;
}

static gboolean
file_is_complete (gpointer data)
{
  g_autofree char *part = g_strconcat (data, ".part", NULL);

  return g_file_test (data, G_FILE_TEST_EXISTS) && !g_file_test (part, G_FILE_TEST_EXISTS);
}

static void
test_browser_hands_over (void **state)
{
  Fixture *f = *state;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *chromium = g_find_program_in_path ("chromium");
  g_autofree char *profile = g_build_filename (f->dir, "chromium", NULL);
  g_autofree char *extension = NULL;
  g_autofree char *load = NULL;
  g_autofree char *user_data = NULL;
  g_autofree char *host_manifest = NULL;
  g_autofree char *manifest_text = NULL;
  g_autofree char *browser_home = g_build_filename (f->dir, "browser-home", NULL);
  g_autofree char *browser_config = g_build_filename (browser_home, ".config", NULL);
  g_autofree char *browser_downloads = g_build_filename (browser_home, "browser-downloads", NULL);
  g_autofree char *browser_dirs = NULL;
  g_autofree char *dirs_text = NULL;
  g_autofree char *page = dp_test_server_url (f->server, "/page/release.iso?size=4194319&seed=81"
                                                         "&rate=2097152&ext=" EXTENSION_ID);
  g_autofree char *saved = g_build_filename (f->downloads, "release.iso", NULL);
  g_autofree char *in_browser = g_build_filename (browser_downloads, "release.iso", NULL);
  g_autofree char *want = dp_test_content_sha256 (81, 4194319);
  g_autofree char *got = NULL;
  guint by_app = 0;

  if (chromium == NULL)
    {
      printf ("# chromium is not installed: skipped (build-aux/deps.sh installs it)\n");
      skip ();
    }

  extension = copy_extension (f);
  load = g_strconcat ("--load-extension=", extension, NULL);
  user_data = g_strconcat ("--user-data-dir=", profile, NULL);
  /* The host, for this profile only. */
  manifest_text = g_strdup_printf ("{ \"name\": \"io.github.downpour.downpour\", "
                                   "\"description\": \"Downpour\", \"path\": \"%s\", "
                                   "\"type\": \"stdio\", \"allowed_origins\": "
                                   "[\"chrome-extension://" EXTENSION_ID "/\"] }\n",
                                   g_getenv ("DOWNPOUR_BROWSER_HOST"));
  host_manifest = write_in (profile, "NativeMessagingHosts/io.github.downpour.downpour.json",
                            manifest_text);
  /* The browser's own download folder is elsewhere: what lands in the
   * app's came through the app. */
  dirs_text = g_strdup_printf ("XDG_DOWNLOAD_DIR=\"%s\"\n", browser_downloads);
  browser_dirs = write_in (browser_config, "user-dirs.dirs", dirs_text);
  g_mkdir (browser_downloads, 0700);
  g_subprocess_launcher_setenv (launcher, "HOME", browser_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", browser_config, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_HOME");
  g_subprocess_launcher_unsetenv (launcher, "XDG_CACHE_HOME");

  f->browser = g_subprocess_launcher_spawn (launcher, &error, chromium, "--headless=new",
                                            "--no-sandbox", "--disable-gpu", "--no-first-run",
                                            "--no-default-browser-check", user_data, load,
                                            "--disable-features=DisableLoadExtensionCommandLineSwitch",
                                            page, NULL);
  g_assert_no_error (error);

  dp_app_test_wait_until (file_is_complete, saved, 120);
  got = dp_test_file_sha256 (saved);
  assert_string_equal (got, want);

  /* The app's requests are the ones with ranges: each had the page's
   * cookie and the page as referrer, so none was refused. */
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);

      if (strcmp (r->path, "/file/release.iso") != 0 || r->range == NULL)
        continue;
      by_app++;
      assert_int_equal (r->status, 206);
      assert_non_null (strstr (r->cookie, "dp-session=p4ge-c00kie"));
      assert_string_equal (r->referer, page);
    }
  assert_true (by_app >= 1);
  /* And the browser let go of its own copy. */
  assert_false (g_file_test (in_browser, G_FILE_TEST_EXISTS));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_browser_hands_over, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  return cmocka_run_group_tests (tests, NULL, NULL);
}
