/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "dp-app-browser-integration.h"
#include "dp-test-util.h"

/* Preferences → Browser Integration: the user's own host manifests, in a
 * home of the test's own. No display needed. */

static char *home;

static char *
read_file (const char *relative)
{
  g_autofree char *path = g_build_filename (home, relative, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static const char *manifests[] = {
  ".mozilla/native-messaging-hosts/io.github.downpour.downpour.json",
  ".config/chromium/NativeMessagingHosts/io.github.downpour.downpour.json",
  ".config/google-chrome/NativeMessagingHosts/io.github.downpour.downpour.json",
};

static void
assert_manifests_name (const char *host)
{
  g_autofree char *quoted = g_strdup_printf ("\"path\": \"%s\"", host);

  for (guint i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      g_autofree char *text = read_file (manifests[i]);

      if (text == NULL)
        fail_msg ("no %s", manifests[i]);
      assert_non_null (strstr (text, quoted));
      assert_non_null (strstr (text, "\"name\": \"io.github.downpour.downpour\""));
      assert_non_null (strstr (text, "\"type\": \"stdio\""));
      if (i == 0)
        assert_non_null (strstr (text, "\"allowed_extensions\": [\"downpour@downpour.github.io\"]"));
      else
        assert_non_null (strstr (text, "\"allowed_origins\": "
                                       "[\"chrome-extension://leifnmfbnlbhdljpbcbndcojdpmdkdij/\"]"));
    }
}

static void
assert_no_manifests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      g_autofree char *text = read_file (manifests[i]);

      assert_null (text);
    }
}

/* Installed under a prefix: the manifests name the host itself. Turning
 * it off removes them, and leaves another program's host alone. */
static void
test_install_and_remove (void **state)
{
  g_autofree char *other = g_build_filename (home, ".config", "chromium", "NativeMessagingHosts",
                                             "org.example.other.json", NULL);

  (void) state;
  g_unsetenv ("DOWNPOUR_FLATPAK");
  assert_false (dp_app_browser_integration_is_installed ());
  assert_true (dp_app_browser_integration_set_installed (TRUE, NULL));
  assert_true (dp_app_browser_integration_is_installed ());
  assert_manifests_name (g_getenv ("DOWNPOUR_BROWSER_HOST"));
  assert_true (g_file_set_contents (other, "{\"name\": \"org.example.other\"}", -1, NULL));

  assert_true (dp_app_browser_integration_set_installed (FALSE, NULL));
  assert_false (dp_app_browser_integration_is_installed ());
  assert_no_manifests ();
  assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  assert_int_equal (g_unlink (other), 0);
}

/* In the Flatpak the browsers start a wrapper outside the sandbox that
 * runs the host inside it. */
static void
test_flatpak_wrapper (void **state)
{
  g_autofree char *wrapper = g_build_filename (g_get_user_data_dir (), "downpour",
                                               "downpour-browser-host", NULL);
  g_autofree char *script = NULL;
  struct stat st;

  (void) state;
  g_setenv ("DOWNPOUR_FLATPAK", "1", TRUE);
  assert_true (dp_app_browser_integration_set_installed (TRUE, NULL));
  assert_true (dp_app_browser_integration_is_installed ());
  assert_manifests_name (wrapper);
  assert_true (g_file_get_contents (wrapper, &script, NULL, NULL));
  assert_true (g_str_has_prefix (script, "#!/bin/sh\n"));
  assert_non_null (strstr (script, "exec flatpak run --command=downpour-browser-host "
                                   "io.github.downpour.Downpour \"$@\"\n"));
  assert_int_equal (g_stat (wrapper, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0755);

  /* A manifest edited by hand is not "installed": the switch says off. */
  {
    g_autofree char *path = g_build_filename (home, manifests[1], NULL);

    assert_true (g_file_set_contents (path, "{}", -1, NULL));
    assert_false (dp_app_browser_integration_is_installed ());
  }

  assert_true (dp_app_browser_integration_set_installed (FALSE, NULL));
  assert_false (g_file_test (wrapper, G_FILE_TEST_EXISTS));
  g_unsetenv ("DOWNPOUR_FLATPAK");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_install_and_remove),
    cmocka_unit_test (test_flatpak_wrapper),
  };
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  int result;

  /* Before GLib reads them: it does so once. */
  home = dp_test_mkdtemp ();
  config = g_build_filename (home, ".config", NULL);
  data = g_build_filename (home, ".local", "share", NULL);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);

  result = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_rmdir (home);
  g_free (home);
  return result;
}
