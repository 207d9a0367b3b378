/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-compat.h"
#include "dp-app-format.h"
#include "dp-app-speed-limit-dialog.h"

/*
 * A speed limit for one download, on top of the one for all downloads
 * in Preferences. "Apply" sets it at once, also while the download runs.
 */
struct _DpAppSpeedLimitDialog
{
  GtkWidget parent_instance;

  /* Its own reference: the row that opened the dialog may show another
   * item meanwhile. */
  DpAppItem *item;

  GtkSwitch *limit_switch;
  GtkSpinButton *speed_spin;
};

G_DEFINE_FINAL_TYPE (DpAppSpeedLimitDialog, dp_app_speed_limit_dialog, GTK_TYPE_WIDGET)

static void
on_response (GObject               *alert,
             const char            *response,
             DpAppSpeedLimitDialog *self)
{
  guint64 rate = 0;

  if (!g_str_equal (response, "apply") || self->item == NULL)
    return;

  if (gtk_switch_get_active (self->limit_switch))
    {
      /* What is typed counts, even before the box lost the focus. */
      gtk_spin_button_update (self->speed_spin);
      rate = dp_app_speed_from_megabytes (gtk_spin_button_get_value (self->speed_spin));
    }
  dp_app_item_set_rate_limit (self->item, rate);
}

static void
dp_app_speed_limit_dialog_dispose (GObject *object)
{
  DpAppSpeedLimitDialog *self = DP_APP_SPEED_LIMIT_DIALOG (object);
  GtkWidget *child;

  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_SPEED_LIMIT_DIALOG);
  /* GTK 4.8 leaves template children without an id in place. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (dp_app_speed_limit_dialog_parent_class)->dispose (object);
}

static void
dp_app_speed_limit_dialog_class_init (DpAppSpeedLimitDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_speed_limit_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-speed-limit-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppSpeedLimitDialog, limit_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppSpeedLimitDialog, speed_spin);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
dp_app_speed_limit_dialog_init (DpAppSpeedLimitDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dp_app_speed_limit_dialog_present:
 * @parent: (nullable): a widget of the window that asks
 * @item: the download to limit
 *
 * Asks for a limit for @item, showing the one it has now, and sets it
 * when the user applies it.
 *
 * Returns: (transfer none): the alert
 */
GObject *
dp_app_speed_limit_dialog_present (GtkWidget *parent,
                                   DpAppItem *item)
{
  DpAppSpeedLimitDialog *self;
  g_autofree char *body = NULL;
  GObject *alert;
  guint64 rate;

  g_return_val_if_fail (DP_APP_IS_ITEM (item), NULL);

  self = g_object_new (DP_APP_TYPE_SPEED_LIMIT_DIALOG, NULL);
  self->item = g_object_ref (item);

  /* Without a limit the box keeps its default, ready to be switched on. */
  rate = dp_app_item_get_rate_limit (item);
  gtk_switch_set_active (self->limit_switch, rate > 0);
  if (rate > 0)
    gtk_spin_button_set_value (self->speed_spin, dp_app_speed_to_megabytes (rate));

  /* Translators: %s is a file name. */
  body = g_strdup_printf (_("“%s” will download no faster than this. The limit for all "
                            "downloads together is in Preferences."),
                          dp_app_item_get_display_name (item));
  alert = dp_app_alert_new (_("Speed Limit"), body);
  dp_app_alert_add_response (alert, "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT);
  dp_app_alert_add_response (alert, "apply", _("_Apply"), ADW_RESPONSE_SUGGESTED);
  dp_app_alert_set_default_response (alert, "apply");
  dp_app_alert_set_close_response (alert, "cancel");
  dp_app_alert_set_extra_child (alert, GTK_WIDGET (self));
  g_signal_connect_object (alert, "response", G_CALLBACK (on_response), self, 0);
  dp_app_alert_present (alert, parent);
  return alert;
}
