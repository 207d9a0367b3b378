/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <adwaita.h>

#include "dp-app-test-util.h"

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
dp_app_test_wait_until (DpAppTestCondition condition,
                        gpointer           data,
                        guint              timeout_s)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, on_timeout, &timed_out);
  /* Conditions may change without an event here (files written by
   * another process): look again every few milliseconds. */
  guint tick_id = g_timeout_add (20, on_tick, NULL);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick_id);
  if (timed_out)
    fail_msg ("timed out after %u s", timeout_s);
  g_source_remove (id);
}

void
dp_app_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

gboolean
dp_app_test_have_display (void)
{
  if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
    return TRUE;
  printf ("1..0 # SKIP no display (install xvfb to run the widget tests)\n");
  return FALSE;
}

GtkWidget *
dp_app_test_find_widget (GtkWidget  *root,
                         GType       type,
                         const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    {
      g_autofree char *mismatch = NULL;

      if (label == NULL)
        return root;
      if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL))
        {
          mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (root),
                                                         GTK_ACCESSIBLE_PROPERTY_LABEL, label);
          if (mismatch == NULL)
            return root;
        }
      /* A control in a preferences row is named by the row's title:
       * libadwaita relates the two, and a label of its own on top would
       * be read twice. */
      else if (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
        {
          GtkWidget *row = gtk_widget_get_ancestor (root, ADW_TYPE_PREFERENCES_ROW);

          if (row != NULL && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), label) == 0)
            return root;
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = dp_app_test_find_widget (child, type, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
dp_app_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}

static gboolean
is_done (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_xdotool_exit (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error))
    fail_msg ("xdotool: %s", error->message);
  *(gboolean *) user_data = TRUE;
}

void
dp_app_test_send_keys (GtkWindow  *window,
                       const char *keys)
{
  g_autoptr(GSubprocess) xdotool = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  gtk_window_present (window);
  dp_app_test_wait_until (window_is_active, window, 10);

  xdotool = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                              "xdotool", "key", "--clearmodifiers", keys, NULL);
  if (xdotool == NULL)
    fail_msg ("xdotool: %s", error->message);
  /* The main loop runs meanwhile: GTK answers the X server while the
   * keys go through. */
  g_subprocess_wait_check_async (xdotool, NULL, on_xdotool_exit, &done);
  dp_app_test_wait_until (is_done, &done, 10);
  /* The key events are queued in the X server by now; one round trip
   * makes sure GTK has read them. */
  gdk_display_sync (gtk_widget_get_display (GTK_WIDGET (window)));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

GtkWidget *
dp_app_test_find_text_widget (GtkWidget  *root,
                              const char *text)
{
  if ((GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (root)), text) == 0) ||
      (GTK_IS_INSCRIPTION (root) &&
       g_strcmp0 (gtk_inscription_get_text (GTK_INSCRIPTION (root)), text) == 0))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = dp_app_test_find_text_widget (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Buttons that show only an icon, with no accessible name: a screen
 * reader would read "GtkImage" for them. */
static gboolean
has_own_name (GtkWidget *widget)
{
  const char *label = GTK_IS_BUTTON (widget) ? gtk_button_get_label (GTK_BUTTON (widget)) : NULL;
  g_autofree char *mismatch = NULL;

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;
  /* A mnemonic label as the name: GTK 4.8 reads it with its underscore
   * and then the text again. */
  if (label == NULL || !gtk_button_get_use_underline (GTK_BUTTON (widget)))
    return TRUE;
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, label);
  return mismatch != NULL;
}

static void
collect_unnamed_buttons (GtkWidget *widget,
                         GString   *unnamed)
{
  /* The inner buttons of a drop-down or a spin button are GTK's. */
  if (GTK_IS_DROP_DOWN (widget) || GTK_IS_SPIN_BUTTON (widget) || !gtk_widget_get_mapped (widget))
    return;
  if ((GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget)) &&
      /* GTK 4.8 relates an icon button to its image, which reads as
       * "GtkImage": only a label of its own names it. */
      !has_own_name (widget))
    {
      const char *tooltip = gtk_widget_get_tooltip_text (widget);
      const char *label = GTK_IS_BUTTON (widget) ? gtk_button_get_label (GTK_BUTTON (widget))
                                                 : gtk_menu_button_get_label (GTK_MENU_BUTTON (widget));

      g_string_append_printf (unnamed, "%s (%s); ", G_OBJECT_TYPE_NAME (widget),
                              tooltip != NULL ? tooltip : label != NULL ? label : "?");
    }
  /* A menu button is named as a whole: its inner button takes the name. */
  if (GTK_IS_MENU_BUTTON (widget))
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_unnamed_buttons (child, unnamed);
}

char *
dp_app_test_dup_unnamed_buttons (GtkWidget *root)
{
  GString *unnamed = g_string_new (NULL);

  collect_unnamed_buttons (root, unnamed);
  return g_string_free (unnamed, FALSE);
}
