/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef gboolean (*DpAppTestCondition) (gpointer data);

/* Runs the default main context until @condition holds; fails the test
 * after @timeout_s seconds. */
void     dp_app_test_wait_until   (DpAppTestCondition condition,
                                   gpointer           data,
                                   guint              timeout_s);
/* Runs the default main context for @ms milliseconds. */
void     dp_app_test_spin         (guint              ms);
/* Whether a display is there; prints the TAP skip line if not. */
gboolean dp_app_test_have_display (void);

/* The first widget under @root (itself included) of @type whose
 * accessible label is @label, as a screen reader would name it, or of
 * @type alone when @label is %NULL; %NULL when there is none. */
GtkWidget *dp_app_test_find_widget   (GtkWidget  *root,
                                      GType       type,
                                      const char *label);
/* Presents @window, waits until it has the keyboard focus, and types
 * @keys (xdotool's spelling: "ctrl+Return", "Delete") as a keyboard
 * would, through the X server: the event reaches the focused widget
 * through every controller, as a user's key press does. */
void       dp_app_test_send_keys     (GtkWindow  *window,
                                      const char *keys);
/* The first label or inscription under @root that shows @text. */
GtkWidget *dp_app_test_find_text_widget (GtkWidget  *root,
                                         const char *text);
/* The mapped buttons under @root a screen reader could not name (an
 * icon alone, or a mnemonic GTK 4.8 reads twice, and no label of their
 * own), as "Type (tooltip); …"; empty when there is none. */
char      *dp_app_test_dup_unnamed_buttons (GtkWidget *root);
/* The first toplevel window of @type, or %NULL. */
GtkWidget *dp_app_test_find_toplevel (GType       type);

G_END_DECLS
