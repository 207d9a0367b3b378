/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a browser (or anything that can start the host) writes to
 * downpour-browser-host: the input is a stream of framed messages.
 * Whatever is accepted is a web address with clean fields, and every
 * answer is one line of JSON. */
#include <string.h>

#include "fuzz-common.h"
#include "dp-host-message.h"

static void
assert_clean (const char *text,
              gsize       max)
{
  if (text == NULL)
    return;
  fuzz_assert (*text != '\0');
  fuzz_assert (strlen (text) <= max);
  fuzz_assert (g_utf8_validate (text, -1, NULL));
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    fuzz_assert (*p >= 0x20 && *p != 0x7f);
}

static void
check_message (const char *data,
               gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpHostDownload) download = dp_host_parse_download (data, length, &error);
  g_autofree char *reply = dp_host_reply (error != NULL ? error->message : NULL);

  /* The answer is one line: the browser reads it as JSON. */
  fuzz_assert (strchr (reply, '\n') == NULL);
  fuzz_assert (g_str_has_prefix (reply, "{\"ok\":"));
  if (download == NULL)
    {
      fuzz_assert (error != NULL);
      return;
    }
  fuzz_assert (download->url != NULL);
  fuzz_assert (g_ascii_strncasecmp (download->url, "http://", 7) == 0 ||
               g_ascii_strncasecmp (download->url, "https://", 8) == 0);
  assert_clean (download->url, DP_HOST_MAX_URL);
  assert_clean (download->referrer, DP_HOST_MAX_URL);
  assert_clean (download->cookies, DP_HOST_MAX_COOKIES);
  assert_clean (download->user_agent, DP_HOST_MAX_USER_AGENT);
  assert_clean (download->filename, DP_HOST_MAX_FILENAME);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) input = g_bytes_new_static (data, size);
  g_autoptr(GInputStream) in = NULL;

  /* As one message's JSON, and as a stream of frames. */
  check_message ((const char *) data, size);
  in = g_memory_input_stream_new_from_bytes (input);
  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) message = dp_host_read_message (in, NULL, &error);
      gsize length;
      const char *bytes;

      if (message == NULL)
        break;
      bytes = g_bytes_get_data (message, &length);
      fuzz_assert (length > 0 && length <= DP_HOST_MAX_MESSAGE);
      check_message (bytes, length);
    }
  return 0;
}
