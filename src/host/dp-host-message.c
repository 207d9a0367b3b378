/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "dp-host-message.h"

G_DEFINE_QUARK (dp-host-error-quark, dp_host_error)

void
dp_host_download_free (DpHostDownload *download)
{
  if (download == NULL)
    return;
  g_free (download->url);
  g_free (download->referrer);
  g_free (download->cookies);
  g_free (download->user_agent);
  g_free (download->filename);
  g_free (download);
}

/* ---- framing ----------------------------------------------------------- */

GBytes *
dp_host_read_message (GInputStream  *stream,
                      GCancellable  *cancellable,
                      GError       **error)
{
  guint32 length = 0;
  gsize got = 0;
  g_autofree guint8 *data = NULL;

  if (!g_input_stream_read_all (stream, &length, sizeof length, &got, cancellable, error))
    return NULL;
  if (got == 0)
    return NULL;
  if (got != sizeof length)
    {
      g_set_error_literal (error, DP_HOST_ERROR, DP_HOST_ERROR_FRAMING,
                           "The message's length was cut short.");
      return NULL;
    }
  /* Native byte order, as the browser writes it. */
  if (length == 0 || length > DP_HOST_MAX_MESSAGE)
    {
      g_set_error (error, DP_HOST_ERROR, DP_HOST_ERROR_FRAMING,
                   "A message of %u bytes is not accepted (at most %d).", length,
                   DP_HOST_MAX_MESSAGE);
      return NULL;
    }
  data = g_malloc (length);
  if (!g_input_stream_read_all (stream, data, length, &got, cancellable, error))
    return NULL;
  if (got != length)
    {
      g_set_error (error, DP_HOST_ERROR, DP_HOST_ERROR_FRAMING,
                   "The message ended after %" G_GSIZE_FORMAT " of its %u bytes.", got, length);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), length);
}

gboolean
dp_host_write_message (GOutputStream  *stream,
                       const char     *json,
                       GCancellable   *cancellable,
                       GError        **error)
{
  gsize length = strlen (json);
  guint32 framed = (guint32) length;

  g_return_val_if_fail (length <= DP_HOST_MAX_MESSAGE, FALSE);

  return g_output_stream_write_all (stream, &framed, sizeof framed, NULL, cancellable, error) &&
         g_output_stream_write_all (stream, json, length, NULL, cancellable, error) &&
         g_output_stream_flush (stream, cancellable, error);
}

/* ---- JSON -------------------------------------------------------------- */

/* Nesting deeper than this in a skipped member is refused, so that a
 * hostile message cannot exhaust the stack. */
#define MAX_DEPTH 32

typedef struct
{
  const char *p;
  const char *end;
} Parser;

static gboolean G_GNUC_PRINTF (2, 3)
fail (GError     **error,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL && *error == NULL)
    *error = g_error_new_valist (DP_HOST_ERROR, DP_HOST_ERROR_JSON, format, args);
  va_end (args);
  return FALSE;
}

static void
skip_space (Parser *parser)
{
  while (parser->p < parser->end &&
         (*parser->p == ' ' || *parser->p == '\t' || *parser->p == '\n' || *parser->p == '\r'))
    parser->p++;
}

static gboolean
take (Parser *parser,
      char    c)
{
  skip_space (parser);
  if (parser->p < parser->end && *parser->p == c)
    {
      parser->p++;
      return TRUE;
    }
  return FALSE;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Parser   *parser,
           gunichar *value)
{
  *value = 0;
  if (parser->end - parser->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (parser->p[i]);

      if (digit < 0)
        return FALSE;
      *value = *value * 16 + (gunichar) digit;
    }
  parser->p += 4;
  return TRUE;
}

/* A string, decoded into @out (or only checked when @out is NULL). The
 * input is valid UTF-8, checked once before parsing. */
static gboolean
parse_string (Parser   *parser,
              GString  *out,
              GError  **error)
{
  if (!take (parser, '"'))
    return fail (error, "A string was expected.");

  while (parser->p < parser->end)
    {
      char c = *parser->p++;

      if (c == '"')
        return TRUE;
      if ((guchar) c < 0x20)
        return fail (error, "A string holds an unescaped control character.");
      if (c != '\\')
        {
          if (out != NULL)
            g_string_append_c (out, c);
          continue;
        }
      if (parser->p >= parser->end)
        break;
      c = *parser->p++;
      switch (c)
        {
        case '"': case '\\': case '/':
          if (out != NULL)
            g_string_append_c (out, c);
          break;
        case 'b': if (out != NULL) g_string_append_c (out, '\b'); break;
        case 'f': if (out != NULL) g_string_append_c (out, '\f'); break;
        case 'n': if (out != NULL) g_string_append_c (out, '\n'); break;
        case 'r': if (out != NULL) g_string_append_c (out, '\r'); break;
        case 't': if (out != NULL) g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar unit, low;

            if (!read_hex4 (parser, &unit))
              return fail (error, "A \\u escape needs four hexadecimal digits.");
            if (unit >= 0xDC00 && unit <= 0xDFFF)
              return fail (error, "A string holds half of a surrogate pair.");
            if (unit >= 0xD800 && unit <= 0xDBFF)
              {
                if (parser->end - parser->p < 2 || parser->p[0] != '\\' || parser->p[1] != 'u')
                  return fail (error, "A string holds half of a surrogate pair.");
                parser->p += 2;
                if (!read_hex4 (parser, &low) || low < 0xDC00 || low > 0xDFFF)
                  return fail (error, "A string holds half of a surrogate pair.");
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
              }
            if (unit == 0)
              return fail (error, "A string holds a NUL character.");
            if (out != NULL)
              g_string_append_unichar (out, unit);
          }
          break;
        default:
          return fail (error, "A string holds an unknown escape.");
        }
    }
  return fail (error, "A string is not closed.");
}

static gboolean
skip_literal (Parser     *parser,
              const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (parser->end - parser->p) < length || memcmp (parser->p, word, length) != 0)
    return FALSE;
  parser->p += length;
  return TRUE;
}

static gboolean
skip_number (Parser *parser)
{
  const char *start = parser->p;

  if (parser->p < parser->end && *parser->p == '-')
    parser->p++;
  if (parser->p >= parser->end || !g_ascii_isdigit (*parser->p))
    return FALSE;
  if (*parser->p == '0')
    parser->p++;
  else
    while (parser->p < parser->end && g_ascii_isdigit (*parser->p))
      parser->p++;
  if (parser->p < parser->end && *parser->p == '.')
    {
      parser->p++;
      if (parser->p >= parser->end || !g_ascii_isdigit (*parser->p))
        return FALSE;
      while (parser->p < parser->end && g_ascii_isdigit (*parser->p))
        parser->p++;
    }
  if (parser->p < parser->end && (*parser->p == 'e' || *parser->p == 'E'))
    {
      parser->p++;
      if (parser->p < parser->end && (*parser->p == '+' || *parser->p == '-'))
        parser->p++;
      if (parser->p >= parser->end || !g_ascii_isdigit (*parser->p))
        return FALSE;
      while (parser->p < parser->end && g_ascii_isdigit (*parser->p))
        parser->p++;
    }
  return parser->p > start;
}

/* Any value, checked and thrown away. */
static gboolean
skip_value (Parser  *parser,
            int      depth,
            GError **error)
{
  skip_space (parser);
  if (parser->p >= parser->end)
    return fail (error, "A value is missing.");
  if (depth > MAX_DEPTH)
    return fail (error, "The message is nested too deeply.");

  switch (*parser->p)
    {
    case '"':
      return parse_string (parser, NULL, error);
    case '{':
      parser->p++;
      if (take (parser, '}'))
        return TRUE;
      do
        {
          if (!parse_string (parser, NULL, error))
            return FALSE;
          if (!take (parser, ':'))
            return fail (error, "A member has no “:”.");
          if (!skip_value (parser, depth + 1, error))
            return FALSE;
        }
      while (take (parser, ','));
      return take (parser, '}') || fail (error, "An object is not closed.");
    case '[':
      parser->p++;
      if (take (parser, ']'))
        return TRUE;
      do
        if (!skip_value (parser, depth + 1, error))
          return FALSE;
      while (take (parser, ','));
      return take (parser, ']') || fail (error, "An array is not closed.");
    case 't':
      return skip_literal (parser, "true") || fail (error, "Not JSON.");
    case 'f':
      return skip_literal (parser, "false") || fail (error, "Not JSON.");
    case 'n':
      return skip_literal (parser, "null") || fail (error, "Not JSON.");
    default:
      return skip_number (parser) || fail (error, "Not JSON.");
    }
}

/* ---- the download ------------------------------------------------------ */

static const char * const known_fields[] = { "url", "referrer", "cookies", "userAgent", "filename" };

static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL && *error == NULL)
    *error = g_error_new_valist (DP_HOST_ERROR, DP_HOST_ERROR_INVALID, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
has_control_characters (const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if (*p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

static gboolean
is_web_address (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_ENCODED | G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  const char *scheme;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static gboolean
check_field (const char  *name,
             const char  *value,
             gsize        max,
             gboolean     address,
             GError     **error)
{
  if (strlen (value) > max)
    return invalid (error, "“%s” is longer than %" G_GSIZE_FORMAT " bytes.", name, max);
  if (has_control_characters (value))
    return invalid (error, "“%s” holds a control character.", name);
  if (address && !is_web_address (value))
    return invalid (error, "“%s” is not an http:// or https:// address.", name);
  return TRUE;
}

DpHostDownload *
dp_host_parse_download (const char  *json,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(DpHostDownload) download = g_new0 (DpHostDownload, 1);
  char **slots[G_N_ELEMENTS (known_fields)] = {
    &download->url, &download->referrer, &download->cookies, &download->user_agent,
    &download->filename,
  };
  const gsize bounds[G_N_ELEMENTS (known_fields)] = {
    DP_HOST_MAX_URL, DP_HOST_MAX_URL, DP_HOST_MAX_COOKIES, DP_HOST_MAX_USER_AGENT,
    DP_HOST_MAX_FILENAME,
  };
  gboolean seen[G_N_ELEMENTS (known_fields)] = { FALSE, };
  Parser parser = { json, json + length };

  /* Raw NULs and broken UTF-8 are never valid JSON text. */
  if (json == NULL || !g_utf8_validate (json, (gssize) length, NULL))
    {
      fail (error, "The message is not UTF-8 text.");
      return NULL;
    }

  if (!take (&parser, '{'))
    {
      fail (error, "The message is not a JSON object.");
      return NULL;
    }
  if (!take (&parser, '}'))
    {
      do
        {
          g_autoptr(GString) key = g_string_new (NULL);
          int field = -1;

          if (!parse_string (&parser, key, error))
            return NULL;
          if (!take (&parser, ':'))
            {
              fail (error, "A member has no “:”.");
              return NULL;
            }
          for (guint i = 0; i < G_N_ELEMENTS (known_fields); i++)
            if (strcmp (key->str, known_fields[i]) == 0 && strlen (known_fields[i]) == key->len)
              field = (int) i;

          if (field < 0)
            {
              /* A newer extension's field: skipped, whatever it holds. */
              if (!skip_value (&parser, 1, error))
                return NULL;
              continue;
            }
          if (seen[field])
            {
              invalid (error, "“%s” is given twice.", known_fields[field]);
              return NULL;
            }
          seen[field] = TRUE;
          skip_space (&parser);
          if (skip_literal (&parser, "null"))
            continue;
          if (parser.p >= parser.end || *parser.p != '"')
            {
              if (!skip_value (&parser, 1, error))
                return NULL;
              invalid (error, "“%s” must be a string.", known_fields[field]);
              return NULL;
            }
          {
            g_autoptr(GString) value = g_string_new (NULL);

            if (!parse_string (&parser, value, error))
              return NULL;
            if (value->len > 0)
              *slots[field] = g_string_free (g_steal_pointer (&value), FALSE);
          }
        }
      while (take (&parser, ','));
      if (!take (&parser, '}'))
        {
          fail (error, "The object is not closed.");
          return NULL;
        }
    }
  skip_space (&parser);
  if (parser.p != parser.end)
    {
      fail (error, "The message has more after its object.");
      return NULL;
    }

  if (download->url == NULL)
    {
      invalid (error, "The message has no “url”.");
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (known_fields); i++)
    if (*slots[i] != NULL &&
        !check_field (known_fields[i], *slots[i], bounds[i], i <= 1, error))
      return NULL;

  return g_steal_pointer (&download);
}

/* ---- answers ----------------------------------------------------------- */

char *
dp_host_json_quote (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

char *
dp_host_reply (const char *error_message)
{
  g_autofree char *quoted = NULL;

  if (error_message == NULL)
    return g_strdup ("{\"ok\":true}");
  /* Messages are UTF-8 from this program; anything else is replaced. */
  {
    g_autofree char *valid = g_utf8_make_valid (error_message, -1);

    quoted = dp_host_json_quote (valid);
  }
  return g_strdup_printf ("{\"ok\":false,\"error\":%s}", quoted);
}
