/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-format.h"
#include "dp-app-compat.h"
#include "dp-app-browser-integration.h"
#include "dp-app-preferences-window.h"
#include "dp-download.h"

struct _DpAppPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GCancellable *choosing;  /* while the folder chooser is open */

  AdwActionRow *folder_row;
  GtkWidget *reset_folder_button;
  GtkSwitch *automatic_switch;
  GtkSpinButton *segments_spin;
  GtkSwitch *limit_switch;
  GtkSpinButton *speed_spin;
  GtkSpinButton *max_active_spin;
  GtkSwitch *notify_switch;
  GtkSwitch *metered_switch;
  GtkSwitch *browser_ask_switch;
  GtkSwitch *integration_switch;

  /* Set while the controls are made to show the settings, so that their
   * signals do not write back what was just read. */
  gboolean updating;
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

/*
 * "segments" and "rate-limit" each hold a switch and a number in one key:
 * 0 is Automatic, or no limit. The number box keeps its value while the
 * switch hides it, so that switching back brings back what was there.
 */
static void
update_segments (DpAppPreferencesWindow *self)
{
  guint segments = g_settings_get_uint (self->settings, "segments");

  self->updating = TRUE;
  gtk_switch_set_active (self->automatic_switch, segments == DP_DOWNLOAD_SEGMENTS_AUTO);
  if (segments != DP_DOWNLOAD_SEGMENTS_AUTO)
    gtk_spin_button_set_value (self->segments_spin, segments);
  self->updating = FALSE;
}

static void
save_segments (DpAppPreferencesWindow *self)
{
  guint segments = DP_DOWNLOAD_SEGMENTS_AUTO;

  if (self->updating)
    return;
  if (!gtk_switch_get_active (self->automatic_switch))
    segments = (guint) gtk_spin_button_get_value_as_int (self->segments_spin);
  g_settings_set_uint (self->settings, "segments", segments);
}

static void
on_automatic_changed (DpAppPreferencesWindow *self)
{
  save_segments (self);
}

static void
on_segments_changed (DpAppPreferencesWindow *self)
{
  save_segments (self);
}

static void
update_rate_limit (DpAppPreferencesWindow *self)
{
  guint64 rate = g_settings_get_uint64 (self->settings, "rate-limit");

  self->updating = TRUE;
  gtk_switch_set_active (self->limit_switch, rate > 0);
  if (rate > 0)
    gtk_spin_button_set_value (self->speed_spin, dp_app_speed_to_megabytes (rate));
  self->updating = FALSE;
}

static void
save_rate_limit (DpAppPreferencesWindow *self)
{
  guint64 rate = 0;

  if (self->updating)
    return;
  if (gtk_switch_get_active (self->limit_switch))
    rate = dp_app_speed_from_megabytes (gtk_spin_button_get_value (self->speed_spin));
  g_settings_set_uint64 (self->settings, "rate-limit", rate);
}

static void
on_limit_changed (DpAppPreferencesWindow *self)
{
  save_rate_limit (self);
}

static void
on_speed_changed (DpAppPreferencesWindow *self)
{
  save_rate_limit (self);
}

static void
on_folder_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DpAppPreferencesWindow) self = user_data;
  g_autoptr(GFile) folder = dp_app_choose_folder_finish (result, NULL);
  g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

  g_clear_object (&self->choosing);
  if (path != NULL && self->settings != NULL)
    g_settings_set_string (self->settings, "download-folder", path);
}

static void
on_folder_row_activated (DpAppPreferencesWindow *self)
{
  if (self->choosing != NULL)
    return;

  self->choosing = g_cancellable_new ();
  dp_app_choose_folder_async (GTK_WINDOW (self), _("Choose a Download Folder"), NULL,
                              self->choosing, on_folder_chosen, g_object_ref (self));
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

  g_cancellable_cancel (self->choosing);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (dp_app_preferences_window_parent_class)->dispose (object);
}

/* The switch shows the files as they are; a change that fails is said
 * and the switch goes back. */
static gboolean
on_integration_state_set (DpAppPreferencesWindow *self,
                          gboolean                state)
{
  g_autoptr(GError) error = NULL;

  if (self->settings == NULL)
    return FALSE;
  if (!dp_app_browser_integration_set_installed (state, &error))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (error->message));
      state = !state;
    }
  gtk_switch_set_state (self->integration_switch, state);
  gtk_switch_set_active (self->integration_switch, state);
  return TRUE;
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
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, automatic_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, segments_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, limit_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, speed_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, max_active_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, metered_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, browser_ask_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppPreferencesWindow, integration_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_integration_state_set);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_automatic_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_segments_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_limit_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_changed);
}

static void
dp_app_preferences_window_init (DpAppPreferencesWindow *self)
{
  /* The template's signals fire before there are settings to write to. */
  self->updating = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->updating = FALSE;
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

  g_signal_connect_object (settings, "changed::segments",
                           G_CALLBACK (update_segments), self, G_CONNECT_SWAPPED);
  update_segments (self);
  g_signal_connect_object (settings, "changed::rate-limit",
                           G_CALLBACK (update_rate_limit), self, G_CONNECT_SWAPPED);
  update_rate_limit (self);
  g_settings_bind (settings, "max-active-downloads",
                   gtk_spin_button_get_adjustment (self->max_active_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notify-on-completion", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "browser-ask", self->browser_ask_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "download-on-metered", self->metered_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::download-folder",
                           G_CALLBACK (update_folder), self, G_CONNECT_SWAPPED);
  update_folder (self);
  /* Before self->settings is set, a state change writes nothing. */
  {
    gboolean installed = dp_app_browser_integration_is_installed ();
    GSettings *kept = g_steal_pointer (&self->settings);

    gtk_switch_set_active (self->integration_switch, installed);
    gtk_switch_set_state (self->integration_switch, installed);
    self->settings = kept;
  }

  return self;
}
