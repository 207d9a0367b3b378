/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dp-app-download-row.h"
#include "dp-app-file-ops.h"
#include "dp-app-format.h"
#include "dp-app-segment-map.h"

/*
 * One download in the list. The list view recycles rows, so a row
 * shows whichever item it is bound to and refreshes only when that
 * item reports a change.
 */
struct _DpAppDownloadRow
{
  GtkWidget parent_instance;

  DpAppManager *manager;
  DpAppItem *item;
  gulong changed_id;

  GtkImage *icon;
  GtkLabel *name_label;
  GtkProgressBar *progress_bar;
  DpAppSegmentMap *segment_map;
  GtkLabel *status_label;
  GtkLabel *details_label;
  GtkWidget *pause_button;
  GtkWidget *resume_button;
  GtkWidget *retry_button;
  GtkWidget *open_button;
  GtkWidget *cancel_button;
};

G_DEFINE_FINAL_TYPE (DpAppDownloadRow, dp_app_download_row, GTK_TYPE_WIDGET)

static gboolean
status_is_running (DpAppItemStatus status)
{
  return status == DP_APP_ITEM_CONNECTING || status == DP_APP_ITEM_DOWNLOADING ||
         status == DP_APP_ITEM_FINISHING;
}

static char *
format_details (DpAppItem *item)
{
  DpAppItemStatus status = dp_app_item_get_status (item);
  gint64 size = dp_app_item_get_size (item);
  gint64 received = dp_app_item_get_received (item);
  g_autofree char *progress = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *left = NULL;

  if (status == DP_APP_ITEM_CANCELLED || (received == 0 && size < 0))
    return g_strdup ("");

  progress = dp_app_format_progress (received, size);
  if (status != DP_APP_ITEM_DOWNLOADING)
    return g_steal_pointer (&progress);

  speed = dp_app_format_speed (dp_app_item_get_speed (item));
  left = dp_app_format_time_left (dp_app_item_get_eta (item));
  if (left == NULL)
    return g_strdup_printf ("%s · %s", progress, speed);
  return g_strdup_printf ("%s · %s · %s", progress, speed, left);
}

/* Progress arrives ten times a second; GTK 4.8 re-queries the tooltip
 * (a round trip to the display server) on every set, even with the same
 * text, so only real changes are passed on. */
static void
set_tooltip_if_changed (GtkWidget  *widget,
                        const char *text)
{
  const char *current = gtk_widget_get_tooltip_text (widget);

  if (g_strcmp0 (current, text) != 0)
    gtk_widget_set_tooltip_text (widget, text);
}

static void
update (DpAppDownloadRow *self)
{
  DpAppItem *item = self->item;
  DpAppItemStatus status;
  g_autofree char *status_text = NULL;
  g_autofree char *details = NULL;
  g_autoptr(GArray) segments = NULL;
  gint64 size, received;
  gboolean running, finished, has_file, show_progress;

  if (item == NULL)
    return;

  status = dp_app_item_get_status (item);
  size = dp_app_item_get_size (item);
  received = dp_app_item_get_received (item);
  running = status_is_running (status);
  finished = status == DP_APP_ITEM_FINISHED;
  has_file = finished && dp_app_item_get_path (item) != NULL;
  /* A bar tells nothing about a download that failed before any data. */
  show_progress = !finished && status != DP_APP_ITEM_CANCELLED &&
                  !(status == DP_APP_ITEM_FAILED && received == 0);

  gtk_label_set_label (self->name_label, dp_app_item_get_display_name (item));
  set_tooltip_if_changed (GTK_WIDGET (self->name_label), dp_app_item_get_url (item));
  gtk_image_set_from_gicon (self->icon, dp_app_item_get_icon (item));

  status_text = dp_app_format_status (status, dp_app_item_get_error (item));
  gtk_label_set_label (self->status_label, status_text);
  set_tooltip_if_changed (GTK_WIDGET (self->status_label),
                          status == DP_APP_ITEM_FAILED ? status_text : NULL);
  if (status == DP_APP_ITEM_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  if (status == DP_APP_ITEM_FAILED)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");

  details = format_details (item);
  gtk_label_set_label (self->details_label, details);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), show_progress);
  if (size > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, CLAMP ((double) received / (double) size, 0,
                                                              1));
  else if (running && received > 0)
    gtk_progress_bar_pulse (self->progress_bar);
  else
    gtk_progress_bar_set_fraction (self->progress_bar, 0);

  segments = dp_app_item_dup_segments (item);
  dp_app_segment_map_set_segments (self->segment_map, segments, size);
  gtk_widget_set_visible (GTK_WIDGET (self->segment_map),
                          show_progress && size > 0 && segments->len > 1);

  gtk_widget_set_visible (self->pause_button, running || status == DP_APP_ITEM_QUEUED);
  gtk_widget_set_visible (self->resume_button, status == DP_APP_ITEM_PAUSED);
  gtk_widget_set_visible (self->retry_button,
                          status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED);
  gtk_widget_set_visible (self->open_button, finished);
  gtk_widget_set_visible (self->cancel_button,
                          !finished && status != DP_APP_ITEM_CANCELLED && status != DP_APP_ITEM_FAILED);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.pause",
                                 status == DP_APP_ITEM_QUEUED || status == DP_APP_ITEM_CONNECTING ||
                                 status == DP_APP_ITEM_DOWNLOADING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.resume", status == DP_APP_ITEM_PAUSED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.retry",
                                 status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.cancel",
                                 !finished && status != DP_APP_ITEM_CANCELLED &&
                                 status != DP_APP_ITEM_FINISHING && status != DP_APP_ITEM_FAILED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.open", has_file);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.show-in-folder", has_file);
}

static void
on_item_changed (DpAppItem        *item,
                 DpAppDownloadRow *self)
{
  update (self);
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL)
    dp_app_item_pause (self->item);
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL)
    dp_app_item_resume (self->item);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL)
    dp_app_item_cancel (self->item);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL && dp_app_item_get_path (self->item) != NULL)
    dp_app_open_file (GTK_WINDOW (gtk_widget_get_root (widget)), dp_app_item_get_path (self->item));
}

static void
show_in_folder_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL && dp_app_item_get_path (self->item) != NULL)
    dp_app_show_in_folder (GTK_WINDOW (gtk_widget_get_root (widget)),
                           dp_app_item_get_path (self->item));
}

static void
copy_url_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), dp_app_item_get_url (self->item));
  gtk_widget_activate_action (widget, "win.toast", "s", _("Link copied"));
}

typedef struct
{
  DpAppManager *manager;
  DpAppItem *item;
} RemoveRequest;

static void
remove_request_free (RemoveRequest *request)
{
  g_object_unref (request->manager);
  g_object_unref (request->item);
  g_free (request);
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    RemoveRequest    *request)
{
  if (g_str_equal (response, "keep") || g_str_equal (response, "remove"))
    dp_app_manager_remove (request->manager, request->item, FALSE);
  else if (g_str_equal (response, "delete"))
    dp_app_manager_remove (request->manager, request->item, TRUE);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);
  GtkWidget *dialog;
  RemoveRequest *request;
  g_autofree char *body = NULL;
  const char *name;

  if (self->item == NULL || self->manager == NULL)
    return;

  name = dp_app_item_get_display_name (self->item);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Remove Download?"), NULL);

  if (dp_app_item_is_unfinished (self->item))
    {
      /* Translators: %s is a file name. */
      body = g_strdup_printf (_("“%s” will be removed from the list and what was "
                                "downloaded so far will be deleted."),
                              name);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Cancel"),
                                        "remove", _("_Remove"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "remove");
    }
  else
    {
      /* Translators: %s is a file name. */
      body = g_strdup_printf (_("“%s” will be removed from the list. Do you also "
                                "want to delete the file?"),
                              name);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Cancel"),
                                        "delete", _("_Delete File"),
                                        "keep", _("_Keep File"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "keep",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
    }
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  /* The row may be recycled for another item while the dialog is open:
   * the request keeps its own references. */
  request = g_new0 (RemoveRequest, 1);
  request->manager = g_object_ref (self->manager);
  request->item = g_object_ref (self->item);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_remove_response), request,
                         (GClosureNotify) (void (*) (void)) remove_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
dp_app_download_row_dispose (GObject *object)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (object);
  GtkWidget *child;

  dp_app_download_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_DOWNLOAD_ROW);
  /* GTK 4.8 leaves template children without an id in place. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (dp_app_download_row_parent_class)->dispose (object);
}

static void
dp_app_download_row_class_init (DpAppDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_download_row_dispose;

  g_type_ensure (DP_APP_TYPE_SEGMENT_MAP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-download-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, icon);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, segment_map);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, cancel_button);

  gtk_widget_class_install_action (widget_class, "row.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "row.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "row.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "row.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "row.show-in-folder", NULL, show_in_folder_action);
  gtk_widget_class_install_action (widget_class, "row.copy-url", NULL, copy_url_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "downloadrow");
}

static void
dp_app_download_row_init (DpAppDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * dp_app_download_row_new:
 * @manager: (nullable): the list the items belong to, for removing
 *
 * Returns: (transfer floating): a row showing nothing yet
 */
GtkWidget *
dp_app_download_row_new (DpAppManager *manager)
{
  DpAppDownloadRow *self = g_object_new (DP_APP_TYPE_DOWNLOAD_ROW, NULL);

  g_set_object (&self->manager, manager);
  return GTK_WIDGET (self);
}

/* Returns: (transfer none) (nullable): the item shown */
DpAppItem *
dp_app_download_row_get_item (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), NULL);
  return self->item;
}

/**
 * dp_app_download_row_set_item:
 * @item: (nullable): the item to show
 */
void
dp_app_download_row_set_item (DpAppDownloadRow *self,
                              DpAppItem        *item)
{
  g_return_if_fail (DP_APP_IS_DOWNLOAD_ROW (self));
  g_return_if_fail (item == NULL || DP_APP_IS_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_clear_signal_handler (&self->changed_id, self->item);
  g_set_object (&self->item, item);
  if (item != NULL)
    {
      self->changed_id = g_signal_connect (item, "changed", G_CALLBACK (on_item_changed), self);
      update (self);
    }
}

const char *
dp_app_download_row_get_status_text (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

const char *
dp_app_download_row_get_details_text (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), NULL);
  return gtk_label_get_label (self->details_label);
}

double
dp_app_download_row_get_fraction (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), 0);
  return gtk_progress_bar_get_fraction (self->progress_bar);
}
