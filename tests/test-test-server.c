/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Self-test of dp-test-server: every misbehaviour the integration tests
 * rely on is checked here with libsoup's plain synchronous client, so a
 * failing integration test can be blamed on the engine, not the server. */
#include "dp-test-server.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

static DpTestServer *server;
static SoupSession *session;

typedef struct
{
  SoupMessage *msg;
  GBytes *body;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_object (&reply->msg);
  g_clear_pointer (&reply->body, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* Sends one request; @range and the extra header are optional. Fails the
 * test on transport errors. */
static void
request_full (SoupSession *sess,
              const char  *method,
              const char  *path_and_query,
              const char  *range,
              const char  *header,
              const char  *value,
              gboolean     follow,
              Reply       *reply)
{
  g_autofree char *url = dp_test_server_url (server, path_and_query);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  reply->msg = soup_message_new (method, url);
  g_assert_nonnull (reply->msg);
  headers = soup_message_get_request_headers (reply->msg);
  if (range != NULL)
    soup_message_headers_replace (headers, "Range", range);
  if (header != NULL)
    soup_message_headers_replace (headers, header, value);
  if (!follow)
    soup_message_add_flags (reply->msg, SOUP_MESSAGE_NO_REDIRECT);

  reply->body = soup_session_send_and_read (sess, reply->msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply->body);
}

static void
get (const char *path_and_query,
     const char *range,
     Reply      *reply)
{
  request_full (session, "GET", path_and_query, range, NULL, NULL, TRUE, reply);
}

static const char *
header (Reply      *reply,
        const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (reply->msg), name);
}

static guint
status (Reply *reply)
{
  return soup_message_get_status (reply->msg);
}

static void
assert_content (GBytes  *body,
                guint64  seed,
                guint64  offset,
                gsize    len)
{
  g_autofree guint8 *expected = g_malloc (MAX (len, 1));
  gsize got_len;
  const guint8 *got = g_bytes_get_data (body, &got_len);

  dp_test_content_fill (seed, offset, expected, len);
  g_assert_cmpmem (got, got_len, expected, len);
}

/* ---- content ---------------------------------------------------------- */

static void
test_content (void)
{
  gsize len = 100000;
  g_autofree guint8 *buf = g_malloc (len);
  g_autofree guint8 *part = g_malloc (len);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *sha = NULL;
  g_autofree char *empty = NULL;

  dp_test_content_fill (1, 0, buf, len);
  for (gsize i = 0; i < len; i += 37)
    g_assert_cmpuint (buf[i], ==, dp_test_content_byte (1, i));

  /* Unaligned starts and lengths agree with the whole. */
  for (gsize off = 0; off < 20; off++)
    for (gsize n = 0; n < 30; n++)
      {
        dp_test_content_fill (1, off, part, n);
        g_assert_cmpmem (part, n, buf + off, n);
      }

  /* No short period, and seeds differ. */
  for (gsize p = 1; p <= 256; p++)
    g_assert_true (memcmp (buf, buf + p, 4096) != 0);
  dp_test_content_fill (2, 0, part, len);
  g_assert_true (memcmp (buf, part, 4096) != 0);

  g_checksum_update (sum, buf, len);
  sha = dp_test_content_sha256 (1, len);
  g_assert_cmpstr (sha, ==, g_checksum_get_string (sum));

  empty = dp_test_content_sha256 (5, 0);
  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  g_assert_null (dp_test_file_sha256 ("/nonexistent/dp-test-server"));
}

/* ---- plain GET, HEAD and ranges --------------------------------------- */

static void
test_full (void)
{
  g_auto(Reply) r = { 0 };
  g_autofree char *want = dp_test_content_sha256 (7, 300000);
  g_autofree char *file_sha = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  int fd;

  get ("/file/full?size=300000&seed=7", NULL, &r);
  g_assert_cmpuint (status (&r), ==, 200);
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (r.msg)),
                   ==, 300000);
  g_assert_cmpstr (header (&r, "Accept-Ranges"), ==, "bytes");
  g_assert_cmpstr (header (&r, "Content-Type"), ==, "application/octet-stream");
  g_assert_null (header (&r, "ETag"));
  assert_content (r.body, 7, 0, 300000);

  g_checksum_update (sum, g_bytes_get_data (r.body, NULL), g_bytes_get_size (r.body));
  g_assert_cmpstr (g_checksum_get_string (sum), ==, want);

  fd = g_file_open_tmp ("dp-test-server-XXXXXX", &tmp, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (tmp, g_bytes_get_data (r.body, NULL), g_bytes_get_size (r.body), &error);
  g_assert_no_error (error);
  file_sha = dp_test_file_sha256 (tmp);
  g_assert_cmpstr (file_sha, ==, want);
  g_unlink (tmp);
}

typedef struct
{
  const char *range;
  guint status;
  const char *content_range;
  guint64 start;
  gsize len;
} RangeCase;

static void
test_range (void)
{
  static const RangeCase cases[] = {
    { "bytes=100-199", 206, "bytes 100-199/1000", 100, 100 },
    { "bytes=900-", 206, "bytes 900-999/1000", 900, 100 },
    { "bytes=-50", 206, "bytes 950-999/1000", 950, 50 },
    { "bytes=-5000", 206, "bytes 0-999/1000", 0, 1000 },
    { "bytes=990-5000", 206, "bytes 990-999/1000", 990, 10 },
    { "bytes=0-0", 206, "bytes 0-0/1000", 0, 1 },
    { "bytes=10-19, 30-39", 206, "bytes 10-19/1000", 10, 10 },
    { "bytes=1000-", 416, "bytes */1000", 0, 0 },
    { "bytes=-0", 416, "bytes */1000", 0, 0 },
    { "bytes=9-3", 200, NULL, 0, 1000 },
    { "pages=1-2", 200, NULL, 0, 1000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Reply) r = { 0 };

      get ("/file/range?size=1000", cases[i].range, &r);
      g_assert_cmpuint (status (&r), ==, cases[i].status);
      g_assert_cmpstr (header (&r, "Content-Range"), ==, cases[i].content_range);
      if (cases[i].status == 206)
        g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (r.msg)),
                         ==, cases[i].len);
      assert_content (r.body, 1, cases[i].start, cases[i].len);
    }
}

static void
test_head (void)
{
  g_auto(Reply) head = { 0 };
  g_auto(Reply) ranged = { 0 };
  g_auto(Reply) nohead = { 0 };
  g_auto(Reply) nolen = { 0 };
  SoupMessageHeaders *h;

  request_full (session, "HEAD", "/file/head?size=12345&etag=v1", NULL, NULL, NULL, TRUE, &head);
  h = soup_message_get_response_headers (head.msg);
  g_assert_cmpuint (status (&head), ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (h), ==, SOUP_ENCODING_CONTENT_LENGTH);
  g_assert_cmpint (soup_message_headers_get_content_length (h), ==, 12345);
  g_assert_cmpstr (header (&head, "Accept-Ranges"), ==, "bytes");
  g_assert_cmpstr (header (&head, "ETag"), ==, "\"v1\"");
  g_assert_cmpuint (g_bytes_get_size (head.body), ==, 0);

  request_full (session, "HEAD", "/file/head?size=12345", "bytes=100-", NULL, NULL, TRUE, &ranged);
  g_assert_cmpuint (status (&ranged), ==, 206);
  g_assert_cmpstr (header (&ranged, "Content-Range"), ==, "bytes 100-12344/12345");
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (ranged.msg)),
                   ==, 12245);

  request_full (session, "HEAD", "/file/head?size=12345&nohead=1", NULL, NULL, NULL, TRUE, &nohead);
  g_assert_cmpuint (status (&nohead), ==, 405);

  request_full (session, "HEAD", "/file/head?size=12345&headnolength=1", NULL, NULL, NULL, TRUE, &nolen);
  g_assert_cmpuint (status (&nolen), ==, 200);
  g_assert_null (header (&nolen, "Content-Length"));
  g_assert_null (header (&nolen, "Transfer-Encoding"));
}

static void
test_norange (void)
{
  g_auto(Reply) r = { 0 };
  g_auto(Reply) n = { 0 };

  /* A 200 with the whole body despite the Range header: libsoup's own
   * Range handling must not have kicked in. */
  get ("/file/nr?size=5000&norange=1", "bytes=100-199", &r);
  g_assert_cmpuint (status (&r), ==, 200);
  g_assert_null (header (&r, "Accept-Ranges"));
  g_assert_null (header (&r, "Content-Range"));
  assert_content (r.body, 1, 0, 5000);

  get ("/file/nr?size=5000&noaccept=1", "bytes=100-199", &n);
  g_assert_cmpuint (status (&n), ==, 206);
  g_assert_null (header (&n, "Accept-Ranges"));
  assert_content (n.body, 1, 100, 100);
}

static void
test_nolength (void)
{
  g_auto(Reply) r = { 0 };
  g_auto(Reply) p = { 0 };
  g_auto(Reply) z = { 0 };

  get ("/file/nl?size=200000&nolength=1&seed=3", NULL, &r);
  g_assert_cmpuint (status (&r), ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (r.msg)),
                   ==, SOUP_ENCODING_CHUNKED);
  g_assert_null (header (&r, "Content-Length"));
  assert_content (r.body, 3, 0, 200000);

  get ("/file/nl?size=200000&nolength=1&seed=3", "bytes=1000-", &p);
  g_assert_cmpuint (status (&p), ==, 206);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (p.msg)),
                   ==, SOUP_ENCODING_CHUNKED);
  assert_content (p.body, 3, 1000, 199000);

  get ("/file/nl?size=0&nolength=1", NULL, &z);
  g_assert_cmpuint (status (&z), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (z.body), ==, 0);
}

static void
test_short_long_wrongstart (void)
{
  g_auto(Reply) s = { 0 };
  g_auto(Reply) l = { 0 };
  g_auto(Reply) w = { 0 };
  g_auto(Reply) after = { 0 };

  get ("/file/sl?size=100000&short=500", "bytes=1000-9999", &s);
  g_assert_cmpuint (status (&s), ==, 206);
  g_assert_cmpstr (header (&s, "Content-Range"), ==, "bytes 1000-1499/100000");
  assert_content (s.body, 1, 1000, 500);

  get ("/file/sl?size=100000&long=300", "bytes=1000-1999", &l);
  g_assert_cmpuint (status (&l), ==, 206);
  g_assert_cmpstr (header (&l, "Content-Range"), ==, "bytes 1000-1999/100000");
  g_assert_null (header (&l, "Content-Length"));
  assert_content (l.body, 1, 1000, 1300);

  get ("/file/sl?size=100000&wrongstart=1", "bytes=1000-1999", &w);
  g_assert_cmpuint (status (&w), ==, 206);
  g_assert_cmpstr (header (&w, "Content-Range"), ==, "bytes 1001-1999/100000");
  assert_content (w.body, 1, 1001, 999);

  /* The session still works after the connection the long reply closed. */
  get ("/file/sl?size=10", NULL, &after);
  g_assert_cmpuint (status (&after), ==, 200);
}

/* ---- statuses ---------------------------------------------------------- */

static void
test_status (void)
{
  g_auto(Reply) nf = { 0 };
  g_auto(Reply) ok = { 0 };
  g_auto(Reply) busy = { 0 };
  g_auto(Reply) rs = { 0 };
  g_auto(Reply) rs_plain = { 0 };

  get ("/file/st?size=1000&status=404", NULL, &nf);
  g_assert_cmpuint (status (&nf), ==, 404);
  g_assert_true (g_str_has_prefix (header (&nf, "Content-Type"), "text/html"));
  g_assert_null (header (&nf, "Retry-After"));

  /* status=200 with a Range header stays a full 200 HTML page. */
  get ("/file/st?size=1000&status=200", "bytes=0-9", &ok);
  g_assert_cmpuint (status (&ok), ==, 200);
  g_assert_null (header (&ok, "Content-Range"));
  g_assert_true (g_bytes_get_size (ok.body) > 10);

  get ("/file/st?size=1000&status=503&retryafter=5", NULL, &busy);
  g_assert_cmpuint (status (&busy), ==, 503);
  g_assert_cmpstr (header (&busy, "Retry-After"), ==, "5");

  get ("/file/rs?size=1000&rangestatus=403", "bytes=10-", &rs);
  g_assert_cmpuint (status (&rs), ==, 403);
  g_assert_true (g_str_has_prefix (header (&rs, "Content-Type"), "text/html"));

  get ("/file/rs?size=1000&rangestatus=403", NULL, &rs_plain);
  g_assert_cmpuint (status (&rs_plain), ==, 200);
  assert_content (rs_plain.body, 1, 0, 1000);
}

static void
test_failfirst (void)
{
  g_auto(Reply) head = { 0 };
  g_auto(Reply) other = { 0 };

  /* HEAD does not use up a failure. */
  request_full (session, "HEAD", "/file/ff?size=100&failfirst=2", NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpuint (status (&head), ==, 200);

  for (int i = 0; i < 3; i++)
    {
      g_auto(Reply) r = { 0 };

      get ("/file/ff?size=100&failfirst=2&retryafter=1", NULL, &r);
      if (i < 2)
        {
          g_assert_cmpuint (status (&r), ==, 503);
          g_assert_cmpstr (header (&r, "Retry-After"), ==, "1");
        }
      else
        {
          g_assert_cmpuint (status (&r), ==, 200);
          assert_content (r.body, 1, 0, 100);
        }
    }

  /* Counted per path. */
  get ("/file/ff2?size=100&failfirst=1", NULL, &other);
  g_assert_cmpuint (status (&other), ==, 503);
}

static void
test_redirect (void)
{
  g_auto(Reply) hop = { 0 };
  g_auto(Reply) followed = { 0 };
  g_auto(Reply) to = { 0 };
  g_auto(Reply) to_followed = { 0 };
  g_autofree char *expected = dp_test_server_url (server, "/file/rd?size=777&redirect=1&seed=9");

  request_full (session, "GET", "/file/rd?size=777&redirect=2&seed=9", NULL, NULL, NULL, FALSE, &hop);
  g_assert_cmpuint (status (&hop), ==, 302);
  g_assert_cmpstr (header (&hop, "Location"), ==, expected);

  get ("/file/rd?size=777&redirect=2&seed=9", "bytes=7-", &followed);
  g_assert_cmpuint (status (&followed), ==, 206);
  assert_content (followed.body, 9, 7, 770);

  request_full (session, "GET", "/file/x?redirectto=%2Ffile%2Fy%3Fsize%3D5%26seed%3D4",
                NULL, NULL, NULL, FALSE, &to);
  g_assert_cmpuint (status (&to), ==, 302);
  /* libsoup resolves a relative target against the request URL. */
  g_assert_true (g_str_has_suffix (header (&to, "Location"), "/file/y?size=5&seed=4"));

  get ("/file/x?redirectto=%2Ffile%2Fy%3Fsize%3D5%26seed%3D4", NULL, &to_followed);
  g_assert_cmpuint (status (&to_followed), ==, 200);
  assert_content (to_followed.body, 4, 0, 5);
}

static void
test_headers (void)
{
  g_auto(Reply) d = { 0 };
  g_auto(Reply) match = { 0 };
  g_auto(Reply) mismatch = { 0 };
  g_auto(Reply) date = { 0 };

  get ("/file/h?size=10&disposition=attachment%3B%20filename%3D%22a%20b.bin%22&type=text%2Fplain",
       NULL, &d);
  g_assert_cmpstr (header (&d, "Content-Disposition"), ==, "attachment; filename=\"a b.bin\"");
  g_assert_cmpstr (header (&d, "Content-Type"), ==, "text/plain");

  request_full (session, "GET", "/file/h?size=1000&etag=abc", "bytes=10-19",
                "If-Range", "\"abc\"", TRUE, &match);
  g_assert_cmpuint (status (&match), ==, 206);
  g_assert_cmpstr (header (&match, "ETag"), ==, "\"abc\"");
  assert_content (match.body, 1, 10, 10);

  request_full (session, "GET", "/file/h?size=1000&etag=abc", "bytes=10-19",
                "If-Range", "\"old\"", TRUE, &mismatch);
  g_assert_cmpuint (status (&mismatch), ==, 200);
  assert_content (mismatch.body, 1, 0, 1000);

  request_full (session, "GET", "/file/h?size=1000", "bytes=10-19",
                "If-Range", "Wed, 21 Oct 2015 07:28:00 GMT", TRUE, &date);
  g_assert_cmpuint (status (&date), ==, 200);
}

static void
test_html (void)
{
  g_auto(Reply) ranged = { 0 };
  g_auto(Reply) plain = { 0 };

  get ("/file/html?size=100000&html=1", "bytes=500-", &ranged);
  g_assert_cmpuint (status (&ranged), ==, 200);
  g_assert_true (g_str_has_prefix (header (&ranged, "Content-Type"), "text/html"));
  g_assert_null (header (&ranged, "Content-Range"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (ranged.body, NULL),
                                  g_bytes_get_size (ranged.body), "expired"));

  get ("/file/html?size=100000&html=1", NULL, &plain);
  g_assert_cmpuint (status (&plain), ==, 200);
  assert_content (plain.body, 1, 0, 100000);
}

/* ---- timing and connection trouble ------------------------------------ */

static void
test_rate (void)
{
  g_auto(Reply) r = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  double secs;

  get ("/file/rate?size=50000&rate=100000", NULL, &r);
  secs = (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (status (&r), ==, 200);
  assert_content (r.body, 1, 0, 50000);
  /* 50 kB at 100 kB/s, less the first 50 ms burst: about 0.45 s. */
  g_test_message ("rate: %.3f s", secs);
  g_assert_cmpfloat (secs, >=, 0.35);
  g_assert_cmpfloat (secs, <=, 1.5);
}

/* Reads a response body with the streaming API, stopping at the first
 * error, which is handed back. */
static GBytes *
read_until_error (const char  *path_and_query,
                  const char  *range,
                  guint       *status_out,
                  GError     **error)
{
  g_autofree char *url = dp_test_server_url (server, path_and_query);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buf[16384];

  if (range != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);

  in = soup_session_send (session, msg, NULL, error);
  if (in == NULL)
    return NULL;
  *status_out = soup_message_get_status (msg);

  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, error);

      if (n < 0)
        break;
      if (n == 0)
        break;
      g_byte_array_append (data, buf, n);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
test_reset (void)
{
  const char *pq = "/file/reset?size=300000&reset=100000&seed=11";
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) from = NULL;
  g_autoptr(GBytes) from_again = NULL;
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;
  guint st = 0;

  /* First attempt from 0: cut after exactly 100000 bytes. */
  first = read_until_error (pq, NULL, &st, &e1);
  g_assert_nonnull (e1);
  g_test_message ("reset error: %s", e1->message);
  g_assert_cmpuint (st, ==, 200);
  assert_content (first, 11, 0, 100000);

  /* A retry from the same start goes through. */
  again = read_until_error (pq, NULL, &st, &e2);
  g_assert_no_error (e2);
  g_assert_cmpuint (st, ==, 200);
  assert_content (again, 11, 0, 300000);

  /* A new range start gets its own first-attempt reset... */
  from = read_until_error (pq, "bytes=100000-", &st, &e3);
  g_assert_nonnull (e3);
  g_assert_cmpuint (st, ==, 206);
  assert_content (from, 11, 100000, 100000);

  /* ...and then succeeds. */
  from_again = read_until_error (pq, "bytes=100000-", &st, &e4);
  g_assert_no_error (e4);
  g_assert_cmpuint (st, ==, 206);
  assert_content (from_again, 11, 100000, 200000);

  /* A reset before the first body byte. */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;

      body = read_until_error ("/file/reset0?size=1000&reset=0", NULL, &st, &error);
      if (i == 0)
        {
          g_assert_nonnull (error);
          g_assert_true (body == NULL || g_bytes_get_size (body) == 0);
        }
      else
        {
          g_assert_no_error (error);
          assert_content (body, 1, 0, 1000);
        }
    }
}

static void
test_stall (void)
{
  g_autoptr(SoupSession) impatient = soup_session_new_with_options ("timeout", 1, NULL);
  g_autofree char *url = dp_test_server_url (server, "/file/stall?size=1000000&stall=50000");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  body = soup_session_send_and_read (impatient, msg, NULL, &error);
  g_assert_null (body);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
}

/* ---- counters ---------------------------------------------------------- */

static gpointer
concurrent_get (gpointer user_data)
{
  g_autoptr(SoupSession) own = soup_session_new ();
  g_autofree char *url = dp_test_server_url (user_data, "/file/conc?size=30000&rate=60000");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (own, msg, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 30000);
  return NULL;
}

static void
test_counters (void)
{
  g_autoptr(DpTestServer) own = dp_test_server_new ();
  g_autoptr(SoupSession) sess = soup_session_new ();
  g_autofree char *url = dp_test_server_url (own, "/file/c?size=5000");
  GThread *threads[3];

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = NULL;

      if (i == 1)
        soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=1000-");
      if (i == 2)
        soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=0-999");
      body = soup_session_send_and_read (sess, msg, NULL, NULL);
      g_assert_nonnull (body);
    }

  g_assert_cmpuint (dp_test_server_get_requests (own), ==, 3);
  g_assert_cmpuint (dp_test_server_get_range_requests (own), ==, 2);
  g_assert_cmpuint (dp_test_server_get_range_requests_from_zero (own), ==, 1);
  g_assert_cmpuint (dp_test_server_get_bytes_sent (own), ==, 5000 + 4000 + 1000);
  g_assert_cmpuint (dp_test_server_get_max_concurrent (own), ==, 1);

  dp_test_server_reset_counters (own);
  g_assert_cmpuint (dp_test_server_get_requests (own), ==, 0);
  g_assert_cmpuint (dp_test_server_get_range_requests (own), ==, 0);
  g_assert_cmpuint (dp_test_server_get_range_requests_from_zero (own), ==, 0);
  g_assert_cmpuint (dp_test_server_get_bytes_sent (own), ==, 0);
  g_assert_cmpuint (dp_test_server_get_max_concurrent (own), ==, 0);

  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("client", concurrent_get, own);
  for (int i = 0; i < 3; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (dp_test_server_get_requests (own), ==, 3);
  g_assert_cmpuint (dp_test_server_get_max_concurrent (own), ==, 3);
  g_assert_cmpuint (dp_test_server_get_bytes_sent (own), ==, 90000);
}

/* ---- big bodies and teardown ------------------------------------------- */

static void
test_large (void)
{
  guint64 size = 24 * 1024 * 1024;
  g_autofree char *url = dp_test_server_url (server, "/file/large?size=25165824&seed=42");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *want = dp_test_content_sha256 (42, size);
  g_autofree guint8 *buf = g_malloc (65536);
  guint64 total = 0;

  in = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, 65536, NULL, &error);

      g_assert_no_error (error);
      if (n == 0)
        break;
      g_checksum_update (sum, buf, n);
      total += n;
    }

  g_assert_cmpuint (total, ==, size);
  g_assert_cmpstr (g_checksum_get_string (sum), ==, want);
}

typedef struct
{
  DpTestServer *srv;
  const char *path_and_query;
  GError *error;
  gsize got;
} StalledClient;

static gpointer
stalled_client (gpointer user_data)
{
  StalledClient *sc = user_data;
  g_autoptr(SoupSession) sess = soup_session_new ();
  g_autofree char *url = dp_test_server_url (sc->srv, sc->path_and_query);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (sess, msg, NULL, &sc->error);

  if (body != NULL)
    sc->got = g_bytes_get_size (body);
  return NULL;
}

static void
test_free_with_clients (void)
{
  DpTestServer *srv = dp_test_server_new ();
  g_autoptr(SoupSession) idle = soup_session_new ();
  g_autofree char *url = dp_test_server_url (srv, "/file/idle?size=10");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  StalledClient stalled = { srv, "/file/hang?size=1000000&stall=1000", NULL, 0 };
  StalledClient slow = { srv, "/file/slow?size=1000000&rate=100000", NULL, 0 };
  GThread *threads[2];
  gint64 t0;

  /* One kept-alive idle connection... */
  body = soup_session_send_and_read (idle, msg, NULL, NULL);
  g_assert_nonnull (body);

  /* ...one stalled mid-body, with a client that would wait forever, and
   * one throttled, with a rate timer pending. */
  threads[0] = g_thread_new ("stalled", stalled_client, &stalled);
  threads[1] = g_thread_new ("slow", stalled_client, &slow);
  t0 = g_get_monotonic_time ();
  while (dp_test_server_get_bytes_sent (srv) < 10 + 1000 + 5000)
    {
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
      g_usleep (1000);
    }

  t0 = g_get_monotonic_time ();
  dp_test_server_free (srv);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);

  for (int i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  g_assert_nonnull (stalled.error);
  g_assert_nonnull (slow.error);
  g_clear_error (&stalled.error);
  g_clear_error (&slow.error);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = dp_test_server_new ();
  session = soup_session_new ();

  g_test_add_func ("/content/generator", test_content);
  g_test_add_func ("/server/full", test_full);
  g_test_add_func ("/server/range", test_range);
  g_test_add_func ("/server/head", test_head);
  g_test_add_func ("/server/norange", test_norange);
  g_test_add_func ("/server/nolength", test_nolength);
  g_test_add_func ("/server/short-long-wrongstart", test_short_long_wrongstart);
  g_test_add_func ("/server/status", test_status);
  g_test_add_func ("/server/failfirst", test_failfirst);
  g_test_add_func ("/server/redirect", test_redirect);
  g_test_add_func ("/server/headers", test_headers);
  g_test_add_func ("/server/html", test_html);
  g_test_add_func ("/server/rate", test_rate);
  g_test_add_func ("/server/reset", test_reset);
  g_test_add_func ("/server/stall", test_stall);
  g_test_add_func ("/server/counters", test_counters);
  g_test_add_func ("/server/large", test_large);
  g_test_add_func ("/server/free-with-clients", test_free_with_clients);

  ret = g_test_run ();

  g_object_unref (session);
  dp_test_server_free (server);
  return ret;
}
