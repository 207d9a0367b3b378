/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-preferences-window.h"

struct _DpAppPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GtkFileChooserNative *chooser;

  AdwActionRow *folder_row;
  GtkWidget *reset_folder_button;
  GtkSpinButton *segments_spin;
  GtkSpinButton *max_active_spin;
  GtkSwitch *notify_switch;
};

G_DEFINE_FINAL_TYPE (DpAppPreferencesWindow, dp_app_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
update_folder (DpAppPreferencesWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "download-folder");
  g_autofree char *display = NULL;

  if (*folder == '\0')
    {
      const char *xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
      g_autofree char *name = g_filename_display_name (xdg != NULL ? xdg : g_get_home_dir ());

      /* Translators: %s is the folder Downpour uses when none is set. */
      display = g_strdup_printf (_("%s (default)"), name);
    }
  else
    display = g_filename_display_name (folder);

  adw_action_row_set_subtitle (self->folder_row, display);
  gtk_widget_set_visible (self->reset_folder_button, *folder != '\0');
}

static void
on_chooser_response (GtkNativeDialog        *chooser,
                     int                     response,
                     DpAppPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "download-folder", path);
    }
  g_clear_object (&self->chooser);
}

static void
on_folder_row_activated (DpAppPreferencesWindow *self)
{
  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Choose a Download Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_reset_folder_clicked (DpAppPreferencesWindow *self)
{
  g_settings_reset (self->settings, "download-folder");
}

static void
dp_app_preferences_window_dispose (GObject *object)
{
  DpAppPreferencesWindow *self = DP_APP_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (dp_app_preferences_window_parent_class)->dispose (object);
}

static void
dp_app_preferences_window_class_init (DpAppPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, reset_folder_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, segments_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, max_active_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_folder_clicked);
}

static void
dp_app_preferences_window_init (DpAppPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dp_app_preferences_window_new:
 * @parent: (nullable): the main window
 * @settings: the application's settings
 *
 * Returns: (transfer full): the window, with every control bound to
 *   @settings
 */
DpAppPreferencesWindow *
dp_app_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  DpAppPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (DP_APP_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "segments",
                   gtk_spin_button_get_adjustment (self->segments_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "max-active-downloads",
                   gtk_spin_button_get_adjustment (self->max_active_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notify-on-completion", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::download-folder",
                           G_CALLBACK (update_folder), self, G_CONNECT_SWAPPED);
  update_folder (self);

  return self;
}
