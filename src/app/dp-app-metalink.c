/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dp-app-metalink.h"
#include "dp-download.h"
#include "dp-http.h"

/*
 * A download from a Metalink file keeps the fields of its
 * #DpMetalinkFile in the saved list (name, size, addresses with their
 * priorities, the whole-file hash and the piece hashes), not the
 * document: one document may describe a thousand files, and each item
 * needs only its own. The list is a file the user could edit, and the
 * engine trusts a #DpMetalinkFile to be as dp_metalink_parse() makes
 * them, so everything read back is checked again the same way.
 */

#define READ_CHUNK (64 * 1024)

static void
url_free (DpMetalinkUrl *url)
{
  g_free (url->url);
  g_free (url);
}

static DpMetalinkFile *
file_new (void)
{
  DpMetalinkFile *file = g_new0 (DpMetalinkFile, 1);

  file->size = -1;
  file->urls = g_ptr_array_new_with_free_func ((GDestroyNotify) url_free);
  file->pieces = g_ptr_array_new_with_free_func (g_free);
  return file;
}

static void
add_url (DpMetalinkFile *file,
         const char     *url,
         guint           priority)
{
  DpMetalinkUrl *copy = g_new0 (DpMetalinkUrl, 1);

  copy->url = g_strdup (url);
  copy->priority = priority;
  g_ptr_array_add (file->urls, copy);
}

/**
 * dp_app_metalink_file_dup_name:
 * @file: a file of a Metalink document
 *
 * A Metalink name may be a path ("debian/disk.iso"); as the engine
 * does, only its last part names the file.
 *
 * Returns: (transfer full) (nullable): the name to save under, not yet
 *   sanitised, or %NULL when the document gives none
 */
char *
dp_app_metalink_file_dup_name (const DpMetalinkFile *file)
{
  const char *slash;

  g_return_val_if_fail (file != NULL, NULL);

  if (file->name == NULL)
    return NULL;
  slash = strrchr (file->name, '/');
  if (slash != NULL && slash[1] == '\0')
    return NULL;
  return g_strdup (slash != NULL ? slash + 1 : file->name);
}

static const char *
piece_type_name (GChecksumType type)
{
  switch (type)
    {
    case G_CHECKSUM_SHA256:
      return "sha256";
    case G_CHECKSUM_SHA512:
      return "sha512";
    case G_CHECKSUM_SHA1:
      return "sha1";
    case G_CHECKSUM_MD5:
    case G_CHECKSUM_SHA384:
    default:
      return NULL;
    }
}

static gboolean
piece_type_from_name (const char    *name,
                      GChecksumType *type)
{
  static const GChecksumType types[] = { G_CHECKSUM_SHA256, G_CHECKSUM_SHA512, G_CHECKSUM_SHA1 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_strcmp0 (name, piece_type_name (types[i])) == 0)
      {
        *type = types[i];
        return TRUE;
      }
  return FALSE;
}

/**
 * dp_app_metalink_file_serialize:
 * @file: a file of a Metalink document
 *
 * Returns: (transfer floating): an `a{sv}` for
 *   dp_app_metalink_file_new_from_variant()
 */
GVariant *
dp_app_metalink_file_serialize (const DpMetalinkFile *file)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  GVariantBuilder urls;

  g_return_val_if_fail (file != NULL, NULL);

  if (file->name != NULL)
    g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (file->name));
  g_variant_builder_add (&builder, "{sv}", "size", g_variant_new_int64 (file->size));
  g_variant_builder_init (&urls, G_VARIANT_TYPE ("a(su)"));
  for (guint i = 0; i < file->urls->len; i++)
    {
      const DpMetalinkUrl *url = g_ptr_array_index (file->urls, i);

      g_variant_builder_add (&urls, "(su)", url->url, url->priority);
    }
  g_variant_builder_add (&builder, "{sv}", "urls", g_variant_builder_end (&urls));
  if (file->checksum != NULL)
    {
      g_autofree char *checksum = dp_checksum_to_string (file->checksum);

      g_variant_builder_add (&builder, "{sv}", "checksum", g_variant_new_string (checksum));
    }
  if (file->pieces != NULL && file->pieces->len > 0 && piece_type_name (file->piece_type) != NULL)
    {
      GVariantBuilder pieces;

      g_variant_builder_add (&builder, "{sv}", "piece-type",
                             g_variant_new_string (piece_type_name (file->piece_type)));
      g_variant_builder_add (&builder, "{sv}", "piece-length",
                             g_variant_new_int64 (file->piece_length));
      g_variant_builder_init (&pieces, G_VARIANT_TYPE_STRING_ARRAY);
      for (guint i = 0; i < file->pieces->len; i++)
        g_variant_builder_add (&pieces, "s", (const char *) g_ptr_array_index (file->pieces, i));
      g_variant_builder_add (&builder, "{sv}", "pieces", g_variant_builder_end (&pieces));
    }
  return g_variant_builder_end (&builder);
}

static gboolean
is_lower_hex (const char *text,
              gsize       length)
{
  if (strlen (text) != length)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return TRUE;
}

/* The pieces count only when they are what dp_metalink_parse() would
 * have kept: a digest of the right length for every piece of a file of
 * known size. */
static void
read_pieces (DpMetalinkFile *file,
             const char     *type_name,
             gint64          piece_length,
             GVariant       *pieces)
{
  GChecksumType type;
  gsize digits;
  gsize n;

  if (pieces == NULL || !piece_type_from_name (type_name, &type) || piece_length <= 0 ||
      file->size <= 0)
    return;
  digits = 2 * (gsize) g_checksum_type_get_length (type);
  n = g_variant_n_children (pieces);
  if ((guint64) n != ((guint64) file->size + (guint64) piece_length - 1) / (guint64) piece_length)
    return;
  for (gsize i = 0; i < n; i++)
    {
      const char *digest = NULL;

      g_variant_get_child (pieces, i, "&s", &digest);
      if (!is_lower_hex (digest, digits))
        {
          g_ptr_array_set_size (file->pieces, 0);
          return;
        }
      g_ptr_array_add (file->pieces, g_strdup (digest));
    }
  file->piece_type = type;
  file->piece_length = piece_length;
}

/**
 * dp_app_metalink_file_new_from_variant:
 * @dict: an `a{sv}` from dp_app_metalink_file_serialize()
 *
 * Whatever does not check out is left out, as the parser leaves it out
 * of a document: an address that is not http(s), a duplicate, one past
 * the 64th, a hash that does not parse, incomplete pieces.
 *
 * Returns: (transfer full) (nullable): the file, or %NULL when no
 *   usable address is left
 */
DpMetalinkFile *
dp_app_metalink_file_new_from_variant (GVariant *dict)
{
  g_autoptr(DpMetalinkFile) file = NULL;
  g_autoptr(GVariant) urls = NULL;
  g_autoptr(GVariant) pieces = NULL;
  g_autoptr(GHashTable) seen = NULL;
  const char *name = NULL;
  const char *checksum = NULL;
  const char *piece_type = NULL;
  gint64 size = -1;
  gint64 piece_length = 0;
  GVariantIter iter;
  const char *url;
  guint32 priority;

  g_return_val_if_fail (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT), NULL);

  file = file_new ();
  urls = g_variant_lookup_value (dict, "urls", G_VARIANT_TYPE ("a(su)"));
  if (urls == NULL)
    return NULL;
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_variant_iter_init (&iter, urls);
  while (g_variant_iter_next (&iter, "(&su)", &url, &priority) &&
         file->urls->len < DP_DOWNLOAD_MAX_MIRRORS)
    {
      g_autoptr(GUri) uri = dp_http_parse_url (url, NULL);
      char *normal;

      if (uri == NULL)
        continue;
      normal = g_uri_to_string (uri);
      if (!g_hash_table_add (seen, normal))
        continue;
      add_url (file, url, priority);
    }
  if (file->urls->len == 0)
    return NULL;

  if (g_variant_lookup (dict, "name", "&s", &name) && *name != '\0')
    file->name = g_strdup (name);
  if (g_variant_lookup (dict, "size", "x", &size) && size >= 0)
    file->size = size;
  if (g_variant_lookup (dict, "checksum", "&s", &checksum))
    file->checksum = dp_checksum_parse (checksum, NULL);
  g_variant_lookup (dict, "piece-type", "&s", &piece_type);
  g_variant_lookup (dict, "piece-length", "x", &piece_length);
  pieces = g_variant_lookup_value (dict, "pieces", G_VARIANT_TYPE_STRING_ARRAY);
  read_pieces (file, piece_type, piece_length, pieces);
  return g_steal_pointer (&file);
}

/* ---- reading a file the user opened ---------------------------------- */

static void
load_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  GError *error = NULL;
  GPtrArray *files;

  stream = g_file_read (task_data, cancellable, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* One byte more than a Metalink document may have is enough for the
   * parser to refuse it, and says so in its words; a larger file is
   * never read whole. */
  while (data->len <= DP_METALINK_MAX_SIZE)
    {
      guint have = data->len;
      gsize want = MIN (READ_CHUNK, DP_METALINK_MAX_SIZE + 1 - have);
      gssize n;

      g_byte_array_set_size (data, have + want);
      n = g_input_stream_read (G_INPUT_STREAM (stream), data->data + have, want, cancellable,
                               &error);
      g_byte_array_set_size (data, have + MAX (n, 0));
      if (n < 0)
        {
          g_task_return_error (task, error);
          return;
        }
      if (n == 0)
        break;
    }

  files = dp_metalink_parse (data->len > 0 ? (const char *) data->data : "", data->len, &error);
  if (files == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, files, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * dp_app_metalink_load_async:
 * @file: a Metalink document on disk
 *
 * Reads and parses @file in a worker thread.
 */
void
dp_app_metalink_load_async (GFile               *file,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_app_metalink_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_in_thread);
}

/**
 * dp_app_metalink_load_finish:
 *
 * Returns: (transfer full) (element-type DpMetalinkFile): the files the
 *   document describes, at least one; %NULL with @error set when the
 *   file cannot be read or is not a usable Metalink document (the
 *   message says why, in words for the user)
 */
GPtrArray *
dp_app_metalink_load_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
