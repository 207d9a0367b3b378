/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dp-headers.h"

#include <string.h>

#define RETRY_AFTER_MAX 86400

/* OWS = *( SP / HTAB ), RFC 9110 §5.6.3 */
static void
skip_ows (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

/* Reads 1*DIGIT as a non-negative gint64; fails on overflow. */
static gboolean
scan_int64 (const char **p,
            gint64      *out)
{
  const char *s = *p;
  gint64 v = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;

  while (g_ascii_isdigit (*s))
    {
      int d = *s - '0';

      if (v > (G_MAXINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
      s++;
    }

  *p = s;
  *out = v;
  return TRUE;
}

gboolean
dp_parse_content_range (const char *value,
                        gint64     *start,
                        gint64     *end,
                        gint64     *total)
{
  const char *p = value;
  gint64 first, last, length;

  if (value == NULL)
    return FALSE;

  skip_ows (&p);
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return FALSE;
  p += 5;

  /* The unit must be a whole word: "bytesX" is some other unit. */
  if (*p != ' ' && *p != '\t')
    return FALSE;
  skip_ows (&p);

  if (!scan_int64 (&p, &first))
    return FALSE;
  skip_ows (&p);
  if (*p++ != '-')
    return FALSE;
  skip_ows (&p);
  if (!scan_int64 (&p, &last))
    return FALSE;
  skip_ows (&p);
  if (*p++ != '/')
    return FALSE;
  skip_ows (&p);

  if (*p == '*')
    {
      length = -1;
      p++;
    }
  else if (!scan_int64 (&p, &length))
    {
      return FALSE;
    }

  skip_ows (&p);
  if (*p != '\0')
    return FALSE;

  if (last < first)
    return FALSE;
  if (length != -1 && last >= length)
    return FALSE;

  if (start != NULL)
    *start = first;
  if (end != NULL)
    *end = last;
  if (total != NULL)
    *total = length;
  return TRUE;
}

/* tchar, RFC 9110 §5.6.2. Bytes >= 0x80 are let through where the
 * caller asks, because servers commonly send raw UTF-8 file names
 * without quoting them. */
static gboolean
is_tchar (unsigned char c,
          gboolean      allow_obs_text)
{
  if (c >= 0x80)
    return allow_obs_text;
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Advances over a token and returns its length (0 when there is none). */
static size_t
scan_token (const char **p,
            gboolean      allow_obs_text)
{
  const char *s = *p;
  size_t len;

  while (is_tchar ((unsigned char) *s, allow_obs_text))
    s++;

  len = s - *p;
  *p = s;
  return len;
}

/* qdtext and the escaped character of a quoted-pair: HTAB, SP, VCHAR
 * and obs-text, i.e. anything but the other controls. */
static gboolean
is_qchar (unsigned char c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Reads a quoted-string starting at the opening quote and returns its
 * unescaped content, or NULL when it is unterminated or contains a
 * control character. A NUL always ends the scan, so a missing closing
 * quote or a final lone backslash cannot run past the string. */
static char *
scan_quoted_string (const char **p)
{
  g_autoptr(GString) out = NULL;
  const char *s = *p;

  if (*s != '"')
    return NULL;
  s++;

  out = g_string_new (NULL);
  for (;;)
    {
      unsigned char c = (unsigned char) *s;

      if (c == '"')
        break;

      if (c == '\\')
        {
          c = (unsigned char) s[1];
          s++;
        }

      if (!is_qchar (c))
        return NULL;

      g_string_append_c (out, (char) c);
      s++;
    }

  *p = s + 1;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
latin1_to_utf8 (const char *s,
                size_t      len)
{
  GString *out = g_string_sized_new (len * 2);
  size_t i;

  for (i = 0; i < len; i++)
    g_string_append_unichar (out, (unsigned char) s[i]);

  return g_string_free (out, FALSE);
}

/* attr-char, RFC 8187 §3.2.1 */
static gboolean
is_attr_char (unsigned char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$&+-.^_`|~", c) != NULL);
}

/* Decodes an RFC 8187 ext-value (charset "'" [ language ] "'"
 * value-chars) into UTF-8. Returns NULL for anything malformed, for
 * other charsets, and for names containing NUL or invalid UTF-8, so
 * the caller can fall back to the plain filename parameter. */
static char *
decode_ext_value (const char *value)
{
  g_autoptr(GString) bytes = NULL;
  const char *charset_end, *lang, *s;

  charset_end = strchr (value, '\'');
  if (charset_end == NULL)
    return NULL;

  for (lang = charset_end + 1; *lang != '\''; lang++)
    {
      /* Language tags (RFC 5646) are letters, digits and hyphens. */
      if (!g_ascii_isalnum (*lang) && *lang != '-')
        return NULL;
    }

  bytes = g_string_new (NULL);
  for (s = lang + 1; *s != '\0'; s++)
    {
      if (*s == '%')
        {
          int hi, lo;

          /* && stops at a NUL, so "%" or "%a" at the end is safe. */
          if (!g_ascii_isxdigit (s[1]) || !g_ascii_isxdigit (s[2]))
            return NULL;
          hi = g_ascii_xdigit_value (s[1]);
          lo = g_ascii_xdigit_value (s[2]);
          if (hi == 0 && lo == 0)
            return NULL;
          g_string_append_c (bytes, (char) (hi << 4 | lo));
          s += 2;
        }
      else if (is_attr_char ((unsigned char) *s))
        {
          g_string_append_c (bytes, *s);
        }
      else
        {
          return NULL;
        }
    }

  if (charset_end - value == 5 && g_ascii_strncasecmp (value, "UTF-8", 5) == 0)
    {
      if (!g_utf8_validate (bytes->str, bytes->len, NULL))
        return NULL;
      return g_string_free (g_steal_pointer (&bytes), FALSE);
    }

  if (charset_end - value == 10 && g_ascii_strncasecmp (value, "ISO-8859-1", 10) == 0)
    return latin1_to_utf8 (bytes->str, bytes->len);

  return NULL;
}

static gboolean
token_equal (const char *token,
             size_t      len,
             const char *name)
{
  return len == strlen (name) && g_ascii_strncasecmp (token, name, len) == 0;
}

char *
dp_parse_content_disposition_filename (const char *value)
{
  g_autofree char *plain = NULL;
  g_autofree char *ext = NULL;
  gboolean seen_plain = FALSE;
  gboolean seen_ext = FALSE;
  gboolean need_separator;
  const char *p = value;
  const char *after;

  if (value == NULL)
    return NULL;

  /* disposition-type, unless the value starts right away with a
   * parameter, which some servers send; we are lenient there. */
  skip_ows (&p);
  after = p;
  if (scan_token (&after, FALSE) == 0)
    return NULL;
  need_separator = TRUE;
  skip_ows (&after);
  if (*after == '=')
    need_separator = FALSE;
  else
    p = after;

  for (;;)
    {
      g_autofree char *param = NULL;
      const char *name;
      size_t name_len;
      gboolean quoted;

      skip_ows (&p);
      if (*p == '\0')
        break;

      /* Empty parameters (";;" or a trailing ";") are tolerated. */
      if (*p == ';')
        {
          p++;
          need_separator = FALSE;
          continue;
        }
      if (need_separator)
        return NULL;

      name = p;
      name_len = scan_token (&p, FALSE);
      if (name_len == 0)
        return NULL;
      skip_ows (&p);
      if (*p != '=')
        return NULL;
      p++;
      skip_ows (&p);

      quoted = *p == '"';
      if (quoted)
        {
          param = scan_quoted_string (&p);
        }
      else
        {
          const char *start = p;
          size_t len = scan_token (&p, TRUE);

          if (len > 0)
            param = g_strndup (start, len);
        }
      if (param == NULL)
        return NULL;
      need_separator = TRUE;

      /* RFC 6266 §4.1: parameters must not repeat; a header that
       * repeats one is ambiguous, so it is rejected as a whole. */
      if (token_equal (name, name_len, "filename"))
        {
          if (seen_plain)
            return NULL;
          seen_plain = TRUE;
          plain = g_steal_pointer (&param);
        }
      else if (token_equal (name, name_len, "filename*"))
        {
          if (seen_ext)
            return NULL;
          seen_ext = TRUE;
          /* An ext-value is never quoted; a quoted one is invalid and
           * ignored like any other broken filename*. */
          if (!quoted)
            ext = decode_ext_value (param);
        }
    }

  if (ext != NULL && *ext != '\0')
    return g_steal_pointer (&ext);

  if (plain == NULL || *plain == '\0')
    return NULL;
  if (g_utf8_validate (plain, -1, NULL))
    return g_steal_pointer (&plain);

  /* HTTP header text is historically ISO-8859-1; treating bytes that
   * are not UTF-8 that way keeps the name instead of dropping it. */
  return latin1_to_utf8 (plain, strlen (plain));
}

static const char *const day_names[] = {
  "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};
static const char *const long_day_names[] = {
  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};
static const char *const month_names[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Matches one of @names (case-sensitively, as HTTP-date is) and
 * returns its index, or -1. */
static int
scan_name (const char        **p,
           const char *const  *names,
           int                 n_names)
{
  int i;

  for (i = 0; i < n_names; i++)
    {
      size_t len = strlen (names[i]);

      /* The following byte must not be a letter, or "Sunday" would
       * match "Sun". */
      if (strncmp (*p, names[i], len) == 0 && !g_ascii_isalpha ((*p)[len]))
        {
          *p += len;
          return i;
        }
    }
  return -1;
}

static gboolean
scan_literal (const char **p,
              const char  *literal)
{
  size_t len = strlen (literal);

  if (strncmp (*p, literal, len) != 0)
    return FALSE;
  *p += len;
  return TRUE;
}

/* Exactly @n_digits digits. */
static gboolean
scan_digits (const char **p,
             int          n_digits,
             int         *out)
{
  int v = 0;
  int i;

  for (i = 0; i < n_digits; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      v = v * 10 + ((*p)[i] - '0');
    }
  *p += n_digits;
  *out = v;
  return TRUE;
}

typedef struct
{
  int year, month, day, hour, minute, second;
} HttpDate;

static gboolean
scan_time_of_day (const char **p,
                  HttpDate    *d)
{
  return scan_digits (p, 2, &d->hour) && scan_literal (p, ":") &&
         scan_digits (p, 2, &d->minute) && scan_literal (p, ":") &&
         scan_digits (p, 2, &d->second);
}

static gboolean
scan_month (const char **p,
            HttpDate    *d)
{
  d->month = scan_name (p, month_names, G_N_ELEMENTS (month_names)) + 1;
  return d->month > 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static gboolean
scan_imf_fixdate (const char *p,
                  HttpDate   *d)
{
  return scan_name (&p, day_names, G_N_ELEMENTS (day_names)) >= 0 &&
         scan_literal (&p, ", ") && scan_digits (&p, 2, &d->day) &&
         scan_literal (&p, " ") && scan_month (&p, d) &&
         scan_literal (&p, " ") && scan_digits (&p, 4, &d->year) &&
         scan_literal (&p, " ") && scan_time_of_day (&p, d) &&
         scan_literal (&p, " GMT") && *p == '\0';
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year) */
static gboolean
scan_rfc850_date (const char *p,
                  HttpDate   *d)
{
  return scan_name (&p, long_day_names, G_N_ELEMENTS (long_day_names)) >= 0 &&
         scan_literal (&p, ", ") && scan_digits (&p, 2, &d->day) &&
         scan_literal (&p, "-") && scan_month (&p, d) &&
         scan_literal (&p, "-") && scan_digits (&p, 2, &d->year) &&
         scan_literal (&p, " ") && scan_time_of_day (&p, d) &&
         scan_literal (&p, " GMT") && *p == '\0';
}

/* asctime-date: "Sun Nov  6 08:49:37 1994" */
static gboolean
scan_asctime_date (const char *p,
                   HttpDate   *d)
{
  if (scan_name (&p, day_names, G_N_ELEMENTS (day_names)) < 0 ||
      !scan_literal (&p, " ") || !scan_month (&p, d) || !scan_literal (&p, " "))
    return FALSE;

  /* ( 2DIGIT / ( SP DIGIT ) ) */
  if (*p == ' ')
    {
      p++;
      if (!scan_digits (&p, 1, &d->day))
        return FALSE;
    }
  else if (!scan_digits (&p, 2, &d->day))
    {
      return FALSE;
    }

  return scan_literal (&p, " ") && scan_time_of_day (&p, d) &&
         scan_literal (&p, " ") && scan_digits (&p, 4, &d->year) &&
         *p == '\0';
}

/* RFC 9110 §5.6.7: a two-digit year more than 50 years in the future
 * means the most recent past year with the same last two digits. We
 * take the year nearest to now, which satisfies that and also reads
 * "00" as 2000 rather than 1900 when seen from 1994. */
static int
expand_two_digit_year (int     yy,
                       gint64  now_unix)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (now_unix);
  int current = now != NULL ? g_date_time_get_year (now) : 1970;
  int year = current - current % 100 + yy;

  if (year > current + 50)
    year -= 100;
  else if (year <= current - 50)
    year += 100;
  return year;
}

static gboolean
parse_http_date (const char *value,
                 gint64      now_unix,
                 gint64     *out)
{
  g_autoptr(GDateTime) dt = NULL;
  HttpDate d = { 0, };

  if (scan_rfc850_date (value, &d))
    d.year = expand_two_digit_year (d.year, now_unix);
  else if (!scan_imf_fixdate (value, &d) && !scan_asctime_date (value, &d))
    return FALSE;

  /* Second 60 is a leap second, which GDateTime does not know. It
   * rejects every other impossible date or time (31 Feb, 24:00, year
   * 0) by returning NULL. */
  if (d.second > 60)
    return FALSE;

  dt = g_date_time_new_utc (d.year, d.month, d.day, d.hour, d.minute, MIN (d.second, 59));
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt) + (d.second == 60);
  return TRUE;
}

gint64
dp_parse_retry_after (const char *value,
                      gint64      now_unix)
{
  g_autofree char *trimmed = NULL;
  gint64 when;
  const char *p = value;
  size_t len;

  if (value == NULL)
    return -1;

  /* Work on a copy without the surrounding OWS, so the scanners can
   * insist on the end of the string right after the value. */
  skip_ows (&p);
  len = strlen (p);
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  trimmed = g_strndup (p, len);
  p = trimmed;

  if (g_ascii_isdigit (*p))
    {
      gint64 delay = 0;

      /* Saturate instead of overflowing: any huge delay means a day. */
      for (; g_ascii_isdigit (*p); p++)
        delay = MIN (delay * 10 + (*p - '0'), RETRY_AFTER_MAX + 1);
      if (*p != '\0')
        return -1;
      return MIN (delay, RETRY_AFTER_MAX);
    }

  if (!parse_http_date (p, now_unix, &when))
    return -1;

  /* Compare before subtracting so an extreme now_unix cannot overflow;
   * when itself lies within the years 1 to 9999. */
  if (when <= now_unix)
    return 0;
  if (now_unix < when - RETRY_AFTER_MAX)
    return RETRY_AFTER_MAX;
  return when - now_unix;
}
