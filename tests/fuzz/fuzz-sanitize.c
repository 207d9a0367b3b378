/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Name sanitising: whatever bytes come in, the result is one safe path
 * component, and so is every numbered variant "name (N).ext". Sanitising
 * a safe name again leaves it as it is. */
#include "fuzz-common.h"
#include "dp-names.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = fuzz_input_string (data, size);
  g_autofree char *name = dp_sanitize_filename (input);
  g_autofree char *again = NULL;
  guint n = size > 0 ? data[0] : 1;

  if (name == NULL)
    return 0;
  fuzz_assert_safe_component (name);

  again = dp_sanitize_filename (name);
  fuzz_assert (g_strcmp0 (again, name) == 0);

  for (guint i = 1; i <= 1000000; i *= 1000)
    {
      g_autofree char *numbered = dp_numbered_filename (name, n + i);
      g_autofree char *infix = g_strdup_printf (" (%u)", n + i);

      fuzz_assert_safe_component (numbered);
      /* A different name, unless the name already carried this number
       * and had to be cut to make room for it again. */
      fuzz_assert (g_strcmp0 (numbered, name) != 0 || strstr (name, infix) != NULL);
    }
  return 0;
}
