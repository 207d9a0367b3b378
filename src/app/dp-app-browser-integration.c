/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "dp-app-browser-integration.h"

typedef struct
{
  gboolean firefox;
  /* Under the browser's configuration folder of the real home. */
  const char *config_base;   /* "$HOME" or the XDG configuration folder */
  const char *folder;
} Target;

static const Target targets[] = {
  { TRUE, "home", ".mozilla/native-messaging-hosts" },
  { FALSE, "config", "chromium/NativeMessagingHosts" },
  { FALSE, "config", "google-chrome/NativeMessagingHosts" },
};

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) ||
         g_strcmp0 (g_getenv ("DOWNPOUR_FLATPAK"), "1") == 0;
}

/* The browsers' configuration folder. In the sandbox XDG_CONFIG_HOME
 * points into the app's own folder; the browsers read the real one. */
static char *
browsers_config_dir (void)
{
  if (in_flatpak ())
    return g_build_filename (g_get_home_dir (), ".config", NULL);
  return g_strdup (g_get_user_config_dir ());
}

static char *
manifest_path (const Target *target)
{
  g_autofree char *config = browsers_config_dir ();
  const char *base = g_str_equal (target->config_base, "home") ? g_get_home_dir () : config;

  return g_build_filename (base, target->folder, BROWSER_HOST_NAME ".json", NULL);
}

/* In the Flatpak: a program outside the sandbox that starts the host in
 * it. The app's data folder is the same path inside and out. */
static char *
wrapper_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "downpour", "downpour-browser-host", NULL);
}

static char *
host_path (void)
{
  if (in_flatpak ())
    return wrapper_path ();
  /* A build that is not installed (the tests, `meson devenv`). */
  if (g_getenv ("DOWNPOUR_BROWSER_HOST") != NULL)
    return g_strdup (g_getenv ("DOWNPOUR_BROWSER_HOST"));
  return g_build_filename (LIBEXECDIR, "downpour-browser-host", NULL);
}

static char *
json_string (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static char *
manifest_text (const Target *target)
{
  g_autofree char *path = host_path ();
  g_autofree char *quoted = json_string (path);

  return g_strdup_printf ("{\n"
                          "  \"name\": \"" BROWSER_HOST_NAME "\",\n"
                          "  \"description\": \"Downpour, the GNOME download manager\",\n"
                          "  \"path\": %s,\n"
                          "  \"type\": \"stdio\",\n"
                          "  %s\n"
                          "}\n",
                          quoted,
                          target->firefox
                          ? "\"allowed_extensions\": [\"" BROWSER_EXTENSION_FIREFOX_ID "\"]"
                          : "\"allowed_origins\": [\"chrome-extension://"
                            BROWSER_EXTENSION_CHROMIUM_ID "/\"]");
}

gboolean
dp_app_browser_integration_is_installed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autofree char *path = manifest_path (&targets[i]);
      g_autofree char *want = manifest_text (&targets[i]);
      g_autofree char *have = NULL;

      if (!g_file_get_contents (path, &have, NULL, NULL) || !g_str_equal (have, want))
        return FALSE;
    }
  if (in_flatpak ())
    {
      g_autofree char *wrapper = wrapper_path ();

      return g_file_test (wrapper, G_FILE_TEST_IS_EXECUTABLE);
    }
  return TRUE;
}

static gboolean
write_file (const char  *path,
            const char  *contents,
            int          mode,
            GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) local_error = NULL;

  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;
      g_autofree char *shown = g_filename_display_name (parent);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder “%s”: %s"), shown, g_strerror (saved));
      return FALSE;
    }
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode,
                                 &local_error))
    {
      g_autofree char *shown = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”: %s"), shown,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Only a manifest of this host's name is removed: another program's
 * file never is. */
static void
remove_if_ours (const char *path)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents (path, &text, NULL, NULL) &&
      strstr (text, "\"name\": \"" BROWSER_HOST_NAME "\"") != NULL)
    g_unlink (path);
}

gboolean
dp_app_browser_integration_set_installed (gboolean   installed,
                                          GError   **error)
{
  if (!installed)
    {
      g_autofree char *wrapper = wrapper_path ();

      for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
        {
          g_autofree char *path = manifest_path (&targets[i]);

          remove_if_ours (path);
        }
      if (in_flatpak ())
        g_unlink (wrapper);
      return TRUE;
    }

  if (in_flatpak ())
    {
      g_autofree char *wrapper = wrapper_path ();

      /* Outside the sandbox: flatpak is on the browser's PATH. */
      if (!write_file (wrapper,
                       "#!/bin/sh\n"
                       "# Written by Downpour (Preferences, Browser Integration).\n"
                       "exec flatpak run --command=downpour-browser-host " APP_ID " \"$@\"\n",
                       0755, error))
        return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autofree char *path = manifest_path (&targets[i]);
      g_autofree char *text = manifest_text (&targets[i]);

      if (!write_file (path, text, 0644, error))
        return FALSE;
    }
  return TRUE;
}
