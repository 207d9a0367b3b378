/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "dp-app-details-window.h"
#include "dp-app-file-ops.h"
#include "dp-app-format.h"
#include "dp-app-segment-map.h"
#include "dp-http.h"
#include "dp-state.h"

/* The view follows a running download at most this often: a reader
 * cannot take in more, and each update re-lays out a dozen rows. */
#define UPDATE_INTERVAL_US (G_USEC_PER_SEC / 4)

/*
 * Everything Downpour knows about one download: where it comes from and
 * goes to, how far it got, how each of its addresses is doing, what the
 * server said about the file and how the check against a digest came
 * out. It follows the item while it runs.
 */
struct _DpAppDetailsWindow
{
  AdwWindow parent_instance;

  DpAppItem *item;
  gint64 last_update_us;
  guint update_id;      /* a pending update, at the next allowed time */
  GCancellable *cancellable;
  /* What the resume state beside the partial file kept, for a download
   * that has not asked the server in this session. */
  DpState *saved;

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkWidget *copy_button;
  GtkWidget *error_group;
  AdwActionRow *error_row;
  AdwActionRow *address_row;
  AdwActionRow *folder_row;
  GtkWidget *open_folder_button;
  AdwActionRow *name_row;
  AdwActionRow *status_row;
  AdwActionRow *size_row;
  AdwActionRow *received_row;
  AdwActionRow *speed_row;
  AdwActionRow *time_left_row;
  AdwActionRow *connections_row;
  DpAppSegmentMap *segment_map;
  AdwActionRow *etag_row;
  AdwActionRow *last_modified_row;
  AdwActionRow *ranges_row;
  AdwActionRow *checksum_row;
  GtkWidget *mirrors_group;
  /* The rows of mirrors_group, and the addresses they show, in order:
   * a report with the same addresses only changes their subtitles. */
  GPtrArray *mirror_rows;
  GPtrArray *mirror_urls;
};

G_DEFINE_FINAL_TYPE (DpAppDetailsWindow, dp_app_details_window, ADW_TYPE_WINDOW)

static void
set_subtitle (AdwActionRow *row,
              const char   *text)
{
  /* Unchanged text keeps a selection the user is making. */
  if (g_strcmp0 (adw_action_row_get_subtitle (row), text) != 0)
    adw_action_row_set_subtitle (row, text);
}

/* libadwaita 1.2 has no selectable subtitles: the row's own subtitle
 * label is made selectable, so that it stays the row's description for
 * screen readers. */
static void
make_subtitle_selectable (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      /* The header bar's subtitle is the file name, in the File group too. */
      if (ADW_IS_HEADER_BAR (child))
        continue;
      if (GTK_IS_LABEL (child) && gtk_widget_has_css_class (child, "subtitle"))
        gtk_label_set_selectable (GTK_LABEL (child), TRUE);
      else
        make_subtitle_selectable (child);
    }
}

static char *
format_etag (DpAppDetailsWindow *self)
{
  DpDownload *download = dp_app_item_get_download (self->item);
  const char *etag = dp_download_get_etag (download);

  if (dp_download_get_accepts_ranges (download) == DP_DOWNLOAD_RANGES_UNKNOWN &&
      self->saved != NULL)
    {
      if (self->saved->etag == NULL)
        return g_strdup (_("None"));
      /* The resume state keeps strong ones only. */
      /* Translators: %s is an ETag as the server sent it; a strong one
       * stands for exactly these bytes. */
      return g_strdup_printf (_("%s (strong)"), self->saved->etag);
    }

  if (dp_download_get_accepts_ranges (download) == DP_DOWNLOAD_RANGES_UNKNOWN)
    return g_strdup (_("Not known yet"));
  if (etag == NULL)
    return g_strdup (_("None"));
  if (dp_download_get_etag_is_strong (download))
    return g_strdup_printf (_("%s (strong)"), etag);
  /* Translators: %s is an ETag as the server sent it; a weak one may
   * stand for several versions of the file. */
  return g_strdup_printf (_("%s (weak)"), etag);
}

static char *
format_last_modified (DpAppDetailsWindow *self)
{
  DpDownload *download = dp_app_item_get_download (self->item);
  g_autoptr(GDateTime) saved = NULL;
  g_autoptr(GDateTime) local = NULL;
  GDateTime *date = dp_download_get_last_modified (download);

  if (dp_download_get_accepts_ranges (download) == DP_DOWNLOAD_RANGES_UNKNOWN)
    {
      if (self->saved == NULL)
        return g_strdup (_("Not known yet"));
      if (self->saved->last_modified != NULL)
        saved = soup_date_time_new_from_http_string (self->saved->last_modified);
      date = saved;
    }

  if (date == NULL)
    return g_strdup (_("None"));
  local = g_date_time_to_local (date);
  /* Translators: the date the server says the file last changed; see
   * g_date_time_format() for the fields. */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M:%S"));
}

static const char *
format_ranges (DpAppDetailsWindow *self)
{
  switch (dp_download_get_accepts_ranges (dp_app_item_get_download (self->item)))
    {
    case DP_DOWNLOAD_RANGES_ACCEPTED:
      return _("Supported: several connections, and resuming");
    case DP_DOWNLOAD_RANGES_NONE:
      return _("Not supported: one connection, and no resuming");
    case DP_DOWNLOAD_RANGES_UNKNOWN:
    default:
      /* A resume state is only kept for a server with ranges. */
      if (self->saved != NULL)
        return _("Supported: several connections, and resuming");
      return _("Not known yet");
    }
}

/* As specifications and download pages spell them. */
static const char *
checksum_display_name (const char *algorithm)
{
  static const struct {
    const char *name;
    const char *display;
  } names[] = {
    { "sha256", "SHA-256" },
    { "sha512", "SHA-512" },
    { "sha1", "SHA-1" },
    { "md5", "MD5" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (algorithm, names[i].name) == 0)
      return names[i].display;
  return algorithm != NULL ? algorithm : "";
}

/* The outcome and where the digest came from, in one phrase each; the
 * error row above says what a mismatch means for the file. */
static char *
format_checksum (DpAppDetailsWindow *self)
{
  DpDownloadChecksumResult result = dp_app_item_get_checksum_result (self->item);
  const char *name = checksum_display_name (dp_app_item_get_verified_algorithm (self->item));

  switch (dp_app_item_get_verified_by (self->item))
    {
    case DP_DIGEST_ORIGIN_USER:
      if (result == DP_DOWNLOAD_CHECKSUM_VERIFIED)
        /* Translators: %s is an algorithm such as SHA-256; "your
         * checksum" is the one the user typed in. */
        return g_strdup_printf (_("Verified: %s from your checksum"), name);
      if (result == DP_DOWNLOAD_CHECKSUM_MISMATCH)
        /* Translators: %s is an algorithm such as SHA-256. */
        return g_strdup_printf (_("Mismatch: the file did not match the %s from your checksum"), name);
      /* Translators: %s is an algorithm such as SHA-256. */
      return g_strdup_printf (_("Not checked yet: %s from your checksum"), name);
    case DP_DIGEST_ORIGIN_METALINK:
      if (result == DP_DOWNLOAD_CHECKSUM_VERIFIED)
        /* Translators: %s is an algorithm such as SHA-256; the Metalink
         * is the file that listed the download's addresses. */
        return g_strdup_printf (_("Verified: %s from the Metalink"), name);
      if (result == DP_DOWNLOAD_CHECKSUM_MISMATCH)
        /* Translators: %s is an algorithm such as SHA-256. */
        return g_strdup_printf (_("Mismatch: the file did not match the %s from the Metalink"), name);
      /* Translators: %s is an algorithm such as SHA-256. */
      return g_strdup_printf (_("Not checked yet: %s from the Metalink"), name);
    case DP_DIGEST_ORIGIN_SERVER:
      if (result == DP_DOWNLOAD_CHECKSUM_VERIFIED)
        /* Translators: %s is an algorithm such as SHA-256; the server
         * sent the file's digest with it. */
        return g_strdup_printf (_("Verified: %s from the server"), name);
      if (result == DP_DOWNLOAD_CHECKSUM_MISMATCH)
        /* Translators: %s is an algorithm such as SHA-256. */
        return g_strdup_printf (_("Mismatch: the file did not match the %s from the server"), name);
      /* Translators: %s is an algorithm such as SHA-256. */
      return g_strdup_printf (_("Not checked yet: %s from the server"), name);
    case DP_DIGEST_ORIGIN_NONE:
    default:
      return g_strdup (_("None given"));
    }
}

/* What one address is doing, as its row's subtitle. */
static char *
format_mirror (const DpMirrorInfo *info,
               gboolean            running)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (info->state == DP_MIRROR_STATE_DROPPED)
    {
      if (info->reason != NULL && *info->reason != '\0')
        /* Translators: %s says why, a phrase such as "it has a file of
         * another size". */
        g_string_printf (text, _("Not used: %s"), info->reason);
      else
        g_string_assign (text, _("Not used"));
    }
  else if (!running)
    {
      /* What it was doing when the download stopped is over. */
      if (info->received > 0)
        {
          g_autofree char *size = g_format_size ((guint64) info->received);

          /* Translators: %s is a size: how much of the file came from
           * this address. */
          g_string_printf (text, _("Sent %s"), size);
        }
      else
        g_string_assign (text, _("Not used"));
    }
  else if (info->state == DP_MIRROR_STATE_WAITING)
    g_string_assign (text, _("Waiting"));
  else
    {
      g_autofree char *speed = dp_app_format_speed (info->speed);

      /* A mirror that refused more connections keeps those it has. */
      g_string_assign (text, info->state == DP_MIRROR_STATE_FULL ? _("At its connection limit")
                                                                 : _("Downloading"));
      g_string_append_printf (text, " · %s · ", speed);
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u connection", "%u connections",
                                                 info->connections),
                              info->connections);
    }

  if (info->bad_pieces > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u damaged piece", "%u damaged pieces",
                                                 info->bad_pieces),
                              info->bad_pieces);
    }
  /* Not an address the user gave: the server's Link header named it. */
  if (info->from_server)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, _("Suggested by the server"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
same_addresses (GPtrArray *a,
                GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_str_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;
  return TRUE;
}

static void
update_mirrors (DpAppDetailsWindow *self)
{
  DpAppItem *item = self->item;
  gboolean running = dp_app_item_is_running (item);
  g_autoptr(GPtrArray) infos = dp_download_dup_mirror_infos (dp_app_item_get_download (item));
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  if (infos->len > 0)
    for (guint i = 0; i < infos->len; i++)
      {
        const DpMirrorInfo *info = g_ptr_array_index (infos, i);

        g_ptr_array_add (urls, dp_http_redact_address (info->url));
        g_ptr_array_add (texts, format_mirror (info, running));
      }
  else
    {
      /* Nothing asked in this session: the addresses the item has. */
      const char * const *mirrors = dp_app_item_get_mirrors (item);
      const char *text;

      if (running)
        text = _("Waiting");
      else if (dp_app_item_is_unfinished (item))
        text = _("Not asked yet");
      else
        text = _("Not asked since Downpour started");
      g_ptr_array_add (urls, dp_http_redact_address (dp_app_item_get_url (item)));
      g_ptr_array_add (texts, g_strdup (text));
      for (guint i = 0; mirrors != NULL && mirrors[i] != NULL; i++)
        {
          g_ptr_array_add (urls, dp_http_redact_address (mirrors[i]));
          g_ptr_array_add (texts, g_strdup (text));
        }
    }

  gtk_widget_set_visible (self->mirrors_group, urls->len > 1);

  if (!same_addresses (urls, self->mirror_urls))
    {
      for (guint i = 0; i < self->mirror_rows->len; i++)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self->mirrors_group),
                                      g_ptr_array_index (self->mirror_rows, i));
      g_ptr_array_set_size (self->mirror_rows, 0);
      g_ptr_array_set_size (self->mirror_urls, 0);
      for (guint i = 0; urls->len > 1 && i < urls->len; i++)
        {
          GtkWidget *row = adw_action_row_new ();

          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), g_ptr_array_index (urls, i));
          adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->mirrors_group), row);
          make_subtitle_selectable (row);
          g_ptr_array_add (self->mirror_rows, row);
          g_ptr_array_add (self->mirror_urls, g_strdup (g_ptr_array_index (urls, i)));
        }
    }

  for (guint i = 0; i < self->mirror_rows->len; i++)
    set_subtitle (g_ptr_array_index (self->mirror_rows, i), g_ptr_array_index (texts, i));
}

static void
update (DpAppDetailsWindow *self)
{
  DpAppItem *item = self->item;
  DpAppItemStatus status = dp_app_item_get_status (item);
  gboolean running = dp_app_item_is_running (item);
  const char *path = dp_app_item_get_path (item);
  const char *error = dp_app_item_get_error (item);
  gint64 size = dp_app_item_get_size (item);
  gint64 eta = dp_app_item_get_eta (item);
  g_autoptr(GArray) segments = dp_app_item_dup_segments (item);
  g_autofree char *folder = NULL;
  g_autofree char *name = NULL;
  g_autofree char *status_text = dp_app_format_status (status, NULL);
  g_autofree char *size_text = NULL;
  g_autofree char *received = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *time_left = NULL;
  g_autofree char *connections = NULL;
  g_autofree char *etag = format_etag (self);
  g_autofree char *last_modified = format_last_modified (self);
  g_autofree char *checksum = format_checksum (self);

  self->last_update_us = g_get_monotonic_time ();

  adw_window_title_set_subtitle (self->window_title, dp_app_item_get_display_name (item));

  gtk_widget_set_visible (self->error_group, error != NULL);
  if (error != NULL)
    set_subtitle (self->error_row, error);

  if (path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      folder = g_filename_display_name (dir);
      name = g_filename_display_basename (path);
    }
  else
    {
      folder = g_filename_display_name (dp_app_item_get_directory (item));
      name = g_strdup (_("Not known yet"));
    }
  set_subtitle (self->folder_row, folder);
  set_subtitle (self->name_row, name);
  gtk_widget_set_sensitive (self->open_folder_button, path != NULL);

  set_subtitle (self->status_row, status_text);
  if (size >= 0)
    size_text = g_format_size_full ((guint64) size, G_FORMAT_SIZE_LONG_FORMAT);
  else
    size_text = g_strdup (_("Unknown"));
  set_subtitle (self->size_row, size_text);
  received = dp_app_format_progress (dp_app_item_get_received (item), size);
  set_subtitle (self->received_row, received);

  if (running)
    speed = dp_app_format_speed (dp_app_item_get_speed (item));
  else
    speed = g_strdup (_("Not downloading"));
  set_subtitle (self->speed_row, speed);
  if (running && eta >= 0)
    time_left = dp_app_format_time_left (eta);
  else
    time_left = g_strdup (running ? _("Unknown") : _("Not downloading"));
  set_subtitle (self->time_left_row, time_left);
  connections = g_strdup_printf ("%u", dp_app_item_get_connections (item));
  set_subtitle (self->connections_row, connections);

  dp_app_segment_map_set_progress (self->segment_map, segments, size,
                                   dp_app_item_get_received (item));
  dp_app_segment_map_set_connections (self->segment_map, dp_app_item_get_connections (item),
                                      dp_app_item_get_active_connections (item));

  set_subtitle (self->etag_row, etag);
  set_subtitle (self->last_modified_row, last_modified);
  set_subtitle (self->ranges_row, format_ranges (self));
  set_subtitle (self->checksum_row, checksum);

  update_mirrors (self);
}

static gboolean
on_update_timeout (gpointer data)
{
  DpAppDetailsWindow *self = data;

  self->update_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Progress comes up to ten times a second; the view takes at most four
 * of them, and always the last one. */
static void
on_item_changed (DpAppDetailsWindow *self)
{
  gint64 since = g_get_monotonic_time () - self->last_update_us;

  if (self->update_id != 0)
    return;
  if (since >= UPDATE_INTERVAL_US)
    update (self);
  else
    self->update_id = g_timeout_add ((guint) ((UPDATE_INTERVAL_US - since) / 1000) + 1,
                                     on_update_timeout, self);
}

static void
on_copy_clicked (DpAppDetailsWindow *self)
{
  /* The whole address, login included: the user asked for it, and it
   * is what the download needs to work elsewhere. */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          dp_app_item_get_url (self->item));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Address copied")));
}

static void
on_open_folder_clicked (DpAppDetailsWindow *self)
{
  const char *path = dp_app_item_get_path (self->item);
  g_autofree char *part = NULL;

  if (path == NULL)
    return;
  /* An unfinished download is only its partial file so far. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      part = g_strconcat (path, ".part", NULL);
      if (g_file_test (part, G_FILE_TEST_EXISTS))
        path = part;
    }
  dp_app_show_in_folder (GTK_WINDOW (self), path);
}

static void
load_saved_in_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  g_autofree char *state_path = g_strconcat (task_data, ".part.state", NULL);
  DpState *state = dp_state_load (state_path, NULL);

  if (state == NULL)
    g_task_return_pointer (task, NULL, NULL);
  else
    g_task_return_pointer (task, state, (GDestroyNotify) dp_state_free);
}

static void
on_saved_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DpState *state = g_task_propagate_pointer (G_TASK (result), NULL);
  DpAppDetailsWindow *self;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    {
      g_clear_pointer (&state, dp_state_free);
      return;
    }
  self = DP_APP_DETAILS_WINDOW (source);
  g_clear_pointer (&self->saved, dp_state_free);
  self->saved = state;
  update (self);
}

/* A download from an earlier session has not asked the server yet; its
 * resume state still says which version of the file it holds. */
static void
load_saved_validators (DpAppDetailsWindow *self)
{
  DpDownload *download = dp_app_item_get_download (self->item);
  const char *path = dp_app_item_get_path (self->item);
  g_autoptr(GTask) task = NULL;

  if (path == NULL || !dp_app_item_is_unfinished (self->item) ||
      dp_download_get_accepts_ranges (download) != DP_DOWNLOAD_RANGES_UNKNOWN)
    return;

  task = g_task_new (self, self->cancellable, on_saved_loaded, NULL);
  g_task_set_source_tag (task, load_saved_validators);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_saved_in_thread);
}

static void
dp_app_details_window_dispose (GObject *object)
{
  DpAppDetailsWindow *self = DP_APP_DETAILS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->update_id, g_source_remove);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);

  gtk_widget_dispose_template (GTK_WIDGET (self), DP_APP_TYPE_DETAILS_WINDOW);

  G_OBJECT_CLASS (dp_app_details_window_parent_class)->dispose (object);
}

static void
dp_app_details_window_finalize (GObject *object)
{
  DpAppDetailsWindow *self = DP_APP_DETAILS_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->saved, dp_state_free);
  g_ptr_array_unref (self->mirror_rows);
  g_ptr_array_unref (self->mirror_urls);

  G_OBJECT_CLASS (dp_app_details_window_parent_class)->finalize (object);
}

static void
dp_app_details_window_class_init (DpAppDetailsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dp_app_details_window_dispose;
  object_class->finalize = dp_app_details_window_finalize;

  g_type_ensure (DP_APP_TYPE_SEGMENT_MAP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/downpour/Downpour/dp-app-details-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, error_group);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, error_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, address_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, open_folder_button);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, status_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, size_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, received_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, speed_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, time_left_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, connections_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, segment_map);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, etag_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, last_modified_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, ranges_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, checksum_row);
  gtk_widget_class_bind_template_child (widget_class, DpAppDetailsWindow, mirrors_group);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_folder_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
dp_app_details_window_init (DpAppDetailsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->mirror_rows = g_ptr_array_new ();
  self->mirror_urls = g_ptr_array_new_with_free_func (g_free);
  make_subtitle_selectable (GTK_WIDGET (self));
  /* Not the first selectable value: focus would select all of it. */
  gtk_window_set_focus (GTK_WINDOW (self), self->copy_button);
}

/**
 * dp_app_details_window_new:
 * @parent: (nullable): the window it belongs to; without one (in tests)
 *   it stands alone
 * @item: the download to show
 *
 * Returns: (transfer none): a new window, not yet shown, owned by GTK
 *   until it is closed; it follows @item until then
 */
DpAppDetailsWindow *
dp_app_details_window_new (GtkWindow *parent,
                           DpAppItem *item)
{
  DpAppDetailsWindow *self;
  g_autofree char *address = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (DP_APP_IS_ITEM (item), NULL);

  self = g_object_new (DP_APP_TYPE_DETAILS_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->item = g_object_ref (item);

  /* A login in the address is the user's secret: shown redacted, copied
   * whole. */
  address = dp_http_redact_address (dp_app_item_get_url (item));
  adw_action_row_set_subtitle (self->address_row, address);

  g_signal_connect_swapped (item, "changed", G_CALLBACK (on_item_changed), self);
  g_signal_connect_swapped (item, "notify::status", G_CALLBACK (on_item_changed), self);
  g_signal_connect_swapped (item, "notify::verified-by", G_CALLBACK (on_item_changed), self);
  update (self);
  load_saved_validators (self);
  return self;
}

/**
 * dp_app_details_window_show:
 *
 * Creates the window for @item and presents it.
 *
 * Returns: (transfer none): the window, owned by GTK until closed
 */
DpAppDetailsWindow *
dp_app_details_window_show (GtkWindow *parent,
                            DpAppItem *item)
{
  DpAppDetailsWindow *self = dp_app_details_window_new (parent, item);

  gtk_window_present (GTK_WINDOW (self));
  return self;
}

DpAppItem *
dp_app_details_window_get_item (DpAppDetailsWindow *self)
{
  g_return_val_if_fail (DP_APP_IS_DETAILS_WINDOW (self), NULL);
  return self->item;
}
