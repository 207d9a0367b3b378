/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE 1 /* O_PATH */
#include "config.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gunixfdlist.h>

#include "dp-app-compat.h"

#define HAVE_ADW_DIALOGS ADW_CHECK_VERSION (1, 5, 0)
#define HAVE_ADW_BREAKPOINTS ADW_CHECK_VERSION (1, 4, 0)
#define HAVE_GTK_LAUNCHERS GTK_CHECK_VERSION (4, 10, 0)

/* Alerts */

GObject *
dp_app_alert_new (const char *heading,
                  const char *body)
{
#if HAVE_ADW_DIALOGS
  return G_OBJECT (g_object_ref_sink (adw_alert_dialog_new (heading, body)));
#else
  /* A toplevel: GTK keeps it until it is destroyed. The caller's
   * reference keeps the two cases alike. */
  return g_object_ref (G_OBJECT (adw_message_dialog_new (NULL, heading, body)));
#endif
}

void
dp_app_alert_add_response (GObject               *alert,
                           const char            *id,
                           const char            *label,
                           AdwResponseAppearance  appearance)
{
#if HAVE_ADW_DIALOGS
  adw_alert_dialog_add_response (ADW_ALERT_DIALOG (alert), id, label);
  adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (alert), id, appearance);
#else
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (alert), id, label);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (alert), id, appearance);
#endif
}

void
dp_app_alert_set_default_response (GObject    *alert,
                                   const char *id)
{
#if HAVE_ADW_DIALOGS
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (alert), id);
#else
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (alert), id);
#endif
}

void
dp_app_alert_set_response_enabled (GObject    *alert,
                                   const char *id,
                                   gboolean    enabled)
{
#if HAVE_ADW_DIALOGS
  adw_alert_dialog_set_response_enabled (ADW_ALERT_DIALOG (alert), id, enabled);
#else
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (alert), id, enabled);
#endif
}

void
dp_app_alert_set_close_response (GObject    *alert,
                                 const char *id)
{
#if HAVE_ADW_DIALOGS
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (alert), id);
#else
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (alert), id);
#endif
}

void
dp_app_alert_set_extra_child (GObject   *alert,
                              GtkWidget *child)
{
#if HAVE_ADW_DIALOGS
  adw_alert_dialog_set_extra_child (ADW_ALERT_DIALOG (alert), child);
#else
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (alert), child);
#endif
}

/* Consumes the caller's reference to @alert. */
void
dp_app_alert_present (GObject   *alert,
                      GtkWidget *parent)
{
#if HAVE_ADW_DIALOGS
  adw_dialog_present (ADW_DIALOG (alert), parent);
#else
  GtkRoot *root = parent != NULL ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    {
      gtk_window_set_transient_for (GTK_WINDOW (alert), GTK_WINDOW (root));
      gtk_window_set_modal (GTK_WINDOW (alert), TRUE);
    }
  gtk_window_present (GTK_WINDOW (alert));
#endif
  g_object_unref (alert);
}

void
dp_app_alert_raise (GObject *alert)
{
#if HAVE_ADW_DIALOGS
  /* A dialog inside its window: presenting the window showed it. */
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (alert));

  if (GTK_IS_WINDOW (root))
    gtk_window_present (GTK_WINDOW (root));
#else
  gtk_window_present (GTK_WINDOW (alert));
#endif
}

/* About */

GObject *
dp_app_about_new (void)
{
#if HAVE_ADW_DIALOGS
  return G_OBJECT (g_object_ref_sink (adw_about_dialog_new ()));
#else
  return g_object_ref (G_OBJECT (adw_about_window_new ()));
#endif
}

/* Consumes the caller's reference to @about. */
void
dp_app_about_present (GObject   *about,
                      GtkWidget *parent)
{
#if HAVE_ADW_DIALOGS
  adw_dialog_present (ADW_DIALOG (about), parent);
#else
  GtkRoot *root = parent != NULL ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (about), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (about));
#endif
  g_object_unref (about);
}

/* Files */

void
dp_app_launch_file (GtkWindow *parent,
                    GFile     *file)
{
#if HAVE_GTK_LAUNCHERS
  g_autoptr(GtkFileLauncher) launcher = gtk_file_launcher_new (file);

  gtk_file_launcher_launch (launcher, parent, NULL, NULL, NULL);
#else
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri (parent, uri, GDK_CURRENT_TIME);
#endif
}

#if !HAVE_GTK_LAUNCHERS
/*
 * GTK 4.8 has no call that opens a file's folder. The OpenURI portal's
 * OpenDirectory does it from a sandbox and outside one (the desktop's
 * portal asks the file manager to select the file); where there is no
 * portal, the file manager's own ShowItems; where there is none of
 * these, the folder with whatever opens folders.
 */
typedef struct
{
  GtkWindow *parent;
  GFile *file;
  GDBusConnection *bus;
} ShowRequest;

static void
show_request_free (ShowRequest *request)
{
  g_clear_object (&request->parent);
  g_clear_object (&request->file);
  g_clear_object (&request->bus);
  g_free (request);
}

static void
open_folder (ShowRequest *request)
{
  g_autoptr(GFile) folder = g_file_get_parent (request->file);
  g_autofree char *uri = g_file_get_uri (folder != NULL ? folder : request->file);

  gtk_show_uri (request->parent, uri, GDK_CURRENT_TIME);
  show_request_free (request);
}

static void
on_show_items (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ShowRequest *request = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_debug ("ShowItems failed: %s", error->message);
      open_folder (request);
      return;
    }
  show_request_free (request);
}

static void
show_items (ShowRequest *request)
{
  g_autofree char *uri = g_file_get_uri (request->file);
  const char *uris[2] = { uri, NULL };

  g_dbus_connection_call (request->bus,
                          "org.freedesktop.FileManager1",
                          "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1",
                          "ShowItems",
                          g_variant_new ("(^ass)", uris, ""),
                          NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
                          on_show_items, request);
}

static void
on_open_directory (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ShowRequest *request = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), NULL,
                                                           result, &error);
  if (reply == NULL)
    {
      g_debug ("The portal's OpenDirectory failed: %s", error->message);
      show_items (request);
      return;
    }
  show_request_free (request);
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  ShowRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder options;
  int fd;

  request->bus = g_bus_get_finish (result, &error);
  path = g_file_get_path (request->file);
  if (request->bus == NULL || path == NULL)
    {
      g_debug ("No session bus to show a file with: %s",
               error != NULL ? error->message : "not a local file");
      open_folder (request);
      return;
    }

  /* The portal takes the file as a descriptor, which proves that the
   * app may see it. O_PATH: no need to be able to read it. */
  fd = g_open (path, O_PATH | O_CLOEXEC, 0);
  if (fd < 0)
    {
      g_debug ("Could not open %s to show it: %s", path, g_strerror (errno));
      show_items (request);
      return;
    }
  fds = g_unix_fd_list_new_from_array (&fd, 1);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_dbus_connection_call_with_unix_fd_list (request->bus,
                                            "org.freedesktop.portal.Desktop",
                                            "/org/freedesktop/portal/desktop",
                                            "org.freedesktop.portal.OpenURI",
                                            "OpenDirectory",
                                            g_variant_new ("(sha{sv})", "", 0, &options),
                                            G_VARIANT_TYPE ("(o)"),
                                            G_DBUS_CALL_FLAGS_NONE, 5000, fds, NULL,
                                            on_open_directory, request);
}
#endif

void
dp_app_open_containing_folder (GtkWindow *parent,
                               GFile     *file)
{
#if HAVE_GTK_LAUNCHERS
  g_autoptr(GtkFileLauncher) launcher = gtk_file_launcher_new (file);

  gtk_file_launcher_open_containing_folder (launcher, parent, NULL, NULL, NULL);
#else
  ShowRequest *request = g_new0 (ShowRequest, 1);

  request->parent = parent != NULL ? g_object_ref (parent) : NULL;
  request->file = g_object_ref (file);
  g_bus_get (G_BUS_TYPE_SESSION, NULL, on_bus, request);
#endif
}

/* Choosing a folder */

#if HAVE_GTK_LAUNCHERS
static void
on_folder_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *folder = gtk_file_dialog_select_folder_finish (GTK_FILE_DIALOG (source), result, &error);

  if (folder == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, folder, g_object_unref);
}
#else
static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GFile) folder = NULL;

  g_signal_handlers_disconnect_by_data (chooser, user_data);
  if (g_task_get_cancellable (task) != NULL)
    g_signal_handlers_disconnect_by_data (g_task_get_cancellable (task), chooser);
  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (folder != NULL)
    g_task_return_pointer (task, g_steal_pointer (&folder), g_object_unref);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "No folder was chosen");
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* The window that asked goes away: the chooser with it. */
static void
on_choosing_cancelled (GCancellable    *cancellable,
                       GtkNativeDialog *chooser)
{
  gtk_native_dialog_hide (chooser);
  g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_CANCEL);
}
#endif

void
dp_app_choose_folder_async (GtkWindow           *parent,
                            const char          *title,
                            GFile               *initial,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
#if HAVE_GTK_LAUNCHERS
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();

  g_task_set_source_tag (task, dp_app_choose_folder_async);
  gtk_file_dialog_set_title (dialog, title);
  gtk_file_dialog_set_modal (dialog, TRUE);
  if (initial != NULL)
    gtk_file_dialog_set_initial_folder (dialog, initial);
  gtk_file_dialog_select_folder (dialog, parent, cancellable, on_folder_chosen,
                                 g_steal_pointer (&task));
#else
  GtkFileChooserNative *chooser;

  g_task_set_source_tag (task, dp_app_choose_folder_async);
  chooser = gtk_file_chooser_native_new (title, parent, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (initial != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), initial, NULL);
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (on_choosing_cancelled), chooser,
                             0);
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response),
                    g_steal_pointer (&task));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
#endif
}

GFile *
dp_app_choose_folder_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Bars */

void
dp_app_use_toolbar_view (AdwApplicationWindow *window,
                         GtkBox               *box,
                         GtkWidget            *content)
{
#if HAVE_ADW_BREAKPOINTS
  AdwToolbarView *view = ADW_TOOLBAR_VIEW (adw_toolbar_view_new ());
  GtkWidget *child;

  /* The bars keep their order; the view draws them as one top edge. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    {
      g_object_ref (child);
      gtk_box_remove (box, child);
      if (child == content)
        adw_toolbar_view_set_content (view, child);
      else
        adw_toolbar_view_add_top_bar (view, child);
      g_object_unref (child);
      if (child == content)
        break;
    }
  adw_application_window_set_content (window, GTK_WIDGET (view));
#else
  (void) window;
  (void) box;
  (void) content;
#endif
}

/* Narrow windows */

typedef struct
{
  DpAppNarrowFunc apply;
  gpointer user_data;
  int max_width;
  gboolean narrow;
} NarrowWatch;

#if HAVE_ADW_BREAKPOINTS
static void
on_breakpoint_apply (AdwBreakpoint *breakpoint,
                     NarrowWatch   *watch)
{
  GtkWidget *window = g_object_get_data (G_OBJECT (breakpoint), "dp-window");

  watch->narrow = TRUE;
  watch->apply (window, TRUE, watch->user_data);
}

static void
on_breakpoint_unapply (AdwBreakpoint *breakpoint,
                       NarrowWatch   *watch)
{
  GtkWidget *window = g_object_get_data (G_OBJECT (breakpoint), "dp-window");

  watch->narrow = FALSE;
  watch->apply (window, FALSE, watch->user_data);
}
#else
/* Every frame that lays the window out, after it did: one comparison,
 * and nothing at all while the window is still. */
static void
on_after_layout (GdkFrameClock *clock,
                 GtkWidget     *window)
{
  NarrowWatch *watch = g_object_get_data (G_OBJECT (window), "dp-narrow-watch");
  int width = gtk_widget_get_width (window);
  gboolean narrow = width > 0 && width < watch->max_width;

  if (narrow != watch->narrow)
    {
      watch->narrow = narrow;
      watch->apply (window, narrow, watch->user_data);
    }
}

static void
on_window_realize (GtkWidget *window)
{
  g_signal_connect_object (gtk_widget_get_frame_clock (window), "layout",
                           G_CALLBACK (on_after_layout), window, G_CONNECT_AFTER);
}
#endif

void
dp_app_add_narrow_breakpoint (AdwApplicationWindow *window,
                              int                   max_width,
                              DpAppNarrowFunc       apply,
                              gpointer              user_data)
{
  NarrowWatch *watch = g_new0 (NarrowWatch, 1);
#if HAVE_ADW_BREAKPOINTS
  AdwBreakpoint *breakpoint;
  g_autofree char *condition = NULL;
#endif

  watch->apply = apply;
  watch->user_data = user_data;
  watch->max_width = max_width;

#if HAVE_ADW_BREAKPOINTS
  condition = g_strdup_printf ("max-width: %dpx", max_width - 1);
  breakpoint = adw_breakpoint_new (adw_breakpoint_condition_parse (condition));
  g_object_set_data (G_OBJECT (breakpoint), "dp-window", window);
  g_object_set_data_full (G_OBJECT (breakpoint), "dp-narrow-watch", watch, g_free);
  g_signal_connect (breakpoint, "apply", G_CALLBACK (on_breakpoint_apply), watch);
  g_signal_connect (breakpoint, "unapply", G_CALLBACK (on_breakpoint_unapply), watch);
  adw_application_window_add_breakpoint (window, breakpoint);
#else
  g_object_set_data_full (G_OBJECT (window), "dp-narrow-watch", watch, g_free);
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    on_window_realize (GTK_WIDGET (window));
  else
    g_signal_connect (window, "realize", G_CALLBACK (on_window_realize), NULL);
#endif
}
