/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Addresses typed, pasted, dropped or passed on the command line, and
 * everything derived from them: what is shown never carries a password,
 * and the name taken from the address is a single safe component. */
#include "fuzz-common.h"
#include "dp-http.h"
#include "dp-names.h"
#include "dp-state.h"

#define SECRET "s3cr3tPw"

static void
assert_no_secret (const char *text)
{
  if (text != NULL)
    fuzz_assert (strstr (text, SECRET) == NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_input_string (data, size);
  g_autofree char *with_login = NULL;
  g_autofree char *name = dp_filename_from_url (text);
  g_autofree char *redacted = dp_http_redact_address (text);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_assert_safe_component (name);
  fuzz_assert (redacted != NULL);

  uri = dp_http_parse_url (text, &error);
  if (uri != NULL)
    {
      const char *scheme = g_uri_get_scheme (uri);

      fuzz_assert (g_ascii_strcasecmp (scheme, "http") == 0 ||
                   g_ascii_strcasecmp (scheme, "https") == 0);
      fuzz_assert (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
    }
  else
    fuzz_assert (error != NULL && error->message != NULL);

  /* The same address with a login in it: no message, display form or
   * state file may show the password. */
  if (g_str_has_prefix (text, "http://") || g_str_has_prefix (text, "https://"))
    {
      const char *rest = strstr (text, "://") + 3;
      g_autoptr(GUri) login_uri = NULL;
      g_autoptr(GError) login_error = NULL;
      g_autofree char *stripped = NULL;

      if (strstr (rest, SECRET) != NULL)
        return 0;
      with_login = g_strdup_printf ("%.*suser:" SECRET "@%s", (int) (rest - text), text, rest);

      g_free (redacted);
      redacted = dp_http_redact_address (with_login);
      assert_no_secret (redacted);

      login_uri = dp_http_parse_url (with_login, &login_error);
      if (login_uri != NULL)
        {
          g_autofree char *shown = dp_http_uri_to_display (login_uri);
          assert_no_secret (shown);
        }
      else
        assert_no_secret (login_error->message);

      stripped = dp_state_strip_credentials (with_login);
      assert_no_secret (stripped);
    }
  return 0;
}
