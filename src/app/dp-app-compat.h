/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * The app builds on GTK 4.8 and libadwaita 1.2 (Debian 12) and on the
 * newest GNOME platform alike. Where a newer version has a better widget
 * or a portal-aware call, it is chosen here, at build time, and nowhere
 * else: the rest of the app calls these functions.
 */

/* A question with buttons: AdwAlertDialog (libadwaita ≥ 1.5), else
 * AdwMessageDialog. Both emit "response" with the response's id. */
GObject *dp_app_alert_new                  (const char            *heading,
                                            const char            *body);
void     dp_app_alert_add_response         (GObject               *alert,
                                            const char            *id,
                                            const char            *label,
                                            AdwResponseAppearance  appearance);
void     dp_app_alert_set_default_response (GObject               *alert,
                                            const char            *id);
void     dp_app_alert_set_response_enabled (GObject               *alert,
                                            const char            *id,
                                            gboolean               enabled);
void     dp_app_alert_set_close_response   (GObject               *alert,
                                            const char            *id);
void     dp_app_alert_set_extra_child      (GObject               *alert,
                                            GtkWidget             *child);
void     dp_app_alert_present              (GObject               *alert,
                                            GtkWidget             *parent);
/* Brings an alert that is already shown to the front. */
void     dp_app_alert_raise                (GObject               *alert);

/* The about dialog: AdwAboutDialog (≥ 1.5), else AdwAboutWindow. The
 * properties the app sets have the same names in both. */
GObject *dp_app_about_new                  (void);
void     dp_app_about_present              (GObject               *about,
                                            GtkWidget             *parent);

/* Opens @file with its default application. */
void     dp_app_launch_file                (GtkWindow             *parent,
                                            GFile                 *file);
/* Opens the folder that holds @file, with @file selected where the file
 * manager can: GtkFileLauncher (GTK ≥ 4.10), else the OpenURI portal's
 * OpenDirectory, else the file manager's ShowItems, else the folder. */
void     dp_app_open_containing_folder     (GtkWindow             *parent,
                                            GFile                 *file);

/* Asks for a folder: GtkFileDialog (GTK ≥ 4.10), else a native file
 * chooser. The result is a #GFile, or an error when cancelled. */
void     dp_app_choose_folder_async        (GtkWindow             *parent,
                                            const char            *title,
                                            GFile                 *initial,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data);
GFile   *dp_app_choose_folder_finish       (GAsyncResult          *result,
                                            GError               **error);

/* Where libadwaita has AdwToolbarView (≥ 1.4), puts the window's bars
 * into one: @box is the window's vertical content box, whose children
 * before @content are bars on top. On 1.2 the box stays as it is. */
void     dp_app_use_toolbar_view           (AdwApplicationWindow  *window,
                                            GtkBox                *box,
                                            GtkWidget             *content);

/* Calls @apply with TRUE when @window becomes narrower than @max_width
 * pixels and with FALSE when it is wide again: an AdwBreakpoint
 * (libadwaita ≥ 1.4), else the window's width as it is allocated. */
typedef void (*DpAppNarrowFunc) (GtkWidget *window,
                                 gboolean   narrow,
                                 gpointer   user_data);
void     dp_app_add_narrow_breakpoint      (AdwApplicationWindow  *window,
                                            int                    max_width,
                                            DpAppNarrowFunc        apply,
                                            gpointer               user_data);

G_END_DECLS
