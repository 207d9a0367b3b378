/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dp-app-compat.h"
#include "dp-app-details-window.h"
#include "dp-app-download-row.h"
#include "dp-app-file-ops.h"
#include "dp-app-format.h"
#include "dp-app-segment-map.h"
#include "dp-app-speed-limit-dialog.h"
#include "dp-error.h"
#include "dp-http.h"

/*
 * One download in the list. The list view recycles rows, so a row
 * shows whichever item it is bound to. It follows the item's property
 * notifications, each of which touches only the widgets it concerns;
 * the item notifies progress at most every 100 ms, on a tick shared by
 * all items, so that the window draws one frame for all running
 * downloads. A widget is set only when its value differs: GTK measures
 * or draws again on every set.
 */

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
  ROW_ACTION_TRASH = 1 << 8,
  ROW_ACTION_LOG_IN = 1 << 9,
  ROW_ACTION_UPDATE_ADDRESS = 1 << 10,
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
  { ROW_ACTION_TRASH, "row.trash" },
  { ROW_ACTION_LOG_IN, "row.log-in" },
  { ROW_ACTION_UPDATE_ADDRESS, "row.update-address" },
};

struct _DpAppDownloadRow
{
  GtkWidget parent_instance;

  DpAppManager *manager;
  DpAppItem *item;
  /* In a narrow window: shorter numbers. */
  gboolean compact;
  GBinding *name_binding;
  GBinding *icon_binding;

  /* What the widgets show, so that an update touches only what differs. */
  DpAppItemStatus shown_status;
  gboolean shown_login;  /* the retry button logs in instead */
  char *accessible_label;

  GtkImage *icon;
  GtkLabel *name_label;
  DpAppSegmentMap *bar;
  GtkInscription *status_label;
  GtkWidget *insecure_icon;
  GtkInscription *details_label;
  GtkWidget *pause_button;
  GtkWidget *resume_button;
  GtkWidget *retry_button;
  GtkWidget *open_button;
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

/* What a phone's width has room for beside the status: how far, and
 * how fast while it runs. The header bar says how long for all. */
static char *
format_compact_details (DpAppItem *item)
{
  DpAppItemStatus status = dp_app_item_get_status (item);
  gint64 size = dp_app_item_get_size (item);
  gint64 received = dp_app_item_get_received (item);
  g_autofree char *progress = NULL;
  g_autofree char *speed = NULL;

  if (status == DP_APP_ITEM_CANCELLED || (received == 0 && size < 0))
    return g_strdup ("");

  if (size > 0 && received < size)
    /* Translators: how much of a file is there, in percent. */
    progress = g_strdup_printf (_("%d %%"), (int) (100 * received / size));
  else
    progress = dp_app_format_progress (received, size);
  if (status != DP_APP_ITEM_DOWNLOADING)
    return g_steal_pointer (&progress);

  speed = dp_app_format_speed (dp_app_item_get_speed (item));
  return g_strdup_printf ("%s · %s", progress, speed);
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

/* A limit says why a download is slow, or will be; a finished file
 * that passed a check says so (the details say against what). */
static char *
format_status (DpAppItem *item)
{
  DpAppItemStatus status = dp_app_item_get_status (item);
  guint64 limit = dp_app_item_get_rate_limit (item);
  g_autofree char *text = dp_app_format_status (status, dp_app_item_get_error (item));
  g_autofree char *limited = NULL;

  if (status == DP_APP_ITEM_FINISHED &&
      dp_app_item_get_checksum_result (item) == DP_DOWNLOAD_CHECKSUM_VERIFIED)
    /* Translators: after "Finished" in the list: the file matched its
     * checksum. */
    return g_strdup_printf ("%s · %s", text, _("Verified"));

  if (limit == 0 || status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_CANCELLED ||
      status == DP_APP_ITEM_FAILED)
    return g_steal_pointer (&text);

  limited = dp_app_format_speed_limit (limit);
  return g_strdup_printf ("%s · %s", text, limited);
}

/* A hidden widget is set visible again only when it changes: showing
 * queues a resize even of a visible widget. */
static void
set_visible_if_changed (GtkWidget *widget,
                        gboolean   visible)
{
  if (gtk_widget_get_visible (widget) != visible)
    gtk_widget_set_visible (widget, visible);
}

/* Every action, every time: the state GTK keeps is the only one, so a
 * menu never offers what the row's last update did not decide. */
static void
set_actions_enabled (DpAppDownloadRow *self,
                     RowActions        enabled)
{
  for (guint i = 0; i < G_N_ELEMENTS (row_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), row_actions[i].name,
                                   (enabled & row_actions[i].flag) != 0);
}

static void set_button_label (GtkWidget  *button,
                              const char *format,
                              ...) G_GNUC_PRINTF (2, 3);

static void
set_button_label (GtkWidget  *button,
                  const char *format,
                  ...)
{
  g_autofree char *label = NULL;
  va_list args;

  va_start (args, format);
  label = g_strdup_vprintf (format, args);
  va_end (args);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

/* The row is announced by its file and status; its buttons show only
 * icons, and say which file they act on. */
static void
update_accessible_label (DpAppDownloadRow *self)
{
  g_autofree char *label = NULL;

  if (self->item == NULL)
    return;
  /* Translators: a download in the list: its file name, then its status. */
  label = g_strdup_printf (_("%s, %s"), dp_app_item_get_display_name (self->item),
                           gtk_inscription_get_text (self->status_label));
  if (g_strcmp0 (label, self->accessible_label) == 0)
    return;
  g_free (self->accessible_label);
  self->accessible_label = g_steal_pointer (&label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->accessible_label,
                                  -1);
}

static void
update_name (DpAppDownloadRow *self)
{
  const char *name = dp_app_item_get_display_name (self->item);

  /* Translators: %s is a file name; an icon-only button's name. */
  set_button_label (self->pause_button, _("Pause %s"), name);
  /* Translators: %s is a file name; an icon-only button's name. */
  set_button_label (self->resume_button, _("Resume %s"), name);
  if (self->shown_login)
    /* Translators: %s is a file name; an icon-only button's name. */
    set_button_label (self->retry_button, _("Log In to Download %s"), name);
  else
    /* Translators: %s is a file name; an icon-only button's name. */
    set_button_label (self->retry_button, _("Retry %s"), name);
  /* Translators: %s is a file name; an icon-only button's name. */
  set_button_label (self->open_button, _("Open %s"), name);
  /* Translators: %s is a file name; an icon-only button's name. */
  set_button_label (GTK_WIDGET (self->menu_button), _("More Actions for %s"), name);
  /* Translators: %s is a file name; the name of its progress bar. */
  set_button_label (GTK_WIDGET (self->bar), _("Progress of %s"), name);
  update_accessible_label (self);
}

/* In a narrow window a plain "Downloading" gives its room to the
 * numbers: the bar and the pause button say it already. Screen readers
 * still hear it, with the row's name. */
static void
update_status_shown (DpAppDownloadRow *self)
{
  gboolean plain = dp_app_item_get_status (self->item) == DP_APP_ITEM_DOWNLOADING &&
                   dp_app_item_get_rate_limit (self->item) == 0;

  set_visible_if_changed (GTK_WIDGET (self->status_label), !(self->compact && plain));
}

static void
update_details (DpAppDownloadRow *self)
{
  g_autofree char *details = self->compact ? format_compact_details (self->item)
                                           : format_details (self->item);

  gtk_inscription_set_text (self->details_label, details);
  /* Its room goes to the status, such as the reason of a failure. */
  set_visible_if_changed (GTK_WIDGET (self->details_label), *details != '\0');
}

static void
update_bar (DpAppDownloadRow *self)
{
  DpAppItem *item = self->item;
  DpAppItemStatus status = dp_app_item_get_status (item);
  gint64 size = dp_app_item_get_size (item);
  gint64 received = dp_app_item_get_received (item);
  g_autoptr(GArray) segments = dp_app_item_dup_segments (item);
  /* A bar tells nothing about a download that failed before any data. */
  gboolean show = status != DP_APP_ITEM_FINISHED && status != DP_APP_ITEM_CANCELLED &&
                  !(status == DP_APP_ITEM_FAILED && received == 0);

  set_visible_if_changed (GTK_WIDGET (self->bar), show);
  dp_app_segment_map_set_progress (self->bar, segments, size, received);
  /* Data of an unknown amount: the bar says it arrives. */
  if (size <= 0 && received > 0 && status_is_running (status))
    dp_app_segment_map_pulse (self->bar);
  else
    dp_app_segment_map_stop_pulse (self->bar);
}

static void
update_connections (DpAppDownloadRow *self)
{
  dp_app_segment_map_set_connections (self->bar,
                                      dp_app_item_get_connections (self->item),
                                      dp_app_item_get_active_connections (self->item));
}

/* What the status, an error, a limit or a security choice change. */
static void
update_status (DpAppDownloadRow *self)
{
  DpAppItem *item = self->item;
  DpAppItemStatus status = dp_app_item_get_status (item);
  g_autofree char *status_text = format_status (item);
  gboolean running = status_is_running (status);
  gboolean finished = status == DP_APP_ITEM_FINISHED;
  gboolean has_file = finished && dp_app_item_get_path (item) != NULL;
  gboolean insecure_failure = dp_app_item_get_insecure_failure (item) >= 0;
  RowActions enabled = 0;

  gtk_inscription_set_text (self->status_label, status_text);
  if (status != self->shown_status)
    {
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
    }

  set_visible_if_changed (self->pause_button, running || status == DP_APP_ITEM_QUEUED);
  set_visible_if_changed (self->resume_button, status == DP_APP_ITEM_PAUSED);
  set_visible_if_changed (self->retry_button,
                          status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED);
  /* A server that wants a login: trying again without one is no use,
   * so the same button asks for one. */
  if (dp_app_item_needs_login (item) != self->shown_login)
    {
      self->shown_login = !self->shown_login;
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->retry_button),
                                      self->shown_login ? "row.log-in" : "row.retry");
      gtk_button_set_icon_name (GTK_BUTTON (self->retry_button),
                                self->shown_login ? "dialog-password-symbolic"
                                                  : "view-refresh-symbolic");
      gtk_widget_set_tooltip_text (self->retry_button, self->shown_login ? _("Log In") : _("Retry"));
      update_name (self);
    }
  set_visible_if_changed (self->open_button, has_file);
  /* Shown for as long as a check is skipped. */
  set_visible_if_changed (self->insecure_icon,
                          dp_app_item_is_insecure (item) && status != DP_APP_ITEM_FAILED);

  if (status == DP_APP_ITEM_QUEUED || status == DP_APP_ITEM_CONNECTING ||
      status == DP_APP_ITEM_DOWNLOADING)
    enabled |= ROW_ACTION_PAUSE;
  if (status == DP_APP_ITEM_PAUSED)
    enabled |= ROW_ACTION_RESUME;
  if (status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED)
    enabled |= ROW_ACTION_RETRY;
  /* Skipping a security check is offered only where it failed. */
  if (insecure_failure)
    enabled |= ROW_ACTION_ANYWAY;
  if (dp_app_item_needs_login (item))
    enabled |= ROW_ACTION_LOG_IN;
  if (dp_app_item_can_update_address (item))
    enabled |= ROW_ACTION_UPDATE_ADDRESS;
  if (!finished && status != DP_APP_ITEM_CANCELLED && status != DP_APP_ITEM_FINISHING &&
      status != DP_APP_ITEM_FAILED)
    enabled |= ROW_ACTION_CANCEL;
  if (has_file)
    enabled |= ROW_ACTION_OPEN | ROW_ACTION_SHOW_IN_FOLDER | ROW_ACTION_TRASH;
  /* A failed or cancelled download may be retried, with its limit. */
  if (!finished)
    enabled |= ROW_ACTION_SPEED_LIMIT;
  set_actions_enabled (self, enabled);

  self->shown_status = status;
  update_accessible_label (self);
  update_status_shown (self);
}

static void
on_name_changed (DpAppItem        *item,
                 GParamSpec       *pspec,
                 DpAppDownloadRow *self)
{
  update_name (self);
}

static void
on_status_changed (DpAppItem        *item,
                   GParamSpec       *pspec,
                   DpAppDownloadRow *self)
{
  update_status (self);
  /* The numbers and the bar depend on the status too. */
  update_details (self);
  update_bar (self);
  update_connections (self);
}

static void
on_details_changed (DpAppItem        *item,
                    GParamSpec       *pspec,
                    DpAppDownloadRow *self)
{
  update_details (self);
}

static void
on_progress_changed (DpAppItem        *item,
                     GParamSpec       *pspec,
                     DpAppDownloadRow *self)
{
  update_details (self);
  update_bar (self);
}

static void
on_segments_changed (DpAppItem        *item,
                     GParamSpec       *pspec,
                     DpAppDownloadRow *self)
{
  update_bar (self);
}

static void
on_connections_changed (DpAppItem        *item,
                        GParamSpec       *pspec,
                        DpAppDownloadRow *self)
{
  update_connections (self);
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

/* Whether @text, laid out as @widget would, is wider than it. */
static gboolean
is_cut_off (GtkWidget  *widget,
            const char *text)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width;

  pango_layout_get_pixel_size (layout, &width, NULL);
  return width > gtk_widget_get_width (widget);
}

/* A failure's reason, a speed limit or the numbers may be cut off in
 * a narrow row. */
static gboolean
on_text_query_tooltip (GtkWidget        *widget,
                       int               x,
                       int               y,
                       gboolean          keyboard_mode,
                       GtkTooltip       *tooltip,
                       DpAppDownloadRow *self)
{
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (widget));

  if (self->item == NULL || text == NULL || *text == '\0')
    return FALSE;
  if (!(widget == GTK_WIDGET (self->status_label) && self->shown_status == DP_APP_ITEM_FAILED) &&
      !is_cut_off (widget, text))
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
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

/* At once: the manager offers to undo it. */
static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item == NULL)
    return;
  if (self->manager != NULL)
    dp_app_manager_cancel (self->manager, self->item);
  else
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
on_anyway_response (GObject    *dialog,
                    const char *response,
                    DpAppItem  *item)
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
  GObject *dialog;

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

  dialog = dp_app_alert_new (heading, body);
  dp_app_alert_add_response (dialog, "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT);
  dp_app_alert_add_response (dialog, "anyway", _("_Download Anyway"), ADW_RESPONSE_DESTRUCTIVE);
  dp_app_alert_set_default_response (dialog, "cancel");
  dp_app_alert_set_close_response (dialog, "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_anyway_response),
                         g_object_ref (self->item), (GClosureNotify) g_object_unref, 0);
  dp_app_alert_present (dialog, widget);
}

/* ---- a login for a server that asked for one ------------------------- */

typedef struct
{
  DpAppItem *item;
  GObject *dialog;
  GtkEditable *user;
  GtkEditable *password;
  GtkCheckButton *remember;
} LoginForm;

static void
login_form_free (gpointer data)
{
  LoginForm *form = data;

  g_object_unref (form->item);
  g_free (form);
}

static void
on_login_user_changed (GtkEditable *editable,
                       LoginForm   *form)
{
  g_autofree char *user = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  dp_app_alert_set_response_enabled (form->dialog, "log-in", *user != '\0');
}

static void
on_login_response (GObject    *dialog,
                   const char *response,
                   LoginForm  *form)
{
  g_autofree char *user = NULL;

  if (!g_str_equal (response, "log-in"))
    return;
  user = g_strstrip (g_strdup (gtk_editable_get_text (form->user)));
  if (*user == '\0')
    return;
  dp_app_item_set_login (form->item, user, gtk_editable_get_text (form->password),
                         gtk_check_button_get_active (form->remember));
  dp_app_item_resume (form->item);
}

static void
log_in_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);
  g_autofree char *body = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GUri) uri = NULL;
  const DpRequest *request;
  LoginForm *form;
  GtkWidget *box, *user, *password, *remember;

  if (self->item == NULL || !dp_app_item_needs_login (self->item))
    return;

  uri = g_uri_parse (dp_app_item_get_url (self->item), SOUP_HTTP_URI_FLAGS, NULL);
  host = g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "");
  request = dp_app_item_get_request (self->item);
  if (request != NULL && dp_request_get_user (request) != NULL)
    /* Translators: %s is a server's name. */
    body = g_strdup_printf (_("%s did not accept the user name or password. Check them and "
                              "try again."), host);
  else
    /* Translators: the first %s is a server's name, the second a file name. */
    body = g_strdup_printf (_("%s wants a user name and password for “%s”."), host,
                            dp_app_item_get_display_name (self->item));

  form = g_new0 (LoginForm, 1);
  form->item = g_object_ref (self->item);
  form->dialog = dp_app_alert_new (_("Log In"), body);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  user = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (user), _("User Name"));
  gtk_entry_set_input_purpose (GTK_ENTRY (user), GTK_INPUT_PURPOSE_FREE_FORM);
  gtk_accessible_update_property (GTK_ACCESSIBLE (user), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("User name"), -1);
  password = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (password), TRUE);
  g_object_set (password, "placeholder-text", _("Password"), "activates-default", TRUE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (password), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Password"), -1);
  remember = gtk_check_button_new_with_mnemonic (_("_Remember after Downpour quits"));
  gtk_box_append (GTK_BOX (box), user);
  gtk_box_append (GTK_BOX (box), password);
  gtk_box_append (GTK_BOX (box), remember);
  form->user = GTK_EDITABLE (user);
  form->password = GTK_EDITABLE (password);
  form->remember = GTK_CHECK_BUTTON (remember);
  if (request != NULL && dp_request_get_user (request) != NULL)
    {
      gtk_editable_set_text (form->user, dp_request_get_user (request));
      gtk_check_button_set_active (form->remember, dp_app_item_get_remember_login (self->item));
    }

  dp_app_alert_set_extra_child (form->dialog, box);
  dp_app_alert_add_response (form->dialog, "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT);
  dp_app_alert_add_response (form->dialog, "log-in", _("_Log In"), ADW_RESPONSE_SUGGESTED);
  dp_app_alert_set_default_response (form->dialog, "log-in");
  dp_app_alert_set_close_response (form->dialog, "cancel");
  on_login_user_changed (form->user, form);
  g_signal_connect (user, "changed", G_CALLBACK (on_login_user_changed), form);
  gtk_entry_set_activates_default (GTK_ENTRY (user), TRUE);
  g_signal_connect_data (form->dialog, "response", G_CALLBACK (on_login_response), form,
                         (GClosureNotify) login_form_free, 0);
  dp_app_alert_present (form->dialog, widget);
  gtk_widget_grab_focus (request != NULL && dp_request_get_user (request) != NULL ? password : user);
}

/* ---- a fresh address for an expired link ------------------------------ */

typedef struct
{
  DpAppItem *item;
  GObject *dialog;
  GtkEditable *entry;
  GtkLabel *problem;
} AddressForm;

static void
address_form_free (gpointer data)
{
  AddressForm *form = data;

  g_object_unref (form->item);
  g_free (form);
}

static void
on_address_changed (GtkEditable *editable,
                    AddressForm *form)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *text = gtk_editable_get_text (editable);

  uri = *text != '\0' ? dp_http_parse_url (text, &error) : NULL;
  dp_app_alert_set_response_enabled (form->dialog, "update", uri != NULL);
  gtk_label_set_label (form->problem, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (form->problem), error != NULL);
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (editable), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (editable), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (editable), GTK_ACCESSIBLE_STATE_INVALID,
                               error != NULL ? GTK_ACCESSIBLE_INVALID_TRUE
                                             : GTK_ACCESSIBLE_INVALID_FALSE, -1);
}

static void
on_address_response (GObject     *dialog,
                     const char  *response,
                     AddressForm *form)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *url = NULL;

  if (!g_str_equal (response, "update") || !dp_app_item_can_update_address (form->item))
    return;
  uri = dp_http_parse_url (gtk_editable_get_text (form->entry), NULL);
  if (uri == NULL)
    return;
  url = g_uri_to_string (uri);
  dp_app_item_update_address (form->item, url);
}

static void
update_address_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);
  g_autofree char *body = NULL;
  g_autofree char *have = NULL;
  AddressForm *form;
  GtkWidget *box, *entry, *problem;

  if (self->item == NULL || !dp_app_item_can_update_address (self->item))
    return;

  have = g_format_size ((guint64) dp_app_item_get_received (self->item));
  /* Translators: %s is a file name, then an amount such as "1.2 GB". */
  body = g_strdup_printf (_("Paste a fresh link to “%s”. The download continues from the %s "
                            "already here if the new address has the same file; otherwise "
                            "nothing changes."),
                          dp_app_item_get_display_name (self->item), have);

  form = g_new0 (AddressForm, 1);
  form->item = g_object_ref (self->item);
  form->dialog = dp_app_alert_new (_("Update Address"), body);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_URL);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "https://");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("New address"), -1);
  problem = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (problem), 0);
  gtk_label_set_wrap (GTK_LABEL (problem), TRUE);
  gtk_widget_add_css_class (problem, "error");
  gtk_widget_add_css_class (problem, "caption");
  gtk_widget_set_visible (problem, FALSE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  problem, NULL, -1);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), problem);
  form->entry = GTK_EDITABLE (entry);
  form->problem = GTK_LABEL (problem);

  dp_app_alert_set_extra_child (form->dialog, box);
  dp_app_alert_add_response (form->dialog, "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT);
  dp_app_alert_add_response (form->dialog, "update", _("_Continue"), ADW_RESPONSE_SUGGESTED);
  dp_app_alert_set_default_response (form->dialog, "update");
  dp_app_alert_set_close_response (form->dialog, "cancel");
  dp_app_alert_set_response_enabled (form->dialog, "update", FALSE);
  g_signal_connect (entry, "changed", G_CALLBACK (on_address_changed), form);
  g_signal_connect_data (form->dialog, "response", G_CALLBACK (on_address_response), form,
                         (GClosureNotify) address_form_free, 0);
  dp_app_alert_present (form->dialog, widget);
  gtk_widget_grab_focus (entry);
}

static void
details_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  /* The window keeps the item: the row may show another one meanwhile. */
  if (self->item != NULL)
    dp_app_details_window_show (GTK_WINDOW (gtk_widget_get_root (widget)), self->item);
}

static void
speed_limit_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  /* The dialog keeps the item: the row may show another one meanwhile. */
  if (self->item != NULL)
    dp_app_speed_limit_dialog_present (widget, self->item);
}

/* At once: the manager offers to undo it. An unfinished download's
 * partial file goes with it; a finished one's file stays. */
static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL && self->manager != NULL)
    dp_app_manager_remove (self->manager, self->item, FALSE);
}

static void
trash_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (widget);

  if (self->item != NULL && self->manager != NULL)
    dp_app_manager_remove (self->manager, self->item, TRUE);
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
dp_app_download_row_finalize (GObject *object)
{
  DpAppDownloadRow *self = DP_APP_DOWNLOAD_ROW (object);

  g_free (self->accessible_label);

  G_OBJECT_CLASS (dp_app_download_row_parent_class)->finalize (object);
}

static void
dp_app_download_row_class_init (DpAppDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_download_row_dispose;
  object_class->finalize = dp_app_download_row_finalize;

  g_type_ensure (DP_APP_TYPE_SEGMENT_MAP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-download-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, icon);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, bar);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, insecure_icon);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDownloadRow, row_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_name_query_tooltip);
  gtk_widget_class_bind_template_callback (widget_class, on_text_query_tooltip);

  gtk_widget_class_install_action (widget_class, "row.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "row.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "row.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "row.trash", NULL, trash_action);
  gtk_widget_class_install_action (widget_class, "row.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "row.show-in-folder", NULL, show_in_folder_action);
  gtk_widget_class_install_action (widget_class, "row.copy-url", NULL, copy_url_action);
  gtk_widget_class_install_action (widget_class, "row.download-anyway", NULL,
                                   download_anyway_action);
  gtk_widget_class_install_action (widget_class, "row.log-in", NULL, log_in_action);
  gtk_widget_class_install_action (widget_class, "row.update-address", NULL,
                                   update_address_action);
  gtk_widget_class_install_action (widget_class, "row.speed-limit", NULL, speed_limit_action);
  gtk_widget_class_install_action (widget_class, "row.details", NULL, details_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "downloadrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
dp_app_download_row_init (DpAppDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Hidden in the template until its tooltip is set (see there). */
  gtk_widget_set_visible (GTK_WIDGET (self->menu_button), TRUE);
  gtk_menu_button_set_create_popup_func (self->menu_button, create_menu, self, NULL);

  self->shown_status = NO_STATUS;
  /* GTK installs them enabled; nothing applies until there is an item. */
  set_actions_enabled (self, 0);
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
    {
      g_signal_handlers_disconnect_by_data (self->item, self);
      g_clear_pointer (&self->name_binding, g_binding_unbind);
      g_clear_pointer (&self->icon_binding, g_binding_unbind);
    }
  g_set_object (&self->item, item);
  self->shown_status = NO_STATUS;
  if (item == NULL)
    {
      set_actions_enabled (self, 0);
      return;
    }

  self->name_binding = g_object_bind_property (item, "display-name", self->name_label, "label",
                                               G_BINDING_SYNC_CREATE);
  /* GtkImage looks the icon up again on every set: items share one icon
   * per file type, and the item notifies only a different one. */
  self->icon_binding = g_object_bind_property (item, "icon", self->icon, "gicon",
                                               G_BINDING_SYNC_CREATE);

  g_signal_connect (item, "notify::display-name", G_CALLBACK (on_name_changed), self);
  g_signal_connect (item, "notify::status", G_CALLBACK (on_status_changed), self);
  /* A failure on a security check counts once the item stopped, after
   * its final status. */
  g_signal_connect (item, "notify::running", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::path", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::error", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::rate-limit", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::insecure", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::verified-by", G_CALLBACK (on_status_changed), self);
  g_signal_connect (item, "notify::received", G_CALLBACK (on_progress_changed), self);
  g_signal_connect (item, "notify::size", G_CALLBACK (on_progress_changed), self);
  g_signal_connect (item, "notify::speed", G_CALLBACK (on_details_changed), self);
  g_signal_connect (item, "notify::eta", G_CALLBACK (on_details_changed), self);
  g_signal_connect (item, "notify::segments", G_CALLBACK (on_segments_changed), self);
  g_signal_connect (item, "notify::connections", G_CALLBACK (on_connections_changed), self);
  g_signal_connect (item, "notify::active-connections", G_CALLBACK (on_connections_changed),
                    self);

  update_status (self);
  update_name (self);
  update_details (self);
  update_bar (self);
  update_connections (self);
}

const char *
dp_app_download_row_get_status_text (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), NULL);
  return gtk_inscription_get_text (self->status_label);
}

/**
 * dp_app_download_row_set_compact:
 * @compact: whether the window is narrow
 *
 * Makes the numbers fit a phone's width: the share done and the speed
 * instead of the amounts and the time left.
 */
void
dp_app_download_row_set_compact (DpAppDownloadRow *self,
                                 gboolean          compact)
{
  g_return_if_fail (DP_APP_IS_DOWNLOAD_ROW (self));

  compact = !!compact;
  if (self->compact == compact)
    return;
  self->compact = compact;
  if (self->item != NULL)
    {
      update_details (self);
      update_status_shown (self);
    }
}

gboolean
dp_app_download_row_get_compact (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), FALSE);
  return self->compact;
}

const char *
dp_app_download_row_get_details_text (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), NULL);
  return gtk_inscription_get_text (self->details_label);
}

double
dp_app_download_row_get_fraction (DpAppDownloadRow *self)
{
  g_return_val_if_fail (DP_APP_IS_DOWNLOAD_ROW (self), 0);
  return dp_app_segment_map_get_fraction (self->bar);
}
