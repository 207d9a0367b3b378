/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "dp-app-compat.h"
#include "dp-app-details-window.h"
#include "dp-app-download-row.h"
#include "dp-app-file-ops.h"
#include "dp-app-format.h"
#include "dp-app-window.h"

/*
 * The main window: the list of downloads, or an empty state that says
 * how to add one. Links arrive through the add button, Ctrl+V, or by
 * dropping them anywhere on the window; all three open the add dialog.
 * A Metalink file (.meta4, .metalink) dropped on the window, or opened
 * with Downpour, adds its downloads at once instead.
 *
 * The list can be searched and filtered, and its rows selected: the
 * "items" actions (the context menu, Delete) act on the selection.
 * Removals are undone from a toast; the manager deletes nothing until
 * the toast is gone.
 */

typedef enum
{
  FILTER_ALL,
  FILTER_ACTIVE,
  FILTER_FINISHED,
  FILTER_FAILED,
} Filter;

/* The header's total speed is redrawn at most this often. */
#define SUMMARY_INTERVAL_MS 500
struct _DpAppWindow
{
  AdwApplicationWindow parent_instance;

  DpAppManager *manager;

  GtkBox *content_box;
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkToggleButton *search_button;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkDropDown *filter_dropdown;
  GtkStack *stack;
  GtkListView *list_view;
  GtkWidget *item_menu;      /* a GtkPopoverMenu on the list view */

  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;  /* the list, searched and filtered */
  GtkSliceListModel *slice;  /* what the list view sees of that */
  GtkMultiSelection *selection;
  guint reveal_tick_id;
  gboolean reveal_wait;      /* the list page's first frame has no row yet */
  guint summary_id;
  /* Narrower than NARROW_WIDTH: rows and the header say less. */
  gboolean narrow;
  GArray *held_removals;     /* ids of the removals our toasts offer to undo */

  /* The notices above the list. */
  GtkRevealer *power_saver_revealer;
  GtkRevealer *metered_revealer;
  gboolean power_saver;
  gboolean fewer_connections;
};

/* Connections per download while the system saves power. */
#define POWER_SAVER_CONNECTIONS 4

/* A list view makes a row for every item near the top as soon as it
 * sees them: for a long saved list, a couple of hundred rows and a few
 * hundred milliseconds in one frame before the window shows anything.
 * It sees the list through a slice instead, which grows by REVEAL_STEP
 * items a frame while the list loads, and shows everything once it is
 * longer than a window could show (or the list is loaded). */
#define REVEAL_STEP 24
#define REVEAL_ALL 240

/* The first downloads added to an empty list come the same way, from
 * one row: the frame that replaces the empty page with the list redraws
 * the whole window, and rows made, measured and drawn for the first
 * time in that same frame would double it. Each frame after it shows
 * twice as many rows, up to REVEAL_STEP more a frame. */

G_DEFINE_FINAL_TYPE (DpAppWindow, dp_app_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_POWER_SAVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_page (DpAppWindow *self)
{
  GListModel *model = dp_app_manager_get_model (self->manager);
  const char *page = "list";

  if (g_list_model_get_n_items (model) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0)
    page = "no-results";
  gtk_stack_set_visible_child_name (self->stack, page);
}

static gboolean
matches_filter (gpointer item,
                gpointer user_data)
{
  DpAppWindow *self = user_data;
  DpAppItemStatus status = dp_app_item_get_status (item);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  switch ((Filter) gtk_drop_down_get_selected (self->filter_dropdown))
    {
    case FILTER_ACTIVE:
      if (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED ||
          status == DP_APP_ITEM_CANCELLED)
        return FALSE;
      break;
    case FILTER_FINISHED:
      if (status != DP_APP_ITEM_FINISHED)
        return FALSE;
      break;
    case FILTER_FAILED:
      if (status != DP_APP_ITEM_FAILED)
        return FALSE;
      break;
    case FILTER_ALL:
    default:
      break;
    }

  if (*search != '\0')
    {
      g_autofree char *needle = g_utf8_casefold (search, -1);
      g_autofree char *name = g_utf8_casefold (dp_app_item_get_display_name (item), -1);
      g_autofree char *url = g_utf8_casefold (dp_app_item_get_url (item), -1);

      if (strstr (name, needle) == NULL && strstr (url, needle) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
refilter (DpAppWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_search_changed (DpAppWindow *self)
{
  refilter (self);
}

static void
on_stop_search (DpAppWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
on_filter_selected (DpAppWindow *self)
{
  refilter (self);
}

/* The items the "items" actions act on: the selection, in list order. */
static GPtrArray *
dup_targets (DpAppWindow *self)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  guint position;

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (targets, g_list_model_get_item (G_LIST_MODEL (self->selection), position));
  return targets;
}

static gboolean
is_active (DpAppItemStatus status)
{
  return status == DP_APP_ITEM_QUEUED || status == DP_APP_ITEM_CONNECTING ||
         status == DP_APP_ITEM_DOWNLOADING || status == DP_APP_ITEM_FINISHING;
}

static gboolean
has_file (DpAppItem *item)
{
  return dp_app_item_get_status (item) == DP_APP_ITEM_FINISHED &&
         dp_app_item_get_path (item) != NULL;
}

static void
update_actions (DpAppWindow *self)
{
  g_autoptr(GPtrArray) targets = dup_targets (self);
  gboolean can_pause = FALSE, can_resume = FALSE, can_retry = FALSE, can_open = FALSE;
  DpAppManager *manager = self->manager;

  for (guint i = 0; i < targets->len; i++)
    {
      DpAppItemStatus status = dp_app_item_get_status (targets->pdata[i]);

      can_pause |= is_active (status);
      can_resume |= status == DP_APP_ITEM_PAUSED;
      can_retry |= status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED;
      can_open |= has_file (targets->pdata[i]);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.pause", can_pause);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.resume", can_resume);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.retry", can_retry);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.open", can_open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.show-in-folder", can_open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.trash", can_open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.copy-link", targets->len > 0);
  /* The details of one download at a time. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.details", targets->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "items.remove", targets->len > 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause-all",
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_QUEUED) +
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_CONNECTING) +
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_DOWNLOADING) +
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_FINISHING) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-all",
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_PAUSED) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.clear-finished",
                                 dp_app_manager_count_status (manager, DP_APP_ITEM_FINISHED) > 0);
}

static void
on_statuses_changed (DpAppManager *manager,
                     DpAppWindow  *self)
{
  /* A download that finishes leaves the Active view. */
  if (gtk_drop_down_get_selected (self->filter_dropdown) != FILTER_ALL)
    refilter (self);
  update_actions (self);
}

static void
on_selection_changed (DpAppWindow *self)
{
  update_actions (self);
}

static gboolean
update_summary (gpointer data)
{
  DpAppWindow *self = data;
  GListModel *model = dp_app_manager_get_model (self->manager);
  guint n_items = g_list_model_get_n_items (model);
  g_autofree char *speed_text = NULL;
  g_autofree char *left_text = NULL;
  g_autofree char *subtitle = NULL;
  double speed = 0;
  gint64 remaining = 0;
  gboolean size_known = TRUE;

  if (!dp_app_manager_get_busy (self->manager))
    {
      adw_window_title_set_subtitle (self->window_title, "");
      self->summary_id = 0;
      return G_SOURCE_REMOVE;
    }

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) item = g_list_model_get_item (model, i);
      gint64 size = dp_app_item_get_size (item);

      if (!dp_app_item_is_running (item))
        continue;
      speed += dp_app_item_get_speed (item);
      if (size < 0)
        size_known = FALSE;
      else
        remaining += MAX (size - dp_app_item_get_received (item), 0);
    }

  speed_text = dp_app_format_speed (speed);
  if (size_known && speed > 0)
    left_text = dp_app_format_time_left ((gint64) ((double) remaining / speed));
  if (left_text != NULL && !self->narrow)
    /* Translators: the total speed of all downloads, and the time left
     * for all of them, as in "12.4 MB/s · 2 minutes left". */
    subtitle = g_strdup_printf (_("%s · %s"), speed_text, left_text);
  else
    subtitle = g_steal_pointer (&speed_text);
  if (g_strcmp0 (adw_window_title_get_subtitle (self->window_title), subtitle) != 0)
    adw_window_title_set_subtitle (self->window_title, subtitle);
  return G_SOURCE_CONTINUE;
}

static void
on_busy_changed (DpAppWindow *self)
{
  if (self->summary_id == 0 && dp_app_manager_get_busy (self->manager))
    self->summary_id = g_timeout_add (SUMMARY_INTERVAL_MS, update_summary, self);
  else if (self->summary_id != 0 && !dp_app_manager_get_busy (self->manager))
    {
      g_clear_handle_id (&self->summary_id, g_source_remove);
      adw_window_title_set_subtitle (self->window_title, "");
    }
}

static void
on_toast_dismissed (AdwToast    *toast,
                    DpAppWindow *self)
{
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (toast), "removal-id"));

  /* The window is going: it confirmed its removals already. */
  if (self->held_removals == NULL)
    return;
  for (guint i = 0; i < self->held_removals->len; i++)
    if (g_array_index (self->held_removals, guint, i) == id)
      g_array_remove_index (self->held_removals, i);
  /* After an undo this finds nothing left to do. */
  dp_app_manager_confirm_removal (self->manager, id);
}

static gboolean
on_removal_pending (DpAppManager *manager,
                    guint         id,
                    const char   *title,
                    DpAppWindow  *self)
{
  AdwToast *toast;

  /* Hidden, the window could offer nothing: the manager will wait. */
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    return FALSE;

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-removal");
  adw_toast_set_action_target_value (toast, g_variant_new_uint32 (id));
  /* The newest removal is the one the user may want back. */
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data (G_OBJECT (toast), "removal-id", GUINT_TO_POINTER (id));
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, 0);
  g_array_append_val (self->held_removals, id);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  return TRUE;
}

static void
on_file_error (DpAppManager *manager,
               const char   *message,
               DpAppWindow  *self)
{
  dp_app_window_show_toast (self, message);
}

static gboolean
reveal_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);
  guint size = gtk_slice_list_model_get_size (self->slice);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (self->reveal_wait)
    {
      self->reveal_wait = FALSE;
      return G_SOURCE_CONTINUE;
    }
  if (size < n_items)
    size += CLAMP (size, 1, REVEAL_STEP);
  if (size >= REVEAL_ALL || (size >= n_items && dp_app_manager_get_loaded (self->manager)))
    {
      /* An empty list waits for its first download with an empty slice. */
      if (g_list_model_get_n_items (dp_app_manager_get_model (self->manager)) == 0)
        gtk_slice_list_model_set_size (self->slice, 0);
      else
        gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
      self->reveal_tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  gtk_slice_list_model_set_size (self->slice, size);
  return G_SOURCE_CONTINUE;
}

/* Below this width the rows and the header bar shorten their numbers. */
#define NARROW_WIDTH 500

static void
set_rows_compact (GtkWidget *widget,
                  gboolean   compact)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (DP_APP_IS_DOWNLOAD_ROW (child))
        dp_app_download_row_set_compact (DP_APP_DOWNLOAD_ROW (child), compact);
      else
        set_rows_compact (child, compact);
    }
}

static void
on_narrow (GtkWidget *window,
           gboolean   narrow,
           gpointer   user_data)
{
  DpAppWindow *self = DP_APP_WINDOW (window);

  self->narrow = narrow;
  /* The rows the list view made; it makes new ones through setup_row(). */
  set_rows_compact (GTK_WIDGET (self->list_view), narrow);
  /* The header bar's subtitle follows at its next update. */
}

static void
on_items_changed (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  DpAppWindow *self)
{
  GListModel *all = dp_app_manager_get_model (self->manager);

  update_page (self);
  if (self->reveal_tick_id != 0 || !dp_app_manager_get_loaded (self->manager))
    return;
  /* Empty, the view waits for the next download with an empty slice;
   * the download's row comes a frame after the list page. */
  if (g_list_model_get_n_items (all) == 0)
    gtk_slice_list_model_set_size (self->slice, 0);
  else if (gtk_slice_list_model_get_size (self->slice) == 0)
    {
      self->reveal_wait = TRUE;
      self->reveal_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), reveal_tick, NULL,
                                                           NULL);
    }
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           DpAppWindow              *self)
{
  /* Selectable for the actions on several at once; activating a
   * finished one opens its file. */
  gtk_list_item_set_activatable (list_item, TRUE);
  gtk_list_item_set_selectable (list_item, TRUE);
  gtk_list_item_set_child (list_item, dp_app_download_row_new (self->manager));
  dp_app_download_row_set_compact (DP_APP_DOWNLOAD_ROW (gtk_list_item_get_child (list_item)),
                                   self->narrow);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          DpAppWindow              *self)
{
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (gtk_list_item_get_child (list_item)),
                                gtk_list_item_get_item (list_item));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            DpAppWindow              *self)
{
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (gtk_list_item_get_child (list_item)), NULL);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  dp_app_window_add_links (DP_APP_WINDOW (widget), NULL);
}

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DpAppWindow) self = user_data;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  /* Closed meanwhile: the downloads may go on without a window, but
   * the links have nowhere to go. */
  if (self->manager == NULL)
    return;
  if (text == NULL || *g_strstrip (text) == '\0')
    {
      dp_app_window_show_toast (self, _("The clipboard holds no link"));
      return;
    }
  dp_app_window_add_links (self, text);
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);

  gdk_clipboard_read_text_async (clipboard, NULL, on_clipboard_text, g_object_ref (widget));
}

static void
toast_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  dp_app_window_show_toast (DP_APP_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
undo_removal_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);

  dp_app_manager_undo_removal (self->manager, g_variant_get_uint32 (parameter));
}

static void
pause_all_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  dp_app_manager_pause_all (DP_APP_WINDOW (widget)->manager);
}

static void
resume_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  dp_app_manager_resume_all (DP_APP_WINDOW (widget)->manager);
}

static void
clear_finished_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);
  GListModel *model = dp_app_manager_get_model (self->manager);
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_items = g_list_model_get_n_items (model);

  for (guint i = 0; i < n_items; i++)
    {
      DpAppItem *item = g_list_model_get_item (model, i);

      if (dp_app_item_get_status (item) == DP_APP_ITEM_FINISHED)
        g_ptr_array_add (finished, item);
      else
        g_object_unref (item);
    }
  /* The files stay: this tidies the list, nothing else. */
  dp_app_manager_remove_items (self->manager, finished, FALSE);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Through the application, which knows how to open a file. */
static void
open_path (DpAppWindow *self,
           const char  *action,
           const char  *path)
{
  if (gtk_widget_activate_action (GTK_WIDGET (self), action, "s", path))
    return;
  if (g_str_equal (action, "app.open-file"))
    dp_app_open_file (GTK_WINDOW (self), path);
  else
    dp_app_show_in_folder (GTK_WINDOW (self), path);
}

static void
on_activate (GtkListView *list_view,
             guint        position,
             DpAppWindow *self)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (item != NULL && has_file (item))
    open_path (self, "app.open-file", dp_app_item_get_path (item));
}

static void
items_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);
  g_autoptr(GPtrArray) targets = dup_targets (self);

  if (g_str_equal (action_name, "items.remove") || g_str_equal (action_name, "items.trash"))
    {
      dp_app_manager_remove_items (self->manager, targets,
                                   g_str_equal (action_name, "items.trash"));
      return;
    }

  if (g_str_equal (action_name, "items.details"))
    {
      if (targets->len == 1)
        dp_app_details_window_show (GTK_WINDOW (self), targets->pdata[0]);
      return;
    }

  if (g_str_equal (action_name, "items.copy-link"))
    {
      g_autoptr(GString) links = g_string_new (NULL);

      for (guint i = 0; i < targets->len; i++)
        g_string_append_printf (links, "%s%s", i > 0 ? "\n" : "",
                                dp_app_item_get_url (targets->pdata[i]));
      gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), links->str);
      dp_app_window_show_toast (self, g_dngettext (GETTEXT_PACKAGE, "Link copied", "Links copied",
                                                   targets->len));
      return;
    }

  for (guint i = 0; i < targets->len; i++)
    {
      DpAppItem *item = targets->pdata[i];
      DpAppItemStatus status = dp_app_item_get_status (item);

      if (g_str_equal (action_name, "items.pause"))
        dp_app_item_pause (item);
      else if (g_str_equal (action_name, "items.resume") && status == DP_APP_ITEM_PAUSED)
        dp_app_item_resume (item);
      else if (g_str_equal (action_name, "items.retry") &&
               (status == DP_APP_ITEM_FAILED || status == DP_APP_ITEM_CANCELLED))
        dp_app_item_resume (item);
      else if (g_str_equal (action_name, "items.open") && has_file (item))
        open_path (self, "app.open-file", dp_app_item_get_path (item));
      else if (g_str_equal (action_name, "items.show-in-folder") && has_file (item))
        open_path (self, "app.show-in-folder", dp_app_item_get_path (item));
    }
}

static void
popup_item_menu (DpAppWindow *self,
                 double       x,
                 double       y)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  update_actions (self);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->item_menu), &rect);
  gtk_popover_popup (GTK_POPOVER (self->item_menu));
}

/* The position in the view of the row at @x, @y of the list view. */
static gboolean
row_at (DpAppWindow *self,
        double       x,
        double       y,
        guint       *position)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->list_view), x, y, GTK_PICK_DEFAULT);
  GtkWidget *row;
  DpAppItem *item = NULL;
  guint n_items;

  if (picked == NULL)
    return FALSE;
  row = gtk_widget_get_ancestor (picked, DP_APP_TYPE_DOWNLOAD_ROW);
  /* Between the card's edge and its content: the list's own row. */
  if (row == NULL && gtk_widget_get_first_child (picked) != NULL &&
      DP_APP_IS_DOWNLOAD_ROW (gtk_widget_get_first_child (picked)))
    row = gtk_widget_get_first_child (picked);
  if (row != NULL)
    item = dp_app_download_row_get_item (DP_APP_DOWNLOAD_ROW (row));
  if (item == NULL)
    return FALSE;

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DpAppItem) other = g_list_model_get_item (G_LIST_MODEL (self->selection), i);

      if (other == item)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    DpAppWindow     *self)
{
  guint position;

  if (!row_at (self, x, y, &position))
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);

  /* A click outside the selection acts on that row alone. */
  if (!gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  popup_item_menu (self, x, y);
}

/* The Menu key and Shift+F10: the menu of the focused row (selected
 * alone if it was not), or of the selection. */
static void
menu_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  GtkWidget *list_row = NULL;
  graphene_rect_t bounds;
  double x = 0, y = 0;

  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    if (gtk_widget_get_parent (w) == GTK_WIDGET (self->list_view))
      {
        list_row = w;
        break;
      }

  if (list_row != NULL &&
      gtk_widget_compute_bounds (list_row, GTK_WIDGET (self->list_view), &bounds))
    {
      guint position;

      x = bounds.origin.x + bounds.size.width / 2;
      y = bounds.origin.y + bounds.size.height / 2;
      if (row_at (self, x, y, &position) &&
          !gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
        gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
    }
  popup_item_menu (self, x, y);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         DpAppWindow   *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean opened = FALSE;

  /* A dragged link arrives as a URI list from browsers and file
   * managers, as plain text from editors. */
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        {
          g_autofree char *uri = NULL;

          /* A Metalink file from the file manager says what to download
           * and from where: nothing is left to ask. */
          if (dp_app_window_is_metalink_file (l->data))
            {
              dp_app_window_open_metalink (self, l->data);
              opened = TRUE;
              continue;
            }
          uri = g_file_get_uri (l->data);
          g_string_append_printf (text, "%s\n", uri);
        }
    }
  else if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) != NULL)
    g_string_append (text, g_value_get_string (value));

  if (text->len == 0)
    return opened;

  dp_app_window_add_links (self, text->str);
  return TRUE;
}

/* Metalink files ------------------------------------------------------ */

/**
 * dp_app_window_is_metalink_file:
 * @file: what was dropped or opened
 *
 * Returns: whether @file is a local file named like a Metalink document
 *   (.meta4 or .metalink), which dp_app_window_open_metalink() reads
 */
gboolean
dp_app_window_is_metalink_file (GFile *file)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if (!g_file_is_native (file))
    return FALSE;
  path = g_file_get_path (file);
  return path != NULL && dp_metalink_is_name (path);
}

typedef struct
{
  DpAppWindow *window;
  GFile *file;
} OpenMetalink;

static void
open_metalink_free (OpenMetalink *job)
{
  g_object_unref (job->window);
  g_object_unref (job->file);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenMetalink, open_metalink_free)

static void
on_metalink_added (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(OpenMetalink) job = user_data;
  DpAppWindow *self = job->window;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (job->file);
  g_autofree char *display = g_filename_display_name (name);

  items = dp_app_manager_add_metalink_finish (DP_APP_MANAGER (source), result, &error);
  /* The window may have been closed meanwhile; the downloads were added
   * to the list all the same. */
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    {
      if (error != NULL)
        g_warning ("%s: %s", display, error->message);
      return;
    }

  if (items == NULL)
    {
      g_autofree char *heading = NULL;
      GObject *alert;

      /* Translators: %s is the name of a file the user opened. */
      heading = g_strdup_printf (_("Cannot Open “%s”"), display);
      alert = dp_app_alert_new (heading, error->message);
      dp_app_alert_add_response (alert, "close", _("_Close"), ADW_RESPONSE_DEFAULT);
      dp_app_alert_set_default_response (alert, "close");
      dp_app_alert_set_close_response (alert, "close");
      dp_app_alert_present (alert, GTK_WIDGET (self));
      return;
    }

  {
    g_autofree char *title = NULL;

    /* Translators: %u is a number of downloads, %s the name of the
     * Metalink file they come from. */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Added %u download from “%s”",
                                          "Added %u downloads from “%s”", items->len),
                             items->len, display);
    dp_app_window_show_toast (self, title);
  }
}

/**
 * dp_app_window_open_metalink:
 * @file: a Metalink document on disk
 *
 * Reads @file and adds a download for each file it describes, queued,
 * in the default folder; says how many, or why none, when it is done.
 */
void
dp_app_window_open_metalink (DpAppWindow *self,
                             GFile       *file)
{
  OpenMetalink *job;

  g_return_if_fail (DP_APP_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  job = g_new0 (OpenMetalink, 1);
  job->window = g_object_ref (self);
  job->file = g_object_ref (file);
  dp_app_manager_add_metalink_async (self->manager, file, TRUE, NULL, on_metalink_added, job);
}

/* Notices ------------------------------------------------------------ */

static void
update_power_saver_notice (DpAppWindow *self)
{
  /* Once acted on, it has said what it had to say. */
  gtk_revealer_set_reveal_child (self->power_saver_revealer,
                                 self->power_saver && !self->fewer_connections);
}

static void
on_fewer_connections_clicked (DpAppWindow *self)
{
  dp_app_manager_use_fewer_connections (self->manager, POWER_SAVER_CONNECTIONS);
  self->fewer_connections = TRUE;
  update_power_saver_notice (self);
}

static void
on_download_anyway_clicked (DpAppWindow *self)
{
  /* For this session: the preference stays as the user set it. */
  g_object_set (self->manager, "download-on-metered", TRUE, NULL);
}

static void
dp_app_window_constructed (GObject *object)
{
  DpAppWindow *self = DP_APP_WINDOW (object);
  GListModel *model = dp_app_manager_get_model (self->manager);
  g_autoptr(GtkListItemFactory) factory = NULL;

  G_OBJECT_CLASS (dp_app_window_parent_class)->constructed (object);

  self->filter = gtk_custom_filter_new (matches_filter, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (model),
                                              g_object_ref (GTK_FILTER (self->filter)));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  self->slice = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered)), 0,
                                          REVEAL_STEP);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->slice)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  self->reveal_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), reveal_tick, NULL, NULL);

  g_signal_connect_object (model, "items-changed", G_CALLBACK (on_items_changed), self, 0);
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (on_items_changed), self,
                           0);
  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "statuses-changed", G_CALLBACK (on_statuses_changed),
                           self, 0);
  g_signal_connect_object (self->manager, "removal-pending", G_CALLBACK (on_removal_pending),
                           self, 0);
  g_signal_connect_object (self->manager, "file-error", G_CALLBACK (on_file_error), self, 0);
  g_signal_connect_object (self->manager, "notify::busy", G_CALLBACK (on_busy_changed), self,
                           G_CONNECT_SWAPPED);
  update_page (self);
  update_actions (self);
  on_busy_changed (self);

  g_object_bind_property (self->manager, "paused-on-metered", self->metered_revealer,
                          "reveal-child", G_BINDING_SYNC_CREATE);
}

static void
dp_app_window_dispose (GObject *object)
{
  DpAppWindow *self = DP_APP_WINDOW (object);

  if (self->reveal_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->reveal_tick_id);
      self->reveal_tick_id = 0;
    }
  g_clear_handle_id (&self->summary_id, g_source_remove);
  /* Closing the window is as good as letting each toast time out. */
  if (self->held_removals != NULL && self->manager != NULL)
    {
      g_autoptr(GArray) held = g_steal_pointer (&self->held_removals);

      for (guint i = 0; i < held->len; i++)
        dp_app_manager_confirm_removal (self->manager, g_array_index (held, guint, i));
    }
  g_clear_pointer (&self->held_removals, g_array_unref);
  g_clear_pointer (&self->item_menu, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->slice);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_WINDOW);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (dp_app_window_parent_class)->dispose (object);
}

static void
dp_app_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DpAppWindow *self = DP_APP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    case PROP_POWER_SAVER:
      g_value_set_boolean (value, self->power_saver);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_app_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DpAppWindow *self = DP_APP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;
    case PROP_POWER_SAVER:
      if (self->power_saver != g_value_get_boolean (value))
        {
          self->power_saver = g_value_get_boolean (value);
          update_power_saver_notice (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static const char * const item_actions[] = {
  "items.pause", "items.resume", "items.retry", "items.open", "items.show-in-folder",
  "items.copy-link", "items.remove", "items.trash", "items.details",
};

static void
dp_app_window_class_init (DpAppWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dp_app_window_constructed;
  object_class->dispose = dp_app_window_dispose;
  object_class->get_property = dp_app_window_get_property;
  object_class->set_property = dp_app_window_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, DP_APP_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* GPowerProfileMonitor:power-saver-enabled, bound by the application:
   * the window offers to use fewer connections. */
  properties[PROP_POWER_SAVER] =
    g_param_spec_boolean ("power-saver", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, filter_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_activate);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, power_saver_revealer);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, metered_revealer);
  gtk_widget_class_bind_template_callback (widget_class, on_fewer_connections_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_download_anyway_clicked);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_install_action (widget_class, "win.undo-removal", "u", undo_removal_action);
  gtk_widget_class_install_action (widget_class, "win.pause-all", NULL, pause_all_action);
  gtk_widget_class_install_action (widget_class, "win.resume-all", NULL, resume_all_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished", NULL,
                                   clear_finished_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  for (guint i = 0; i < G_N_ELEMENTS (item_actions); i++)
    gtk_widget_class_install_action (widget_class, item_actions[i], NULL, items_action);
  gtk_widget_class_install_action (widget_class, "items.menu", NULL, menu_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste",
                                       NULL);
}

static void
dp_app_window_init (DpAppWindow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_STRING };

  GtkEventController *keys;
  GtkGesture *click;
  g_autoptr(GtkBuilder) builder = NULL;
  static const struct {
    guint key;
    GdkModifierType mods;
    const char *action;
  } list_keys[] = {
    { GDK_KEY_Delete, 0, "items.remove" },
    { GDK_KEY_KP_Delete, 0, "items.remove" },
    { GDK_KEY_Menu, 0, "items.menu" },
    { GDK_KEY_F10, GDK_SHIFT_MASK, "items.menu" },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  dp_app_use_toolbar_view (ADW_APPLICATION_WINDOW (self), self->content_box,
                           GTK_WIDGET (self->toast_overlay));
  dp_app_add_narrow_breakpoint (ADW_APPLICATION_WINDOW (self), NARROW_WIDTH, on_narrow, NULL);
  self->held_removals = g_array_new (FALSE, FALSE, sizeof (guint));

  g_object_bind_property (self->search_button, "active", self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  builder = gtk_builder_new_from_resource ("/io/github/downpour/Downpour/dp-app-window-menus.ui");
  self->item_menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (gtk_builder_get_object (builder, "item_menu")));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->item_menu), FALSE);
  gtk_widget_set_halign (self->item_menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->item_menu, GTK_WIDGET (self->list_view));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), GTK_EVENT_CONTROLLER (click));

  /* On the list only: in the search entry, Delete deletes text. */
  keys = gtk_shortcut_controller_new ();
  for (guint i = 0; i < G_N_ELEMENTS (list_keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (list_keys[i].key,
                                                                                    list_keys[i].mods),
                                                            gtk_named_action_new (list_keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), keys);

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self->toast_overlay), GTK_EVENT_CONTROLLER (target));
}

/**
 * dp_app_window_new:
 *
 * Returns: (transfer full): a window showing the downloads of @manager
 */
DpAppWindow *
dp_app_window_new (GtkApplication *application,
                   DpAppManager   *manager)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (DP_APP_IS_MANAGER (manager), NULL);

  return g_object_new (DP_APP_TYPE_WINDOW,
                       "application", application,
                       "manager", manager,
                       NULL);
}

/* Returns: (transfer none): the list shown */
DpAppManager *
dp_app_window_get_manager (DpAppWindow *self)
{
  g_return_val_if_fail (DP_APP_IS_WINDOW (self), NULL);
  return self->manager;
}

/**
 * dp_app_window_add_links:
 * @text: (nullable): links to fill in, one per line
 *
 * Opens the add dialog.
 *
 * Returns: (transfer none): the dialog
 */
DpAppAddDialog *
dp_app_window_add_links (DpAppWindow *self,
                         const char  *text)
{
  DpAppAddDialog *dialog;

  g_return_val_if_fail (DP_APP_IS_WINDOW (self), NULL);

  dialog = dp_app_add_dialog_new (GTK_WINDOW (self), self->manager);
  if (text != NULL)
    dp_app_add_dialog_set_text (dialog, text);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

void
dp_app_window_show_toast (DpAppWindow *self,
                          const char  *title)
{
  g_return_if_fail (DP_APP_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

/* Returns: (transfer none): the list view, for the tests */
GtkWidget *
dp_app_window_get_list_view (DpAppWindow *self)
{
  g_return_val_if_fail (DP_APP_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->list_view);
}

/* Returns: "empty" or "list" */
const char *
dp_app_window_get_visible_page (DpAppWindow *self)
{
  g_return_val_if_fail (DP_APP_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}
