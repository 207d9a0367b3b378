/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-format.h"
#include "dp-app-speed-limit-dialog.h"

/*
 * A speed limit for one download, on top of the one for all downloads
 * in Preferences. "Apply" sets it at once, also while the download runs.
 */
struct _DpAppSpeedLimitDialog
{
  AdwMessageDialog parent_instance;

  /* Its own reference: the row that opened the dialog may show another
   * item meanwhile. */
  DpAppItem *item;

  GtkSwitch *limit_switch;
  GtkSpinButton *speed_spin;
};

G_DEFINE_FINAL_TYPE (DpAppSpeedLimitDialog, dp_app_speed_limit_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
dp_app_speed_limit_dialog_response (AdwMessageDialog *dialog,
                                    const char       *response)
{
  DpAppSpeedLimitDialog *self = DP_APP_SPEED_LIMIT_DIALOG (dialog);

  if (g_str_equal (response, "apply") && self->item != NULL)
    {
      guint64 rate = 0;

      if (gtk_switch_get_active (self->limit_switch))
        {
          /* What is typed counts, even before the box lost the focus. */
          gtk_spin_button_update (self->speed_spin);
          rate = dp_app_speed_from_megabytes (gtk_spin_button_get_value (self->speed_spin));
        }
      dp_app_item_set_rate_limit (self->item, rate);
    }

  if (ADW_MESSAGE_DIALOG_CLASS (dp_app_speed_limit_dialog_parent_class)->response != NULL)
    ADW_MESSAGE_DIALOG_CLASS (dp_app_speed_limit_dialog_parent_class)->response (dialog, response);
}

static void
dp_app_speed_limit_dialog_dispose (GObject *object)
{
  DpAppSpeedLimitDialog *self = DP_APP_SPEED_LIMIT_DIALOG (object);

  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_SPEED_LIMIT_DIALOG);

  G_OBJECT_CLASS (dp_app_speed_limit_dialog_parent_class)->dispose (object);
}

static void
dp_app_speed_limit_dialog_class_init (DpAppSpeedLimitDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AdwMessageDialogClass *dialog_class = ADW_MESSAGE_DIALOG_CLASS (klass);

  object_class->dispose = dp_app_speed_limit_dialog_dispose;
  dialog_class->response = dp_app_speed_limit_dialog_response;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-speed-limit-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppSpeedLimitDialog, limit_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppSpeedLimitDialog, speed_spin);
}

static void
dp_app_speed_limit_dialog_init (DpAppSpeedLimitDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dp_app_speed_limit_dialog_new:
 * @parent: (nullable): the main window
 * @item: the download to limit
 *
 * Returns: (transfer full): the dialog, showing the limit @item has now
 */
DpAppSpeedLimitDialog *
dp_app_speed_limit_dialog_new (GtkWindow *parent,
                               DpAppItem *item)
{
  DpAppSpeedLimitDialog *self;
  g_autofree char *body = NULL;
  guint64 rate;

  g_return_val_if_fail (DP_APP_IS_ITEM (item), NULL);

  self = g_object_new (DP_APP_TYPE_SPEED_LIMIT_DIALOG, "transient-for", parent, NULL);
  self->item = g_object_ref (item);

  /* Translators: %s is a file name. */
  body = g_strdup_printf (_("“%s” will download no faster than this. The limit for all "
                            "downloads together is in Preferences."),
                          dp_app_item_get_display_name (item));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);

  /* Without a limit the box keeps its default, ready to be switched on. */
  rate = dp_app_item_get_rate_limit (item);
  gtk_switch_set_active (self->limit_switch, rate > 0);
  if (rate > 0)
    gtk_spin_button_set_value (self->speed_spin, dp_app_speed_to_megabytes (rate));

  return self;
}
