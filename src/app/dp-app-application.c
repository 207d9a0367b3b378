/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "dp-app-add-dialog.h"
#include "dp-app-application.h"
#include "dp-app-compat.h"
#include "dp-app-file-ops.h"
#include "dp-app-preferences-window.h"
#include "dp-app-window.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-request.h"

#ifdef HAVE_LIBPORTAL
#include <libportal-gtk4/portal-gtk4.h>
#endif

/* The id of the notification that says the window closed but the
 * downloads go on. */
#define BACKGROUND_NOTIFICATION "background"

struct _DpAppApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  DpAppManager *manager;
  GPowerProfileMonitor *power_monitor;
  guint inhibit_cookie;
  guint signal_ids[3];

  /* Running downloads keep the application alive, window or not. */
  gboolean held;
  gboolean told_background;
  gboolean asked_background;
#ifdef HAVE_LIBPORTAL
  XdpPortal *portal;
#endif
  /* Ids of the notifications sent and not withdrawn yet: they go once
   * the user looks at the window. */
  GPtrArray *notification_ids;
  /* Retries asked for before the saved list was read, as (ss). */
  GPtrArray *pending_retries;
  GObject *quit_dialog;  /* while it asks */
  guint browser_object_id;  /* the Browser interface on the session bus */
};

G_DEFINE_FINAL_TYPE (DpAppApplication, dp_app_application, ADW_TYPE_APPLICATION)

/* Notifications ---------------------------------------------------- */

/* GLib's notification backends need the session bus; without one a
 * notification has nowhere to go, and is only remembered. */
static gboolean
can_notify (DpAppApplication *self)
{
  return g_application_get_dbus_connection (G_APPLICATION (self)) != NULL;
}

static void
send_notification (DpAppApplication *self,
                   const char       *id,
                   GNotification    *notification)
{
  if (can_notify (self))
    g_application_send_notification (G_APPLICATION (self), id, notification);
  if (!g_ptr_array_find_with_equal_func (self->notification_ids, id, g_str_equal, NULL))
    g_ptr_array_add (self->notification_ids, g_strdup (id));
}

static void
withdraw_notifications (DpAppApplication *self)
{
  for (guint i = 0; i < self->notification_ids->len && can_notify (self); i++)
    g_application_withdraw_notification (G_APPLICATION (self),
                                         g_ptr_array_index (self->notification_ids, i));
  g_ptr_array_set_size (self->notification_ids, 0);
}

static char *
item_notification_id (DpAppItem *item)
{
  return g_strdup_printf ("download-%u", g_str_hash (dp_app_item_get_url (item)));
}

/* What the notifications said is in front of the user now. */
static void
on_window_active (DpAppApplication *self,
                  GParamSpec       *pspec,
                  GtkWindow        *window)
{
  if (gtk_window_is_active (window))
    withdraw_notifications (self);
}

/* Running in the background ---------------------------------------- */

#ifdef HAVE_LIBPORTAL
static void
on_background_reply (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(DpAppApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  if (xdp_portal_request_background_finish (XDP_PORTAL (source), result, &error))
    {
      g_debug ("The background portal lets downloads run with the window closed");
      return;
    }

  /* No portal, or one that failed: nothing the user could change. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("No answer from the background portal: %s", error->message);
      return;
    }

  g_debug ("The background portal refused to let Downpour run in the background");
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    dp_app_window_show_toast (DP_APP_WINDOW (window),
                              _("Running in the background is not allowed: downloads may stop "
                                "when the window is closed"));
}
#endif

/* Sandboxed, the application may be stopped once its last window is
 * gone unless the background portal agreed. Asked once a session, when
 * downloads first run, while there is a window to ask about. */
static void
request_background (DpAppApplication *self)
{
#ifdef HAVE_LIBPORTAL
  g_autoptr(XdpParent) parent = NULL;
  GtkWindow *window;

  if (self->asked_background)
    return;
  self->asked_background = TRUE;

  /* libportal needs the session bus; without one there is no portal. */
  if (g_application_get_dbus_connection (G_APPLICATION (self)) == NULL)
    {
      g_debug ("No session bus: not asking the background portal");
      return;
    }

  self->portal = xdp_portal_new ();
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    parent = xdp_parent_new_gtk (window);
  xdp_portal_request_background (self->portal, parent,
                                 _("Downloads continue while the window is closed"), NULL,
                                 XDP_BACKGROUND_FLAG_ACTIVATABLE, NULL, on_background_reply,
                                 g_object_ref (self));
#else
  if (!self->asked_background)
    g_debug ("Built without libportal: not asking the background portal");
  self->asked_background = TRUE;
#endif
}

/* The window goes away, the downloads go on: the hold taken while they
 * run keeps the application alive, and a new window shows the same list
 * when the application is activated again. */
static gboolean
on_close_request (DpAppApplication *self,
                  GtkWindow        *window)
{
  guint n_running = dp_app_manager_get_n_running (self->manager);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;

  if (n_running == 0 || self->told_background)
    return FALSE;

  /* Once a session is enough for the user to know it did not quit. */
  self->told_background = TRUE;
  notification = g_notification_new (_("Downloads Continue in the Background"));
  body = g_strdup_printf (ngettext ("%u download is still running. Open Downpour to see it.",
                                    "%u downloads are still running. Open Downpour to see them.",
                                    n_running),
                          n_running);
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.activate");
  send_notification (self, BACKGROUND_NOTIFICATION, notification);
  return FALSE;
}

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
  g_signal_connect_object (new_window, "close-request", G_CALLBACK (on_close_request), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (new_window, "notify::is-active", G_CALLBACK (on_window_active), self,
                           G_CONNECT_SWAPPED);
  if (self->power_monitor != NULL)
    g_object_bind_property (self->power_monitor, "power-saver-enabled", new_window, "power-saver",
                            G_BINDING_SYNC_CREATE);
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

  /* Released when the last download stops: with no window left, that
   * ends the application. */
  if (dp_app_manager_get_busy (self->manager) && !self->held)
    {
      self->held = TRUE;
      g_application_hold (G_APPLICATION (self));
      request_background (self);
    }
  else if (!dp_app_manager_get_busy (self->manager) && self->held)
    {
      self->held = FALSE;
      g_application_release (G_APPLICATION (self));
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
      /* The address and the file name the download across restarts; a
       * position in the list would not. */
      g_notification_add_button_with_target (notification, _("Retry"), "app.retry", "(ss)",
                                             dp_app_item_get_url (item), path != NULL ? path : "");
    }
  g_notification_set_default_action (notification, "app.activate");

  id = item_notification_id (item);
  send_notification (self, id, notification);
}

static void
retry (DpAppApplication *self,
       GVariant         *target)
{
  const char *url, *path;
  DpAppItem *item;
  g_autofree char *id = NULL;
  guint index;

  g_variant_get (target, "(&s&s)", &url, &path);
  item = dp_app_manager_find (self->manager, url, path);
  if (item == NULL)
    {
      g_debug ("Nothing to retry: the download is no longer in the list");
      return;
    }
  id = item_notification_id (item);
  if (can_notify (self))
    g_application_withdraw_notification (G_APPLICATION (self), id);
  if (g_ptr_array_find_with_equal_func (self->notification_ids, id, g_str_equal, &index))
    g_ptr_array_remove_index (self->notification_ids, index);
  dp_app_item_resume (item);
}

static gboolean
release_after_retries (gpointer data)
{
  /* By now the queue has started what was retried, and the downloads
   * hold the application themselves. */
  g_application_release (G_APPLICATION (data));
  return G_SOURCE_REMOVE;
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

  if (self->pending_retries->len > 0)
    {
      for (guint i = 0; i < self->pending_retries->len; i++)
        retry (self, g_ptr_array_index (self->pending_retries, i));
      g_ptr_array_set_size (self->pending_retries, 0);
      /* After the queue's idle, which has a higher priority. */
      g_idle_add_full (G_PRIORITY_LOW, release_after_retries, g_object_ref (self),
                       g_object_unref);
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
on_quit_response (GObject          *dialog,
                  const char       *response,
                  DpAppApplication *self)
{
  /* It closes itself after answering. */
  g_clear_weak_pointer (&self->quit_dialog);
  if (g_str_equal (response, "quit"))
    g_application_quit (G_APPLICATION (self));
}

/* Quitting stops running downloads, which the user may not expect from
 * an application that goes on with its window closed: ask first. */
static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  DpAppApplication *self = user_data;
  guint n_running = dp_app_manager_get_n_running (self->manager);
  DpAppWindow *window;
  g_autofree char *body = NULL;
  GObject *dialog;

  if (n_running == 0)
    {
      g_application_quit (G_APPLICATION (self));
      return;
    }

  window = ensure_window (self);
  gtk_window_present (GTK_WINDOW (window));
  if (self->quit_dialog != NULL)
    {
      dp_app_alert_raise (self->quit_dialog);
      return;
    }

  body = g_strdup_printf (ngettext ("%u download will stop. It resumes the next time "
                                    "Downpour starts.",
                                    "%u downloads will stop. They resume the next time "
                                    "Downpour starts.",
                                    n_running),
                          n_running);
  dialog = dp_app_alert_new (_("Stop Downloads?"), body);
  dp_app_alert_add_response (dialog, "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT);
  dp_app_alert_add_response (dialog, "quit", _("_Quit"), ADW_RESPONSE_DESTRUCTIVE);
  dp_app_alert_set_default_response (dialog, "cancel");
  dp_app_alert_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_quit_response), self, 0);

  g_set_weak_pointer (&self->quit_dialog, dialog);
  dp_app_alert_present (dialog, GTK_WIDGET (window));
}

static void
retry_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  DpAppApplication *self = user_data;

  /* Started by the notification's button, the application has not read
   * its list yet: retry once it has, alive until then. */
  if (!dp_app_manager_get_loaded (self->manager))
    {
      if (self->pending_retries->len == 0)
        g_application_hold (G_APPLICATION (self));
      g_ptr_array_add (self->pending_retries, g_variant_ref (parameter));
      return;
    }
  retry (self, parameter);
}

/* A download the browser handed over (downpour-browser-host): an a{sv}
 * with "url" and, when the browser had them, "referrer", "cookies",
 * "user-agent" and "filename". Everything is checked again here: any
 * program on the session bus may call this. Only an unusable address
 * refuses the download; the other fields are taken as far as they are
 * usable, since the browser's copy is cancelled once this succeeds. */
static gboolean
add_from_browser (DpAppApplication  *self,
                  GVariant          *download,
                  GError           **error)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GUri) uri = NULL;
  g_autofree char *url = NULL;
  const char *text = NULL;
  const char *filename = NULL;
  DpAppWindow *window;

  if (!g_variant_lookup (download, "url", "&s", &text))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_URL, "The download has no address.");
      return FALSE;
    }
  uri = dp_http_parse_url (text, error);
  if (uri == NULL)
    return FALSE;
  url = g_uri_to_string (uri);

  if (g_variant_lookup (download, "referrer", "&s", &text))
    dp_request_set_referrer (request, text, NULL);
  if (g_variant_lookup (download, "user-agent", "&s", &text))
    dp_request_set_user_agent (request, text, NULL);
  if (g_variant_lookup (download, "cookies", "&s", &text))
    {
      g_auto(GStrv) pairs = g_strsplit (text, ";", -1);

      /* One odd cookie does not cost the others. */
      for (guint i = 0; pairs[i] != NULL; i++)
        dp_request_add_cookies (request, pairs[i], NULL);
    }
  g_variant_lookup (download, "filename", "&s", &filename);

  window = ensure_window (self);
  gtk_window_present (GTK_WINDOW (window));
  if (g_settings_get_boolean (self->settings, "browser-ask"))
    {
      DpAppAddDialog *dialog = dp_app_add_dialog_new (GTK_WINDOW (window), self->manager);

      dp_app_add_dialog_set_text (dialog, url);
      dp_app_add_dialog_set_request (dialog, request);
      dp_app_add_dialog_set_suggested_name (dialog, filename);
      gtk_window_present (GTK_WINDOW (dialog));
      return TRUE;
    }
  {
    DpAppItem *item = dp_app_manager_add_full (self->manager, url, NULL,
                                               DP_APP_MANAGER_DEFAULT_SEGMENTS, NULL, request,
                                               FALSE);

    dp_app_item_set_suggested_name (item, filename);
    dp_app_item_resume (item);
  }
  return TRUE;
}

/* io.github.downpour.Downpour.Browser on the application's object path:
 * a method rather than an action, so that a refusal reaches the browser
 * (which then keeps its own download). */
static const char browser_interface_xml[] =
  "<node>"
  "  <interface name='io.github.downpour.Downpour.Browser'>"
  "    <method name='AddDownload'>"
  "      <arg type='a{sv}' name='download' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
on_browser_method_call (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *object_path,
                        const char            *interface_name,
                        const char            *method_name,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  DpAppApplication *self = user_data;
  g_autoptr(GVariant) download = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (method_name, "AddDownload") != 0)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method_name);
      return;
    }
  g_variant_get (parameters, "(@a{sv})", &download);
  if (!add_from_browser (self, download, &error))
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR,
                                                     G_DBUS_ERROR_INVALID_ARGS, error->message);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
dp_app_application_dbus_register (GApplication     *application,
                                  GDBusConnection  *connection,
                                  const char       *object_path,
                                  GError          **error)
{
  DpAppApplication *self = DP_APP_APPLICATION (application);
  static const GDBusInterfaceVTable vtable = { on_browser_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;

  if (!G_APPLICATION_CLASS (dp_app_application_parent_class)->dbus_register (application, connection,
                                                                             object_path, error))
    return FALSE;
  info = g_dbus_node_info_new_for_xml (browser_interface_xml, error);
  if (info == NULL)
    return FALSE;
  self->browser_object_id = g_dbus_connection_register_object (connection, object_path,
                                                               info->interfaces[0], &vtable,
                                                               self, NULL, error);
  return self->browser_object_id != 0;
}

static void
dp_app_application_dbus_unregister (GApplication    *application,
                                    GDBusConnection *connection,
                                    const char      *object_path)
{
  DpAppApplication *self = DP_APP_APPLICATION (application);

  if (self->browser_object_id != 0)
    g_dbus_connection_unregister_object (connection, self->browser_object_id);
  self->browser_object_id = 0;
  G_APPLICATION_CLASS (dp_app_application_parent_class)->dbus_unregister (application, connection,
                                                                          object_path);
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
  { "retry", retry_action, "(ss)" },
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
  g_settings_bind (self->settings, "download-on-metered", self->manager, "download-on-metered",
                   G_SETTINGS_BIND_GET);
  /* Before the list is loaded, so that restored downloads already wait
   * on a metered connection. */
  g_object_bind_property (g_network_monitor_get_default (), "network-metered", self->manager,
                          "metered", G_BINDING_SYNC_CREATE);
  g_object_bind_property (g_network_monitor_get_default (), "network-available", self->manager,
                          "network-available", G_BINDING_SYNC_CREATE);
  self->power_monitor = g_power_profile_monitor_dup_default ();
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
  if (self->held)
    g_application_release (application);
  self->held = FALSE;

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
   * with the defaults: whoever passed them has made the choice. So do
   * the files a Metalink file describes. */
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = NULL;
      g_autoptr(GUri) parsed = NULL;
      g_autoptr(GError) error = NULL;

      if (dp_app_window_is_metalink_file (files[i]))
        {
          dp_app_window_open_metalink (window, files[i]);
          continue;
        }
      uri = g_file_get_uri (files[i]);
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

  /* Also when the application never ran (the tests register it only):
   * the handlers must not outlive it. */
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  g_clear_object (&self->manager);
  g_clear_object (&self->settings);
  g_clear_object (&self->power_monitor);
#ifdef HAVE_LIBPORTAL
  g_clear_object (&self->portal);
#endif
  g_clear_pointer (&self->notification_ids, g_ptr_array_unref);
  g_clear_pointer (&self->pending_retries, g_ptr_array_unref);

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
  app_class->dbus_register = dp_app_application_dbus_register;
  app_class->dbus_unregister = dp_app_application_dbus_unregister;
}

static void
dp_app_application_init (DpAppApplication *self)
{
  self->notification_ids = g_ptr_array_new_with_free_func (g_free);
  self->pending_retries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
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

/**
 * dp_app_application_dup_notification_ids:
 *
 * The notifications sent and not withdrawn yet, which the application
 * withdraws when the user looks at the window. Without a session bus
 * they are only remembered, which is also how the tests see them.
 *
 * Returns: (transfer full): their ids, %NULL-terminated
 */
char **
dp_app_application_dup_notification_ids (DpAppApplication *self)
{
  GStrvBuilder *builder;
  char **ids;

  g_return_val_if_fail (DP_APP_IS_APPLICATION (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->notification_ids->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->notification_ids, i));
  ids = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return ids;
}
