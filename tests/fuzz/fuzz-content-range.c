/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Content-Range decides where bytes land in the file: an accepted value
 * must describe a real range inside the file. */
#include "fuzz-common.h"
#include "dp-headers.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *value = fuzz_input_string (data, size);
  gint64 start = -2, end = -2, total = -2;

  if (dp_parse_content_range (value, &start, &end, &total))
    {
      fuzz_assert (start >= 0);
      fuzz_assert (end >= start);
      fuzz_assert (total == -1 || end < total);
    }
  return 0;
}
