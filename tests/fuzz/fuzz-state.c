/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The resume state file: anything on disk may have been truncated,
 * edited or planted. What parses must describe ranges inside the file
 * and survive a write and a read unchanged. */
#include "fuzz-common.h"
#include "dp-state.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(DpState) state = NULL;
  g_autoptr(DpState) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;
  gsize length, length_again;

  state = dp_state_parse ((const char *) data, size, "fuzz.part.state", &error);
  if (state == NULL)
    {
      fuzz_assert (error != NULL);
      return 0;
    }

  fuzz_assert (state->size >= 0);
  fuzz_assert (state->url != NULL);
  for (guint i = 0; i < state->done->len; i++)
    {
      const DpRange *r = &g_array_index (state->done, DpRange, i);

      fuzz_assert (r->start >= 0 && r->start < r->end && r->end <= state->size);
      if (i > 0)
        fuzz_assert (g_array_index (state->done, DpRange, i - 1).end < r->start);
    }
  fuzz_assert (dp_state_get_done_bytes (state) <= state->size);

  text = dp_state_to_data (state, &length);
  again = dp_state_parse (text, length, "fuzz.part.state", NULL);
  fuzz_assert (again != NULL);
  text_again = dp_state_to_data (again, &length_again);
  fuzz_assert (length == length_again && memcmp (text, text_again, length) == 0);
  return 0;
}
