/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-http.h"
#include "dp-state.h"

#define GROUP "Downpour"
#define MIRROR_GROUP "Mirror "

/* A real state file is a few hundred bytes: a segment per connection.
 * The limits only keep a hostile file from costing much memory or time. */
#define MAX_DATA_SIZE ((gsize) 1 << 20)
#define MAX_RANGES 100000

static void
mirror_free (gpointer data)
{
  DpStateMirror *mirror = data;

  g_free (mirror->url);
  g_free (mirror->etag);
  g_free (mirror->last_modified);
  g_free (mirror);
}

void
dp_state_add_mirror (DpState    *state,
                     const char *url,
                     const char *etag,
                     const char *last_modified)
{
  DpStateMirror *mirror;

  g_return_if_fail (url != NULL);
  if (state->mirrors->len >= DP_STATE_MAX_MIRRORS || dp_state_find_mirror (state, url) != NULL)
    return;
  mirror = g_new0 (DpStateMirror, 1);
  mirror->url = dp_state_strip_credentials (url);
  mirror->etag = g_strdup (etag);
  mirror->last_modified = g_strdup (last_modified);
  g_ptr_array_add (state->mirrors, mirror);
}

const DpStateMirror *
dp_state_find_mirror (const DpState *state,
                      const char    *url)
{
  g_autofree char *bare = dp_state_strip_credentials (url);

  for (guint i = 0; i < state->mirrors->len; i++)
    {
      const DpStateMirror *mirror = g_ptr_array_index (state->mirrors, i);

      if (strcmp (mirror->url, bare) == 0)
        return mirror;
    }
  return NULL;
}

DpState *
dp_state_new (void)
{
  DpState *state = g_new0 (DpState, 1);

  state->done = g_array_new (FALSE, FALSE, sizeof (DpRange));
  state->mirrors = g_ptr_array_new_with_free_func (mirror_free);
  return state;
}

void
dp_state_free (DpState *state)
{
  if (state == NULL)
    return;
  g_free (state->url);
  g_free (state->etag);
  g_free (state->last_modified);
  if (state->done != NULL)
    g_array_unref (state->done);
  if (state->mirrors != NULL)
    g_ptr_array_unref (state->mirrors);
  g_free (state);
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const DpRange *ra = a;
  const DpRange *rb = b;

  if (ra->start != rb->start)
    return ra->start < rb->start ? -1 : 1;
  if (ra->end != rb->end)
    return ra->end < rb->end ? -1 : 1;
  return 0;
}

static void
normalize_ranges (GArray *ranges)
{
  guint n = 0;

  g_array_sort (ranges, compare_ranges);
  for (guint i = 0; i < ranges->len; i++)
    {
      DpRange r = g_array_index (ranges, DpRange, i);
      DpRange *last;

      if (r.end <= r.start)
        continue;
      last = n > 0 ? &g_array_index (ranges, DpRange, n - 1) : NULL;
      /* Sorted by start, so a range that begins at or before the end of
       * the previous one touches or overlaps it. */
      if (last != NULL && r.start <= last->end)
        last->end = MAX (last->end, r.end);
      else
        g_array_index (ranges, DpRange, n++) = r;
    }
  g_array_set_size (ranges, n);
}

void
dp_state_normalize (DpState *state)
{
  g_return_if_fail (state != NULL);

  normalize_ranges (state->done);
}

gint64
dp_state_get_done_bytes (const DpState *state)
{
  gint64 total = 0;

  g_return_val_if_fail (state != NULL, 0);

  for (guint i = 0; i < state->done->len; i++)
    {
      const DpRange *r = &g_array_index (state->done, DpRange, i);

      if (r->end > r->start)
        total += r->end - r->start;
    }
  return total;
}

char *
dp_state_to_data (const DpState *state,
                  gsize         *length)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GArray) ranges = NULL;
  g_autoptr(GString) done = g_string_new (NULL);
  g_autofree char *url = NULL;

  g_return_val_if_fail (state != NULL, NULL);
  g_return_val_if_fail (state->url != NULL, NULL);

  /* Written normalized, because the parser insists on sorted, disjoint
   * ranges and would otherwise throw the progress away. */
  ranges = g_array_sized_new (FALSE, FALSE, sizeof (DpRange), state->done->len);
  g_array_append_vals (ranges, state->done->data, state->done->len);
  normalize_ranges (ranges);
  for (guint i = 0; i < ranges->len; i++)
    {
      const DpRange *r = &g_array_index (ranges, DpRange, i);

      g_string_append_printf (done, "%s%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                              i > 0 ? "," : "", r->start, r->end);
    }

  /* The file sits next to the download, often in a shared folder: a
   * password must never end up in it. */
  url = dp_state_strip_credentials (state->url);

  g_key_file_set_int64 (key_file, GROUP, "version", DP_STATE_VERSION);
  g_key_file_set_string (key_file, GROUP, "url", url);
  g_key_file_set_int64 (key_file, GROUP, "size", state->size);
  if (state->etag != NULL)
    g_key_file_set_string (key_file, GROUP, "etag", state->etag);
  if (state->last_modified != NULL)
    g_key_file_set_string (key_file, GROUP, "last-modified", state->last_modified);
  g_key_file_set_value (key_file, GROUP, "done", done->str);
  for (guint i = 0; i < state->mirrors->len; i++)
    {
      const DpStateMirror *mirror = g_ptr_array_index (state->mirrors, i);
      g_autofree char *group = g_strdup_printf (MIRROR_GROUP "%u", i + 1);

      g_key_file_set_string (key_file, group, "url", mirror->url);
      if (mirror->etag != NULL)
        g_key_file_set_string (key_file, group, "etag", mirror->etag);
      if (mirror->last_modified != NULL)
        g_key_file_set_string (key_file, group, "last-modified", mirror->last_modified);
    }

  return g_key_file_to_data (key_file, length, NULL);
}

static void set_damaged (GError     **error,
                         const char  *display_name,
                         const char  *format,
                         ...) G_GNUC_PRINTF (3, 4);

static void
set_damaged (GError     **error,
             const char  *display_name,
             const char  *format,
             ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, DP_ERROR, DP_ERROR_IO,
               _("The resume information “%s” is damaged (%s); starting over."),
               display_name, reason);
}

/* Reads a non-negative decimal number at *p and moves *p past it. No
 * sign, no blanks: only what dp_state_to_data() writes. */
static gboolean
parse_number (const char **p,
              gint64      *out)
{
  const char *s = *p;
  gint64 value = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;
  for (; g_ascii_isdigit (*s); s++)
    {
      int digit = *s - '0';

      if (value > (G_MAXINT64 - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }
  *p = s;
  *out = value;
  return TRUE;
}

static gboolean
parse_whole_number (const char *s,
                    gint64     *out)
{
  return parse_number (&s, out) && *s == '\0';
}

/* Fills @ranges from "a-b,c-d", which must be sorted, disjoint (touching
 * is fine) and within [0, size]. */
static gboolean
parse_ranges (const char  *text,
              gint64       size,
              GArray      *ranges,
              const char  *display_name,
              GError     **error)
{
  const char *p = text;
  gint64 previous_end = 0;
  guint count = 1;

  if (*text == '\0')
    return TRUE;

  /* Counted first, so that a huge list is refused before any work. */
  for (const char *c = text; *c != '\0'; c++)
    if (*c == ',' && ++count > MAX_RANGES)
      {
        set_damaged (error, display_name, _("more than %d byte ranges"), MAX_RANGES);
        return FALSE;
      }

  for (;;)
    {
      DpRange r;

      if (!parse_number (&p, &r.start) || *p++ != '-' || !parse_number (&p, &r.end)
          || (*p != ',' && *p != '\0'))
        {
          set_damaged (error, display_name, _("malformed byte range"));
          return FALSE;
        }
      if (r.end <= r.start)
        {
          set_damaged (error, display_name, _("empty or reversed byte range"));
          return FALSE;
        }
      if (r.end > size)
        {
          set_damaged (error, display_name, _("byte range beyond the end of the file"));
          return FALSE;
        }
      if (r.start < previous_end)
        {
          set_damaged (error, display_name, _("overlapping or unsorted byte ranges"));
          return FALSE;
        }
      g_array_append_val (ranges, r);
      previous_end = r.end;
      if (*p == '\0')
        return TRUE;
      p++;
    }
}

/* Gets an optional string. A present but badly escaped value is an
 * error: GKeyFile then reports one but still returns a string, which
 * must not be used. */
static gboolean
get_optional_string (GKeyFile    *key_file,
                     const char  *key,
                     char       **out,
                     const char  *display_name,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  if (!g_key_file_has_key (key_file, GROUP, key, NULL))
    return TRUE;
  value = g_key_file_get_string (key_file, GROUP, key, &local_error);
  if (local_error != NULL)
    {
      set_damaged (error, display_name, "%s", local_error->message);
      return FALSE;
    }
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Groups "Mirror N": each an address and its validators, all strings. */
static gboolean
parse_mirrors (GKeyFile    *key_file,
               DpState     *state,
               const char  *display_name,
               GError     **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      char *values[3] = { NULL, NULL, NULL };
      const char *keys[3] = { "url", "etag", "last-modified" };
      gboolean ok = TRUE;

      if (!g_str_has_prefix (groups[i], MIRROR_GROUP))
        continue;
      if (state->mirrors->len >= DP_STATE_MAX_MIRRORS)
        {
          set_damaged (error, display_name, _("more than %d mirrors"), DP_STATE_MAX_MIRRORS);
          return FALSE;
        }
      for (guint k = 0; k < G_N_ELEMENTS (keys) && ok; k++)
        {
          g_autoptr(GError) local_error = NULL;

          if (!g_key_file_has_key (key_file, groups[i], keys[k], NULL))
            continue;
          values[k] = g_key_file_get_string (key_file, groups[i], keys[k], &local_error);
          if (local_error != NULL)
            {
              set_damaged (error, display_name, "%s", local_error->message);
              ok = FALSE;
            }
        }
      if (ok && (values[0] == NULL || *values[0] == '\0'))
        {
          set_damaged (error, display_name, "%s", _("a mirror without an address"));
          ok = FALSE;
        }
      if (ok)
        dp_state_add_mirror (state, values[0], values[1], values[2]);
      for (guint k = 0; k < G_N_ELEMENTS (values); k++)
        g_free (values[k]);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

DpState *
dp_state_parse (const char  *data,
                gsize        length,
                const char  *display_name,
                GError     **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(DpState) state = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *version_text = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *done_text = NULL;
  gint64 version;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (display_name == NULL)
    display_name = "";

  if (length > MAX_DATA_SIZE)
    {
      set_damaged (error, display_name, _("larger than 1 MiB"));
      return NULL;
    }
  /* Also refuses embedded nul bytes, which GKeyFile would not see. */
  if (!g_utf8_validate (data, length, NULL))
    {
      set_damaged (error, display_name, _("not valid UTF-8 text"));
      return NULL;
    }

  key_file = g_key_file_new ();
  if (!g_key_file_load_from_data (key_file, data != NULL ? data : "", length,
                                  G_KEY_FILE_NONE, &local_error))
    {
      set_damaged (error, display_name, "%s", local_error->message);
      return NULL;
    }
  if (!g_key_file_has_group (key_file, GROUP))
    {
      set_damaged (error, display_name, _("not a Downpour resume file"));
      return NULL;
    }

  version_text = g_key_file_get_value (key_file, GROUP, "version", NULL);
  if (version_text == NULL || !parse_whole_number (version_text, &version))
    {
      set_damaged (error, display_name, _("no valid version"));
      return NULL;
    }
  if (version != DP_STATE_VERSION)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_IO,
                   _("The resume information “%s” was written by another "
                     "version of Downpour; starting over."),
                   display_name);
      return NULL;
    }

  state = dp_state_new ();

  if (!get_optional_string (key_file, "url", &state->url, display_name, error))
    return NULL;
  if (state->url == NULL || state->url[0] == '\0')
    {
      set_damaged (error, display_name, _("no address"));
      return NULL;
    }

  size_text = g_key_file_get_value (key_file, GROUP, "size", NULL);
  if (size_text == NULL || !parse_whole_number (size_text, &state->size))
    {
      set_damaged (error, display_name, _("no valid size"));
      return NULL;
    }

  if (!get_optional_string (key_file, "etag", &state->etag, display_name, error)
      || !get_optional_string (key_file, "last-modified", &state->last_modified,
                               display_name, error))
    return NULL;

  /* A missing list claims nothing is on disk, which is always safe. */
  done_text = g_key_file_get_value (key_file, GROUP, "done", NULL);
  if (done_text != NULL
      && !parse_ranges (done_text, state->size, state->done, display_name, error))
    return NULL;

  /* Touching ranges are accepted; merge them. */
  normalize_ranges (state->done);

  if (!parse_mirrors (key_file, state, display_name, error))
    return NULL;

  return g_steal_pointer (&state);
}

gboolean
dp_state_save (const DpState  *state,
               const char     *path,
               GError        **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  data = dp_state_to_data (state, &length);
  /* CONSISTENT writes a new file and renames it over the old one: a crash
   * leaves either the old state or the new one, never half of each, and a
   * symbolic link at @path is replaced rather than followed. */
  return g_file_set_contents_full (path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT
                                   | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

DpState *
dp_state_load (const char  *path,
               GError     **error)
{
  g_autofree char *display_name = NULL;
  g_autofree char *data = NULL;
  struct stat st;
  gsize capacity;
  gsize length = 0;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = g_filename_display_basename (path);

  /* O_NOFOLLOW: a link planted at the state name must not make Downpour
   * read (and trust) some other file. O_NONBLOCK: opening a FIFO must not
   * hang; it is refused just below. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      if (saved_errno == ENOENT)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                     _("The resume information “%s” does not exist."), display_name);
      else if (saved_errno == ELOOP)
        g_set_error (error, DP_ERROR, DP_ERROR_IO,
                     _("The resume information “%s” is not a regular file; "
                       "starting over."), display_name);
      else
        g_set_error (error, DP_ERROR, DP_ERROR_IO,
                     _("The resume information “%s” could not be read (%s); "
                       "starting over."), display_name, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_set_error (error, DP_ERROR, DP_ERROR_IO,
                   _("The resume information “%s” could not be read (%s); "
                     "starting over."), display_name, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, DP_ERROR, DP_ERROR_IO,
                   _("The resume information “%s” is not a regular file; "
                     "starting over."), display_name);
      return NULL;
    }
  if (st.st_size > (off_t) MAX_DATA_SIZE)
    {
      close (fd);
      set_damaged (error, display_name, _("larger than 1 MiB"));
      return NULL;
    }

  /* Room for one byte more than the file had: if it grew since fstat(),
   * the buffer grows up to one byte past the limit, which
   * dp_state_parse() then refuses. */
  capacity = (gsize) st.st_size + 1;
  data = g_malloc (capacity);
  for (;;)
    {
      gssize n;

      if (length == capacity)
        {
          if (capacity > MAX_DATA_SIZE)
            break;
          capacity = MIN (capacity * 2, MAX_DATA_SIZE + 1);
          data = g_realloc (data, capacity);
        }
      n = read (fd, data + length, capacity - length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_set_error (error, DP_ERROR, DP_ERROR_IO,
                       _("The resume information “%s” could not be read (%s); "
                         "starting over."), display_name, g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      length += n;
    }
  close (fd);

  return dp_state_parse (data, length, display_name, error);
}

static gboolean
same_string (const char *a,
             const char *b)
{
  return a != NULL && b != NULL && strcmp (a, b) == 0;
}

gboolean
dp_state_matches (const DpState *state,
                  const char    *url,
                  gint64         size,
                  const char    *etag,
                  const char    *last_modified)
{
  g_autofree char *state_url = NULL;
  g_autofree char *other_url = NULL;

  g_return_val_if_fail (state != NULL, FALSE);

  if (state->url == NULL || url == NULL || state->size != size)
    return FALSE;

  state_url = dp_state_strip_credentials (state->url);
  other_url = dp_state_strip_credentials (url);
  if (strcmp (state_url, other_url) != 0)
    return FALSE;

  /* The strongest validator the state has decides. Without any, the
   * bytes on disk can only be trusted if the server offers no way of
   * telling versions apart either (same url and size is all we know). */
  if (state->etag != NULL)
    return same_string (state->etag, etag);
  if (state->last_modified != NULL)
    return same_string (state->last_modified, last_modified);
  return etag == NULL && last_modified == NULL;
}

gboolean
dp_state_has_address (const DpState *state,
                      const char    *url)
{
  g_autofree char *state_url = NULL;
  g_autofree char *other_url = NULL;

  g_return_val_if_fail (state != NULL, FALSE);

  if (state->url == NULL || url == NULL)
    return FALSE;
  state_url = dp_state_strip_credentials (state->url);
  other_url = dp_state_strip_credentials (url);
  return strcmp (state_url, other_url) == 0;
}

DpStateIdentity
dp_state_identify (const DpState *state,
                   gint64         size,
                   const char    *etag,
                   const char    *last_modified)
{
  g_return_val_if_fail (state != NULL, DP_STATE_UNPROVABLE);

  if (state->size != size)
    return DP_STATE_OTHER_SIZE;
  /* The strongest validator both have decides; one side's alone proves
   * nothing. */
  if (state->etag != NULL && etag != NULL)
    return strcmp (state->etag, etag) == 0 ? DP_STATE_SAME_FILE : DP_STATE_OTHER_VERSION;
  if (state->last_modified != NULL && last_modified != NULL)
    return strcmp (state->last_modified, last_modified) == 0 ? DP_STATE_SAME_FILE
                                                               : DP_STATE_OTHER_VERSION;
  return DP_STATE_UNPROVABLE;
}

char *
dp_state_strip_credentials (const char *url)
{
  g_return_val_if_fail (url != NULL, NULL);

  return dp_http_replace_userinfo (url, "");
}
