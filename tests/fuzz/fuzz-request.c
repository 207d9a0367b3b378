/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What users pass as --header, --cookie and --load-cookies. The first
 * byte picks which: 'h' a header line, 'c' a cookie list, anything else
 * a cookies.txt file. Whatever is accepted must print back to itself
 * and can never put a line break into a request. */
#include <string.h>

#include "fuzz-common.h"
#include "dp-request-private.h"

static void
assert_one_line (const char *text)
{
  if (text == NULL)
    return;
  for (const char *p = text; *p != '\0'; p++)
    fuzz_assert (*p != '\r' && *p != '\n');
}

static void
assert_request_is_clean (const DpRequest *request)
{
  g_autoptr(GUri) origin = g_uri_parse ("http://example.org/a/b", G_URI_FLAGS_NONE, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new_from_uri ("GET", origin);
  DpRequestState *state = dp_request_state_new (request, origin);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  dp_request_state_prepare (state, msg);
  soup_message_headers_iter_init (&iter, soup_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      assert_one_line (name);
      assert_one_line (value);
      fuzz_assert (g_ascii_strcasecmp (name, "Range") != 0);
      fuzz_assert (g_ascii_strcasecmp (name, "Host") != 0);
    }
  dp_request_state_free (state);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpRequest) again = dp_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  char mode;

  if (size == 0)
    return 0;
  mode = (char) data[0];
  text = fuzz_input_string (data + 1, size - 1);

  if (mode == 'h')
    {
      const char * const *headers;
      guint n;

      if (!dp_request_add_header (request, text, &error))
        {
          fuzz_assert (error != NULL && dp_request_is_empty (request));
          return 0;
        }
      headers = dp_request_get_headers (request);
      n = g_strv_length ((char **) headers);
      if (n > 0)
        {
          fuzz_assert (n == 1);
          assert_one_line (headers[0]);
          fuzz_assert (dp_request_add_header (again, headers[0], NULL));
          fuzz_assert (strcmp (dp_request_get_headers (again)[0], headers[0]) == 0);
        }
      assert_one_line (dp_request_get_user_agent (request));
      assert_one_line (dp_request_get_referrer (request));
    }
  else if (mode == 'c')
    {
      g_autofree char *cookies = NULL;
      g_autofree char *cookies_again = NULL;

      if (!dp_request_add_cookies (request, text, &error))
        {
          fuzz_assert (error != NULL && dp_request_is_empty (request));
          return 0;
        }
      cookies = dp_request_dup_cookies (request);
      if (cookies == NULL)
        return 0;
      assert_one_line (cookies);
      fuzz_assert (dp_request_add_cookies (again, cookies, NULL));
      cookies_again = dp_request_dup_cookies (again);
      fuzz_assert (g_strcmp0 (cookies, cookies_again) == 0);
    }
  else
    {
      guint n = 0;

      if (!dp_request_add_cookie_text (request, (const char *) data + 1, size - 1, "fuzz",
                                       &n, &error))
        {
          fuzz_assert (error != NULL && dp_request_is_empty (request));
          return 0;
        }
      fuzz_assert (n == dp_request_get_n_file_cookies (request));
    }

  assert_request_is_clean (request);
  return 0;
}
