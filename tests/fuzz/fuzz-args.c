/* SPDX-License-Identifier: GPL-3.0-or-later */
/* downpour-cli's command line: the input is split at newlines into
 * arguments. Parsing never crashes, and whatever it accepts is usable. */
#include "fuzz-common.h"
#include "dp-cli-options.h"
#include "dp-download.h"
#include "dp-http.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_input_string (data, size);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) split = g_strsplit (text, "\n", 64);
  DpCliOptions options;

  g_strv_builder_add (builder, "downpour-cli");
  for (guint i = 0; split[i] != NULL; i++)
    g_strv_builder_add (builder, split[i]);

  if (dp_cli_options_parse (&options, g_strv_builder_end (builder), FALSE, &error))
    {
      fuzz_assert (error == NULL);
      if (!options.version)
        {
          guint n = g_strv_length (options.urls);

          for (guint i = 0; i < n; i++)
            {
              g_autoptr(GUri) uri = dp_http_parse_url (options.urls[i], NULL);

              fuzz_assert (uri != NULL);
            }
          fuzz_assert (n > 0 || options.input_file != NULL);
          fuzz_assert (options.jobs >= 1 && options.jobs <= DP_CLI_MAX_JOBS);
          /* One file's options come with one address. */
          fuzz_assert (n <= 1 || options.input_file != NULL ||
                       (options.output == NULL && options.checksum == NULL));
          fuzz_assert (options.segments <= DP_DOWNLOAD_MAX_SEGMENTS);
          /* 0 is no limit; a limit fits where the engine sums bytes. */
          fuzz_assert (options.rate_limit <= G_MAXINT64);
          fuzz_assert (options.output == NULL || options.directory == NULL);
          fuzz_assert (options.output == NULL || *options.output != '\0');
        }
    }
  else
    fuzz_assert (error != NULL && error->message != NULL);
  dp_cli_options_clear (&options);
  return 0;
}
