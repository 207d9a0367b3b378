/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --checksum=ALGO:HEX as users paste it from download pages: accepted
 * values are normalised, and print back to something that parses to the
 * same checksum. */
#include "fuzz-common.h"
#include "dp-checksum.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_input_string (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse (text, &error);
  g_autoptr(DpChecksum) again = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *printed_again = NULL;

  if (checksum == NULL)
    {
      fuzz_assert (error != NULL);
      return 0;
    }

  for (const char *p = dp_checksum_get_expected (checksum); *p != '\0'; p++)
    fuzz_assert (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));

  printed = dp_checksum_to_string (checksum);
  again = dp_checksum_parse (printed, NULL);
  fuzz_assert (again != NULL);
  printed_again = dp_checksum_to_string (again);
  fuzz_assert (g_strcmp0 (printed, printed_again) == 0);
  return 0;
}
