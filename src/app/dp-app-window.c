/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-download-row.h"
#include "dp-app-window.h"

/*
 * The main window: the list of downloads, or an empty state that says
 * how to add one. Links arrive through the add button, Ctrl+V, or by
 * dropping them anywhere on the window; all three open the add dialog.
 */
struct _DpAppWindow
{
  AdwApplicationWindow parent_instance;

  DpAppManager *manager;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  GtkListView *list_view;

  GtkSliceListModel *slice;  /* what the list view sees of the list */
  guint reveal_tick_id;

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

  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (model) > 0 ? "list" : "empty");
}

static void
on_items_changed (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  DpAppWindow *self)
{
  update_page (self);
}

static gboolean
reveal_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  DpAppWindow *self = DP_APP_WINDOW (widget);
  guint size = gtk_slice_list_model_get_size (self->slice);
  guint n_items = g_list_model_get_n_items (dp_app_manager_get_model (self->manager));

  if (size < n_items)
    size += REVEAL_STEP;
  if (size >= REVEAL_ALL || (size >= n_items && dp_app_manager_get_loaded (self->manager)))
    {
      gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
      self->reveal_tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  gtk_slice_list_model_set_size (self->slice, size);
  return G_SOURCE_CONTINUE;
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           DpAppWindow              *self)
{
  gtk_list_item_set_activatable (list_item, FALSE);
  gtk_list_item_set_selectable (list_item, FALSE);
  gtk_list_item_set_child (list_item, dp_app_download_row_new (self->manager));
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

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         DpAppWindow   *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  /* A dragged link arrives as a URI list from browsers and file
   * managers, as plain text from editors. */
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        {
          g_autofree char *uri = g_file_get_uri (l->data);
          g_string_append_printf (text, "%s\n", uri);
        }
    }
  else if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) != NULL)
    g_string_append (text, g_value_get_string (value));

  if (text->len == 0)
    return FALSE;

  dp_app_window_add_links (self, text->str);
  return TRUE;
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

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  self->slice = gtk_slice_list_model_new (g_object_ref (model), 0, REVEAL_STEP);
  gtk_list_view_set_model (self->list_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->slice)))));
  self->reveal_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), reveal_tick, NULL, NULL);

  g_signal_connect_object (model, "items-changed", G_CALLBACK (on_items_changed), self, 0);
  update_page (self);

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
  g_clear_object (&self->slice);
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
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, power_saver_revealer);
  gtk_widget_class_bind_template_child (widget_class, DpAppWindow, metered_revealer);
  gtk_widget_class_bind_template_callback (widget_class, on_fewer_connections_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_download_anyway_clicked);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste",
                                       NULL);
}

static void
dp_app_window_init (DpAppWindow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_STRING };

  gtk_widget_init_template (GTK_WIDGET (self));

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
