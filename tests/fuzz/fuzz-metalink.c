/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Metalink documents (.meta4, .metalink) from arbitrary servers. A
 * document is refused with a message, or gives files that keep every
 * promise of dp-metalink.h: usable http(s) addresses in priority
 * order, digests of the right length, pieces that cover the size. */
#include <string.h>

#include "fuzz-common.h"
#include "dp-error.h"
#include "dp-metalink.h"

static void
assert_hex (const char   *digest,
            GChecksumType type)
{
  fuzz_assert (strlen (digest) == (size_t) g_checksum_type_get_length (type) * 2);
  for (const char *p = digest; *p != '\0'; p++)
    fuzz_assert (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
}

static void
assert_file (const DpMetalinkFile *file)
{
  fuzz_assert (file->name == NULL || (*file->name != '\0' && g_utf8_validate (file->name, -1, NULL)));
  fuzz_assert (file->size >= -1);

  fuzz_assert (file->urls->len >= 1 && file->urls->len <= 64);
  for (guint i = 0; i < file->urls->len; i++)
    {
      const DpMetalinkUrl *url = g_ptr_array_index (file->urls, i);
      g_autoptr(GUri) uri = g_uri_parse (url->url, G_URI_FLAGS_NONE, NULL);

      fuzz_assert (g_str_has_prefix (url->url, "http://") || g_str_has_prefix (url->url, "https://"));
      fuzz_assert (uri != NULL);
      fuzz_assert (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
      for (const char *p = url->url; *p != '\0'; p++)
        fuzz_assert ((guchar) *p > 0x20 && *p != 0x7f);
      fuzz_assert (url->priority >= 1 && url->priority <= 999999);
      for (guint j = 0; j < i; j++)
        {
          const DpMetalinkUrl *before = g_ptr_array_index (file->urls, j);

          fuzz_assert (before->priority <= url->priority);
          fuzz_assert (strcmp (before->url, url->url) != 0);
        }
    }

  if (file->checksum != NULL)
    assert_hex (dp_checksum_get_expected (file->checksum),
                dp_checksum_get_algorithm (file->checksum));

  fuzz_assert (file->pieces != NULL);
  if (file->pieces->len == 0)
    {
      fuzz_assert (file->piece_length == 0);
      return;
    }
  fuzz_assert (file->piece_type == G_CHECKSUM_SHA256 || file->piece_type == G_CHECKSUM_SHA512 ||
               file->piece_type == G_CHECKSUM_SHA1);
  fuzz_assert (file->piece_length > 0 && file->size > 0);
  fuzz_assert ((gint64) file->pieces->len ==
               file->size / file->piece_length + (file->size % file->piece_length != 0));
  for (guint i = 0; i < file->pieces->len; i++)
    assert_hex (g_ptr_array_index (file->pieces, i), file->piece_type);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *text = fuzz_input_string (data, size);

  /* The name checks see the same bytes as a path or address. */
  dp_metalink_is_name (text);
  dp_metalink_is_content_type (text);

  files = dp_metalink_parse ((const char *) data, size, &error);
  if (files == NULL)
    {
      fuzz_assert (g_error_matches (error, DP_ERROR, DP_ERROR_BAD_RESPONSE));
      fuzz_assert (*error->message != '\0' && g_utf8_validate (error->message, -1, NULL));
      fuzz_assert (strlen (error->message) < 1024);
      return 0;
    }

  fuzz_assert (error == NULL);
  fuzz_assert (files->len >= 1 && files->len <= 1024);
  for (guint i = 0; i < files->len; i++)
    assert_file (g_ptr_array_index (files, i));
  return 0;
}
