/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs a fuzz harness over saved inputs without libFuzzer, so that every
 * build replays the seed corpus and the regression inputs as a test:
 *
 *   fuzz-NAME FILE-OR-FOLDER…
 */
#include "fuzz-common.h"

#include <stdio.h>

static int
run_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  guint files = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = NULL;
      const char *name;

      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          if (run_file (argv[i]) != 0)
            return 1;
          files++;
          continue;
        }

      dir = g_dir_open (argv[i], 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);

          if (run_file (path) != 0)
            return 1;
          files++;
        }
    }

  if (files == 0)
    {
      g_printerr ("no inputs given\n");
      return 1;
    }
  printf ("%u inputs ran clean\n", files);
  return 0;
}
