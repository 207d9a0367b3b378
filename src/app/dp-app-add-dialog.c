/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-add-dialog.h"
#include "dp-app-compat.h"
#include "dp-checksum.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-request.h"

/*
 * Asks for links, one per line, and how to download them. Lines that are
 * not usable addresses are underlined where they are and explained below
 * the text; the valid ones can still be added.
 *
 * A single link may come with more addresses of the same file
 * (mirrors), one per line too. They are checked as the engine checks
 * them; a bad one keeps Add off, since leaving it out would quietly
 * give a download other than the one asked for.
 */
struct _DpAppAddDialog
{
  AdwWindow parent_instance;

  DpAppManager *manager;
  char *folder;
  GCancellable *choosing;  /* while the folder chooser is open */

  GPtrArray *valid;       /* of char *, normalised addresses */
  GArray *invalid_lines;  /* of int, 0-based */
  guint validate_idle_id;
  gboolean checksum_ok;
  char *checksum_problem;
  DpRequest *request;     /* what the advanced fields say, or NULL */
  char *suggested_name;   /* the browser's name for a handed-over file */
  char *request_problem;  /* why they cannot be used, or NULL */
  GPtrArray *mirrors;     /* of char *, normalised, for the single link */
  GArray *invalid_mirror_lines;  /* of int, 0-based */
  gboolean mirrors_without_link; /* mirrors given with several links */

  GtkTextView *text_view;
  GtkTextTag *invalid_tag;
  GtkLabel *problems_label;
  GtkWidget *add_button;
  AdwActionRow *folder_row;
  GtkSwitch *automatic_switch;
  GtkSpinButton *segments_spin;
  AdwEntryRow *checksum_row;
  GtkSwitch *start_switch;
  AdwExpanderRow *advanced_row;
  AdwEntryRow *user_row;
  AdwEntryRow *password_row;
  GtkSwitch *remember_switch;
  AdwEntryRow *cookies_row;
  AdwEntryRow *referrer_row;
  AdwEntryRow *user_agent_row;
  GtkTextView *headers_view;
  AdwExpanderRow *mirrors_row;
  GtkTextView *mirrors_view;
  GtkTextTag *mirror_invalid_tag;
};

G_DEFINE_FINAL_TYPE (DpAppAddDialog, dp_app_add_dialog, ADW_TYPE_WINDOW)

/* Returns: (transfer full) (nullable): "ALGO:HEX", or %NULL when the
 * entry is empty or not a checksum (@error says why then) */
static char *
parse_checksum (const char  *text,
                GError     **error)
{
  g_autoptr(DpChecksum) checksum = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));

  if (*trimmed == '\0')
    return NULL;
  checksum = dp_checksum_parse (trimmed, error);
  return checksum != NULL ? dp_checksum_to_string (checksum) : NULL;
}

static void
update_sensitivity (DpAppAddDialog *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "add.add", dp_app_add_dialog_can_add (self));

  /* One checksum describes one file. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->checksum_row), self->valid->len <= 1);
}

static char *
line_text (GtkTextBuffer *buffer,
           int            line,
           GtkTextIter   *line_start,
           GtkTextIter   *line_end)
{
  gtk_text_buffer_get_iter_at_line (buffer, line_start, line);
  *line_end = *line_start;
  if (!gtk_text_iter_ends_line (line_end))
    gtk_text_iter_forward_to_line_end (line_end);
  return g_strstrip (gtk_text_buffer_get_text (buffer, line_start, line_end, FALSE));
}

/* The more addresses for the single link: each checked as the engine
 * will check it when the download is made, against that link; the
 * reasons go to @problems. */
static void
validate_mirrors (DpAppAddDialog *self,
                  GString        *problems)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->mirrors_view);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(DpDownload) check = NULL;
  GtkTextIter start, end;
  int n_lines;

  g_ptr_array_set_size (self->mirrors, 0);
  g_array_set_size (self->invalid_mirror_lines, 0);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag (buffer, self->mirror_invalid_tag, &start, &end);

  if (self->valid->len == 1)
    check = dp_download_new (g_ptr_array_index (self->valid, 0));

  n_lines = gtk_text_buffer_get_line_count (buffer);
  for (int line = 0; line < n_lines; line++)
    {
      GtkTextIter line_start, line_end;
      g_autofree char *text = line_text (buffer, line, &line_start, &line_end);
      g_autoptr(GUri) uri = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      if (*text == '\0')
        continue;

      uri = dp_http_parse_url (text, &error);
      if (uri != NULL)
        {
          url = g_uri_to_string (uri);
          if (g_hash_table_contains (seen, url))
            g_set_error_literal (&error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                                 _("This link is already in the list above."));
          else if (check == NULL || dp_download_add_mirror (check, url, &error))
            {
              g_hash_table_add (seen, url);
              g_ptr_array_add (self->mirrors, g_steal_pointer (&url));
              continue;
            }
        }

      g_array_append_val (self->invalid_mirror_lines, line);
      gtk_text_buffer_apply_tag (buffer, self->mirror_invalid_tag, &line_start, &line_end);
      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      /* Translators: %d is a line number in the box of more addresses
       * for the file, %s the reason it cannot be used. */
      g_string_append_printf (problems, _("More addresses, line %d: %s"), line + 1, error->message);
    }

  self->mirrors_without_link = self->valid->len > 1 &&
                               (self->mirrors->len > 0 || self->invalid_mirror_lines->len > 0);
  if (self->mirrors_without_link)
    {
      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      g_string_append (problems, _("More addresses belong to a single link. Remove the other "
                                   "links, or clear “More Addresses for This File”."));
    }

  gtk_accessible_update_state (GTK_ACCESSIBLE (self->mirrors_view), GTK_ACCESSIBLE_STATE_INVALID,
                               self->invalid_mirror_lines->len > 0 || self->mirrors_without_link
                               ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
  /* Where the problem is stays in view. */
  if (self->invalid_mirror_lines->len > 0 || self->mirrors_without_link)
    adw_expander_row_set_expanded (self->mirrors_row, TRUE);
}

static void
validate (DpAppAddDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GtkTextIter start, end;
  int n_lines;

  g_ptr_array_set_size (self->valid, 0);
  g_array_set_size (self->invalid_lines, 0);

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag (buffer, self->invalid_tag, &start, &end);

  n_lines = gtk_text_buffer_get_line_count (buffer);
  for (int line = 0; line < n_lines; line++)
    {
      GtkTextIter line_start, line_end;
      g_autofree char *text = line_text (buffer, line, &line_start, &line_end);
      g_autoptr(GUri) uri = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *reason = NULL;
      char *url;

      if (*text == '\0')
        continue;

      uri = dp_http_parse_url (text, &error);
      if (uri != NULL)
        {
          url = g_uri_to_string (uri);
          if (!g_hash_table_contains (seen, url))
            {
              g_hash_table_add (seen, url);
              g_ptr_array_add (self->valid, url);
              continue;
            }
          g_free (url);
          reason = g_strdup (_("This link is already in the list above."));
        }
      else
        reason = g_strdup (error->message);

      g_array_append_val (self->invalid_lines, line);
      gtk_text_buffer_apply_tag (buffer, self->invalid_tag, &line_start, &line_end);
      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      /* Translators: %d is a line number, %s the reason it is not used. */
      g_string_append_printf (problems, _("Line %d: %s"), line + 1, reason);
    }

  validate_mirrors (self, problems);

  if (!self->checksum_ok)
    {
      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      g_string_append (problems, self->checksum_problem);
    }
  if (self->request_problem != NULL)
    {
      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      g_string_append (problems, self->request_problem);
    }

  gtk_label_set_label (self->problems_label, problems->str);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_label), problems->len > 0);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->text_view), GTK_ACCESSIBLE_STATE_INVALID,
                               self->invalid_lines->len > 0 ? GTK_ACCESSIBLE_INVALID_TRUE
                                                            : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
  update_sensitivity (self);
}

static gboolean
validate_idle (gpointer data)
{
  DpAppAddDialog *self = data;

  self->validate_idle_id = 0;
  validate (self);
  return G_SOURCE_REMOVE;
}

static void
on_buffer_changed (GtkTextBuffer  *buffer,
                   DpAppAddDialog *self)
{
  /* Validating once per main loop iteration keeps typing smooth and a
   * paste of thousands of lines one pass. */
  if (self->validate_idle_id == 0)
    self->validate_idle_id = g_idle_add (validate_idle, self);
}

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
mark_row (GtkWidget *row,
          gboolean   bad)
{
  if (bad)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

/* Builds the request from the advanced fields, each checked as the
 * engine checks it; the first field that is wrong is marked and said. */
static void
on_request_changed (DpAppAddDialog *self)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *headers = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->headers_view);
  GtkTextIter start, end;
  GtkWidget *bad = NULL;
  g_autofree char *user = g_strstrip (g_strdup (entry_text (self->user_row)));
  g_autofree char *referrer = g_strstrip (g_strdup (entry_text (self->referrer_row)));

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  headers = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  if (*user != '\0')
    dp_request_set_login (request, user, entry_text (self->password_row));
  if (!dp_request_add_cookies (request, entry_text (self->cookies_row), &error))
    bad = GTK_WIDGET (self->cookies_row);
  else if (!dp_request_set_referrer (request, referrer, &error))
    bad = GTK_WIDGET (self->referrer_row);
  else if (!dp_request_set_user_agent (request, entry_text (self->user_agent_row), &error))
    bad = GTK_WIDGET (self->user_agent_row);
  else
    {
      g_auto(GStrv) lines = g_strsplit (headers, "\n", -1);

      for (guint i = 0; lines[i] != NULL && bad == NULL; i++)
        {
          g_strstrip (lines[i]);
          if (*lines[i] != '\0' && !dp_request_add_header (request, lines[i], &error))
            bad = GTK_WIDGET (self->headers_view);
        }
    }

  mark_row (GTK_WIDGET (self->cookies_row), bad == GTK_WIDGET (self->cookies_row));
  mark_row (GTK_WIDGET (self->referrer_row), bad == GTK_WIDGET (self->referrer_row));
  mark_row (GTK_WIDGET (self->user_agent_row), bad == GTK_WIDGET (self->user_agent_row));
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->headers_view), GTK_ACCESSIBLE_STATE_INVALID,
                               bad == GTK_WIDGET (self->headers_view) ? GTK_ACCESSIBLE_INVALID_TRUE
                                                                      : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);

  g_clear_pointer (&self->request_problem, g_free);
  g_clear_pointer (&self->request, dp_request_free);
  if (bad != NULL)
    {
      self->request_problem = g_strdup (error->message);
      /* Where the problem is stays in view. */
      adw_expander_row_set_expanded (self->advanced_row, TRUE);
    }
  else if (!dp_request_is_empty (request))
    self->request = g_steal_pointer (&request);
  validate (self);
}

static void
on_checksum_changed (DpAppAddDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;

  checksum = parse_checksum (gtk_editable_get_text (GTK_EDITABLE (self->checksum_row)), &error);
  self->checksum_ok = error == NULL;
  g_clear_pointer (&self->checksum_problem, g_free);
  if (error != NULL)
    self->checksum_problem = g_strdup (error->message);

  if (self->checksum_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->checksum_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->checksum_row), "error");
  validate (self);
}

static void
on_folder_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DpAppAddDialog) self = user_data;
  g_autoptr(GFile) folder = dp_app_choose_folder_finish (result, NULL);
  g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

  g_clear_object (&self->choosing);
  if (path != NULL)
    dp_app_add_dialog_set_folder (self, path);
}

static void
on_folder_row_activated (DpAppAddDialog *self)
{
  g_autoptr(GFile) current = NULL;

  if (self->choosing != NULL)
    return;

  /* Through the portal inside a sandbox. */
  self->choosing = g_cancellable_new ();
  current = g_file_new_for_path (self->folder);
  dp_app_choose_folder_async (GTK_WINDOW (self), _("Choose a Folder"), current, self->choosing,
                              on_folder_chosen, g_object_ref (self));
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  DpAppAddDialog *self = DP_APP_ADD_DIALOG (widget);

  if (dp_app_add_dialog_add (self) > 0)
    gtk_window_close (GTK_WINDOW (self));
}

static void
dp_app_add_dialog_dispose (GObject *object)
{
  DpAppAddDialog *self = DP_APP_ADD_DIALOG (object);

  g_clear_handle_id (&self->validate_idle_id, g_source_remove);
  g_cancellable_cancel (self->choosing);
  g_clear_object (&self->manager);
  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_ADD_DIALOG);

  G_OBJECT_CLASS (dp_app_add_dialog_parent_class)->dispose (object);
}

static void
dp_app_add_dialog_finalize (GObject *object)
{
  DpAppAddDialog *self = DP_APP_ADD_DIALOG (object);

  g_free (self->folder);
  g_free (self->checksum_problem);
  g_free (self->request_problem);
  g_free (self->suggested_name);
  g_clear_pointer (&self->request, dp_request_free);
  g_ptr_array_unref (self->valid);
  g_array_unref (self->invalid_lines);
  g_ptr_array_unref (self->mirrors);
  g_array_unref (self->invalid_mirror_lines);

  G_OBJECT_CLASS (dp_app_add_dialog_parent_class)->finalize (object);
}

static void
dp_app_add_dialog_class_init (DpAppAddDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_add_dialog_dispose;
  object_class->finalize = dp_app_add_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-add-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, text_view);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, problems_label);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, automatic_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, segments_spin);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, checksum_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, start_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, cookies_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, referrer_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, user_agent_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, headers_view);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, mirrors_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppAddDialog, mirrors_view);
  gtk_widget_class_bind_template_callback (widget_class, on_request_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_checksum_changed);

  gtk_widget_class_install_action (widget_class, "add.add", NULL, add_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* Ctrl+Return adds, wherever the focus is. The window's own key bindings
 * come too late for that: they run after the focused widget had the
 * key, and the links box takes Ctrl+Return as a new line. A controller
 * in the capture phase sees the key before the links box does. */
static void
add_capture_shortcuts (DpAppAddDialog *self)
{
  static const guint keys[] = { GDK_KEY_Return, GDK_KEY_KP_Enter, GDK_KEY_ISO_Enter };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_name (controller, "add-shortcuts");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller), GTK_SHORTCUT_SCOPE_LOCAL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i],
                                                                                    GDK_CONTROL_MASK),
                                                            gtk_named_action_new ("add.add")));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
dp_app_add_dialog_init (DpAppAddDialog *self)
{
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  add_capture_shortcuts (self);

  self->valid = g_ptr_array_new_with_free_func (g_free);
  self->invalid_lines = g_array_new (FALSE, FALSE, sizeof (int));
  self->mirrors = g_ptr_array_new_with_free_func (g_free);
  self->invalid_mirror_lines = g_array_new (FALSE, FALSE, sizeof (int));
  self->checksum_ok = TRUE;

  buffer = gtk_text_view_get_buffer (self->text_view);
  self->invalid_tag = gtk_text_buffer_create_tag (buffer, "invalid",
                                                  "underline", PANGO_UNDERLINE_ERROR,
                                                  NULL);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (on_buffer_changed), self, 0);
  buffer = gtk_text_view_get_buffer (self->mirrors_view);
  self->mirror_invalid_tag = gtk_text_buffer_create_tag (buffer, "invalid",
                                                         "underline", PANGO_UNDERLINE_ERROR,
                                                         NULL);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (on_buffer_changed), self, 0);
  g_signal_connect_object (gtk_text_view_get_buffer (self->headers_view), "changed",
                           G_CALLBACK (on_request_changed), self, G_CONNECT_SWAPPED);
  validate (self);
}

/**
 * dp_app_add_dialog_new:
 * @parent: (nullable): the window the dialog belongs to
 * @manager: the list to add to
 *
 * Returns: (transfer full): the dialog, with the defaults of @manager
 */
DpAppAddDialog *
dp_app_add_dialog_new (GtkWindow    *parent,
                       DpAppManager *manager)
{
  DpAppAddDialog *self;
  g_autofree char *folder = NULL;

  g_return_val_if_fail (DP_APP_IS_MANAGER (manager), NULL);

  self = g_object_new (DP_APP_TYPE_ADD_DIALOG, "transient-for", parent, NULL);
  self->manager = g_object_ref (manager);
  folder = dp_app_manager_dup_default_directory (manager);
  dp_app_add_dialog_set_folder (self, folder);
  dp_app_add_dialog_set_segments (self, dp_app_manager_get_segments (manager));
  /* Typing starts in the links box, not on the Cancel button. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->text_view));
  return self;
}

/* Replaces the links, for example with what was pasted or dropped. */
void
dp_app_add_dialog_set_text (DpAppAddDialog *self,
                            const char     *text)
{
  GtkTextBuffer *buffer;

  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  g_clear_handle_id (&self->validate_idle_id, g_source_remove);
  validate (self);
}

/* Replaces the more addresses for the file, one per line. */
void
dp_app_add_dialog_set_mirrors (DpAppAddDialog *self,
                               const char     *text)
{
  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->mirrors_view),
                            text != NULL ? text : "", -1);
  g_clear_handle_id (&self->validate_idle_id, g_source_remove);
  validate (self);
}

void
dp_app_add_dialog_set_folder (DpAppAddDialog *self,
                              const char     *folder)
{
  g_autofree char *display = NULL;
  const char *home = g_get_home_dir ();

  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));
  g_return_if_fail (folder != NULL);

  g_free (self->folder);
  self->folder = g_strdup (folder);

  /* "~/Downloads" reads better than the full path. */
  if (g_str_has_prefix (folder,
                        home) && (folder[strlen (home)] == '/' || folder[strlen (home)] == '\0'))
    {
      g_autofree char *rest = g_filename_display_name (folder + strlen (home));
      display = g_strconcat ("~", rest, NULL);
    }
  else
    display = g_filename_display_name (folder);
  adw_action_row_set_subtitle (self->folder_row, display);
}

void
dp_app_add_dialog_set_checksum (DpAppAddDialog *self,
                                const char     *checksum)
{
  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->checksum_row), checksum != NULL ? checksum : "");
}

void
dp_app_add_dialog_set_start (DpAppAddDialog *self,
                             gboolean        start)
{
  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));
  gtk_switch_set_active (self->start_switch, start);
}

/* @segments: connections per file, or %DP_DOWNLOAD_SEGMENTS_AUTO */
void
dp_app_add_dialog_set_segments (DpAppAddDialog *self,
                                guint           segments)
{
  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));

  /* With Automatic, the number keeps its value for when it is switched
   * off. */
  gtk_switch_set_active (self->automatic_switch, segments == DP_DOWNLOAD_SEGMENTS_AUTO);
  if (segments != DP_DOWNLOAD_SEGMENTS_AUTO)
    gtk_spin_button_set_value (self->segments_spin, segments);
}

/* How many lines hold a usable address. */
guint
dp_app_add_dialog_get_n_valid (DpAppAddDialog *self)
{
  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), 0);
  return self->valid->len;
}

guint
dp_app_add_dialog_get_n_invalid (DpAppAddDialog *self)
{
  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), 0);
  return self->invalid_lines->len;
}

/* Returns: the explanation below the links, one problem per line */
const char *
dp_app_add_dialog_get_problems_text (DpAppAddDialog *self)
{
  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), NULL);
  return gtk_label_get_label (self->problems_label);
}

gboolean
dp_app_add_dialog_can_add (DpAppAddDialog *self)
{
  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), FALSE);
  return self->valid->len > 0 && self->checksum_ok && self->request_problem == NULL &&
         self->invalid_mirror_lines->len == 0 && !self->mirrors_without_link;
}

/* Whether @line (0-based) is underlined as unusable. */
gboolean
dp_app_add_dialog_line_is_marked (DpAppAddDialog *self,
                                  int             line)
{
  GtkTextIter iter;

  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), FALSE);

  gtk_text_buffer_get_iter_at_line (gtk_text_view_get_buffer (self->text_view), &iter, line);
  return gtk_text_iter_has_tag (&iter, self->invalid_tag);
}

/* Whether @line (0-based) of the more addresses is underlined as
 * unusable. */
gboolean
dp_app_add_dialog_mirror_line_is_marked (DpAppAddDialog *self,
                                         int             line)
{
  GtkTextIter iter;

  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), FALSE);

  gtk_text_buffer_get_iter_at_line (gtk_text_view_get_buffer (self->mirrors_view), &iter, line);
  return gtk_text_iter_has_tag (&iter, self->mirror_invalid_tag);
}

/**
 * dp_app_add_dialog_add:
 *
 * Adds every valid link to the list with the chosen options.
 *
 * Returns: how many downloads were added
 */
guint
dp_app_add_dialog_add (DpAppAddDialog *self)
{
  g_autofree char *checksum = NULL;
  guint segments;
  gboolean start;

  g_return_val_if_fail (DP_APP_IS_ADD_DIALOG (self), 0);

  g_clear_handle_id (&self->validate_idle_id, g_source_remove);
  validate (self);
  if (!dp_app_add_dialog_can_add (self))
    return 0;

  checksum = parse_checksum (gtk_editable_get_text (GTK_EDITABLE (self->checksum_row)), NULL);
  if (gtk_switch_get_active (self->automatic_switch))
    segments = DP_DOWNLOAD_SEGMENTS_AUTO;
  else
    {
      /* What is typed counts, even before the box lost the focus. */
      gtk_spin_button_update (self->segments_spin);
      segments = (guint) gtk_spin_button_get_value_as_int (self->segments_spin);
    }
  start = gtk_switch_get_active (self->start_switch);

  for (guint i = 0; i < self->valid->len; i++)
    {
      DpAppItem *item = dp_app_manager_add_full (self->manager, g_ptr_array_index (self->valid, i),
                                                 self->folder, segments,
                                                 self->valid->len == 1 ? checksum : NULL,
                                                 self->request, start);

      if (self->valid->len == 1)
        dp_app_item_set_suggested_name (item, self->suggested_name);
      /* Checked against the link as the engine checks them, and the
       * queue starts the item only from an idle: they go with its first
       * start. */
      if (self->valid->len == 1 && self->mirrors->len > 0)
        {
          g_autoptr(GError) error = NULL;

          g_ptr_array_add (self->mirrors, NULL);
          if (!dp_app_item_set_mirrors (item, (const char * const *) self->mirrors->pdata, &error))
            g_warning ("The more addresses were not taken: %s", error->message);
          g_ptr_array_remove_index (self->mirrors, self->mirrors->len - 1);
        }
      if (self->request != NULL && dp_request_get_user (self->request) != NULL &&
          gtk_switch_get_active (self->remember_switch))
        dp_app_item_set_login (item, dp_request_get_user (self->request),
                               dp_request_get_password (self->request), TRUE);
    }

  return self->valid->len;
}

/**
 * dp_app_add_dialog_set_request:
 * @request: what a download handed over from a browser brings along
 *
 * Fills the login, cookie and header fields, which the user can still
 * change before adding.
 */
void
dp_app_add_dialog_set_request (DpAppAddDialog  *self,
                               const DpRequest *request)
{
  g_autofree char *cookies = NULL;
  g_autofree char *headers = NULL;

  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));
  g_return_if_fail (request != NULL);

  cookies = dp_request_dup_cookies (request);
  headers = g_strjoinv ("\n", (char **) dp_request_get_headers (request));
  gtk_editable_set_text (GTK_EDITABLE (self->cookies_row), cookies != NULL ? cookies : "");
  gtk_editable_set_text (GTK_EDITABLE (self->referrer_row),
                         dp_request_get_referrer (request) != NULL ? dp_request_get_referrer (request) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->user_agent_row),
                         dp_request_get_user_agent (request) != NULL
                         ? dp_request_get_user_agent (request) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->user_row),
                         dp_request_get_user (request) != NULL ? dp_request_get_user (request) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row),
                         dp_request_get_password (request) != NULL
                         ? dp_request_get_password (request) : "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->headers_view), headers, -1);
  on_request_changed (self);
}

/* The name a browser chose, for the single link of the dialog. */
void
dp_app_add_dialog_set_suggested_name (DpAppAddDialog *self,
                                      const char     *name)
{
  g_return_if_fail (DP_APP_IS_ADD_DIALOG (self));

  g_free (self->suggested_name);
  self->suggested_name = g_strdup (name);
}
