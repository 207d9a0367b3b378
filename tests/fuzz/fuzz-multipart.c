/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A multipart/byteranges answer says in its part's headers where the
 * bytes after them land: an accepted part must describe a real range,
 * its headers must have been read within their limit, and the data must
 * be exactly the bytes that follow them. */
#include <gio/gio.h>
#include <string.h>

#include "fuzz-common.h"
#include "dp-answer.h"

#define BOUNDARY "dp-fuzz-boundary"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GInputStream) body = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GInputStream) part = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = -2, end = -2, total = -2;

  if (dp_answer_open_part (body, BOUNDARY, &start, &end, &total, &part, NULL, &error))
    {
      g_autoptr(GByteArray) read = g_byte_array_new ();
      guint8 chunk[4096];
      gssize n;

      fuzz_assert (error == NULL);
      fuzz_assert (start >= 0);
      fuzz_assert (end > start);
      fuzz_assert (total == -1 || end <= total);

      /* What the part stream gives is the tail of the input, after at
       * most 8 KiB of preamble and headers. */
      while ((n = g_input_stream_read (part, chunk, sizeof chunk, NULL, NULL)) > 0)
        {
          fuzz_assert (read->len + (gsize) n <= size);
          g_byte_array_append (read, chunk, (guint) n);
        }
      fuzz_assert (size - read->len <= 8192);
      fuzz_assert (read->len == 0 || memcmp (data + size - read->len, read->data, read->len) == 0);
    }
  else
    {
      fuzz_assert (error != NULL);
      fuzz_assert (part == NULL);
    }
  return 0;
}
