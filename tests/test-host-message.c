/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <gio/gio.h>

#include "dp-host-message.h"

/* The browser host's side of native messaging: framing, and what a
 * message may say. Every refusal names what is wrong. */

static GInputStream *
framed (const char *first,
        ...)
{
  GByteArray *bytes = g_byte_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *json = first; json != NULL; json = va_arg (args, const char *))
    {
      guint32 length = (guint32) strlen (json);

      g_byte_array_append (bytes, (const guint8 *) &length, sizeof length);
      g_byte_array_append (bytes, (const guint8 *) json, length);
    }
  va_end (args);
  {
    g_autoptr(GBytes) data = g_byte_array_free_to_bytes (bytes);

    /* The stream takes a reference of its own. */
    return g_memory_input_stream_new_from_bytes (data);
  }
}

static GInputStream *
raw (const void *data,
     gsize       length)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, length);

  return g_memory_input_stream_new_from_bytes (bytes);
}

static void
test_framing (void **state)
{
  g_autoptr(GInputStream) two = framed ("{\"url\":\"http://a/x\"}", "{}", NULL);
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) end = NULL;
  g_autoptr(GError) error = NULL;
  guint32 zero = 0, huge = DP_HOST_MAX_MESSAGE + 1, ten = 10;
  guint8 short_body[4 + 3];

  (void) state;
  first = dp_host_read_message (two, NULL, &error);
  g_assert_no_error (error);
  assert_int_equal (g_bytes_get_size (first), strlen ("{\"url\":\"http://a/x\"}"));
  second = dp_host_read_message (two, NULL, &error);
  assert_int_equal (g_bytes_get_size (second), 2);
  /* The end between two messages is no error. */
  end = dp_host_read_message (two, NULL, &error);
  assert_null (end);
  g_assert_no_error (error);

  {
    g_autoptr(GInputStream) in = raw (&zero, sizeof zero);

    assert_null (dp_host_read_message (in, NULL, &error));
    assert_true (g_error_matches (error, DP_HOST_ERROR, DP_HOST_ERROR_FRAMING));
    g_clear_error (&error);
  }
  {
    g_autoptr(GInputStream) in = raw (&huge, sizeof huge);

    /* Refused before a byte of it is read or allocated. */
    assert_null (dp_host_read_message (in, NULL, &error));
    assert_true (g_error_matches (error, DP_HOST_ERROR, DP_HOST_ERROR_FRAMING));
    assert_non_null (strstr (error->message, "is not accepted"));
    g_clear_error (&error);
  }
  {
    g_autoptr(GInputStream) in = raw ("\x05\x00", 2);

    assert_null (dp_host_read_message (in, NULL, &error));
    assert_non_null (strstr (error->message, "length was cut short"));
    g_clear_error (&error);
  }
  memcpy (short_body, &ten, sizeof ten);
  memcpy (short_body + 4, "{\"u", 3);
  {
    g_autoptr(GInputStream) in = raw (short_body, sizeof short_body);

    assert_null (dp_host_read_message (in, NULL, &error));
    assert_non_null (strstr (error->message, "ended after 3 of its 10 bytes"));
  }
}

static void
test_write (void **state)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  const guint8 *data;
  guint32 length;

  (void) state;
  assert_true (dp_host_write_message (out, "{\"ok\":true}", NULL, NULL));
  g_output_stream_close (out, NULL, NULL);
  data = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out));
  assert_int_equal (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)), 4 + 11);
  memcpy (&length, data, sizeof length);
  assert_int_equal (length, 11);
  assert_memory_equal (data + 4, "{\"ok\":true}", 11);
}

static DpHostDownload *
parse (const char  *json,
       GError     **error)
{
  return dp_host_parse_download (json, strlen (json), error);
}

static void
test_full_message (void **state)
{
  g_autoptr(DpHostDownload) download = NULL;
  g_autoptr(GError) error = NULL;

  (void) state;
  download = parse (" {\"url\": \"https://example.org/a%20b.iso?x=1\",\n"
                    "  \"referrer\": \"https://example.org/downloads\",\n"
                    "  \"cookies\": \"sid=42; theme=dark\",\n"
                    "  \"userAgent\": \"Mozilla/5.0 (X11; Linux x86_64)\",\n"
                    "  \"filename\": \"caf\\u00e9 \\ud83d\\ude00.iso\",\n"
                    "  \"future\": {\"nested\": [1, -2.5e3, true, false, null, \"x\"]},\n"
                    "  \"incognito\": false } ", &error);
  g_assert_no_error (error);
  assert_non_null (download);
  assert_string_equal (download->url, "https://example.org/a%20b.iso?x=1");
  assert_string_equal (download->referrer, "https://example.org/downloads");
  assert_string_equal (download->cookies, "sid=42; theme=dark");
  assert_string_equal (download->user_agent, "Mozilla/5.0 (X11; Linux x86_64)");
  /* Escapes decoded, surrogate pairs joined. */
  assert_string_equal (download->filename, "café 😀.iso");
}

static void
test_optional_fields (void **state)
{
  g_autoptr(DpHostDownload) download = NULL;

  (void) state;
  download = parse ("{\"url\":\"http://127.0.0.1:8080/x\",\"referrer\":null,\"cookies\":\"\","
                    "\"filename\":null}", NULL);
  assert_non_null (download);
  assert_null (download->referrer);
  assert_null (download->cookies);
  assert_null (download->user_agent);
  assert_null (download->filename);
}

static void
assert_refused (const char *json,
                int         code,
                const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpHostDownload) download = parse (json, &error);

  if (download != NULL)
    fail_msg ("accepted: %s", json);
  if (!g_error_matches (error, DP_HOST_ERROR, code) || strstr (error->message, needle) == NULL)
    fail_msg ("%s: “%s”, not “%s”", json, error->message, needle);
}

static void
test_refusals (void **state)
{
  g_autofree char *path = g_strnfill (DP_HOST_MAX_URL, 'a');
  g_autofree char *open = g_strnfill (100, '[');
  g_autofree char *close = g_strnfill (100, ']');
  g_autofree char *long_url = g_strdup_printf ("{\"url\":\"http://a/%s\"}", path);
  g_autofree char *deep = g_strdup_printf ("{\"x\":%s1%s,\"url\":\"http://a/\"}", open, close);

  (void) state;
  assert_refused ("", DP_HOST_ERROR_JSON, "not a JSON object");
  assert_refused ("[]", DP_HOST_ERROR_JSON, "not a JSON object");
  assert_refused ("\"http://a/\"", DP_HOST_ERROR_JSON, "not a JSON object");
  assert_refused ("{\"url\":\"http://a/\"", DP_HOST_ERROR_JSON, "not closed");
  assert_refused ("{\"url\":\"http://a/\"} {}", DP_HOST_ERROR_JSON, "more after its object");
  assert_refused ("{\"url\" \"http://a/\"}", DP_HOST_ERROR_JSON, "no “:”");
  assert_refused ("{\"url\":\"http://a/\",}", DP_HOST_ERROR_JSON, "string was expected");
  assert_refused ("{\"url\":'http://a/'}", DP_HOST_ERROR_JSON, "Not JSON");
  assert_refused ("{\"url\":\"http://a/\\x\"}", DP_HOST_ERROR_JSON, "unknown escape");
  assert_refused ("{\"url\":\"http://a/\\ud800\"}", DP_HOST_ERROR_JSON, "half of a surrogate pair");
  assert_refused ("{\"url\":\"http://a/\\udc00\"}", DP_HOST_ERROR_JSON, "half of a surrogate pair");
  assert_refused ("{\"url\":\"http://a/\\u0000\"}", DP_HOST_ERROR_JSON, "NUL");
  assert_refused ("{\"url\":\"http://a/\tb\"}", DP_HOST_ERROR_JSON, "unescaped control character");
  assert_refused ("{\"url\":\"http://a/\xff\"}", DP_HOST_ERROR_JSON, "not UTF-8");
  assert_refused ("{\"x\":01,\"url\":\"http://a/\"}", DP_HOST_ERROR_JSON, "not closed");
  assert_refused ("{\"x\":-,\"url\":\"http://a/\"}", DP_HOST_ERROR_JSON, "Not JSON");
  assert_refused (deep, DP_HOST_ERROR_JSON, "nested too deeply");

  assert_refused ("{}", DP_HOST_ERROR_INVALID, "has no “url”");
  assert_refused ("{\"url\":null}", DP_HOST_ERROR_INVALID, "has no “url”");
  assert_refused ("{\"url\":42}", DP_HOST_ERROR_INVALID, "“url” must be a string");
  assert_refused ("{\"url\":[\"http://a/\"]}", DP_HOST_ERROR_INVALID, "“url” must be a string");
  assert_refused ("{\"url\":\"http://a/\",\"url\":\"http://b/\"}", DP_HOST_ERROR_INVALID,
                  "“url” is given twice");
  assert_refused ("{\"url\":\"javascript:alert(1)\"}", DP_HOST_ERROR_INVALID,
                  "“url” is not an http:// or https:// address");
  assert_refused ("{\"url\":\"file:///etc/passwd\"}", DP_HOST_ERROR_INVALID, "not an http://");
  assert_refused ("{\"url\":\"http:///nohost\"}", DP_HOST_ERROR_INVALID, "not an http://");
  assert_refused ("{\"url\":\"http://a/\",\"referrer\":\"ftp://a/\"}", DP_HOST_ERROR_INVALID,
                  "“referrer” is not an http://");
  assert_refused ("{\"url\":\"http://a/\",\"cookies\":\"a=1\\r\\nHost: b\"}", DP_HOST_ERROR_INVALID,
                  "“cookies” holds a control character");
  assert_refused ("{\"url\":\"http://a/\",\"userAgent\":\"x\\u007f\"}", DP_HOST_ERROR_INVALID,
                  "“userAgent” holds a control character");
  assert_refused (long_url, DP_HOST_ERROR_INVALID, "“url” is longer than 32768 bytes");
}

static void
test_reply (void **state)
{
  g_autofree char *ok = dp_host_reply (NULL);
  g_autofree char *failed = dp_host_reply ("A \"quoted\" \\ line\nbreak");

  (void) state;
  assert_string_equal (ok, "{\"ok\":true}");
  assert_string_equal (failed, "{\"ok\":false,\"error\":\"A \\\"quoted\\\" \\\\ line\\u000abreak\"}");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_framing),
    cmocka_unit_test (test_write),
    cmocka_unit_test (test_full_message),
    cmocka_unit_test (test_optional_fields),
    cmocka_unit_test (test_refusals),
    cmocka_unit_test (test_reply),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
