/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dp-app-download-row.h"
#include "dp-app-file-ops.h"
#include "dp-app-format.h"
#include "dp-app-segment-map.h"
#include "dp-app-speed-limit-dialog.h"
#include "dp-error.h"
#include "dp-http.h"

/*
 * One download in the list. The list view recycles rows, so a row
 * shows whichever item it is bound to and refreshes only when that
 * item reports a change.
 *
 * Progress arrives ten times a second per download. A row passes on
 * only what changed, since every change makes GTK measure or draw
 * again, and waits for a tick shared by all rows, so that the window
 * draws one frame for all running downloads rather than one for each.
 * A new status is shown at once: it answers what the user did.
 */
#define PROGRESS_INTERVAL_MS 100

/* No status shown yet: the next update sets everything. */
#define NO_STATUS ((DpAppItemStatus) -1)

typedef enum
{
  ROW_ACTION_PAUSE = 1 << 0,
  ROW_ACTION_RESUME = 1 << 1,
  ROW_ACTION_RETRY = 1 << 2,
  ROW_ACTION_CANCEL = 1 << 3,
  ROW_ACTION_OPEN = 1 << 4,
  ROW_ACTION_SHOW_IN_FOLDER = 1 << 5,
  ROW_ACTION_ANYWAY = 1 << 6,
  ROW_ACTION_SPEED_LIMIT = 1 << 7,
} RowActions;

static const struct {
  RowActions flag;
  const char *name;
} row_actions[] = {
  { ROW_ACTION_PAUSE, "row.pause" },
  { ROW_ACTION_RESUME, "row.resume" },
  { ROW_ACTION_RETRY, "row.retry" },
  { ROW_ACTION_CANCEL, "row.cancel" },
  { ROW_ACTION_OPEN, "row.open" },
  { ROW_ACTION_SHOW_IN_FOLDER, "row.show-in-folder" },
  { ROW_ACTION_ANYWAY, "row.download-anyway" },
  { ROW_ACTION_SPEED_LIMIT, "row.speed-limit" },
};

struct _DpAppDownloadRow
{
  GtkWidget parent_instance;

  DpAppManager *manager;
  DpAppItem *item;
  gulong changed_id;

  /* What the widgets show, so that an update touches only what differs. */
  DpAppItemStatus shown_status;
  guint64 shown_limit;
  RowActions enabled_actions;
  gboolean pulsing;
  /* In pending_rows, waiting for the shared tick. */
  gboolean progress_pending;

  GtkImage *icon;
  GtkLabel *name_label;
  GtkProgressBar *progress_bar;
  DpAppSegmentMap *segment_map;
  GtkLabel *status_label;
  GtkWidget *insecure_icon;
  GtkLabel *details_label;
  GtkWidget *pause_button;
  GtkWidget *resume_button;
  GtkWidget *retry_button;
  GtkWidget *anyway_button;
  GtkWidget *open_button;
  GtkWidget *cancel_button;
  GtkMenuButton *menu_button;
  GMenuModel *row_menu;
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

/*
 * A limit says why a download is slow, or will be. It goes with the
 * status, whose label gives way in a narrow window, and not with the
 * numbers, which never do: there it would push the row's buttons out.
 */
static char *
format_status (DpAppItem       *item,
               DpAppItemStatus  status,
               guint64          limit)
{
  g_autofree char *text = dp_app_format_status (status, dp_app_item_get_error (item));
  g_autofree char *limited = NULL;

  if (limit == 0 || status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_CANCELLED ||
      status == DP_APP_ITEM_FAILED)
    return g_steal_pointer (&text);

  limited = dp_app_format_speed_limit (limit);
  return g_strdup_printf ("%s · %s", text, limited);
}

/* GtkLabel lays its text out again and queues a resize on every set,
 * even of the same text. */
static void
set_label_if_changed (GtkLabel   *label,
                      const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
}

/* GtkProgressBar allocates its bar again on every set, even to the same
 * place. Setting a fraction also ends the pulsing. */
static void
set_fraction (DpAppDownloadRow *self,
              double            fraction)
{
  if (self->pulsing || gtk_progress_bar_get_fraction (self->progress_bar) != fraction)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  self->pulsing = FALSE;
}

static void
set_actions_enabled (DpAppDownloadRow *self,
                     RowActions        enabled)
{
  RowActions changed = enabled ^ self->enabled_actions;

  for (guint i = 0; i < G_N_ELEMENTS (row_actions); i++)
    if (changed & row_actions[i].flag)
      gtk_widget_action_set_enabled (GTK_WIDGET (self), row_actions[i].name,
                                     (enabled & row_actions[i].flag) != 0);
  self->enabled_actions = enabled;
}

static void
update_status (DpAppDownloadRow *self,
               DpAppItemStatus   status,
               guint64           limit)
{
  DpAppItem *item = self->item;
  g_autofree char *status_text = NULL;
  gboolean running = status_is_running (status);
  gboolean finished = status == DP_APP_ITEM_FINISHED;
  gboolean has_file = finished && dp_app_item_get_path (item) != NULL;
  RowActions enabled = 0;

  status_text = format_status (item, status, limit);
  set_label_if_changed (self->status_label, status_text);
  if (status == DP_APP_ITEM_FAILED)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
    }

  gtk_widget_set_visible (self->pause_button, running || status == DP_APP_ITEM_QUEUED);
  gtk_widget_set_visible (self->resume_button, status == DP_APP_ITEM_PAUSED);
  gtk_widget_set_visible (self->retry_button,
                          status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED);
  /* Skipping a security check is offered where it failed, and shown for
   * as long as it is skipped. */
  gtk_widget_set_visible (self->anyway_button, dp_app_item_get_insecure_failure (item) >= 0);
  gtk_widget_set_visible (self->insecure_icon,
                          dp_app_item_is_insecure (item) && status != DP_APP_ITEM_FAILED);
  gtk_widget_set_visible (self->open_button, finished);
  gtk_widget_set_visible (self->cancel_button,
                          !finished && status != DP_APP_ITEM_CANCELLED && status != DP_APP_ITEM_FAILED);

  if (status == DP_APP_ITEM_QUEUED || status == DP_APP_ITEM_CONNECTING ||
      status == DP_APP_ITEM_DOWNLOADING)
    enabled |= ROW_ACTION_PAUSE;
  if (status == DP_APP_ITEM_PAUSED)
    enabled |= ROW_ACTION_RESUME;
  if (status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED)
    enabled |= ROW_ACTION_RETRY;
  if (dp_app_item_get_insecure_failure (item) >= 0)
    enabled |= ROW_ACTION_ANYWAY;
  if (!finished && status != DP_APP_ITEM_CANCELLED && status != DP_APP_ITEM_FINISHING &&
      status != DP_APP_ITEM_FAILED)
    enabled |= ROW_ACTION_CANCEL;
  if (has_file)
    enabled |= ROW_ACTION_OPEN | ROW_ACTION_SHOW_IN_FOLDER;
  /* A failed or cancelled download may be retried, with its limit. */
  if (!finished)
    enabled |= ROW_ACTION_SPEED_LIMIT;
  set_actions_enabled (self, enabled);

  self->shown_status = status;
  self->shown_limit = limit;
}

static void
update (DpAppDownloadRow *self)
{
  DpAppItem *item = self->item;
  DpAppItemStatus status;
  guint64 limit;
  g_autofree char *details = NULL;
  g_autoptr(GArray) segments = NULL;
  GIcon *icon;
  gint64 size, received;
  gboolean running, show_progress;

  if (item == NULL)
    return;

  status = dp_app_item_get_status (item);
  limit = dp_app_item_get_rate_limit (item);
  size = dp_app_item_get_size (item);
  received = dp_app_item_get_received (item);
  running = status_is_running (status);
  /* A bar tells nothing about a download that failed before any data. */
  show_progress = status != DP_APP_ITEM_FINISHED && status != DP_APP_ITEM_CANCELLED &&
                  !(status == DP_APP_ITEM_FAILED && received == 0);

  set_label_if_changed (self->name_label, dp_app_item_get_display_name (item));
  /* GtkImage loads the icon again on every set. */
  icon = dp_app_item_get_icon (item);
  if (gtk_image_get_gicon (self->icon) != icon)
    gtk_image_set_from_gicon (self->icon, icon);

  if (status != self->shown_status || limit != self->shown_limit)
    update_status (self, status, limit);

  details = format_details (item);
  set_label_if_changed (self->details_label, details);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), show_progress);
  if (size > 0)
    set_fraction (self, CLAMP ((double) received / (double) size, 0, 1));
  else if (running && received > 0)
    {
      gtk_progress_bar_pulse (self->progress_bar);
      self->pulsing = TRUE;
    }
  else
    set_fraction (self, 0);

  segments = dp_app_item_dup_segments (item);
  dp_app_segment_map_set_segments (self->segment_map, segments, size);
  gtk_widget_set_visible (GTK_WIDGET (self->segment_map),
                          show_progress && size > 0 && segments->len > 1);
}

/* Rows with progress to show at the next tick, which all rows share. */
static GPtrArray *pending_rows;
static guint pending_rows_id;

static gboolean
update_pending_rows (gpointer data)
{
  g_autoptr(GPtrArray) rows = g_steal_pointer (&pending_rows);

  pending_rows_id = 0;
  for (guint i = 0; i < rows->len; i++)
    DP_APP_DOWNLOAD_ROW (g_ptr_array_index (rows, i))->progress_pending = FALSE;
  for (guint i = 0; i < rows->len; i++)
    update (g_ptr_array_index (rows, i));
  return G_SOURCE_REMOVE;
}

static void
queue_progress (DpAppDownloadRow *self)
{
  if (self->progress_pending)
    return;
  self->progress_pending = TRUE;
  if (pending_rows == NULL)
    pending_rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (pending_rows, g_object_ref (self));
  if (pending_rows_id == 0)
    pending_rows_id = g_timeout_add (PROGRESS_INTERVAL_MS, update_pending_rows, NULL);
}

static void
cancel_progress (DpAppDownloadRow *self)
{
  if (!self->progress_pending)
    return;
  self->progress_pending = FALSE;
  g_ptr_array_remove_fast (pending_rows, self);
}

static void
on_item_changed (DpAppItem        *item,
                 DpAppDownloadRow *self)
{
  if (dp_app_item_get_status (item) != self->shown_status ||
      dp_app_item_get_rate_limit (item) != self->shown_limit)
    {
      cancel_progress (self);
      update (self);
    }
  else
    queue_progress (self);
}

static gboolean
on_name_query_tooltip (GtkWidget        *widget,
                       int               x,
                       int               y,
                       gboolean          keyboard_mode,
                       GtkTooltip       *tooltip,
                       DpAppDownloadRow *self)
{
  g_autofree char *shown = NULL;

  if (self->item == NULL)
    return FALSE;
  /* A login in the address is nobody else's business on screen. */
  shown = dp_http_redact_address (dp_app_item_get_url (self->item));
  gtk_tooltip_set_text (tooltip, shown);
  return TRUE;
}

/* A failure's reason, or a speed limit, may be cut off in the row. */
static gboolean
on_status_query_tooltip (GtkWidget        *widget,
                         int               x,
                         int               y,
                         gboolean          keyboard_mode,
                         GtkTooltip       *tooltip,
                         DpAppDownloadRow *self)
{
  if (self->item == NULL)
    return FALSE;
  if (self->shown_status != DP_APP_ITEM_FAILED &&
      !pango_layout_is_ellipsized (gtk_label_get_layout (self->status_label)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_label (self->status_label));
  return TRUE;
}

/* The menu is made when first opened: a popover menu is many widgets,
 * and most rows never open theirs. */
static void
create_menu (GtkMenuButton *button,
             gpointer       user_data)
{
  DpAppDownloadRow *self = user_data;

  if (gtk_menu_button_get_popover (button) == NULL)
    gtk_menu_button_set_menu_model (button, self->row_menu);
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

static void
on_anyway_response (AdwMessageDialog *dialog,
                    const char       *response,
                    DpAppItem        *item)
{
  if (g_str_equal (response, "anyway"))
    dp_app_item_allow_insecure (item);
}

static void
download_anyway_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);
  g_autofree char *body = NULL;
  const char *name;
  const char *heading;
  GtkWidget *dialog;

  if (self->item == NULL)
    return;

  name = dp_app_item_get_display_name (self->item);
  switch (dp_app_item_get_insecure_failure (self->item))
    {
    case DP_ERROR_TLS:
      heading = _("Download Without Verifying the Server?");
      /* Translators: %s is a file name. */
      body = g_strdup_printf (_("The server of “%s” could not prove its identity. Someone on "
                                "the network may be posing as it and could change the file. "
                                "Only go on if you trust this network and this server."),
                              name);
      break;
    case DP_ERROR_INSECURE_REDIRECT:
      heading = _("Download Over an Unencrypted Connection?");
      /* Translators: %s is a file name. */
      body = g_strdup_printf (_("The secure address of “%s” sends the download to an "
                                "unencrypted one. Anyone on the network could see or change "
                                "the file on its way."),
                              name);
      break;
    default:
      return;
    }

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "anyway", _("_Download Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "anyway",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_anyway_response),
                         g_object_ref (self->item), (GClosureNotify) g_object_unref, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
speed_limit_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);
  DpAppSpeedLimitDialog *dialog;

  if (self->item == NULL)
    return;
  /* The dialog keeps the item: the row may show another one meanwhile. */
  dialog = dp_app_speed_limit_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), self->item);
  gtk_window_present (GTK_WINDOW (dialog));
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
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, insecure_icon);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, anyway_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, row_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_name_query_tooltip);
  gtk_widget_class_bind_template_callback (widget_class, on_status_query_tooltip);

  gtk_widget_class_install_action (widget_class, "row.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "row.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "row.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "row.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "row.show-in-folder", NULL, show_in_folder_action);
  gtk_widget_class_install_action (widget_class, "row.copy-url", NULL, copy_url_action);
  gtk_widget_class_install_action (widget_class, "row.download-anyway", NULL,
                                   download_anyway_action);
  gtk_widget_class_install_action (widget_class, "row.speed-limit", NULL, speed_limit_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "downloadrow");
}

static void
dp_app_download_row_init (DpAppDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Hidden in the template until its tooltip is set (see there). */
  gtk_widget_set_visible (GTK_WIDGET (self->menu_button), TRUE);
  gtk_menu_button_set_create_popup_func (self->menu_button, create_menu, self, NULL);

  self->shown_status = NO_STATUS;
  /* As GTK installs them. */
  self->enabled_actions = ROW_ACTION_PAUSE | ROW_ACTION_RESUME | ROW_ACTION_RETRY |
                          ROW_ACTION_CANCEL | ROW_ACTION_OPEN | ROW_ACTION_SHOW_IN_FOLDER |
                          ROW_ACTION_ANYWAY | ROW_ACTION_SPEED_LIMIT;
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
  cancel_progress (self);
  g_set_object (&self->item, item);
  self->shown_status = NO_STATUS;
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
