/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A speed limit as typed (--limit-rate): accepted exactly when it is
 * DIGITS[.DIGITS][kKmMgG] worth 1 byte to 2^63 − 1 bytes per second,
 * and then worth exactly that, rounded down. The reference below gets
 * there another way: long multiplication in decimal digits. */
#include "fuzz-common.h"
#include "dp-rate-limiter.h"

#include <string.h>

/* floor (W.F × 2^bits) in decimal without leading zeros ("0" for
 * nothing), as the integer WF × 2^bits with F's digits cut off again;
 * NULL when @text is not DIGITS[.DIGITS][kKmMgG]. */
static char *
reference_value (const char *text)
{
  g_autoptr(GString) digits = g_string_new (NULL);
  g_autoptr(GString) product = g_string_new (NULL);
  const char *p = text;
  gsize n_fraction = 0;
  guint64 scale = 1;
  guint64 carry = 0;
  gsize keep;

  while (*p >= '0' && *p <= '9')
    g_string_append_c (digits, *p++);
  if (digits->len == 0)
    return NULL;
  if (*p == '.')
    {
      for (p++; *p >= '0' && *p <= '9'; p++, n_fraction++)
        g_string_append_c (digits, *p);
      if (n_fraction == 0)
        return NULL;
    }
  switch (g_ascii_tolower (*p))
    {
    case 'k':
      scale = 1024;
      p++;
      break;
    case 'm':
      scale = 1024 * 1024;
      p++;
      break;
    case 'g':
      scale = 1024 * 1024 * 1024;
      p++;
      break;
    default:
      break;
    }
  if (*p != '\0')
    return NULL;

  /* The product's digits, least significant first. */
  for (gsize i = digits->len; i-- > 0;)
    {
      carry += (guint64) (digits->str[i] - '0') * scale;
      g_string_append_c (product, (char) ('0' + carry % 10));
      carry /= 10;
    }
  for (; carry > 0; carry /= 10)
    g_string_append_c (product, (char) ('0' + carry % 10));

  /* Cut the fraction's digits, turn the rest around, drop zeros. */
  g_string_erase (product, 0, MIN (n_fraction, product->len));
  while (product->len > 0 && product->str[product->len - 1] == '0')
    g_string_truncate (product, product->len - 1);
  if (product->len == 0)
    return g_strdup ("0");
  keep = product->len;
  for (gsize i = 0; i < keep / 2; i++)
    {
      char c = product->str[i];

      product->str[i] = product->str[keep - 1 - i];
      product->str[keep - 1 - i] = c;
    }
  return g_string_free (g_steal_pointer (&product), FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_input_string (data, size);
  g_autofree char *expected = reference_value (text);
  static const char max[] = "9223372036854775807";   /* G_MAXINT64 */
  gboolean in_range;
  guint64 rate = 42;

  in_range = expected != NULL && strcmp (expected, "0") != 0
             && (strlen (expected) < strlen (max)
                 || (strlen (expected) == strlen (max) && strcmp (expected, max) <= 0));

  if (dp_parse_rate (text, &rate))
    {
      g_autofree char *shown = g_strdup_printf ("%" G_GUINT64_FORMAT, rate);

      fuzz_assert (rate >= 1 && rate <= G_MAXINT64);
      fuzz_assert (in_range);
      fuzz_assert (strcmp (shown, expected) == 0);
    }
  else
    {
      fuzz_assert (!in_range);
      fuzz_assert (rate == 42);
    }
  return 0;
}
