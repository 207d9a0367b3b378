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

/* The real program, started the way a user or a browser would, against
 * the loopback server, in a home of its own. */

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *downloads;
  char *store;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *config = NULL;
  g_autofree char *dirs = NULL;
  g_autofree char *contents = NULL;

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->downloads = g_build_filename (f->dir, "Downloads", NULL);
  f->store = g_build_filename (f->dir, "data", "downpour", "downloads.gvariant", NULL);
  config = g_build_filename (f->dir, "config", NULL);
  g_mkdir (f->downloads, 0700);
  g_mkdir (config, 0700);

  /* Where the app finds the download folder when its setting is empty. */
  dirs = g_build_filename (config, "user-dirs.dirs", NULL);
  contents = g_strdup_printf ("XDG_DOWNLOAD_DIR=\"%s\"\n", f->downloads);
  g_file_set_contents (dirs, contents, -1, NULL);

  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->downloads);
  g_free (f->store);
  g_free (f);
  return 0;
}

static GSubprocess *
launch (Fixture    *f,
        const char *url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *data = g_build_filename (f->dir, "data", NULL);
  g_autofree char *config = g_build_filename (f->dir, "config", NULL);
  g_autofree char *cache = g_build_filename (f->dir, "cache", NULL);
  const char *app = g_getenv ("DOWNPOUR_APP");
  GSubprocess *process;
  g_autoptr(GError) error = NULL;

  assert_non_null (app);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  /* No session bus: the instance is on its own, whatever runs around. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent",
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);

  process = g_subprocess_launcher_spawn (launcher, &error, app, url, NULL);
  assert_non_null (process);
  return process;
}

static gboolean
file_is_complete (gpointer data)
{
  g_autofree char *part = g_strconcat (data, ".part", NULL);

  return g_file_test (data, G_FILE_TEST_EXISTS) && !g_file_test (part, G_FILE_TEST_EXISTS);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

typedef struct
{
  const char *store;
  const char *path;
} StoreQuery;

/* Whether the saved list names @path: only then does a restarted app
 * know which file its download was writing. */
static gboolean
store_knows_path (gpointer data)
{
  StoreQuery *query = data;
  g_autofree char *contents = NULL;
  gsize length = 0;
  gsize n = strlen (query->path);

  /* A binary GVariant: the string is in there as it is. */
  if (!g_file_get_contents (query->store, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; i + n <= length; i++)
    if (memcmp (contents + i, query->path, n) == 0)
      return TRUE;
  return FALSE;
}

static void
quit (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  /* SIGTERM quits properly, saving the list. */
  g_subprocess_send_signal (process, SIGTERM);
  assert_true (g_subprocess_wait (process, NULL, &error));
  assert_true (g_subprocess_get_if_exited (process));
  assert_int_equal (g_subprocess_get_exit_status (process), 0);
}

/* `downpour URL` downloads URL into the download folder. */
static void
test_download_from_command_line (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/e2e.bin?size=3000000");
  g_autofree char *path = g_build_filename (f->downloads, "e2e.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (1, 3000000);
  g_autofree char *sum = NULL;
  g_autoptr(GSubprocess) process = launch (f, url);

  dp_app_test_wait_until (file_is_complete, path, 60);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);

  quit (process);
  assert_true (g_file_test (f->store, G_FILE_TEST_EXISTS));
}

/* Killed in the middle, started again without arguments: the download
 * comes back from the saved list and finishes into the same file. */
static void
test_resume_after_crash (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/crash.iso?size=2000000&rate=250000");
  g_autofree char *path = g_build_filename (f->downloads, "crash.iso", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autofree char *state_file = g_strconcat (path, ".part.state", NULL);
  g_autofree char *expected = dp_test_content_sha256 (1, 2000000);
  g_autofree char *sum = NULL;
  g_autoptr(GSubprocess) first = launch (f, url);
  g_autoptr(GSubprocess) second = NULL;

  StoreQuery saved = { f->store, path };

  /* Killed once the list names the file and a checkpoint vouches for
   * some of it: the state of a crash partway, whatever the machine's
   * speed. */
  dp_app_test_wait_until (file_exists, part, 30);
  dp_app_test_wait_until (store_knows_path, &saved, 30);
  dp_app_test_wait_until (file_exists, state_file, 30);
  g_subprocess_force_exit (first);
  assert_true (g_subprocess_wait (first, NULL, NULL));
  assert_false (file_is_complete (path));

  second = launch (f, NULL);
  dp_app_test_wait_until (file_is_complete, path, 60);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);
  assert_int_equal (dp_test_count_files (f->downloads), 1);

  quit (second);
}

/* `downpour FILE.meta4` downloads the file the Metalink describes, from
 * its addresses, under its name, checked against its hash; the list
 * keeps the Metalink's addresses. */
static void
test_metalink_from_command_line (void **state)
{
  Fixture *f = *state;
  guint64 size = 3000001;
  g_autofree char *sha = dp_test_content_sha256 (4, size);
  g_autofree char *first = dp_test_server_url (f->server, "/file/meta.bin?size=3000001&seed=4&rate=1000000");
  g_autofree char *second = dp_test_server_url (f->server, "/file/meta.bin?size=3000001&seed=4&rate=1000000&copy=2");
  g_autofree char *first_xml = g_markup_escape_text (first, -1);
  g_autofree char *second_xml = g_markup_escape_text (second, -1);
  g_autofree char *metalink = g_build_filename (f->dir, "release.meta4", NULL);
  g_autofree char *path = g_build_filename (f->downloads, "release-1.0.bin", NULL);
  g_autofree char *document = NULL;
  g_autofree char *sum = NULL;
  g_autoptr(GSubprocess) process = NULL;
  StoreQuery saved = { f->store, second };

  document = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n"
                              "  <file name=\"release-1.0.bin\">\n"
                              "    <size>%" G_GUINT64_FORMAT "</size>\n"
                              "    <hash type=\"sha-256\">%s</hash>\n"
                              "    <url priority=\"1\">%s</url>\n"
                              "    <url priority=\"2\">%s</url>\n"
                              "  </file>\n"
                              "</metalink>\n", size, sha, first_xml, second_xml);
  assert_true (g_file_set_contents (metalink, document, -1, NULL));

  process = launch (f, metalink);
  dp_app_test_wait_until (file_is_complete, path, 60);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, sha);
  dp_app_test_wait_until (store_knows_path, &saved, 30);

  quit (process);
  assert_int_equal (dp_test_count_files (f->downloads), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_download_from_command_line, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resume_after_crash, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_from_command_line, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  return cmocka_run_group_tests (tests, NULL, NULL);
}
