/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Content-Disposition from a hostile server, through the parser and the
 * naming that turns it into a file in the user's folder. */
#include "fuzz-common.h"
#include "dp-headers.h"
#include "dp-names.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *value = fuzz_input_string (data, size);
  g_autofree char *raw = dp_parse_content_disposition_filename (value);
  g_autofree char *derived = dp_derive_filename (value, "http://example.com/dir/file.iso");

  if (raw != NULL)
    fuzz_assert (g_utf8_validate (raw, -1, NULL));
  /* Whatever the header says, there is always a usable, safe name. */
  fuzz_assert (derived != NULL);
  fuzz_assert_safe_component (derived);
  return 0;
}
