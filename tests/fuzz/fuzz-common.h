/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

/* The libFuzzer entry point every harness defines. */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* The input as a C string: the bytes up to the first NUL, which is what
 * the code under test sees from a header or the command line. */
static inline char *
fuzz_input_string (const uint8_t *data,
                   size_t         size)
{
  return g_strndup ((const char *) data, size);
}

/* A broken property aborts, so libFuzzer records the input. */
#define fuzz_assert(expr)                                                \
  G_STMT_START {                                                        \
    if (G_UNLIKELY (!(expr)))                                           \
      {                                                                 \
        g_printerr ("%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                    #expr);                                             \
        abort ();                                                       \
      }                                                                 \
  } G_STMT_END

/* The contract of dp_sanitize_filename() and of every name the engine
 * derives: one path component that cannot point anywhere else. */
static inline void
fuzz_assert_safe_component (const char *name)
{
  if (name == NULL)
    return;
  fuzz_assert (*name != '\0');
  fuzz_assert (strlen (name) <= 255);
  fuzz_assert (g_utf8_validate (name, -1, NULL));
  fuzz_assert (strchr (name, '/') == NULL);
  fuzz_assert (strchr (name, '\\') == NULL);
  fuzz_assert (name[0] != '.' && name[0] != ' ');
  fuzz_assert (strcmp (name, ".") != 0 && strcmp (name, "..") != 0);
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      fuzz_assert (c >= 0x20 && !(c >= 0x7f && c <= 0x9f));
    }
}
