/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Repr-Digest, Digest and Link values from arbitrary servers: a digest
 * found is a SHA-256 or SHA-512 one, and every mirror is a usable
 * http(s) address, once, in order of priority. An input with a newline
 * gives its first line as the base address of the Link value after it. */
#include "fuzz-common.h"
#include "dp-digest.h"

static void
check_digest (DpChecksum *checksum)
{
  GChecksumType type;
  const char *hex;

  if (checksum == NULL)
    return;

  type = dp_checksum_get_algorithm (checksum);
  fuzz_assert (type == G_CHECKSUM_SHA256 || type == G_CHECKSUM_SHA512);
  hex = dp_checksum_get_expected (checksum);
  fuzz_assert (strlen (hex) == (size_t) g_checksum_type_get_length (type) * 2);
  dp_checksum_free (checksum);
}

static void
check_links (const char *value,
             GUri       *base)
{
  g_autoptr(GPtrArray) links = dp_link_parse_duplicates (value, base);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint previous = 0;

  fuzz_assert (links != NULL);
  fuzz_assert (links->len <= 64);
  for (guint i = 0; i < links->len; i++)
    {
      DpDuplicateLink *link = g_ptr_array_index (links, i);
      g_autoptr(GUri) uri = g_uri_parse (link->url, SOUP_HTTP_URI_FLAGS, NULL);

      fuzz_assert (uri != NULL);
      fuzz_assert (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
                   g_strcmp0 (g_uri_get_scheme (uri), "https") == 0);
      fuzz_assert (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
      fuzz_assert (g_uri_get_fragment (uri) == NULL);
      fuzz_assert (link->priority >= 1 && link->priority <= 999999);
      fuzz_assert (link->priority >= previous);
      fuzz_assert (g_hash_table_add (seen, link->url));
      previous = link->priority;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_input_string (data, size);
  const char *newline = strchr (text, '\n');
  g_autofree char *base_text = NULL;
  g_autoptr(GUri) base = NULL;

  check_digest (dp_digest_parse_repr (text));
  check_digest (dp_digest_parse_legacy (text));

  if (newline == NULL)
    {
      check_links (text, NULL);
      return 0;
    }

  base_text = g_strndup (text, newline - text);
  base = g_uri_parse (base_text, SOUP_HTTP_URI_FLAGS, NULL);
  check_links (newline + 1, base);
  return 0;
}
