/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "dp-answer.h"
#include "dp-error.h"
#include "dp-headers.h"

/* A multipart preamble and the headers of its one part are small; a
 * server that sends more before the data is not sending a file. */
#define MAX_PART_HEADER 8192

/* RFC 9110 §8.8.2.2: a Last-Modified at least this much older than the
 * answer's Date cannot hide two versions within one second. */
#define STRONG_DATE_SLACK_S 60

gboolean
dp_etag_is_strong (const char *etag)
{
  return etag != NULL && *etag == '"';
}

gboolean
dp_last_modified_is_strong (SoupMessageHeaders *headers)
{
  const char *modified = soup_message_headers_get_one (headers, "Last-Modified");
  const char *date = soup_message_headers_get_one (headers, "Date");
  g_autoptr(GDateTime) modified_dt = NULL;
  g_autoptr(GDateTime) date_dt = NULL;

  if (modified == NULL || date == NULL)
    return FALSE;
  modified_dt = soup_date_time_new_from_http_string (modified);
  date_dt = soup_date_time_new_from_http_string (date);
  if (modified_dt == NULL || date_dt == NULL)
    return FALSE;
  return g_date_time_difference (date_dt, modified_dt) >= STRONG_DATE_SLACK_S * G_TIME_SPAN_SECOND;
}

char *
dp_answer_dup_encoding (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_list (headers, "Content-Encoding");
  g_autofree char *copy = NULL;
  g_autofree char *trimmed = NULL;

  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  trimmed = g_ascii_strdown (g_strstrip (copy), -1);
  if (*trimmed == '\0' || strcmp (trimmed, "identity") == 0)
    return NULL;
  return g_steal_pointer (&trimmed);
}

const char *
dp_answer_get_strong_validator (const DpAnswer *answer)
{
  if (dp_etag_is_strong (answer->etag))
    return answer->etag;
  /* A date only where there is no entity tag at all (RFC 9110
   * §13.1.5): a weak one says the date cannot be trusted either. */
  if (answer->etag == NULL && answer->last_modified_strong)
    return answer->last_modified;
  return NULL;
}

void
dp_answer_clear (DpAnswer *answer)
{
  g_clear_pointer (&answer->encoding, g_free);
  g_clear_pointer (&answer->etag, g_free);
  g_clear_pointer (&answer->last_modified, g_free);
  g_clear_object (&answer->stream);
}

/* Reads one line of a multipart header block into @line, without its
 * CRLF or LF, counting its bytes against *@budget. */
static gboolean
read_line (GBufferedInputStream *in,
           GString              *line,
           gsize                *budget,
           GCancellable         *cancellable,
           GError              **error)
{
  g_string_truncate (line, 0);
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      int c;

      if (*budget == 0)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("The server sent a multipart answer whose part headers are too long."));
          return FALSE;
        }
      c = g_buffered_input_stream_read_byte (in, cancellable, &local_error);
      if (c < 0)
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                 _("The server’s multipart answer ended before its data."));
          return FALSE;
        }
      (*budget)--;
      if (c == '\n')
        {
          if (line->len > 0 && line->str[line->len - 1] == '\r')
            g_string_truncate (line, line->len - 1);
          return TRUE;
        }
      g_string_append_c (line, (char) c);
    }
}

/* A multipart/byteranges body with one part (RFC 9110 §14.6): skips to
 * the part, reads its Content-Range and leaves @in at its first data
 * byte. A second part is never read: a single range was asked for. */
static gboolean
open_single_part (GBufferedInputStream *in,
                  const char           *boundary,
                  gint64               *start,
                  gint64               *end,
                  gint64               *total,
                  GCancellable         *cancellable,
                  GError              **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *delimiter = g_strconcat ("--", boundary, NULL);
  gboolean have_range = FALSE;
  gsize budget = MAX_PART_HEADER;

  /* The preamble, up to the first delimiter. */
  do
    if (!read_line (in, line, &budget, cancellable, error))
      return FALSE;
  while (!g_str_has_prefix (line->str, delimiter));

  if (strcmp (line->str + strlen (delimiter), "--") == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("The server sent a multipart answer without any part."));
      return FALSE;
    }

  for (;;)
    {
      const char *colon;

      if (!read_line (in, line, &budget, cancellable, error))
        return FALSE;
      if (line->len == 0)
        break;
      colon = strchr (line->str, ':');
      if (colon != NULL &&
          (size_t) (colon - line->str) == strlen ("Content-Range") &&
          g_ascii_strncasecmp (line->str, "Content-Range", colon - line->str) == 0)
        {
          gint64 first, last, length;

          if (!dp_parse_content_range (colon + 1, &first, &last, &length))
            {
              /* Never guess where data starts: the rest of the headers
               * would land in the file. */
              g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                   _("The server sent a multipart answer without a valid Content-Range."));
              return FALSE;
            }
          *start = first;
          *end = last + 1;
          *total = length;
          have_range = TRUE;
        }
    }

  if (!have_range)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("The server sent a multipart answer without a valid Content-Range."));
      return FALSE;
    }
  return TRUE;
}

gboolean
dp_answer_open_part (GInputStream  *body,
                     const char    *boundary,
                     gint64        *start,
                     gint64        *end,
                     gint64        *total,
                     GInputStream **part,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GInputStream) buffered = NULL;

  if (boundary == NULL || *boundary == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("The server sent a multipart answer without a boundary."));
      return FALSE;
    }
  buffered = g_buffered_input_stream_new_sized (body, MAX_PART_HEADER);
  if (!open_single_part (G_BUFFERED_INPUT_STREAM (buffered), boundary, start, end, total,
                         cancellable, error))
    return FALSE;
  *part = g_steal_pointer (&buffered);
  return TRUE;
}

gboolean
dp_answer_read (DpAnswer      *answer,
                SoupMessage   *msg,
                GInputStream  *body,
                GCancellable  *cancellable,
                GError       **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  guint status = soup_message_get_status (msg);
  g_autoptr(GHashTable) params = NULL;
  const char *type;

  memset (answer, 0, sizeof *answer);
  answer->kind = DP_ANSWER_STATUS;
  answer->end = -1;
  answer->total = -1;
  answer->encoding = dp_answer_dup_encoding (headers);
  answer->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  answer->last_modified = g_strdup (soup_message_headers_get_one (headers, "Last-Modified"));
  answer->last_modified_strong = dp_last_modified_is_strong (headers);
  answer->stream = g_object_ref (body);

  if (status == SOUP_STATUS_OK)
    {
      answer->kind = DP_ANSWER_WHOLE;
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        answer->end = answer->total = soup_message_headers_get_content_length (headers);
      return TRUE;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
    {
      g_autofree char *value = g_strdup (soup_message_headers_get_one (headers, "Content-Range"));

      /* "bytes * /0" (without the space): the one range "bytes=0-"
       * cannot satisfy is that of an empty file. */
      if (value != NULL)
        {
          char *p = value;
          char *q = value;

          /* Drop optional white space around the parts. */
          for (; *p != '\0'; p++)
            if (*p != ' ' && *p != '\t')
              *q++ = *p;
          *q = '\0';
          if (g_ascii_strcasecmp (value, "bytes*/0") == 0)
            {
              answer->kind = DP_ANSWER_EMPTY;
              answer->start = answer->end = answer->total = 0;
            }
        }
      return TRUE;
    }

  if (status != SOUP_STATUS_PARTIAL_CONTENT)
    return TRUE;

  answer->kind = DP_ANSWER_PARTIAL;
  type = soup_message_headers_get_content_type (headers, &params);
  if (type != NULL && g_ascii_strcasecmp (type, "multipart/byteranges") == 0)
    {
      const char *boundary = params ? g_hash_table_lookup (params, "boundary") : NULL;

      g_clear_object (&answer->stream);
      return dp_answer_open_part (body, boundary, &answer->start, &answer->end, &answer->total,
                                  &answer->stream, cancellable, error);
    }

  {
    const char *value = soup_message_headers_get_one (headers, "Content-Range");
    gint64 first, last, total;

    if (!dp_parse_content_range (value, &first, &last, &total))
      {
        g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                     _("The server sent a malformed Content-Range (“%s”)."),
                     value ? value : "");
        return FALSE;
      }
    answer->start = first;
    answer->end = last + 1;
    answer->total = total;
  }
  return TRUE;
}

gboolean
dp_encoding_get_zlib_format (const char            *encoding,
                             GZlibCompressorFormat *format)
{
  if (g_ascii_strcasecmp (encoding, "gzip") == 0 || g_ascii_strcasecmp (encoding, "x-gzip") == 0)
    *format = G_ZLIB_COMPRESSOR_FORMAT_GZIP;
  else if (g_ascii_strcasecmp (encoding, "deflate") == 0)
    *format = G_ZLIB_COMPRESSOR_FORMAT_ZLIB;
  else
    return FALSE;
  return TRUE;
}

static gboolean
has_suffix_nocase (const char *name,
                   const char *suffix)
{
  size_t n = strlen (name), m = strlen (suffix);

  return n > m && g_ascii_strcasecmp (name + n - m, suffix) == 0;
}

gboolean
dp_encoding_is_the_file (const char *encoding,
                         const char *name)
{
  static const struct { const char *encoding; const char *suffixes[4]; } table[] = {
    { "gzip", { ".gz", ".tgz", ".svgz", NULL } },
    { "x-gzip", { ".gz", ".tgz", ".svgz", NULL } },
    { "br", { ".br", NULL } },
    { "zstd", { ".zst", ".tzst", NULL } },
    { "compress", { ".Z", NULL } },
    { "x-compress", { ".Z", NULL } },
  };

  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      if (g_ascii_strcasecmp (encoding, table[i].encoding) != 0)
        continue;
      for (guint j = 0; table[i].suffixes[j] != NULL; j++)
        if (has_suffix_nocase (name, table[i].suffixes[j]))
          return TRUE;
    }
  return FALSE;
}
