/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "dp-error.h"
#include "dp-metalink.h"

/* Limits against hostile documents: far above what any real Metalink
 * holds, low enough that the work and memory stay small. */
#define MAX_FILES 1024
#define MAX_URLS 64
#define MAX_DEPTH 64
#define MAX_TEXT (64 * 1024)

/* RFC 5854 §4.2.16.1: priorities run from 1 to 999999; none is last. */
#define NO_PRIORITY 999999

/* A message from GMarkup quotes the document; a long one is cut. */
#define MESSAGE_MAX_CHARS 160

#define UTF8_BOM "\xef\xbb\xbf"

/* What an element is, from its local name and its parent's kind. Both
 * dialects are read by the same table: Metalink 4 puts <url>, <hash>
 * and <pieces> straight into <file>, Metalink 3.0 puts them into
 * <resources> and <verification>, and <file> into <files>. */
typedef enum
{
  NODE_SKIP,
  NODE_METALINK,
  NODE_FILES,
  NODE_FILE,
  NODE_SIZE,
  NODE_URL,
  NODE_RESOURCES,
  NODE_VERIFICATION,
  NODE_HASH,
  NODE_PIECES,
  NODE_PIECE_HASH,
} Node;

typedef struct
{
  Node parent;
  const char *local_name;
  Node node;
} Child;

static const Child children[] = {
  { NODE_METALINK, "file", NODE_FILE },
  { NODE_METALINK, "files", NODE_FILES },
  { NODE_FILES, "file", NODE_FILE },
  { NODE_FILE, "size", NODE_SIZE },
  { NODE_FILE, "url", NODE_URL },
  { NODE_FILE, "hash", NODE_HASH },
  { NODE_FILE, "pieces", NODE_PIECES },
  { NODE_FILE, "resources", NODE_RESOURCES },
  { NODE_FILE, "verification", NODE_VERIFICATION },
  { NODE_RESOURCES, "url", NODE_URL },
  { NODE_VERIFICATION, "hash", NODE_HASH },
  { NODE_VERIFICATION, "pieces", NODE_PIECES },
  { NODE_PIECES, "hash", NODE_PIECE_HASH },
};


/* One <pieces> element: a candidate until the file's size is known. */
typedef struct
{
  GChecksumType type;
  gint64 length;
  GPtrArray *hashes;  /* of char *, lowercase hex; NULL once unusable */
} Pieces;

typedef struct
{
  DpMetalinkFile *file;
  gboolean size_seen;
  gboolean size_bad;
  int checksum_rank;  /* of file->checksum, 0 when none */
  GPtrArray *pieces;  /* of Pieces * */
} FileBuilder;

typedef struct
{
  Node stack[MAX_DEPTH];
  guint depth;
  gboolean root_seen;
  guint n_files;           /* <file> elements seen */
  guint n_bad_size;        /* files left out for their size */
  GPtrArray *files;        /* of DpMetalinkFile *, the result */
  FileBuilder *current;    /* inside a <file> */

  /* The element whose text is being collected. */
  GString *text;
  gboolean text_bad;       /* too long, or mixed with elements */

  /* The open <url>, <hash> or piece <hash>. */
  gboolean url_usable;
  guint url_priority;
  gboolean hash_known;
  GChecksumType hash_type;
  gint64 piece_index;      /* -1 when not given, -2 when malformed */
  Pieces *pieces;          /* the open <pieces>, while still usable */
} Parser;

void
dp_metalink_file_free (DpMetalinkFile *file)
{
  if (file == NULL)
    return;
  g_free (file->name);
  g_clear_pointer (&file->urls, g_ptr_array_unref);
  g_clear_pointer (&file->checksum, dp_checksum_free);
  g_clear_pointer (&file->pieces, g_ptr_array_unref);
  g_free (file);
}

static void
url_free (DpMetalinkUrl *url)
{
  g_free (url->url);
  g_free (url);
}

/**
 * dp_metalink_file_copy:
 * @file: a file of a Metalink document
 *
 * Returns: (transfer full): an independent copy of @file
 */
DpMetalinkFile *
dp_metalink_file_copy (const DpMetalinkFile *file)
{
  DpMetalinkFile *copy;

  g_return_val_if_fail (file != NULL, NULL);

  copy = g_new0 (DpMetalinkFile, 1);
  copy->name = g_strdup (file->name);
  copy->size = file->size;
  copy->urls = g_ptr_array_new_with_free_func ((GDestroyNotify) url_free);
  for (guint i = 0; file->urls != NULL && i < file->urls->len; i++)
    {
      const DpMetalinkUrl *url = g_ptr_array_index (file->urls, i);
      DpMetalinkUrl *c = g_new0 (DpMetalinkUrl, 1);

      c->url = g_strdup (url->url);
      c->priority = url->priority;
      g_ptr_array_add (copy->urls, c);
    }
  copy->checksum = dp_checksum_copy (file->checksum);
  copy->piece_type = file->piece_type;
  copy->piece_length = file->piece_length;
  copy->pieces = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; file->pieces != NULL && i < file->pieces->len; i++)
    g_ptr_array_add (copy->pieces, g_strdup (g_ptr_array_index (file->pieces, i)));
  return copy;
}

static void
pieces_free (Pieces *pieces)
{
  g_clear_pointer (&pieces->hashes, g_ptr_array_unref);
  g_free (pieces);
}

static FileBuilder *
file_builder_new (const char *name)
{
  FileBuilder *builder = g_new0 (FileBuilder, 1);
  DpMetalinkFile *file = g_new0 (DpMetalinkFile, 1);

  file->name = (name != NULL && *name != '\0') ? g_strdup (name) : NULL;
  file->size = -1;
  file->urls = g_ptr_array_new_with_free_func ((GDestroyNotify) url_free);
  file->piece_type = G_CHECKSUM_SHA256;
  file->piece_length = 0;
  file->pieces = g_ptr_array_new_with_free_func (g_free);
  builder->file = file;
  builder->pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) pieces_free);
  return builder;
}

static void
file_builder_free (FileBuilder *builder)
{
  if (builder == NULL)
    return;
  dp_metalink_file_free (builder->file);
  g_ptr_array_unref (builder->pieces);
  g_free (builder);
}

static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');

  return colon != NULL ? colon + 1 : name;
}

/* Attributes are matched exactly: in XML, unprefixed attributes belong
 * to their element whatever its namespace. The first one counts. */
static const char *
find_attribute (const char **names,
                const char **values,
                const char  *wanted)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (strcmp (names[i], wanted) == 0)
        return values[i];
    }
  return NULL;
}

static Node
child_node (Node        parent,
            const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (children); i++)
    {
      if (children[i].parent == parent && strcmp (children[i].local_name, name) == 0)
        return children[i].node;
    }
  return NODE_SKIP;
}

/* 1*DIGIT of exactly @len bytes, without sign or space, as a gint64. */
static gboolean
parse_decimal (const char *s,
               gsize       len,
               gint64     *out)
{
  gint64 v = 0;

  if (s == NULL || len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      int d;

      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      d = s[i] - '0';
      if (v > (G_MAXINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_attribute_number (const char *value,
                        gint64      min,
                        gint64      max,
                        gint64     *out)
{
  gint64 v;

  if (value == NULL || !parse_decimal (value, strlen (value), &v) || v < min || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* Higher is stronger. */
static int
hash_rank (GChecksumType type)
{
  switch (type)
    {
    case G_CHECKSUM_MD5:
      return 1;
    case G_CHECKSUM_SHA1:
      return 2;
    case G_CHECKSUM_SHA256:
      return 3;
    case G_CHECKSUM_SHA512:
      return 4;
    case G_CHECKSUM_SHA384:
    default:
      return 0;
    }
}

/* The collected text without the white space around it; FALSE when it
 * does not count (too long, or mixed with elements). */
static gboolean
get_text (Parser      *p,
          const char **start,
          gsize       *len)
{
  const char *s = p->text->str;
  const char *e = s + p->text->len;

  if (p->text_bad)
    return FALSE;
  while (s < e && g_ascii_isspace (*s))
    s++;
  while (e > s && g_ascii_isspace (e[-1]))
    e--;
  *start = s;
  *len = e - s;
  return TRUE;
}

static void
set_error (GError    **error,
           const char *message)
{
  g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE, message);
}

static gboolean
collects_text (Node node)
{
  return node == NODE_SIZE || node == NODE_URL || node == NODE_HASH || node == NODE_PIECE_HASH;
}

static void
start_pieces (Parser      *p,
              const char **names,
              const char **values)
{
  GChecksumType type;
  gint64 length;
  Pieces *pieces;

  p->pieces = NULL;
  if (!dp_checksum_type_from_name (find_attribute (names, values, "type"), -1, &type) ||
      type == G_CHECKSUM_MD5 ||
      !parse_attribute_number (find_attribute (names, values, "length"), 1, G_MAXINT64, &length))
    return;

  pieces = g_new0 (Pieces, 1);
  pieces->type = type;
  pieces->length = length;
  pieces->hashes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (p->current->pieces, pieces);
  p->pieces = pieces;
}

static void
start_url (Parser      *p,
           Node         parent,
           const char **names,
           const char **values)
{
  gint64 n;

  p->url_usable = TRUE;
  p->url_priority = NO_PRIORITY;

  if (parent == NODE_RESOURCES)
    {
      /* Metalink 3.0: the type names the protocol; a "bittorrent"
       * address is a .torrent file, even over http. */
      const char *type = find_attribute (names, values, "type");

      if (type != NULL && g_ascii_strcasecmp (type, "http") != 0 &&
          g_ascii_strcasecmp (type, "https") != 0)
        p->url_usable = FALSE;
      if (parse_attribute_number (find_attribute (names, values, "preference"), 1, 100, &n))
        p->url_priority = 101 - (guint) n;
    }
  else if (parse_attribute_number (find_attribute (names, values, "priority"), 1, NO_PRIORITY, &n))
    {
      p->url_priority = (guint) n;
    }
}

static void
start_element (GMarkupParseContext *context,
               const char          *element_name,
               const char         **attribute_names,
               const char         **attribute_values,
               gpointer             user_data,
               GError             **error)
{
  Parser *p = user_data;
  const char *name = local_name (element_name);
  Node node;

  if (p->depth == MAX_DEPTH)
    {
      set_error (error, _("The Metalink document is nested too deeply."));
      return;
    }

  if (p->depth == 0)
    {
      if (p->root_seen)
        {
          set_error (error, _("The Metalink document is not valid XML: it has more than one "
                              "root element."));
          return;
        }
      if (strcmp (name, "metalink") != 0)
        {
          set_error (error, _("The document is not a Metalink: its root element is not "
                              "<metalink>."));
          return;
        }
      p->root_seen = TRUE;
      node = NODE_METALINK;
    }
  else
    {
      Node parent = p->stack[p->depth - 1];

      node = parent == NODE_SKIP ? NODE_SKIP : child_node (parent, name);
      switch (node)
        {
        case NODE_FILE:
          if (p->n_files == MAX_FILES)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The Metalink document lists more than %d file; "
                                        "Downpour reads at most %d.",
                                        "The Metalink document lists more than %d files; "
                                        "Downpour reads at most %d.",
                                        MAX_FILES),
                           MAX_FILES, MAX_FILES);
              return;
            }
          p->n_files++;
          p->current = file_builder_new (find_attribute (attribute_names, attribute_values,
                                                         "name"));
          break;
        case NODE_URL:
          start_url (p, parent, attribute_names, attribute_values);
          break;
        case NODE_HASH:
          p->hash_known = dp_checksum_type_from_name (find_attribute (attribute_names, attribute_values,
                                                                      "type"),
                                                      -1, &p->hash_type);
          break;
        case NODE_PIECES:
          start_pieces (p, attribute_names, attribute_values);
          break;
        case NODE_PIECE_HASH:
          {
            const char *index = find_attribute (attribute_names, attribute_values, "piece");

            p->piece_index = -1;
            if (index != NULL && !parse_attribute_number (index, 0, G_MAXINT64, &p->piece_index))
              p->piece_index = -2;
          }
          break;
        case NODE_SKIP:
        case NODE_METALINK:
        case NODE_FILES:
        case NODE_SIZE:
        case NODE_RESOURCES:
        case NODE_VERIFICATION:
        default:
          break;
        }
    }

  if (collects_text (node))
    {
      g_string_truncate (p->text, 0);
      p->text_bad = FALSE;
    }
  else if (p->depth > 0 && collects_text (p->stack[p->depth - 1]))
    {
      /* A value is text only: <size>1<b/>2</size> is not 12. */
      p->text_bad = TRUE;
    }
  p->stack[p->depth++] = node;
}

static void
text (GMarkupParseContext *context,
      const char          *text_value,
      gsize                text_len,
      gpointer             user_data,
      GError             **error)
{
  Parser *p = user_data;

  if (p->depth == 0 || !collects_text (p->stack[p->depth - 1]) || p->text_bad)
    return;
  if (text_len > MAX_TEXT - p->text->len)
    {
      p->text_bad = TRUE;
      return;
    }
  g_string_append_len (p->text, text_value, text_len);
}

static void
end_size (Parser *p)
{
  FileBuilder *b = p->current;
  const char *s;
  gsize len;
  gint64 size;

  if (!get_text (p, &s, &len) || !parse_decimal (s, len, &size) ||
      (b->size_seen && size != b->file->size))
    {
      b->size_bad = TRUE;
      return;
    }
  b->size_seen = TRUE;
  b->file->size = size;
}

/* An absolute http(s) address with a server name, in GLib's spelling
 * (which escapes spaces and control characters), or NULL. */
static char *
usable_url (const char *s,
            gsize       len)
{
  g_autofree char *copy = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  /* Cheap first: most addresses that are not http(s) end here. */
  if (!(len > 5 && g_ascii_strncasecmp (s, "http:", 5) == 0) &&
      !(len > 6 && g_ascii_strncasecmp (s, "https:", 6) == 0))
    return NULL;

  copy = g_strndup (s, len);
  uri = g_uri_parse (copy, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    return NULL;
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return NULL;
  for (const char *h = host; *h != '\0'; h++)
    {
      if ((guchar) *h <= 0x20 || *h == 0x7f)
        return NULL;
    }
  return g_uri_to_string (uri);
}

static void
end_url (Parser *p)
{
  GPtrArray *urls = p->current->file->urls;
  g_autofree char *url = NULL;
  DpMetalinkUrl *entry;
  const char *s;
  gsize len;

  if (!p->url_usable || urls->len == MAX_URLS || !get_text (p, &s, &len))
    return;
  url = usable_url (s, len);
  if (url == NULL)
    return;

  for (guint i = 0; i < urls->len; i++)
    {
      DpMetalinkUrl *other = g_ptr_array_index (urls, i);

      if (strcmp (other->url, url) == 0)
        {
          other->priority = MIN (other->priority, p->url_priority);
          return;
        }
    }

  entry = g_new0 (DpMetalinkUrl, 1);
  entry->url = g_steal_pointer (&url);
  entry->priority = p->url_priority;
  g_ptr_array_add (urls, entry);
}

static void
end_hash (Parser *p)
{
  FileBuilder *b = p->current;
  DpChecksum *checksum;
  const char *s;
  gsize len;

  if (!p->hash_known || hash_rank (p->hash_type) <= b->checksum_rank ||
      !get_text (p, &s, &len))
    return;

  checksum = dp_checksum_new (p->hash_type, s, (gssize) len);
  if (checksum == NULL)
    return;
  g_clear_pointer (&b->file->checksum, dp_checksum_free);
  b->file->checksum = checksum;
  b->checksum_rank = hash_rank (p->hash_type);
}

static void
end_piece_hash (Parser *p)
{
  Pieces *pieces = p->pieces;
  g_autoptr(DpChecksum) piece = NULL;
  const char *s;
  gsize len;

  if (pieces == NULL)
    return;

  /* One bad piece spoils the list: pieces are checked by position. */
  if (p->piece_index == -2 ||
      (p->piece_index >= 0 && p->piece_index != (gint64) pieces->hashes->len) ||
      !get_text (p, &s, &len) || !(piece = dp_checksum_new (pieces->type, s, (gssize) len)))
    {
      g_clear_pointer (&pieces->hashes, g_ptr_array_unref);
      p->pieces = NULL;
      return;
    }
  g_ptr_array_add (pieces->hashes, g_strdup (dp_checksum_get_expected (piece)));
}

/* Stable: addresses of equal priority keep their document order. */
static void
sort_urls (GPtrArray *urls)
{
  for (guint i = 1; i < urls->len; i++)
    {
      DpMetalinkUrl *url = urls->pdata[i];
      guint j = i;

      while (j > 0 && ((DpMetalinkUrl *) urls->pdata[j - 1])->priority > url->priority)
        {
          urls->pdata[j] = urls->pdata[j - 1];
          j--;
        }
      urls->pdata[j] = url;
    }
}

static void
choose_pieces (FileBuilder *b)
{
  static const GChecksumType preferred[] = {
    G_CHECKSUM_SHA256, G_CHECKSUM_SHA512, G_CHECKSUM_SHA1,
  };
  DpMetalinkFile *file = b->file;

  if (file->size <= 0)
    return;

  for (gsize t = 0; t < G_N_ELEMENTS (preferred); t++)
    {
      for (guint i = 0; i < b->pieces->len; i++)
        {
          Pieces *pieces = g_ptr_array_index (b->pieces, i);
          gint64 expected;

          if (pieces->hashes == NULL || pieces->type != preferred[t])
            continue;
          expected = file->size / pieces->length + (file->size % pieces->length != 0);
          if ((gint64) pieces->hashes->len != expected)
            continue;

          g_ptr_array_unref (file->pieces);
          file->pieces = g_steal_pointer (&pieces->hashes);
          file->piece_type = pieces->type;
          file->piece_length = pieces->length;
          return;
        }
    }
}

static void
end_file (Parser *p)
{
  FileBuilder *b = g_steal_pointer (&p->current);

  if (b->size_bad)
    p->n_bad_size++;
  else if (b->file->urls->len > 0)
    {
      sort_urls (b->file->urls);
      choose_pieces (b);
      g_ptr_array_add (p->files, g_steal_pointer (&b->file));
    }
  file_builder_free (b);
}

static void
end_element (GMarkupParseContext *context,
             const char          *element_name,
             gpointer             user_data,
             GError             **error)
{
  Parser *p = user_data;
  Node node;

  g_assert (p->depth > 0);
  node = p->stack[--p->depth];
  switch (node)
    {
    case NODE_FILE:
      end_file (p);
      break;
    case NODE_SIZE:
      end_size (p);
      break;
    case NODE_URL:
      end_url (p);
      break;
    case NODE_HASH:
      end_hash (p);
      break;
    case NODE_PIECES:
      p->pieces = NULL;
      break;
    case NODE_PIECE_HASH:
      end_piece_hash (p);
      break;
    case NODE_SKIP:
    case NODE_METALINK:
    case NODE_FILES:
    case NODE_RESOURCES:
    case NODE_VERIFICATION:
    default:
      break;
    }
}

static const GMarkupParser parser_funcs = {
  start_element,
  end_element,
  text,
  NULL,
  NULL,
};

static void
set_markup_error (GError      **error,
                  const GError *markup_error)
{
  g_autofree char *valid = g_utf8_make_valid (markup_error->message, -1);
  g_autofree char *shown = NULL;

  if (g_utf8_strlen (valid, -1) > MESSAGE_MAX_CHARS)
    {
      g_autofree char *head = g_utf8_substring (valid, 0, MESSAGE_MAX_CHARS);

      shown = g_strconcat (head, "…", NULL);
    }
  else
    shown = g_steal_pointer (&valid);

  g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
               _("The Metalink document is not valid XML: %s"), shown);
}

GPtrArray *
dp_metalink_parse (const char *data,
                   gssize      length,
                   GError    **error)
{
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  Parser p = { 0 };
  gsize len;
  gboolean ok;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  len = length < 0 ? strlen (data) : (gsize) length;

  if (len > DP_METALINK_MAX_SIZE)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                   _("The Metalink document is larger than %d MiB; Downpour does not read "
                     "documents this large."),
                   DP_METALINK_MAX_SIZE / (1024 * 1024));
      return NULL;
    }

  /* XML has no NUL character, and GMarkup would stop reading at one. */
  if (memchr (data, '\0', len) != NULL)
    {
      set_error (error, _("The Metalink document is not valid XML: it contains a NUL byte."));
      return NULL;
    }

  /* Editors on Windows start UTF-8 files with a byte order mark. */
  if (len >= 3 && memcmp (data, UTF8_BOM, 3) == 0)
    {
      data += 3;
      len -= 3;
    }

  files = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_metalink_file_free);
  p.files = files;
  p.text = g_string_new (NULL);
  context = g_markup_parse_context_new (&parser_funcs, G_MARKUP_TREAT_CDATA_AS_TEXT, &p, NULL);
  ok = g_markup_parse_context_parse (context, data, len, &local_error) &&
       g_markup_parse_context_end_parse (context, &local_error);
  g_string_free (p.text, TRUE);
  file_builder_free (p.current);

  if (!ok)
    {
      if (local_error->domain == DP_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        set_markup_error (error, local_error);
      return NULL;
    }

  if (p.n_files == 0)
    {
      set_error (error, _("The Metalink document lists no files."));
      return NULL;
    }
  if (files->len == 0)
    {
      if (p.n_bad_size > 0)
        set_error (error, _("No file in the Metalink document has both a valid size and an "
                            "http:// or https:// address."));
      else
        set_error (error, _("No file in the Metalink document has an http:// or https:// "
                            "address."));
      return NULL;
    }

  return g_steal_pointer (&files);
}

gboolean
dp_metalink_is_content_type (const char *content_type)
{
  const char *start = content_type;
  const char *end;
  gsize len;

  if (content_type == NULL)
    return FALSE;

  end = strchr (start, ';');
  if (end == NULL)
    end = start + strlen (start);
  while (start < end && g_ascii_isspace (*start))
    start++;
  while (end > start && g_ascii_isspace (end[-1]))
    end--;
  len = end - start;

  return (len == strlen ("application/metalink4+xml") &&
          g_ascii_strncasecmp (start, "application/metalink4+xml", len) == 0) ||
         (len == strlen ("application/metalink+xml") &&
          g_ascii_strncasecmp (start, "application/metalink+xml", len) == 0);
}

static gboolean
has_suffix (const char *start,
            gsize       len,
            const char *suffix)
{
  gsize n = strlen (suffix);

  return len >= n && g_ascii_strncasecmp (start + len - n, suffix, n) == 0;
}

gboolean
dp_metalink_is_name (const char *path_or_url)
{
  const char *start = path_or_url;
  const char *end;
  const char *scheme_end;
  const char *slash;

  if (path_or_url == NULL)
    return FALSE;

  end = start + strcspn (start, "?#");

  /* An address's path starts after its server name. */
  scheme_end = strstr (start, "://");
  if (scheme_end != NULL && scheme_end < end)
    {
      const char *s = start;

      while (s < scheme_end && (g_ascii_isalnum (*s) || *s == '+' || *s == '-' || *s == '.'))
        s++;
      if (s == scheme_end && s > start)
        {
          start = memchr (scheme_end + 3, '/', end - (scheme_end + 3));
          if (start == NULL)
            return FALSE;
        }
    }

  slash = g_strrstr_len (start, end - start, "/");
  if (slash != NULL)
    start = slash + 1;

  return has_suffix (start, end - start, ".meta4") || has_suffix (start, end - start, ".metalink");
}
