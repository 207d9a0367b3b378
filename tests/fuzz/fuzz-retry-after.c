/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retry-After sets how long a connection sleeps: never negative beyond
 * "malformed", never more than a day. */
#include "fuzz-common.h"
#include "dp-headers.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *value = fuzz_input_string (data, size);
  gint64 delay = dp_parse_retry_after (value, 1764000000);

  fuzz_assert (delay == -1 || (delay >= 0 && delay <= 24 * 60 * 60));
  return 0;
}
