/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dp-names.h"

#include "dp-headers.h"

#include <string.h>

/* Longest extension, dot included, that is kept when a name has to be
 * shortened or numbered. Anything longer is more likely part of the
 * name ("Minutes 2024. Final draft") than a file type. */
#define EXTENSION_MAX 16

static gboolean
is_trimmed_char (char c)
{
  return c == '.' || c == ' ';
}

/* Returns the offset of the dot that starts @name's extension, or @len
 * when it has none. A leading dot is not an extension separator, and
 * ".tar.gz" and friends count as one extension. */
static size_t
find_extension (const char *name,
                size_t      len)
{
  size_t dot = len;

  if (len == 0 || name[0] == '.')
    return len;

  while (dot > 0 && name[dot - 1] != '.')
    dot--;
  if (dot <= 1)
    return len;
  dot--;

  if (len - dot < 2 || len - dot > EXTENSION_MAX || memchr (name + dot, ' ', len - dot) != NULL)
    return len;

  if (dot > 4 && g_ascii_strncasecmp (name + dot - 4, ".tar", 4) == 0 &&
      len - (dot - 4) <= EXTENSION_MAX)
    dot -= 4;

  return dot;
}

/* Largest length <= @max that does not split a UTF-8 sequence. */
static size_t
utf8_cut (const char *s,
          size_t      len,
          size_t      max)
{
  if (len <= max)
    return len;
  while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80)
    max--;
  return max;
}

/* Joins stem, @infix and the extension of @name (of @len bytes),
 * shortening the stem so the result fits into DP_NAME_MAX bytes. */
static char *
join_within_limit (const char *name,
                   size_t      len,
                   const char *infix)
{
  size_t dot = find_extension (name, len);
  size_t ext_len = len - dot;
  size_t infix_len = strlen (infix);
  size_t stem_len = dot;
  GString *out;

  if (stem_len + infix_len + ext_len > DP_NAME_MAX)
    {
      /* EXTENSION_MAX and any " (n)" leave room for a stem. */
      stem_len = utf8_cut (name, stem_len, DP_NAME_MAX - infix_len - ext_len);

      /* A cut can expose dots and spaces; "Long title .pdf" would
       * look odd, and without an extension they would trail. */
      while (stem_len > 1 && is_trimmed_char (name[stem_len - 1]))
        stem_len--;
    }

  out = g_string_sized_new (stem_len + infix_len + ext_len);
  g_string_append_len (out, name, stem_len);
  g_string_append (out, infix);
  g_string_append_len (out, name + dot, ext_len);
  return g_string_free (out, FALSE);
}

char *
dp_sanitize_filename (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = NULL;
  const char *p;
  size_t start, end;

  if (name == NULL)
    return NULL;

  valid = g_utf8_make_valid (name, -1);
  out = g_string_sized_new (strlen (valid));

  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\')
        g_string_append_c (out, '_');
      else if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        continue;
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }

  /* Trim only after the mapping: "\x01.bashrc" must not stay hidden. */
  start = 0;
  while (start < out->len && is_trimmed_char (out->str[start]))
    start++;
  end = out->len;
  while (end > start && is_trimmed_char (out->str[end - 1]))
    end--;

  if (start == end)
    return NULL;

  return join_within_limit (out->str + start, end - start, "");
}

char *
dp_filename_from_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *decoded = NULL;
  const char *path, *seg, *seg_end;

  if (url == NULL)
    return NULL;

  /* Keep every part encoded: the path is decoded below, segment by
   * segment, so an encoded '/' cannot split it, and a stray '%' in the
   * query must not make the whole URL unusable. */
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri == NULL)
    return NULL;

  path = g_uri_get_path (uri);
  seg_end = path + strlen (path);
  while (seg_end > path && seg_end[-1] == '/')
    seg_end--;
  seg = seg_end;
  while (seg > path && seg[-1] != '/')
    seg--;
  if (seg == seg_end)
    return NULL;

  /* NULL for bad escapes and for %00; the raw text is still a better
   * name than none. */
  decoded = g_uri_unescape_segment (seg, seg_end, NULL);
  if (decoded == NULL)
    decoded = g_strndup (seg, seg_end - seg);

  return dp_sanitize_filename (decoded);
}

/* The part of @name after its last '/' or '\\'. */
static const char *
last_path_segment (const char *name)
{
  const char *last = name;

  for (const char *p = name; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      last = p + 1;
  return last;
}

char *
dp_derive_filename (const char *content_disposition,
                    const char *final_url)
{
  g_autofree char *from_header = NULL;
  char *name = NULL;

  /* RFC 6266, section 4.3: a file name with path parts counts only by
   * its last one. */
  from_header = dp_parse_content_disposition_filename (content_disposition);
  if (from_header != NULL)
    name = dp_sanitize_filename (last_path_segment (from_header));
  if (name == NULL)
    name = dp_filename_from_url (final_url);
  if (name == NULL)
    name = g_strdup ("download");
  return name;
}

char *
dp_numbered_filename (const char *name,
                      guint       n)
{
  char infix[32];

  g_return_val_if_fail (name != NULL, NULL);

  g_snprintf (infix, sizeof infix, " (%u)", n);
  return join_within_limit (name, strlen (name), infix);
}
