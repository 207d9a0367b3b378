/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "dp-app-application.h"
#include "dp-app-compat.h"
#include "dp-app-file-ops.h"
#include "dp-app-preferences-window.h"
#include "dp-app-window.h"
#include "dp-http.h"

struct _DpAppApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  DpAppManager *manager;
  guint inhibit_cookie;
  guint signal_ids[3];
};

G_DEFINE_FINAL_TYPE (DpAppApplication, dp_app_application, ADW_TYPE_APPLICATION)

static DpAppWindow *
ensure_window (DpAppApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  DpAppWindow *new_window;

  if (window != NULL)
    return DP_APP_WINDOW (window);

  new_window = dp_app_window_new (GTK_APPLICATION (self), self->manager);
  g_settings_bind (self->settings, "window-width", new_window, "default-width",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", new_window, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", new_window, "maximized",
                   G_SETTINGS_BIND_DEFAULT);
  return new_window;
}

static void
on_busy_changed (DpAppApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (dp_app_manager_get_busy (self->manager) && self->inhibit_cookie == 0)
    self->inhibit_cookie = gtk_application_inhibit (GTK_APPLICATION (self), window,
                                                    GTK_APPLICATION_INHIBIT_SUSPEND,
                                                    _("Downloads are running"));
  else if (!dp_app_manager_get_busy (self->manager) && self->inhibit_cookie != 0)
    {
      gtk_application_uninhibit (GTK_APPLICATION (self), self->inhibit_cookie);
      self->inhibit_cookie = 0;
    }
}

static void
on_item_done (DpAppApplication *self,
              DpAppItem        *item)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  const char *path = dp_app_item_get_path (item);

  /* Someone looking at the list sees it already. */
  if (!g_settings_get_boolean (self->settings, "notify-on-completion") ||
      (window != NULL && gtk_window_is_active (window)))
    return;

  if (dp_app_item_get_status (item) == DP_APP_ITEM_FINISHED)
    {
      notification = g_notification_new (_("Download Finished"));
      g_notification_set_body (notification, dp_app_item_get_display_name (item));
      if (path != NULL)
        {
          g_notification_add_button_with_target (notification, _("Open"), "app.open-file", "s",
                                                 path);
          g_notification_add_button_with_target (notification, _("Show in Files"),
                                                 "app.show-in-folder", "s", path);
        }
    }
  else
    {
      g_autofree char *body = NULL;
      const char *reason = dp_app_item_get_error (item);

      notification = g_notification_new (_("Download Failed"));
      /* Translators: %s is a file name, then the reason it failed. */
      body = g_strdup_printf (_("%s: %s"), dp_app_item_get_display_name (item),
                              reason != NULL ? reason : "");
      g_notification_set_body (notification, body);
    }
  g_notification_set_default_action (notification, "app.activate");

  id = g_strdup_printf ("download-%u", g_str_hash (dp_app_item_get_url (item)));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
on_manager_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DpAppApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!dp_app_manager_load_finish (DP_APP_MANAGER (source), result, &error))
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

      g_warning ("%s", error->message);
      if (window != NULL)
        dp_app_window_show_toast (DP_APP_WINDOW (window), error->message);
    }
}

static gboolean
on_unix_signal (gpointer data)
{
  /* A logout or a kill: quit properly so that the list is saved. */
  g_application_quit (G_APPLICATION (data));
  return G_SOURCE_CONTINUE;
}

static void
activate_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  DpAppApplication *self = user_data;
  DpAppPreferencesWindow *window;

  window = dp_app_preferences_window_new (GTK_WINDOW (ensure_window (self)), self->settings);
  gtk_window_present (GTK_WINDOW (window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  DpAppApplication *self = user_data;
  static const char *developers[] = { "The Downpour developers", NULL };
  GObject *about = dp_app_about_new ();

  g_object_set (about,
                "application-name", _("Downpour"),
                "application-icon", APP_ID,
                "developer-name", _("The Downpour developers"),
                "version", PACKAGE_VERSION,
                "website", "https://github.com/downpour/downpour",
                "issue-url", "https://github.com/downpour/downpour/issues",
                "copyright", "© 2025 The Downpour developers",
                "license-type", GTK_LICENSE_GPL_3_0,
                "developers", developers,
                /* Translators: your names, one per line. */
                "translator-credits", _("translator-credits"),
                NULL);
  dp_app_about_present (about, GTK_WIDGET (ensure_window (self)));
}

static void
open_file_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  DpAppApplication *self = user_data;

  dp_app_open_file (gtk_application_get_active_window (GTK_APPLICATION (self)),
                    g_variant_get_string (parameter, NULL));
}

static void
show_in_folder_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  DpAppApplication *self = user_data;

  dp_app_show_in_folder (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         g_variant_get_string (parameter, NULL));
}

static const GActionEntry app_actions[] = {
  { "activate", activate_action },
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "open-file", open_file_action, "s" },
  { "show-in-folder", show_in_folder_action, "s" },
};

static void
dp_app_application_startup (GApplication *application)
{
  DpAppApplication *self = DP_APP_APPLICATION (application);
  g_autoptr(DpAppStore) store = NULL;
  g_autofree char *store_path = NULL;
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *add_accels[] = { "<Control>n", NULL };

  G_APPLICATION_CLASS (dp_app_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  /* Ctrl+V stays a key binding of the window instead: application
   * accelerators come before the focused widget, and would take Ctrl+V
   * from every text field. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add", add_accels);

  self->settings = g_settings_new (APP_ID);

  store_path = dp_app_store_dup_default_path ();
  store = dp_app_store_new (store_path);
  self->manager = dp_app_manager_new (store);
  g_settings_bind (self->settings, "download-folder", self->manager, "directory",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "segments", self->manager, "segments", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "max-active-downloads", self->manager, "max-active",
                   G_SETTINGS_BIND_GET);
  /* The engine applies a new limit to running downloads at once. */
  g_settings_bind (self->settings, "rate-limit", dp_app_manager_get_engine (self->manager),
                   "rate-limit", G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->manager, "notify::busy", G_CALLBACK (on_busy_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "item-done", G_CALLBACK (on_item_done), self,
                           G_CONNECT_SWAPPED);
  dp_app_manager_load_async (self->manager, NULL, on_manager_loaded, g_object_ref (self));

  self->signal_ids[0] = g_unix_signal_add (SIGINT, on_unix_signal, self);
  self->signal_ids[1] = g_unix_signal_add (SIGTERM, on_unix_signal, self);
  self->signal_ids[2] = g_unix_signal_add (SIGHUP, on_unix_signal, self);
}

static void
dp_app_application_shutdown (GApplication *application)
{
  DpAppApplication *self = DP_APP_APPLICATION (application);

  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  if (self->manager != NULL)
    dp_app_manager_shutdown (self->manager);
  if (self->inhibit_cookie != 0)
    gtk_application_uninhibit (GTK_APPLICATION (self), self->inhibit_cookie);
  self->inhibit_cookie = 0;

  G_APPLICATION_CLASS (dp_app_application_parent_class)->shutdown (application);
}

static void
dp_app_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (ensure_window (DP_APP_APPLICATION (application))));
}

static void
dp_app_application_open (GApplication  *application,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  DpAppApplication *self = DP_APP_APPLICATION (application);
  DpAppWindow *window = ensure_window (self);

  gtk_window_present (GTK_WINDOW (window));

  /* Links from the command line or another application start at once,
   * with the defaults: whoever passed them has made the choice. */
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      g_autoptr(GUri) parsed = NULL;
      g_autoptr(GError) error = NULL;

      parsed = dp_http_parse_url (uri, &error);
      if (parsed == NULL)
        {
          g_warning ("%s", error->message);
          dp_app_window_show_toast (window, error->message);
          continue;
        }
      dp_app_manager_add (self->manager, uri, NULL, DP_APP_MANAGER_DEFAULT_SEGMENTS, NULL, TRUE);
    }
}

static void
dp_app_application_dispose (GObject *object)
{
  DpAppApplication *self = DP_APP_APPLICATION (object);

  g_clear_object (&self->manager);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dp_app_application_parent_class)->dispose (object);
}

static void
dp_app_application_class_init (DpAppApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = dp_app_application_dispose;
  app_class->startup = dp_app_application_startup;
  app_class->shutdown = dp_app_application_shutdown;
  app_class->activate = dp_app_application_activate;
  app_class->open = dp_app_application_open;
}

static void
dp_app_application_init (DpAppApplication *self)
{
}

/**
 * dp_app_application_new:
 *
 * Returns: (transfer full): the application
 */
DpAppApplication *
dp_app_application_new (void)
{
  return g_object_new (DP_APP_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/downpour/Downpour",
                       NULL);
}

/* Returns: (transfer none): the list of downloads */
DpAppManager *
dp_app_application_get_manager (DpAppApplication *self)
{
  g_return_val_if_fail (DP_APP_IS_APPLICATION (self), NULL);
  return self->manager;
}
