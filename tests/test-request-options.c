/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-request.h"
#include "dp-test-fixture.h"
#include "dp-test-util.h"

/*
 * What a download sends besides its address: headers, user agent,
 * referrer, cookies and logins. First what DpRequest accepts and
 * refuses, then, from the test server's log, where each part went:
 * with every request of the download (probe, ranges, retries, renewed
 * links), never to another origin, and never into the state file.
 */

typedef DpTestFixture Fixture;

static const DpTestRequest *
entry (GPtrArray *log,
       guint      i)
{
  return g_ptr_array_index (log, i);
}

/* Whether @request's headers include the line "NAME: VALUE". */
static gboolean
sent_header (const DpTestRequest *request,
             const char          *line)
{
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
  const char *all = request->headers;

  for (const char *p = all; p != NULL && *p != '\0'; p = strchr (p, '\n') + 1)
    {
      if (g_ascii_strncasecmp (p, with_newline, strlen (with_newline)) == 0)
        return TRUE;
      if (strchr (p, '\n') == NULL)
        break;
    }
  return FALSE;
}

/* Whether @request's Cookie header has the pair @pair. */
static gboolean
has_cookie (const DpTestRequest *request,
            const char          *pair)
{
  g_auto(GStrv) pairs = NULL;

  if (request->cookie == NULL)
    return FALSE;
  pairs = g_strsplit (request->cookie, "; ", -1);
  return g_strv_contains ((const char * const *) pairs, pair);
}

static DpDownload *
download_with (Fixture         *f,
               const char      *url,
               guint            segments,
               const DpRequest *request)
{
  DpDownload *download = dp_test_fixture_download_url (f, url, segments);

  dp_download_set_request (download, request);
  return download;
}

static void
assert_finishes (Fixture    *f,
                 DpDownload *download,
                 guint64     seed,
                 guint64     size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = NULL;

  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s failed: %s", dp_download_get_url (download), error->message);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_non_null (got);
  assert_string_equal (got, want);
}

/* ---- what DpRequest takes ------------------------------------------- */

static void
assert_header_refused (const char *line,
                       const char *needle)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;

  assert_false (dp_request_add_header (request, line, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT));
  if (strstr (error->message, needle) == NULL)
    fail_msg ("“%s” not in “%s”", needle, error->message);
  assert_true (dp_request_is_empty (request));
}

static void
test_headers_checked (void **state)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *cookies = NULL;
  g_autofree char *long_value = g_strnfill (DP_REQUEST_MAX_HEADER_LENGTH, 'a');
  g_autofree char *too_long = g_strconcat ("X-Long: ", long_value, NULL);
  const char * const *headers;

  (void) state;
  assert_true (dp_request_is_empty (request));
  assert_true (dp_request_add_header (request, "X-Token:  abc def \t", &error));
  assert_true (dp_request_add_header (request, "accept: text/plain", &error));
  assert_true (dp_request_add_header (request, "X-Empty:", &error));
  assert_true (dp_request_add_header (request, "User-Agent: Mozilla/5.0 (X11)", &error));
  assert_true (dp_request_add_header (request, "referer: https://example.org/page#top", &error));
  assert_true (dp_request_add_header (request, "Cookie: a=1; b=2", &error));
  g_assert_no_error (error);

  headers = dp_request_get_headers (request);
  assert_string_equal (headers[0], "X-Token: abc def");
  assert_string_equal (headers[1], "accept: text/plain");
  assert_string_equal (headers[2], "X-Empty: ");
  assert_null (headers[3]);
  /* The three with a meaning of their own are taken as that. */
  assert_string_equal (dp_request_get_user_agent (request), "Mozilla/5.0 (X11)");
  assert_string_equal (dp_request_get_referrer (request), "https://example.org/page");
  cookies = dp_request_dup_cookies (request);
  assert_string_equal (cookies, "a=1; b=2");
  assert_false (dp_request_is_empty (request));

  assert_header_refused ("Range: bytes=0-", "Downpour sets the header “Range” itself");
  assert_header_refused ("accept-encoding: gzip", "“Accept-Encoding” itself");
  assert_header_refused ("Host: elsewhere", "“Host” itself");
  assert_header_refused ("If-Range: \"x\"", "“If-Range” itself");
  assert_header_refused ("Transfer-Encoding: chunked", "itself");
  assert_header_refused ("Connection: close", "itself");
  assert_header_refused ("X-Evil: a\r\nHost: b", "line break");
  assert_header_refused ("X-Evil: a\nb", "line break");
  assert_header_refused ("X-Nul: a\x01", "control character");
  assert_header_refused ("no colon here", "is not a header. Write it as “Name: value”.");
  assert_header_refused (": value", "is not a header");
  assert_header_refused ("Two words: value", "is not a header");
  assert_header_refused (too_long, "longer than 8192 bytes");
  assert_header_refused ("Referer: ftp://example.org/", "is not an http:// or https:// address");
  assert_header_refused ("Cookie: novalue", "is not a cookie");
  assert_header_refused ("User-Agent: a\rb", "“User-Agent” has a line break");
  g_clear_error (&error);
  assert_false (dp_request_set_user_agent (request, "a\nb", &error));
  assert_non_null (strstr (error->message, "one line of text"));
  /* A refusal keeps what was there. */
  assert_string_equal (dp_request_get_user_agent (request), "Mozilla/5.0 (X11)");
}

static void
test_header_limit (void **state)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;

  (void) state;
  for (int i = 0; i < DP_REQUEST_MAX_HEADERS; i++)
    {
      g_autofree char *line = g_strdup_printf ("X-N%d: %d", i, i);

      assert_true (dp_request_add_header (request, line, NULL));
    }
  assert_false (dp_request_add_header (request, "X-One-More: 1", &error));
  assert_non_null (strstr (error->message, "At most 64 headers"));
  assert_int_equal (g_strv_length ((char **) dp_request_get_headers (request)), DP_REQUEST_MAX_HEADERS);
}

static void
test_cookies_checked (void **state)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *cookies = NULL;
  g_autofree char *after = NULL;

  (void) state;
  assert_true (dp_request_add_cookies (request, " session=abc ;theme=dark;; ", &error));
  assert_true (dp_request_add_cookies (request, "session=xyz; lang=de", &error));
  g_assert_no_error (error);
  cookies = dp_request_dup_cookies (request);
  /* Given again, a cookie replaces its earlier value in place. */
  assert_string_equal (cookies, "session=xyz; theme=dark; lang=de");

  /* A bad pair anywhere leaves the cookies as they were. */
  assert_false (dp_request_add_cookies (request, "ok=1; =nameless", &error));
  assert_non_null (strstr (error->message, "is not a cookie"));
  g_clear_error (&error);
  assert_false (dp_request_add_cookies (request, "ok=1; ctl=a\x02", &error));
  assert_non_null (strstr (error->message, "“ctl”"));
  after = dp_request_dup_cookies (request);
  assert_string_equal (after, cookies);

  assert_true (dp_request_add_cookies (request, "", NULL));
  {
    g_autoptr(DpRequest) none = dp_request_new ();

    assert_null (dp_request_dup_cookies (none));
  }
}

static char *
write_file (Fixture    *f,
            const char *name,
            const char *contents)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

/* A cookies.txt file as browsers' exporters write it: CRLF or LF, a
 * header, HttpOnly lines, session cookies with an expiry of 0. */
static void
test_cookie_file_read (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *binary = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.txt", NULL);
  guint n = 0;

  path = write_file (f, "cookies.txt",
                     "# Netscape HTTP Cookie File\r\n"
                     "# https://curl.se/docs/http-cookies.html\r\n"
                     "\r\n"
                     "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tS1\r\n"
                     "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t4102444800\tlogin\tL2\r\n"
                     "127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tE3\r\n"
                     ".example.org\tTRUE\t/\tTRUE\t4102444800\tother\tO4\n");
  assert_true (dp_request_load_cookie_file (request, path, &n, &error));
  g_assert_no_error (error);
  /* The expired one is left out; the session cookie is kept. */
  assert_int_equal (n, 3);
  assert_false (dp_request_is_empty (request));

  bad = write_file (f, "bad.txt",
                    "# Netscape HTTP Cookie File\n"
                    "127.0.0.1\tFALSE\t/\tFALSE\t0\tgood\tG\n"
                    "127.0.0.1 FALSE / FALSE 0 spaces S\n");
  assert_false (dp_request_load_cookie_file (request, bad, &n, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT));
  assert_non_null (strstr (error->message, "Line 3 of “"));
  assert_non_null (strstr (error->message, "seven fields separated by tabs"));
  g_clear_error (&error);

  binary = g_build_filename (f->dir, "binary.txt", NULL);
  g_assert_true (g_file_set_contents (binary, "127.0.0.1\0\tFALSE", 17, NULL));
  assert_false (dp_request_load_cookie_file (request, binary, NULL, &error));
  assert_non_null (strstr (error->message, "is not a cookies.txt file"));
  g_clear_error (&error);

  assert_false (dp_request_load_cookie_file (request, missing, NULL, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_non_null (strstr (error->message, "Could not read cookies from “"));
  g_clear_error (&error);

  assert_false (dp_request_load_cookie_file (request, f->dir, NULL, &error));
  assert_non_null (error);
}

/* ---- where each part goes ------------------------------------------- */

/* Every request of a download in four connections carries the headers,
 * the user agent, the referrer and the cookies; and the server that
 * refuses a request without them gets what it wants each time. */
static void
test_sent_with_every_request (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *url = dp_test_server_url (f->server,
    "/file/every.bin?size=4194319&seed=301&needheader=X-Token%3Aabc%20def"
    "&needcookie=session%3Dxyz%7Ctheme%3Ddark"
    "&needreferer=https%3A%2F%2Fexample.org%2Fdownloads");
  guint ranges = 0;

  assert_true (dp_request_add_header (request, "X-Token: abc def", NULL));
  assert_true (dp_request_add_header (request, "Accept-Language: de", NULL));
  assert_true (dp_request_set_user_agent (request, "Mozilla/5.0 (Test) Firefox/140.0", NULL));
  assert_true (dp_request_set_referrer (request, "https://example.org/downloads", NULL));
  assert_true (dp_request_add_cookies (request, "session=xyz; theme=dark", NULL));

  download = download_with (f, url, 4, request);
  assert_finishes (f, download, 301, 4194319);

  log = dp_test_server_dup_log (f->server);
  assert_true (log->len >= 4);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = entry (log, i);

      if (r->status != 200 && r->status != 206)
        fail_msg ("request %u was answered %u:\n%s", i, r->status, r->headers);
      assert_true (sent_header (r, "X-Token: abc def"));
      assert_true (sent_header (r, "Accept-Language: de"));
      assert_string_equal (r->user_agent, "Mozilla/5.0 (Test) Firefox/140.0");
      assert_string_equal (r->referer, "https://example.org/downloads");
      assert_string_equal (r->cookie, "session=xyz; theme=dark");
      /* Downpour's own headers are still there. */
      assert_string_equal (r->accept_encoding, "identity");
      if (r->range != NULL)
        ranges++;
    }
  assert_true (ranges >= 4);
}

/* Without what the server wants, it refuses, and the error says so. */
static void
test_refused_without_them (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = dp_test_fixture_download (f,
    "/file/refused.bin?size=100000&needcookie=session%3Dxyz", 2);
  g_autoptr(GError) error = dp_test_fixture_run_fails (f, download, DP_ERROR_FORBIDDEN, -1);

  assert_non_null (strstr (error->message, "403"));
}

/* A redirect to another host: the user agent and the referrer follow
 * (a browser sends both there), the extra headers and the cookies of
 * the first host do not; a cookie the first host set on the way does
 * not either; the second host's own cookie from a file does. */
static void
test_nothing_private_to_another_origin (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpTestServer) other = dp_test_server_new ();
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GPtrArray) other_log = NULL;
  g_autofree char *target = dp_test_server_url (other, "/file/moved.bin?size=2097169&seed=302");
  g_autofree char *localhost_target = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *pq = NULL;
  g_autofree char *url = NULL;
  g_autofree char *cookie_file = NULL;
  g_autofree char *cookie_lines = NULL;
  guint there = 0;

  /* Another host name for the same loopback server: "localhost". */
  localhost_target = g_strconcat ("http://localhost", strrchr (target, ':'), NULL);
  escaped = g_uri_escape_string (localhost_target, NULL, FALSE);
  pq = g_strconcat ("/file/start.bin?setcookie=first%3D1%3B%20Path%3D%2F&redirectto=", escaped, NULL);
  url = dp_test_server_url (f->server, pq);

  cookie_lines = g_strdup ("localhost\tFALSE\t/\tFALSE\t0\tthere\tT\n"
                           "127.0.0.1\tFALSE\t/\tFALSE\t0\there\tH\n");
  cookie_file = write_file (f, "cookies.txt", cookie_lines);
  assert_true (dp_request_load_cookie_file (request, cookie_file, NULL, NULL));
  assert_true (dp_request_add_header (request, "X-Secret: s3cr3t", NULL));
  assert_true (dp_request_add_header (request, "Authorization: Bearer t0ken", NULL));
  assert_true (dp_request_add_cookies (request, "given=G", NULL));
  assert_true (dp_request_set_user_agent (request, "Agent/1", NULL));
  assert_true (dp_request_set_referrer (request, "http://example.org/page?q=1", NULL));

  download = download_with (f, url, 2, request);
  assert_finishes (f, download, 302, 2097169);

  log = dp_test_server_dup_log (f->server);
  other_log = dp_test_server_dup_log (other);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = entry (log, i);

      if (strcmp (r->path, "/file/start.bin") != 0)
        continue;
      assert_true (sent_header (r, "X-Secret: s3cr3t"));
      assert_string_equal (r->authorization, "Bearer t0ken");
      assert_string_equal (r->referer, "http://example.org/page?q=1");
      assert_true (has_cookie (r, "here=H"));
      assert_true (has_cookie (r, "given=G"));
      assert_false (has_cookie (r, "there=T"));
    }
  for (guint i = 0; i < other_log->len; i++)
    {
      const DpTestRequest *r = entry (other_log, i);

      there++;
      if (strstr (r->headers, "s3cr3t") != NULL || r->authorization != NULL)
        fail_msg ("request %u to another origin carried private headers:\n%s", i, r->headers);
      assert_string_equal (r->cookie, "there=T");
      assert_string_equal (r->user_agent, "Agent/1");
      /* Elsewhere only the referrer's origin, as browsers send it. */
      assert_string_equal (r->referer, "http://example.org/");
    }
  assert_true (there >= 2);
}

/* A cookie the server sets on its way (a login page's redirect) is sent
 * on to where it leads on the same host, and to every range. */
static void
test_cookie_set_on_the_way (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *target = dp_test_server_url (f->server,
    "/file/behind.bin?size=2097169&seed=303&needcookie=token%3Dfresh");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *pq = g_strconcat ("/file/login.bin?setcookie=token%3Dfresh%3B%20Path%3D%2F"
                                     "%3B%20HttpOnly&redirectto=", escaped, NULL);
  guint behind = 0;

  download = dp_test_fixture_download (f, pq, 3);
  assert_finishes (f, download, 303, 2097169);
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    if (strcmp (entry (log, i)->path, "/file/behind.bin") == 0)
      {
        behind++;
        assert_string_equal (entry (log, i)->cookie, "token=fresh");
      }
  assert_true (behind >= 3);
}

static void
run_login (Fixture    *f,
           const char *fault,
           guint64     seed)
{
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *pq = g_strdup_printf ("/file/login-%" G_GUINT64_FORMAT ".bin?size=3145739"
                                         "&seed=%" G_GUINT64_FORMAT "&%s=alice%%3Aw0nder%%3Aland",
                                         seed, seed, fault);
  g_autofree char *url = dp_test_server_url (f->server, pq);
  guint authorized = 0;

  /* A password may hold colons. */
  dp_request_set_login (request, "alice", "w0nder:land");
  download = download_with (f, url, 4, request);
  assert_finishes (f, download, seed, 3145739);

  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    if (entry (log, i)->status == 206 || entry (log, i)->status == 200)
      {
        authorized++;
        assert_non_null (entry (log, i)->authorization);
      }
  assert_true (authorized >= 4);
  /* libsoup keeps the login for the rest: one challenge per
   * connection at most, not one per range. */
  assert_true (dp_test_log_count (log, NULL, NULL, 401) <= 5);
}

static void
test_basic_login (void **state)
{
  run_login (*state, "auth", 304);
}

static void
test_digest_login (void **state)
{
  run_login (*state, "digest", 305);
}

/* No login, or a wrong one: a clear error of its own, which a front end
 * can answer by asking for one; nothing left behind. */
static void
test_login_errors (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) wrong = dp_request_new ();
  g_autoptr(DpDownload) without = NULL;
  g_autoptr(DpDownload) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) refused_error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *url = dp_test_server_url (f->server,
                                             "/file/locked.bin?size=300000&digest=alice%3Aright");

  without = dp_test_fixture_download_url (f, url, 2);
  error = dp_test_fixture_run_fails (f, without, DP_ERROR_LOGIN, -1);
  assert_non_null (strstr (error->message, "The server wants a login for this file (401"));

  dp_request_set_login (wrong, "alice", "wrong");
  refused = download_with (f, url, 2, wrong);
  dp_test_server_reset_counters (f->server);
  refused_error = dp_test_fixture_run_fails (f, refused, DP_ERROR_LOGIN, -1);
  assert_non_null (strstr (refused_error->message,
                           "The server did not accept the user name or password (401"));
  /* Tried once, not over and over. */
  log = dp_test_server_dup_log (f->server);
  assert_true (log->len <= 4);
  if (strstr (refused_error->message, "wrong") != NULL)
    fail_msg ("the password is in the message: %s", refused_error->message);
}

/* A link that expires mid-download is fetched again from the address
 * given, and that request, like every range after it, still carries the
 * cookie and the header the server wants. */
static void
test_renewed_link_keeps_them (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *url = dp_test_server_url (f->server,
    "/file/signed.bin?size=6291469&seed=306&signed=600&rate=1000000&short=524288"
    "&needcookie=s%3D1&needheader=X-Key%3Ak");
  guint signed_requests = 0;

  assert_true (dp_request_add_cookies (request, "s=1", NULL));
  assert_true (dp_request_add_header (request, "X-Key: k", NULL));
  download = download_with (f, url, 4, request);
  assert_finishes (f, download, 306, 6291469);

  /* The link was signed more than once: it expired on the way. */
  assert_true (dp_test_server_get_signatures (f->server) >= 2);
  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = entry (log, i);

      signed_requests += g_str_has_prefix (r->path, "/signed/");
      assert_string_equal (r->cookie, "s=1");
      assert_true (sent_header (r, "X-Key: k"));
    }
  assert_true (signed_requests >= 4);
}

/* A request sent again after a 503 carries each header once: the
 * server reads a header given twice as "k, k" and refuses it. */
static void
test_retry_sends_headers_once (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *url = dp_test_server_url (f->server,
    "/file/again.bin?size=1048583&seed=308&failfirst=2&needheader=X-Key%3Ak");

  assert_true (dp_request_add_header (request, "X-Key: k", NULL));
  download = download_with (f, url, 2, request);
  assert_finishes (f, download, 308, 1048583);
  log = dp_test_server_dup_log (f->server);
  assert_int_equal (dp_test_log_count (log, NULL, NULL, 503), 2);
  for (guint i = 0; i < log->len; i++)
    {
      const char *first = strstr (entry (log, i)->headers, "X-Key: k\n");

      assert_non_null (first);
      assert_null (strstr (first + 1, "X-Key:"));
    }
}

/* A 401 from the server a redirect leads to, on another origin: no login
 * is ever given there, and the error says so instead of asking for one
 * again and again. */
static void
test_login_elsewhere_is_not_asked (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpTestServer) other = dp_test_server_new ();
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) other_log = NULL;
  g_autofree char *target = dp_test_server_url (other, "/file/locked.bin?size=1000&auth=u%3Ap");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *pq = g_strconcat ("/file/start.bin?redirectto=", escaped, NULL);
  g_autofree char *url = dp_test_server_url (f->server, pq);

  dp_request_set_login (request, "u", "p");
  download = download_with (f, url, 2, request);
  error = dp_test_fixture_run_fails (f, download, DP_ERROR_FORBIDDEN, -1);
  assert_non_null (strstr (error->message, "which wants a login (401"));
  other_log = dp_test_server_dup_log (other);
  for (guint i = 0; i < other_log->len; i++)
    assert_null (((DpTestRequest *) g_ptr_array_index (other_log, i))->authorization);
}

/* The state file that lets a download resume holds none of it. */
static void
test_never_in_the_state_file (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dp_test_server_url (f->server,
    "/file/private.bin?size=8388617&seed=307&rate=524288");
  g_autofree char *state_path = g_build_filename (f->dir, "private.bin.part.state", NULL);
  g_autofree char *contents = NULL;
  const char *secrets[] = { "P4ssw0rd-secret", "Ym9i" /* "bob" in base64 */, "H3ader-secret", "C00kie-secret", "Ag3nt-secret",
                            "R3ferrer-secret", NULL };

  assert_true (dp_request_add_header (request, "X-Private: H3ader-secret", NULL));
  assert_true (dp_request_add_cookies (request, "c=C00kie-secret", NULL));
  assert_true (dp_request_set_user_agent (request, "Ag3nt-secret", NULL));
  assert_true (dp_request_set_referrer (request, "https://example.org/R3ferrer-secret", NULL));
  dp_request_set_login (request, "bob", "P4ssw0rd-secret");
  download = download_with (f, url, 2, request);

  /* Stop once the state file records progress. */
  dp_download_start_async (download, NULL, NULL, NULL);
  while (contents == NULL || dp_download_get_received (download) < 1048576)
    {
      g_main_context_iteration (NULL, TRUE);
      g_clear_pointer (&contents, g_free);
      g_file_get_contents (state_path, &contents, NULL, NULL);
    }
  dp_download_cancel (download);
  while (dp_download_get_state (download) != DP_DOWNLOAD_STATE_CANCELLED &&
         dp_download_get_state (download) != DP_DOWNLOAD_STATE_FAILED)
    g_main_context_iteration (NULL, TRUE);

  g_clear_pointer (&contents, g_free);
  assert_true (g_file_get_contents (state_path, &contents, NULL, NULL));
  for (guint i = 0; secrets[i] != NULL; i++)
    if (strstr (contents, secrets[i]) != NULL)
      fail_msg ("the state file holds “%s”:\n%s", secrets[i], contents);
  for (guint i = 0; i < f->notices->len; i++)
    for (guint j = 0; secrets[j] != NULL; j++)
      assert_null (strstr (g_ptr_array_index (f->notices, i), secrets[j]));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_headers_checked),
    cmocka_unit_test (test_header_limit),
    cmocka_unit_test (test_cookies_checked),
    cmocka_unit_test_setup_teardown (test_cookie_file_read, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_sent_with_every_request, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_refused_without_them, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_nothing_private_to_another_origin, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cookie_set_on_the_way, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_basic_login, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_digest_login, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_login_errors, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_renewed_link_keeps_them, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_never_in_the_state_file, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_sends_headers_once, dp_test_fixture_setup, dp_test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_login_elsewhere_is_not_asked, dp_test_fixture_setup, dp_test_fixture_teardown),
  };
  int failed;

  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));

  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
