/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dp-digest.h"

#include <string.h>

/* A Link value longer than this is not a list of mirrors but an attack
 * or a broken server; it is ignored whole rather than cut somewhere. */
#define LINK_MAX_INPUT (64 * 1024)
#define LINK_MAX_RESULTS 64

/* RFC 6249 §3.4: "pri" runs from 1 (best) to 999999, the default. */
#define PRIORITY_MIN 1
#define PRIORITY_DEFAULT 999999

#define SHA256_BYTES 32
#define SHA512_BYTES 64

/* Where a usable digest may be: the base64 text of the last member of
 * one algorithm, not yet decoded. */
typedef struct
{
  gboolean seen;
  const char *b64;  /* NULL when the last member was not a digest at all */
  size_t len;
} DigestText;

typedef struct
{
  DigestText sha256;
  DigestText sha512;
} DigestTexts;

static gboolean
in_set (char        c,
        const char *set)
{
  return c != '\0' && strchr (set, c) != NULL;
}

/* OWS = *( SP / HTAB ), RFC 9110 §5.6.3 */
static void
skip_ows (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static void
skip_sp (const char **p)
{
  while (**p == ' ')
    (*p)++;
}

/* tchar, RFC 9110 §5.6.2 */
static gboolean
is_tchar (char c)
{
  return g_ascii_isalnum (c) || in_set (c, "!#$%&'*+-.^_`|~");
}

/* Base64 */

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=';
}

static int
base64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Decodes @len characters of base64 that are all is_base64_char(), and
 * returns the bytes only when they are exactly @expected many and the
 * text is canonical base64 (RFC 4648 §4): "=" only at the end and as
 * much as the length asks, pad bits zero. Missing padding is accepted.
 * g_base64_decode() itself takes any garbage, so it only ever sees a
 * text that passed these checks. */
static guchar *
decode_base64 (const char *text,
               size_t      len,
               size_t      expected)
{
  g_autofree char *copy = NULL;
  g_autofree guchar *bytes = NULL;
  size_t data = len;
  size_t pads, rest, decoded;
  gsize out_len = 0;

  while (data > 0 && text[data - 1] == '=')
    data--;
  pads = len - data;
  rest = data % 4;

  if (pads > 2 || memchr (text, '=', data) != NULL)
    return NULL;
  if (rest == 1)
    return NULL;
  if (pads > 0 && (rest == 0 || (data + pads) % 4 != 0))
    return NULL;

  /* The bits of the last character that fall past the last byte. */
  if (rest == 2 && (base64_value (text[data - 1]) & 0x0f) != 0)
    return NULL;
  if (rest == 3 && (base64_value (text[data - 1]) & 0x03) != 0)
    return NULL;

  decoded = data / 4 * 3 + (rest == 0 ? 0 : rest - 1);
  if (decoded != expected)
    return NULL;

  copy = g_malloc (data + 4);
  memcpy (copy, text, data);
  memcpy (copy + data, "===", rest == 0 ? 0 : 4 - rest);
  copy[data + (rest == 0 ? 0 : 4 - rest)] = '\0';

  bytes = g_base64_decode (copy, &out_len);
  if (out_len != expected)
    return NULL;
  return g_steal_pointer (&bytes);
}

static DpChecksum *
checksum_from_base64 (const DigestText *text,
                      GChecksumType     type,
                      size_t            n_bytes)
{
  g_autofree guchar *bytes = NULL;

  if (!text->seen || text->b64 == NULL)
    return NULL;

  bytes = decode_base64 (text->b64, text->len, n_bytes);
  if (bytes == NULL)
    return NULL;
  return dp_checksum_new_from_bytes (type, bytes, n_bytes);
}

/* The strongest usable digest: SHA-512, else SHA-256. */
static DpChecksum *
pick_digest (const DigestTexts *texts)
{
  DpChecksum *checksum = checksum_from_base64 (&texts->sha512, G_CHECKSUM_SHA512, SHA512_BYTES);

  if (checksum == NULL)
    checksum = checksum_from_base64 (&texts->sha256, G_CHECKSUM_SHA256, SHA256_BYTES);
  return checksum;
}

/* Notes the value of a member named @name (@name_len bytes); @b64 is
 * NULL when the member is no candidate, which still replaces an
 * earlier member of the same name. Names are compared without regard
 * to case, as RFC 3230 wants; a Dictionary key is lowercase anyway. */
static void
remember (DigestTexts *texts,
          const char  *name,
          size_t       name_len,
          const char  *b64,
          size_t       b64_len)
{
  DigestText *slot;

  if (name_len != 7)
    return;
  if (g_ascii_strncasecmp (name, "sha-256", 7) == 0)
    slot = &texts->sha256;
  else if (g_ascii_strncasecmp (name, "sha-512", 7) == 0)
    slot = &texts->sha512;
  else
    return;

  slot->seen = TRUE;
  slot->b64 = b64;
  slot->len = b64_len;
}

/* Structured Fields (RFC 8941 §4.2), only as far as a Dictionary needs:
 * every function checks syntax and advances, none builds values. Of a
 * byte sequence, the base64 text is handed back; for every other item
 * that pointer is NULL. */

static gboolean
is_lcalpha (char c)
{
  return c >= 'a' && c <= 'z';
}

/* §4.2.3.3 */
static gboolean
sf_parse_key (const char **p,
              const char **key,
              size_t      *key_len)
{
  const char *s = *p;

  if (!is_lcalpha (*s) && *s != '*')
    return FALSE;
  s++;
  while (is_lcalpha (*s) || g_ascii_isdigit (*s) || in_set (*s, "_-.*"))
    s++;

  *key = *p;
  *key_len = s - *p;
  *p = s;
  return TRUE;
}

/* §4.2.4: at most 15 digits, or 12 and up to 3 after the point. */
static gboolean
sf_parse_number (const char **p)
{
  const char *s = *p;
  gboolean decimal = FALSE;
  size_t chars = 0, fraction = 0;

  if (*s == '-')
    s++;
  if (!g_ascii_isdigit (*s))
    return FALSE;

  for (;; s++)
    {
      if (g_ascii_isdigit (*s))
        {
          chars++;
          if (decimal)
            fraction++;
        }
      else if (!decimal && *s == '.')
        {
          if (chars > 12)
            return FALSE;
          chars++;
          decimal = TRUE;
        }
      else
        break;

      if (chars > (decimal ? 16 : 15))
        return FALSE;
    }

  if (decimal && (fraction == 0 || fraction > 3))
    return FALSE;
  *p = s;
  return TRUE;
}

/* §4.2.5: printable ASCII, only \" and \\ escaped. */
static gboolean
sf_parse_string (const char **p)
{
  const char *s = *p + 1;

  for (;; s++)
    {
      if (*s == '"')
        break;
      if (*s == '\\')
        {
          s++;
          if (*s != '"' && *s != '\\')
            return FALSE;
        }
      else if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
        return FALSE;
    }

  *p = s + 1;
  return TRUE;
}

/* §4.2.6 */
static gboolean
sf_parse_token (const char **p)
{
  const char *s = *p;

  if (!g_ascii_isalpha (*s) && *s != '*')
    return FALSE;
  s++;
  while (is_tchar (*s) || *s == ':' || *s == '/')
    s++;

  *p = s;
  return TRUE;
}

/* §4.2.7: the content must be base64 characters only; whether they
 * decode is the caller's business. */
static gboolean
sf_parse_byte_sequence (const char **p,
                        const char **b64,
                        size_t      *b64_len)
{
  const char *s = *p + 1;
  const char *start = s;

  while (is_base64_char (*s))
    s++;
  if (*s != ':')
    return FALSE;

  *b64 = start;
  *b64_len = s - start;
  *p = s + 1;
  return TRUE;
}

/* §4.2.3.1 */
static gboolean
sf_parse_bare_item (const char **p,
                    const char **b64,
                    size_t      *b64_len)
{
  char c = **p;

  *b64 = NULL;
  *b64_len = 0;
  if (c == '-' || g_ascii_isdigit (c))
    return sf_parse_number (p);
  if (c == '"')
    return sf_parse_string (p);
  if (c == '*' || g_ascii_isalpha (c))
    return sf_parse_token (p);
  if (c == ':')
    return sf_parse_byte_sequence (p, b64, b64_len);
  if (c == '?')
    {
      if ((*p)[1] != '0' && (*p)[1] != '1')
        return FALSE;
      *p += 2;
      return TRUE;
    }
  return FALSE;
}

/* §4.2.3.2 */
static gboolean
sf_parse_parameters (const char **p)
{
  while (**p == ';')
    {
      const char *key, *b64;
      size_t key_len, b64_len;

      (*p)++;
      skip_sp (p);
      if (!sf_parse_key (p, &key, &key_len))
        return FALSE;
      if (**p == '=')
        {
          (*p)++;
          if (!sf_parse_bare_item (p, &b64, &b64_len))
            return FALSE;
        }
    }
  return TRUE;
}

/* §4.2.3 */
static gboolean
sf_parse_item (const char **p,
               const char **b64,
               size_t      *b64_len)
{
  return sf_parse_bare_item (p, b64, b64_len) && sf_parse_parameters (p);
}

/* §4.2.1.2 */
static gboolean
sf_parse_inner_list (const char **p)
{
  (*p)++;
  for (;;)
    {
      const char *b64;
      size_t b64_len;

      skip_sp (p);
      if (**p == ')')
        {
          (*p)++;
          return sf_parse_parameters (p);
        }
      if (!sf_parse_item (p, &b64, &b64_len))
        return FALSE;
      if (**p != ' ' && **p != ')')
        return FALSE;
    }
}

/* §4.2.2, noting the members that may hold a digest. */
static gboolean
sf_parse_dictionary (const char  *value,
                     DigestTexts *texts)
{
  const char *p = value;

  /* Field values arrive without surrounding OWS; a combined or hand
   * made one may still have some. */
  skip_ows (&p);
  if (*p == '\0')
    return TRUE;

  for (;;)
    {
      const char *key, *b64 = NULL;
      size_t key_len, b64_len = 0;

      if (!sf_parse_key (&p, &key, &key_len))
        return FALSE;

      if (*p == '=')
        {
          p++;
          if (*p == '(')
            {
              if (!sf_parse_inner_list (&p))
                return FALSE;
            }
          else if (!sf_parse_item (&p, &b64, &b64_len))
            return FALSE;
        }
      /* Without a value, a Boolean true: no digest. */
      else if (!sf_parse_parameters (&p))
        return FALSE;

      remember (texts, key, key_len, b64, b64_len);

      skip_ows (&p);
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        return FALSE;
      p++;
      skip_ows (&p);
      if (*p == '\0')
        return FALSE;
    }
}

DpChecksum *
dp_digest_parse_repr (const char *value)
{
  DigestTexts texts = { { 0, }, };

  if (value == NULL || !sf_parse_dictionary (value, &texts))
    return NULL;
  return pick_digest (&texts);
}

/* Moves past one broken list element: to the next comma that is not
 * inside <…> or a quoted string (or to the end). */
static void
skip_element (const char **p)
{
  const char *s = *p;

  while (*s != '\0' && *s != ',')
    {
      if (*s == '"')
        {
          for (s++; *s != '\0' && *s != '"'; s++)
            {
              if (*s == '\\' && s[1] != '\0')
                s++;
            }
        }
      else if (*s == '<')
        {
          while (*s != '\0' && *s != '>')
            s++;
        }

      if (*s != '\0')
        s++;
    }
  *p = s;
}

/* One "algorithm=digest" of RFC 3230, the digest a token or quoted. */
static gboolean
parse_legacy_element (const char **p,
                      DigestTexts *texts)
{
  const char *s = *p;
  const char *name = s;
  const char *b64;
  size_t name_len, b64_len;

  while (is_tchar (*s))
    s++;
  name_len = s - name;
  if (name_len == 0)
    return FALSE;

  skip_ows (&s);
  if (*s != '=')
    return FALSE;
  s++;
  skip_ows (&s);

  if (*s == '"')
    {
      b64 = ++s;
      while (is_base64_char (*s))
        s++;
      if (*s != '"')
        return FALSE;
      b64_len = s - b64;
      s++;
    }
  else
    {
      b64 = s;
      while (is_base64_char (*s))
        s++;
      b64_len = s - b64;
    }
  if (b64_len == 0)
    return FALSE;

  skip_ows (&s);
  if (*s != ',' && *s != '\0')
    return FALSE;

  remember (texts, name, name_len, b64, b64_len);
  *p = s;
  return TRUE;
}

DpChecksum *
dp_digest_parse_legacy (const char *value)
{
  DigestTexts texts = { { 0, }, };
  const char *p = value;

  if (value == NULL)
    return NULL;

  for (;;)
    {
      const char *element;

      skip_ows (&p);
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p == '\0')
        break;

      element = p;
      if (!parse_legacy_element (&p, &texts))
        {
          p = element;
          skip_element (&p);
        }
    }

  return pick_digest (&texts);
}

DpChecksum *
dp_digest_from_headers (SoupMessageHeaders *headers)
{
  DpChecksum *checksum;

  if (headers == NULL)
    return NULL;

  checksum = dp_digest_parse_repr (soup_message_headers_get_list (headers, "Repr-Digest"));
  if (checksum == NULL)
    checksum = dp_digest_parse_legacy (soup_message_headers_get_list (headers, "Digest"));
  return checksum;
}

/* Link (RFC 8288) */

void
dp_duplicate_link_free (DpDuplicateLink *link)
{
  if (link == NULL)
    return;
  g_free (link->url);
  g_free (link);
}

typedef struct
{
  const char *target;
  size_t target_len;
  gboolean rel_seen;
  gboolean duplicate;
  gboolean pri_seen;
  guint priority;
  gboolean anchor_seen;
  char *anchor;
} LinkValue;

static void
link_value_clear (LinkValue *lv)
{
  g_clear_pointer (&lv->anchor, g_free);
}

/* A quoted-string (RFC 9110 §5.6.4) starting at the quote, unescaped;
 * NULL when it is unterminated or holds a control character. */
static char *
scan_quoted_string (const char **p)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *s = *p + 1;

  for (;; s++)
    {
      unsigned char c = (unsigned char) *s;

      if (c == '"')
        break;
      if (c == '\\')
        c = (unsigned char) *++s;
      if (c != '\t' && (c < 0x20 || c == 0x7f))
        return NULL;
      g_string_append_c (out, (char) c);
    }

  *p = s + 1;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* An unquoted parameter value. RFC 8288 asks for a token; servers also
 * send URIs and other visible text, which cannot be mistaken for the
 * next parameter or link as long as it stops at ";" and ",". */
static gboolean
is_bare_value_char (char c)
{
  return c > 0x20 && c < 0x7f && c != ';' && c != ',' && c != '"';
}

/* Whether the space-separated relation types in @rel include
 * "duplicate" (RFC 8288 §3.3, case-insensitive). */
static gboolean
has_duplicate_relation (const char *rel)
{
  const char *p = rel;

  for (;;)
    {
      const char *start;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        return FALSE;
      start = p;
      while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
      if (p - start == 9 && g_ascii_strncasecmp (start, "duplicate", 9) == 0)
        return TRUE;
    }
}

static guint
parse_priority (const char *text)
{
  guint value = 0;
  const char *p;

  if (text == NULL || *text == '\0')
    return PRIORITY_DEFAULT;

  /* Saturate past the range instead of overflowing. */
  for (p = text; g_ascii_isdigit (*p); p++)
    value = MIN (value * 10 + (guint) (*p - '0'), PRIORITY_DEFAULT + 1);
  if (*p != '\0' || value < PRIORITY_MIN || value > PRIORITY_DEFAULT)
    return PRIORITY_DEFAULT;
  return value;
}

static gboolean
param_is (const char *name,
          size_t      len,
          const char *wanted)
{
  return len == strlen (wanted) && g_ascii_strncasecmp (name, wanted, len) == 0;
}

/* One link-value: "<" URI-Reference ">" *( OWS ";" OWS link-param ). */
static gboolean
parse_link_value (const char **p,
                  LinkValue   *lv)
{
  const char *s = *p;

  if (*s != '<')
    return FALSE;
  lv->target = ++s;
  while (*s != '\0' && *s != '>')
    s++;
  if (*s != '>')
    return FALSE;
  lv->target_len = s - lv->target;
  s++;

  lv->priority = PRIORITY_DEFAULT;
  for (;;)
    {
      g_autofree char *value = NULL;
      const char *name;
      size_t name_len;

      skip_ows (&s);
      if (*s != ';')
        break;
      s++;
      skip_ows (&s);

      /* An empty parameter (";;", a trailing ";") is tolerated. */
      if (*s == ';' || *s == ',' || *s == '\0')
        continue;

      name = s;
      while (is_tchar (*s))
        s++;
      name_len = s - name;
      if (name_len == 0)
        return FALSE;

      skip_ows (&s);
      if (*s == '=')
        {
          s++;
          skip_ows (&s);
          if (*s == '"')
            {
              value = scan_quoted_string (&s);
              if (value == NULL)
                return FALSE;
            }
          else
            {
              const char *start = s;

              while (is_bare_value_char (*s))
                s++;
              if (s == start)
                return FALSE;
              value = g_strndup (start, s - start);
            }
        }

      /* §3.3: only the first "rel" counts; the same is done with the
       * others, which are not meant to repeat either. */
      if (param_is (name, name_len, "rel") && !lv->rel_seen)
        {
          lv->rel_seen = TRUE;
          lv->duplicate = value != NULL && has_duplicate_relation (value);
        }
      else if (param_is (name, name_len, "pri") && !lv->pri_seen)
        {
          lv->pri_seen = TRUE;
          lv->priority = parse_priority (value);
        }
      else if (param_is (name, name_len, "anchor") && !lv->anchor_seen)
        {
          lv->anchor_seen = TRUE;
          lv->anchor = value != NULL ? g_steal_pointer (&value) : g_strdup ("");
        }
    }

  if (*s != ',' && *s != '\0')
    return FALSE;
  *p = s;
  return TRUE;
}

/* The form addresses are compared and returned in: http or https with
 * a host, the host in lowercase, no fragment. NULL for anything else. */
static char *
canonical_address (GUri *uri)
{
  g_autoptr(GUri) bare = NULL;
  g_autoptr(GUri) again = NULL;
  g_autofree char *host = NULL;
  g_autofree char *text = NULL;
  const char *scheme;

  if (uri == NULL)
    return NULL;

  scheme = g_uri_get_scheme (uri);
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    return NULL;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;

  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  bare = soup_uri_copy (uri, SOUP_URI_HOST, host, SOUP_URI_FRAGMENT, NULL, SOUP_URI_NONE);
  if (bare == NULL)
    return NULL;
  text = g_uri_to_string (bare);

  /* What is handed out must be an address the engine can use. */
  again = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL);
  if (again == NULL || g_uri_get_host (again) == NULL || *g_uri_get_host (again) == '\0')
    return NULL;
  return g_steal_pointer (&text);
}

/* @ref resolved against @base (which may be NULL), canonical, or NULL
 * when it is no usable address. */
static char *
resolve_address (GUri       *base,
                 const char *ref,
                 size_t      len)
{
  g_autofree char *text = g_strndup (ref, len);
  g_autoptr(GUri) uri = NULL;

  /* A URI-Reference (RFC 3986) is visible ASCII only; what is not is
   * left out rather than guessed at. */
  for (size_t i = 0; i < len; i++)
    {
      if ((unsigned char) ref[i] <= 0x20 || (unsigned char) ref[i] >= 0x7f)
        return NULL;
    }

  uri = g_uri_parse_relative (base, text, SOUP_HTTP_URI_FLAGS, NULL);
  return canonical_address (uri);
}

static gint
compare_priority (gconstpointer a,
                  gconstpointer b)
{
  const DpDuplicateLink *x = *(DpDuplicateLink *const *) a;
  const DpDuplicateLink *y = *(DpDuplicateLink *const *) b;

  return (x->priority > y->priority) - (x->priority < y->priority);
}

GPtrArray *
dp_link_parse_duplicates (const char *value,
                          GUri       *base)
{
  GPtrArray *links = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_duplicate_link_free);
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GUri) base_uri = NULL;
  g_autofree char *base_address = NULL;
  const char *p = value;

  if (value == NULL || strnlen (value, LINK_MAX_INPUT + 1) > LINK_MAX_INPUT)
    return links;

  /* The base in the same form the targets are brought to, so that it
   * can be recognised among them. */
  if (base != NULL)
    {
      g_autofree char *text = g_uri_to_string (base);

      base_uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL);
      base_address = canonical_address (base_uri);
    }

  /* Keys are the links' own url strings, owned by the array. */
  seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (;;)
    {
      LinkValue lv = { NULL, };
      const char *element;
      DpDuplicateLink *link;
      char *url;

      skip_ows (&p);
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p == '\0')
        break;

      element = p;
      if (!parse_link_value (&p, &lv))
        {
          link_value_clear (&lv);
          p = element;
          skip_element (&p);
          continue;
        }

      if (!lv.duplicate)
        {
          link_value_clear (&lv);
          continue;
        }

      /* A link with another context (RFC 8288 §3.2) is about some
       * other resource, not about this one. */
      if (lv.anchor != NULL && *lv.anchor != '\0')
        {
          g_autofree char *anchor = resolve_address (base_uri, lv.anchor, strlen (lv.anchor));

          if (anchor == NULL || base_address == NULL || strcmp (anchor, base_address) != 0)
            {
              link_value_clear (&lv);
              continue;
            }
        }

      url = resolve_address (base_uri, lv.target, lv.target_len);
      if (url == NULL || (base_address != NULL && strcmp (url, base_address) == 0))
        {
          g_free (url);
          link_value_clear (&lv);
          continue;
        }

      link = g_hash_table_lookup (seen, url);
      if (link != NULL)
        {
          link->priority = MIN (link->priority, lv.priority);
          g_free (url);
        }
      else
        {
          link = g_new0 (DpDuplicateLink, 1);
          link->url = url;
          link->priority = lv.priority;
          g_ptr_array_add (links, link);
          g_hash_table_insert (seen, link->url, link);
        }
      link_value_clear (&lv);
    }

  /* The table's keys go with the links that are cut below. */
  g_clear_pointer (&seen, g_hash_table_unref);

  /* g_ptr_array_sort() is stable. */
  g_ptr_array_sort (links, compare_priority);
  if (links->len > LINK_MAX_RESULTS)
    g_ptr_array_set_size (links, LINK_MAX_RESULTS);
  return links;
}
