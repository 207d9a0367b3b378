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

/* ---- a raw client --------------------------------------------------------- */

/* What came back on the wire, undecoded: libsoup's client would undo
 * chunking and compression and hide the framing the tests check. */
typedef struct
{
  guint status;
  SoupHTTPVersion version;
  SoupMessageHeaders *headers;
  GBytes *body;    /* every byte after the header block */
  GError *error;   /* how reading ended, if not by an orderly close */
} Raw;

static void
raw_clear (Raw *raw)
{
  g_clear_pointer (&raw->headers, soup_message_headers_unref);
  g_clear_pointer (&raw->body, g_bytes_unref);
  g_clear_error (&raw->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Raw, raw_clear)

/* Sends @request_text as is on a connection of its own to @srv and reads
 * until the server closes it. */
static void
raw_exchange (DpTestServer *srv,
              const char   *request_text,
              Raw          *raw)
{
  g_autofree char *base = dp_test_server_url (srv, "/");
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buf = g_malloc (65536);
  const char *end;
  gsize head_len;

  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             request_text, strlen (request_text), NULL, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                      buf, 65536, NULL, &raw->error);

      if (n <= 0)
        break;
      g_byte_array_append (data, buf, n);
    }

  end = g_strstr_len ((const char *) data->data, data->len, "\r\n\r\n");
  g_assert_nonnull (end);
  head_len = end - (const char *) data->data;
  raw->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response ((const char *) data->data, head_len + 2,
                                              raw->headers, &raw->version, &raw->status, NULL));
  raw->body = g_bytes_new (data->data + head_len + 4, data->len - head_len - 4);
}

/* A request with "Connection: close", so the answer ends with the
 * connection; @extra is more header lines, each ending in CRLF. */
static void
raw_request (const char *method,
             const char *path_and_query,
             const char *extra,
             Raw        *raw)
{
  g_autofree char *text = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n%s\r\n",
                                           method, path_and_query, extra != NULL ? extra : "");

  raw_exchange (server, text, raw);
}

static const char *
raw_header (Raw        *raw,
            const char *name)
{
  return soup_message_headers_get_one (raw->headers, name);
}

/* Undoes chunked framing, strictly: NULL unless @body is exactly a
 * sequence of chunks ending in the zero chunk with no trailers. */
static GBytes *
dechunk (GBytes *body)
{
  gsize len;
  const char *p = g_bytes_get_data (body, &len);
  const char *end = p + len;
  g_autoptr(GByteArray) out = g_byte_array_new ();

  for (;;)
    {
      char *after;
      guint64 size;
      const char *eol = g_strstr_len (p, end - p, "\r\n");

      if (eol == NULL || eol == p || !g_ascii_isxdigit (*p))
        return NULL;
      size = g_ascii_strtoull (p, &after, 16);
      if (after != eol)
        return NULL;
      p = eol + 2;
      if (size == 0)
        break;
      if ((guint64) (end - p) < size + 2 || memcmp (p + size, "\r\n", 2) != 0)
        return NULL;
      g_byte_array_append (out, (const guint8 *) p, size);
      p += size + 2;
    }

  if (end - p != 2 || memcmp (p, "\r\n", 2) != 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
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

/* ---- the request log --------------------------------------------------- */

static void
test_log (void)
{
  g_autoptr(DpTestServer) own = dp_test_server_new ();
  g_autoptr(SoupSession) sess = soup_session_new_with_options ("user-agent", "dp-selftest/1", NULL);
  g_autofree char *url = dp_test_server_url (own, "/file/log?size=1000&etag=t");
  g_autofree char *missing = dp_test_server_url (own, "/nope?x=%20y");
  g_autoptr(SoupMessage) head = soup_message_new ("HEAD", url);
  g_autoptr(SoupMessage) ranged = soup_message_new ("GET", url);
  g_autoptr(SoupMessage) lost = soup_message_new ("GET", missing);
  g_autoptr(GBytes) b1 = NULL;
  g_autoptr(GBytes) b2 = NULL;
  g_autoptr(GBytes) b3 = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GPtrArray) cleared = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_auto(Raw) old = { 0 };
  g_autofree char *cut = dp_test_server_url (own, "/file/logcut?size=100000&dieevery=1000");
  g_autoptr(SoupSession) fresh = soup_session_new ();
  g_autoptr(SoupMessage) cut_msg = soup_message_new ("GET", cut);
  g_autoptr(GBytes) cut_body = NULL;
  g_autoptr(GError) cut_error = NULL;
  SoupMessageHeaders *h = soup_message_get_request_headers (ranged);
  DpTestRequest *r;
  gint64 first, last;

  b1 = soup_session_send_and_read (sess, head, NULL, NULL);
  soup_message_headers_replace (h, "Range", "bytes=10-19");
  soup_message_headers_replace (h, "If-Range", "\"t\"");
  soup_message_headers_replace (h, "Authorization", "Basic eDp5");
  soup_message_headers_replace (h, "Cookie", "session=1");
  soup_message_headers_replace (h, "Accept-Encoding", "identity");
  b2 = soup_session_send_and_read (sess, ranged, NULL, NULL);
  b3 = soup_session_send_and_read (sess, lost, NULL, NULL);
  g_assert_cmpuint (soup_message_get_status (ranged), ==, 206);

  /* A second connection, speaking HTTP/1.0. */
  raw_exchange (own, "GET /file/log?size=5 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", &old);
  g_assert_cmpuint (old.status, ==, 200);

  log = dp_test_server_dup_log (own);
  g_assert_cmpuint (log->len, ==, 4);

  r = log->pdata[0];
  g_assert_cmpstr (r->method, ==, "HEAD");
  g_assert_cmpstr (r->path, ==, "/file/log");
  g_assert_cmpstr (r->query, ==, "size=1000&etag=t");
  g_assert_null (r->range);
  g_assert_cmpstr (r->user_agent, ==, "dp-selftest/1");
  g_assert_cmpstr (r->http_version, ==, "HTTP/1.1");
  g_assert_cmpuint (r->connection, ==, 1);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_false (dp_test_request_get_range (r, &first, &last));

  r = log->pdata[1];
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->range, ==, "bytes=10-19");
  g_assert_cmpstr (r->if_range, ==, "\"t\"");
  g_assert_cmpstr (r->authorization, ==, "Basic eDp5");
  g_assert_cmpstr (r->cookie, ==, "session=1");
  g_assert_cmpstr (r->accept_encoding, ==, "identity");
  g_assert_cmpuint (r->connection, ==, 1);
  g_assert_cmpuint (r->status, ==, 206);
  g_assert_true (dp_test_request_get_range (r, &first, &last));
  g_assert_cmpint (first, ==, 10);
  g_assert_cmpint (last, ==, 19);
  g_assert_cmpint (r->time_us, >=, ((DpTestRequest *) log->pdata[0])->time_us);

  r = log->pdata[2];
  g_assert_cmpstr (r->path, ==, "/nope");
  g_assert_cmpstr (r->query, ==, "x=%20y");
  g_assert_cmpuint (r->status, ==, 404);
  g_assert_cmpint (r->time_us, >=, ((DpTestRequest *) log->pdata[1])->time_us);

  r = log->pdata[3];
  g_assert_cmpstr (r->http_version, ==, "HTTP/1.0");
  g_assert_cmpuint (r->connection, ==, 2);
  g_assert_null (r->user_agent);
  g_assert_cmpint (r->time_us, <=, g_get_monotonic_time ());

  /* A copy: what the server does next does not change it. */
  dp_test_server_reset_counters (own);
  g_assert_cmpuint (log->len, ==, 4);
  cleared = dp_test_server_dup_log (own);
  g_assert_cmpuint (cleared->len, ==, 0);

  /* Numbering starts over, and a body cut short keeps its status. */
  cut_body = soup_session_send_and_read (fresh, cut_msg, NULL, &cut_error);
  g_assert_nonnull (cut_error);
  again = dp_test_server_dup_log (own);
  g_assert_cmpuint (again->len, ==, 1);
  r = again->pdata[0];
  g_assert_cmpuint (r->connection, ==, 1);
  g_assert_cmpuint (r->status, ==, 200);
}

static void
test_log_range_parse (void)
{
  static const struct
  {
    const char *range;
    gboolean ok;
    gint64 first, last;
  } cases[] = {
    { "bytes=5-9", TRUE, 5, 9 },
    { "bytes=100-", TRUE, 100, -1 },
    { " Bytes = 7 - 8 ", TRUE, 7, 8 },
    { "bytes=0-0", TRUE, 0, 0 },
    { "bytes=-5", FALSE, 0, 0 },
    { "bytes=1-2, 4-5", FALSE, 0, 0 },
    { "bytes=9-3", FALSE, 0, 0 },
    { "bytes=+1-2", FALSE, 0, 0 },
    { "pages=1-2", FALSE, 0, 0 },
    { "bytes=99999999999999999999-", FALSE, 0, 0 },
    { NULL, FALSE, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DpTestRequest r = { .range = (char *) cases[i].range };
      gint64 first = 42, last = 42;

      g_assert_cmpint (dp_test_request_get_range (&r, &first, &last), ==, cases[i].ok);
      if (cases[i].ok)
        {
          g_assert_cmpint (first, ==, cases[i].first);
          g_assert_cmpint (last, ==, cases[i].last);
        }
    }
}

/* ---- framing and encodings --------------------------------------------- */

static void
test_chunked (void)
{
  g_auto(Raw) whole = { 0 };
  g_auto(Raw) part = { 0 };
  g_autoptr(GBytes) whole_body = NULL;
  g_autoptr(GBytes) part_body = NULL;

  raw_request ("GET", "/file/ch?size=200000&chunked=1&seed=5", NULL, &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_cmpstr (raw_header (&whole, "Transfer-Encoding"), ==, "chunked");
  g_assert_null (raw_header (&whole, "Content-Length"));
  whole_body = dechunk (whole.body);
  g_assert_nonnull (whole_body);
  assert_content (whole_body, 5, 0, 200000);

  raw_request ("GET", "/file/ch?size=200000&chunked=1&seed=5", "Range: bytes=1000-1999\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Transfer-Encoding"), ==, "chunked");
  g_assert_null (raw_header (&part, "Content-Length"));
  g_assert_cmpstr (raw_header (&part, "Content-Range"), ==, "bytes 1000-1999/200000");
  part_body = dechunk (part.body);
  g_assert_nonnull (part_body);
  assert_content (part_body, 5, 1000, 1000);
}

static GBytes *
gunzip (GBytes *data)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (z));
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (out, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
test_gzip (void)
{
  const char *pq = "/file/gz?size=100000&seed=6&encoding=gzip";
  g_auto(Raw) head = { 0 };
  g_auto(Raw) whole = { 0 };
  g_auto(Raw) part = { 0 };
  g_auto(Raw) beyond = { 0 };
  g_auto(Raw) huge = { 0 };
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) slice = NULL;
  g_autofree char *range = NULL;
  g_autofree char *content_range = NULL;
  g_autofree char *length = NULL;
  const guint8 *z;
  gsize zlen;

  raw_request ("GET", pq, "Accept-Encoding: identity\r\n", &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_cmpstr (raw_header (&whole, "Content-Encoding"), ==, "gzip");
  z = g_bytes_get_data (whole.body, &zlen);
  g_assert_cmpuint (zlen, >, 18);
  g_assert_cmpuint (z[0], ==, 0x1f);
  g_assert_cmpuint (z[1], ==, 0x8b);
  length = g_strdup_printf ("%" G_GSIZE_FORMAT, zlen);
  g_assert_cmpstr (raw_header (&whole, "Content-Length"), ==, length);
  plain = gunzip (whole.body);
  assert_content (plain, 6, 0, 100000);

  raw_request ("HEAD", pq, "Accept-Encoding: identity\r\n", &head);
  g_assert_cmpuint (head.status, ==, 200);
  g_assert_cmpstr (raw_header (&head, "Content-Encoding"), ==, "gzip");
  g_assert_cmpstr (raw_header (&head, "Content-Length"), ==, length);

  /* Ranges are over the compressed bytes. */
  raw_request ("GET", pq, "Range: bytes=10-109\r\nAccept-Encoding: identity\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Content-Encoding"), ==, "gzip");
  content_range = g_strdup_printf ("bytes 10-109/%" G_GSIZE_FORMAT, zlen);
  g_assert_cmpstr (raw_header (&part, "Content-Range"), ==, content_range);
  slice = g_bytes_new_from_bytes (whole.body, 10, 100);
  g_assert_true (g_bytes_equal (part.body, slice));

  range = g_strdup_printf ("Range: bytes=%" G_GSIZE_FORMAT "-\r\n", zlen);
  raw_request ("GET", pq, range, &beyond);
  g_assert_cmpuint (beyond.status, ==, 416);
  g_free (content_range);
  content_range = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, zlen);
  g_assert_cmpstr (raw_header (&beyond, "Content-Range"), ==, content_range);

  raw_request ("HEAD", "/file/gz?size=67108865&encoding=gzip", NULL, &huge);
  g_assert_cmpuint (huge.status, ==, 500);
}

static void
test_rangegzip (void)
{
  const char *pq = "/file/rg?size=3000&seed=13&encoding=rangegzip";
  g_auto(Raw) whole = { 0 };
  g_auto(Raw) part = { 0 };

  /* A plain GET: the plain file. */
  raw_request ("GET", pq, NULL, &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_null (raw_header (&whole, "Content-Encoding"));
  g_assert_cmpstr (raw_header (&whole, "Content-Length"), ==, "3000");
  assert_content (whole.body, 13, 0, 3000);

  /* With a Range: a part of the gzip representation. */
  raw_request ("GET", pq, "Range: bytes=0-9\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Content-Encoding"), ==, "gzip");
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (part.body, NULL))[0], ==, 0x1f);
}

static void
test_labelgzip (void)
{
  const char *pq = "/file/lg?size=3000&seed=12&labelgzip=1";
  g_auto(Raw) head = { 0 };
  g_auto(Raw) whole = { 0 };
  g_auto(Raw) part = { 0 };

  raw_request ("HEAD", pq, NULL, &head);
  g_assert_cmpstr (raw_header (&head, "Content-Encoding"), ==, "gzip");
  g_assert_cmpstr (raw_header (&head, "Content-Length"), ==, "3000");

  raw_request ("GET", pq, NULL, &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_cmpstr (raw_header (&whole, "Content-Encoding"), ==, "gzip");
  assert_content (whole.body, 12, 0, 3000);

  raw_request ("GET", pq, "Range: bytes=100-\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Content-Encoding"), ==, "gzip");
  assert_content (part.body, 12, 100, 2900);
}

static void
test_unknowntotal (void)
{
  static const struct
  {
    const char *query;
    const char *range;
    const char *content_range;
    guint64 start;
    gsize len;
  } cases[] = {
    { "unknowntotal=1", "bytes=100-199", "bytes 100-199/*", 100, 100 },
    { "unknowntotal=1", "bytes=0-", "bytes 0-999/*", 0, 1000 },
    { "unknowntotal=probe", "bytes=0-", "bytes 0-999/*", 0, 1000 },
    { "unknowntotal=probe", "bytes=0-99", "bytes 0-99/*", 0, 100 },
    { "unknowntotal=probe", "bytes=100-", "bytes 100-999/1000", 100, 900 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Reply) r = { 0 };
      g_autofree char *pq = g_strdup_printf ("/file/ut?size=1000&%s", cases[i].query);

      get (pq, cases[i].range, &r);
      g_assert_cmpuint (status (&r), ==, 206);
      g_assert_cmpstr (header (&r, "Content-Range"), ==, cases[i].content_range);
      assert_content (r.body, 1, cases[i].start, cases[i].len);
    }
}

static void
test_multipart (void)
{
  const char *pq = "/file/mp?size=300000&seed=8&multipart=1&type=text%2Fplain";
  const char *boundary = "dp-test-boundary-8b41f0";
  g_auto(Raw) part = { 0 };
  g_auto(Raw) head = { 0 };
  g_auto(Raw) whole = { 0 };
  g_autoptr(GByteArray) want = g_byte_array_new ();
  g_autofree char *preamble = g_strdup_printf ("--%s\r\nContent-Type: text/plain\r\n"
                                               "Content-Range: bytes 1000-200999/300000\r\n\r\n",
                                               boundary);
  g_autofree char *epilogue = g_strdup_printf ("\r\n--%s--\r\n", boundary);
  g_autofree char *content_type = g_strdup_printf ("multipart/byteranges; boundary=%s", boundary);
  g_autofree char *length = NULL;
  g_autofree guint8 *data = g_malloc (200000);

  g_byte_array_append (want, (const guint8 *) preamble, strlen (preamble));
  dp_test_content_fill (8, 1000, data, 200000);
  g_byte_array_append (want, data, 200000);
  g_byte_array_append (want, (const guint8 *) epilogue, strlen (epilogue));
  length = g_strdup_printf ("%u", want->len);

  raw_request ("GET", pq, "Range: bytes=1000-200999\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Content-Type"), ==, content_type);
  g_assert_null (raw_header (&part, "Content-Range"));
  g_assert_cmpstr (raw_header (&part, "Content-Length"), ==, length);
  g_assert_cmpmem (g_bytes_get_data (part.body, NULL), g_bytes_get_size (part.body),
                   want->data, want->len);

  raw_request ("HEAD", pq, "Range: bytes=1000-200999\r\n", &head);
  g_assert_cmpuint (head.status, ==, 206);
  g_assert_cmpstr (raw_header (&head, "Content-Length"), ==, length);

  /* Without a range, a plain 200. */
  raw_request ("GET", pq, NULL, &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_cmpstr (raw_header (&whole, "Content-Type"), ==, "text/plain");
  assert_content (whole.body, 8, 0, 300000);
}

static void
test_below (void)
{
  g_auto(Reply) r = { 0 };
  g_auto(Reply) clamped = { 0 };

  get ("/file/below?size=100000&below=300", "bytes=1000-1999", &r);
  g_assert_cmpuint (status (&r), ==, 206);
  g_assert_cmpstr (header (&r, "Content-Range"), ==, "bytes 700-1999/100000");
  assert_content (r.body, 1, 700, 1300);

  get ("/file/below?size=100000&below=300", "bytes=100-199", &clamped);
  g_assert_cmpuint (status (&clamped), ==, 206);
  g_assert_cmpstr (header (&clamped, "Content-Range"), ==, "bytes 0-199/100000");
  assert_content (clamped.body, 1, 0, 200);
}

static void
test_head_lies (void)
{
  const char *pq = "/file/hl?size=1000&etag=get&headsize=5&headetag=head&headnoranges=1";
  g_auto(Raw) head = { 0 };
  g_auto(Raw) body = { 0 };
  g_auto(Raw) zero = { 0 };

  raw_request ("HEAD", pq, NULL, &head);
  g_assert_cmpuint (head.status, ==, 200);
  g_assert_cmpstr (raw_header (&head, "Content-Length"), ==, "5");
  g_assert_cmpstr (raw_header (&head, "ETag"), ==, "\"head\"");
  g_assert_null (raw_header (&head, "Accept-Ranges"));

  raw_request ("GET", pq, NULL, &body);
  g_assert_cmpuint (body.status, ==, 200);
  g_assert_cmpstr (raw_header (&body, "Content-Length"), ==, "1000");
  g_assert_cmpstr (raw_header (&body, "ETag"), ==, "\"get\"");
  g_assert_cmpstr (raw_header (&body, "Accept-Ranges"), ==, "bytes");
  assert_content (body.body, 1, 0, 1000);

  raw_request ("HEAD", "/file/hl?size=1000&headsize=0", NULL, &zero);
  g_assert_cmpstr (raw_header (&zero, "Content-Length"), ==, "0");
}

/* ---- validators -------------------------------------------------------- */

static guint
if_range_status (const char *pq,
                 const char *if_range)
{
  g_auto(Reply) r = { 0 };

  request_full (session, "GET", pq, "bytes=10-19", if_range != NULL ? "If-Range" : NULL,
                if_range, TRUE, &r);
  if (status (&r) == 206)
    assert_content (r.body, 1, 10, 10);
  else
    assert_content (r.body, 1, 0, 1000);
  return status (&r);
}

static void
test_lastmod (void)
{
  const char *old = "Wed, 21 Oct 2015 07:28:00 GMT";
  g_autofree char *old_pq = NULL;
  g_autofree char *now_pq = NULL;
  g_autofree char *past_pq = NULL;
  g_autofree char *now_s = NULL;
  g_autofree char *past_s = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) past = g_date_time_add_seconds (now, -120);
  g_autofree char *escaped = g_uri_escape_string (old, NULL, TRUE);
  g_auto(Raw) head = { 0 };

  old_pq = g_strdup_printf ("/file/lm?size=1000&lastmod=%s", escaped);
  raw_request ("HEAD", old_pq, NULL, &head);
  g_assert_cmpstr (raw_header (&head, "Last-Modified"), ==, old);
  g_assert_nonnull (raw_header (&head, "Date"));

  g_assert_cmpuint (if_range_status (old_pq, old), ==, 206);
  g_assert_cmpuint (if_range_status (old_pq, "Wed, 21 Oct 2015 07:28:01 GMT"), ==, 200);
  g_assert_cmpuint (if_range_status (old_pq, "\"tag\""), ==, 200);
  g_assert_cmpuint (if_range_status (old_pq, NULL), ==, 206);

  /* A Last-Modified less than 60 s before the Date is weak: no good for
   * If-Range even when it matches. */
  now_s = soup_date_time_to_string (now, SOUP_DATE_HTTP);
  g_free (escaped);
  escaped = g_uri_escape_string (now_s, NULL, TRUE);
  now_pq = g_strdup_printf ("/file/lm?size=1000&lastmod=%s", escaped);
  g_assert_cmpuint (if_range_status (now_pq, now_s), ==, 200);

  past_s = soup_date_time_to_string (past, SOUP_DATE_HTTP);
  g_free (escaped);
  escaped = g_uri_escape_string (past_s, NULL, TRUE);
  past_pq = g_strdup_printf ("/file/lm?size=1000&lastmod=%s", escaped);
  g_assert_cmpuint (if_range_status (past_pq, past_s), ==, 206);
}

static void
test_weaketag (void)
{
  const char *pq = "/file/we?size=1000&etag=abc&weaketag=1";
  g_auto(Reply) r = { 0 };

  get (pq, NULL, &r);
  g_assert_cmpstr (header (&r, "ETag"), ==, "W/\"abc\"");

  g_assert_cmpuint (if_range_status (pq, "W/\"abc\""), ==, 200);
  g_assert_cmpuint (if_range_status (pq, "\"abc\""), ==, 200);
  g_assert_cmpuint (if_range_status (pq, NULL), ==, 206);
  /* The strong tag of the same file does match. */
  g_assert_cmpuint (if_range_status ("/file/we?size=1000&etag=abc", "\"abc\""), ==, 206);
}

/* ---- nodes behind a balancer ------------------------------------------- */

static void
test_stale (void)
{
  const char *pq = "/file/stale?size=2000&etag=cur&stale=3";
  g_auto(Reply) head = { 0 };
  g_auto(Reply) g1 = { 0 };
  g_auto(Reply) g2 = { 0 };
  g_auto(Reply) g3 = { 0 };
  g_auto(Reply) g4 = { 0 };
  g_auto(Reply) s1 = { 0 };
  g_auto(Reply) s2 = { 0 };

  /* HEAD is not counted and never stale. */
  request_full (session, "HEAD", pq, NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpstr (header (&head, "ETag"), ==, "\"cur\"");

  get (pq, NULL, &g1);
  g_assert_cmpstr (header (&g1, "ETag"), ==, "\"cur\"");
  assert_content (g1.body, 1, 0, 2000);

  request_full (session, "GET", pq, "bytes=0-99", "If-Range", "\"cur\"", TRUE, &g2);
  g_assert_cmpuint (status (&g2), ==, 206);
  assert_content (g2.body, 1, 0, 100);

  /* The third lands on the stale node: the If-Range names another
   * version, so it sends its whole old copy. */
  request_full (session, "GET", pq, "bytes=0-99", "If-Range", "\"cur\"", TRUE, &g3);
  g_assert_cmpuint (status (&g3), ==, 200);
  g_assert_cmpstr (header (&g3, "ETag"), ==, "\"cur-old\"");
  assert_content (g3.body, 101, 0, 2000);

  get (pq, NULL, &g4);
  g_assert_cmpstr (header (&g4, "ETag"), ==, "\"cur\"");
  assert_content (g4.body, 1, 0, 2000);

  /* stale=1: every GET is stale; its own tag lets ranges through. */
  get ("/file/stale2?size=2000&stale=1&stalesize=500", NULL, &s1);
  g_assert_cmpstr (header (&s1, "ETag"), ==, "\"old\"");
  assert_content (s1.body, 101, 0, 500);
  request_full (session, "GET", "/file/stale2?size=2000&stale=1&stalesize=500", "bytes=10-19",
                "If-Range", "\"old\"", TRUE, &s2);
  g_assert_cmpuint (status (&s2), ==, 206);
  g_assert_cmpstr (header (&s2, "Content-Range"), ==, "bytes 10-19/500");
  assert_content (s2.body, 101, 10, 10);
}

static void
test_ignorerange (void)
{
  const char *pq = "/file/ir?size=5000&ignorerange=2";
  g_auto(Reply) plain = { 0 };

  /* GETs without a Range are not counted. */
  get (pq, NULL, &plain);
  g_assert_cmpuint (status (&plain), ==, 200);

  for (int i = 1; i <= 4; i++)
    {
      g_auto(Reply) r = { 0 };

      get (pq, "bytes=100-199", &r);
      if (i % 2 == 0)
        {
          g_assert_cmpuint (status (&r), ==, 200);
          g_assert_null (header (&r, "Accept-Ranges"));
          g_assert_null (header (&r, "Content-Range"));
          assert_content (r.body, 1, 0, 5000);
        }
      else
        {
          g_assert_cmpuint (status (&r), ==, 206);
          assert_content (r.body, 1, 100, 100);
        }
    }
}

static void
test_rangesafter (void)
{
  const char *pq = "/file/ra?size=5000&rangesafter=2";
  g_auto(Reply) plain = { 0 };

  /* GETs without a Range are not counted. */
  get (pq, NULL, &plain);
  g_assert_cmpuint (status (&plain), ==, 200);

  for (int i = 1; i <= 4; i++)
    {
      g_auto(Reply) r = { 0 };

      get (pq, "bytes=100-199", &r);
      if (i > 2)
        {
          g_assert_cmpuint (status (&r), ==, 200);
          g_assert_null (header (&r, "Accept-Ranges"));
          g_assert_null (header (&r, "Content-Range"));
          assert_content (r.body, 1, 0, 5000);
        }
      else
        {
          g_assert_cmpuint (status (&r), ==, 206);
          assert_content (r.body, 1, 100, 100);
        }
    }
}

/* ---- access ------------------------------------------------------------ */

static void
test_signed (void)
{
  g_autofree char *base = dp_test_server_url (server, "");
  guint issued = dp_test_server_get_signatures (server);
  g_auto(Reply) hop = { 0 };
  g_auto(Reply) part = { 0 };
  g_auto(Reply) head = { 0 };
  g_auto(Reply) followed = { 0 };
  g_auto(Reply) expired = { 0 };
  g_auto(Reply) bogus = { 0 };
  const char *location;
  const char *link;

  request_full (session, "GET", "/file/sg?size=3000&signed=1000&seed=4&etag=s",
                NULL, NULL, NULL, FALSE, &hop);
  g_assert_cmpuint (status (&hop), ==, 302);
  g_assert_cmpuint (dp_test_server_get_signatures (server), ==, issued + 1);
  location = header (&hop, "Location");
  g_assert_true (g_str_has_prefix (location, base));
  link = location + strlen (base);
  g_assert_true (g_str_has_prefix (link, "/signed/"));
  g_assert_true (g_str_has_suffix (link, "/sg?size=3000&seed=4&etag=s"));

  get (link, "bytes=100-", &part);
  g_assert_cmpuint (status (&part), ==, 206);
  g_assert_cmpstr (header (&part, "ETag"), ==, "\"s\"");
  assert_content (part.body, 4, 100, 2900);
  request_full (session, "HEAD", link, NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpuint (status (&head), ==, 200);

  get ("/file/sg?size=3000&signed=1000&seed=4", NULL, &followed);
  g_assert_cmpuint (status (&followed), ==, 200);
  assert_content (followed.body, 4, 0, 3000);
  g_assert_cmpuint (dp_test_server_get_signatures (server), ==, issued + 2);

  g_usleep (1200 * 1000);
  get (link, "bytes=100-", &expired);
  g_assert_cmpuint (status (&expired), ==, 403);
  g_assert_true (g_str_has_prefix (header (&expired, "Content-Type"), "text/html"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (expired.body, NULL),
                                  g_bytes_get_size (expired.body), "AccessDenied"));

  get ("/signed/forged/sg?size=3000", NULL, &bogus);
  g_assert_cmpuint (status (&bogus), ==, 403);
}

static void
test_auth (void)
{
  const char *pq = "/file/auth?size=700&auth=user%3Apass";
  g_auto(Raw) none = { 0 };
  g_auto(Raw) wrong = { 0 };
  g_auto(Raw) right = { 0 };

  raw_request ("GET", pq, NULL, &none);
  g_assert_cmpuint (none.status, ==, 401);
  g_assert_cmpstr (raw_header (&none, "WWW-Authenticate"), ==, "Basic realm=\"test\"");
  g_assert_true (g_str_has_prefix (raw_header (&none, "Content-Type"), "text/html"));

  /* user:wrong */
  raw_request ("GET", pq, "Authorization: Basic dXNlcjp3cm9uZw==\r\n", &wrong);
  g_assert_cmpuint (wrong.status, ==, 401);

  /* user:pass */
  raw_request ("GET", pq, "Authorization: Basic dXNlcjpwYXNz\r\n", &right);
  g_assert_cmpuint (right.status, ==, 200);
  assert_content (right.body, 1, 0, 700);
}

static void
test_datedretry (void)
{
  g_auto(Reply) r = { 0 };
  g_auto(Reply) ok = { 0 };
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  GTimeSpan ahead;

  get ("/file/dr?size=10&status=503&datedretry=30&retryafter=5", NULL, &r);
  g_assert_cmpuint (status (&r), ==, 503);
  when = soup_date_time_new_from_http_string (header (&r, "Retry-After"));
  g_assert_nonnull (when);
  now = g_date_time_new_now_utc ();
  ahead = g_date_time_difference (when, now);
  g_assert_cmpint (ahead, >=, 29 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (ahead, <=, 31 * G_TIME_SPAN_SECOND);

  get ("/file/dr?size=10&datedretry=30", NULL, &ok);
  g_assert_cmpuint (status (&ok), ==, 200);
  g_assert_null (header (&ok, "Retry-After"));
}

static void
test_bigheaders (void)
{
  g_auto(Raw) r = { 0 };
  g_auto(Raw) missing = { 0 };
  g_auto(Reply) soup = { 0 };
  SoupMessageHeadersIter iter;
  const char *name, *value;
  gsize pad = 0;
  guint lines = 0;

  raw_request ("GET", "/file/bh?size=10&bigheaders=20000", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  soup_message_headers_iter_init (&iter, r.headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_str_has_prefix (name, "X-Pad-"))
      {
        gsize line = strlen (name) + 2 + strlen (value) + 2;

        g_assert_cmpuint (line, <=, 4096 + 32);
        pad += line;
        lines++;
      }
  g_assert_cmpuint (pad, >=, 20000);
  g_assert_cmpuint (pad, <, 20000 + 64);
  g_assert_cmpuint (lines, >=, 5);
  assert_content (r.body, 1, 0, 10);

  raw_request ("GET", "/nothing?bigheaders=5000", NULL, &missing);
  g_assert_cmpuint (missing.status, ==, 404);
  g_assert_nonnull (raw_header (&missing, "X-Pad-1"));

  /* A real client copes. */
  get ("/file/bh?size=10&bigheaders=32768", NULL, &soup);
  g_assert_cmpuint (status (&soup), ==, 200);
  assert_content (soup.body, 1, 0, 10);
}

/* ---- speed and connection trouble (more) -------------------------------- */

static void
test_dieevery (void)
{
  const char *pq = "/file/die?size=300000&dieevery=50000&seed=2";

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;
      guint st = 0;
      gboolean ranged = i == 2;

      body = read_until_error (pq, ranged ? "bytes=100000-" : NULL, &st, &error);
      g_assert_nonnull (error);
      g_assert_cmpuint (st, ==, ranged ? 206 : 200);
      assert_content (body, 2, ranged ? 100000 : 0, 50000);
    }

  /* A body shorter than the point arrives whole. */
  {
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GError) error = NULL;
    guint st = 0;

    body = read_until_error ("/file/die?size=30000&dieevery=50000&seed=2", NULL, &st, &error);
    g_assert_no_error (error);
    assert_content (body, 2, 0, 30000);
  }
}

/* Times a GET read as it arrives: when the first @fast bytes were in,
 * the longest silence after that, and the total. */
static void
timed_get (const char *path_and_query,
           gsize       size,
           gsize       fast,
           double     *fast_s,
           double     *max_gap_s,
           double     *total_s)
{
  g_autofree char *url = dp_test_server_url (server, path_and_query);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GBytes) body = NULL;
  guint8 buf[16384];
  gint64 t0 = g_get_monotonic_time ();
  gint64 last = 0;

  *fast_s = -1;
  *max_gap_s = 0;
  in = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);
      gint64 now = g_get_monotonic_time ();

      g_assert_no_error (error);
      if (n == 0)
        break;
      g_byte_array_append (data, buf, n);
      if (*fast_s < 0 && data->len >= fast)
        *fast_s = (now - t0) / (double) G_USEC_PER_SEC;
      else if (*fast_s >= 0)
        *max_gap_s = MAX (*max_gap_s, (now - last) / (double) G_USEC_PER_SEC);
      last = now;
    }

  *total_s = (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC;
  body = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  assert_content (body, 1, 0, size);
}

static void
test_trickle (void)
{
  const char *pq = "/file/trickle?size=67536&trickle=4000";
  double fast, gap, total;

  /* 64 KiB at once, then 2000 bytes at 4000 B/s: five pieces of 400
   * bytes, 100 ms apart. */
  timed_get (pq, 67536, 65536, &fast, &gap, &total);
  g_test_message ("trickle: fast part %.3f s, longest gap %.3f s, total %.3f s",
                  fast, gap, total);
  g_assert_cmpfloat (fast, <, 1.0);
  g_assert_cmpfloat (total - fast, >=, 0.3);
  g_assert_cmpfloat (total - fast, <=, 2.0);
  g_assert_cmpfloat (gap, <=, 0.35);

  /* Only the first body on the path trickles. */
  timed_get (pq, 67536, 65536, &fast, &gap, &total);
  g_assert_cmpfloat (total, <, 0.3);
}

static void
test_trickle_at (void)
{
  const char *pq = "/file/trickleat?size=67536&trickle=4000&trickleat=2";
  double fast, gap, total;

  /* The first body is whole at once; the second trickles. */
  timed_get (pq, 67536, 65536, &fast, &gap, &total);
  g_assert_cmpfloat (total, <, 0.3);
  timed_get (pq, 67536, 65536, &fast, &gap, &total);
  g_assert_cmpfloat (total - fast, >=, 0.3);
}

/* The other version of changeafter=K told apart by its date only. */
static void
test_newlastmod (void)
{
  const char *pq = "/file/nlm?size=1000&changeafter=2"
                   "&lastmod=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT"
                   "&newlastmod=Thu%2C%2022%20Oct%202015%2007%3A28%3A00%20GMT";
  const char *tagged = "/file/nlmt?size=1000&changeafter=1&etag=e"
                       "&lastmod=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT"
                       "&newlastmod=Thu%2C%2022%20Oct%202015%2007%3A28%3A00%20GMT";
  g_auto(Reply) before = { 0 };
  g_auto(Reply) tagged_before = { 0 };
  g_auto(Reply) tagged_after = { 0 };
  g_auto(Reply) stale_range = { 0 };
  g_auto(Reply) new_range = { 0 };

  get (pq, NULL, &before);
  g_assert_cmpstr (header (&before, "Last-Modified"), ==, "Wed, 21 Oct 2015 07:28:00 GMT");
  g_assert_null (header (&before, "ETag"));
  assert_content (before.body, 1, 0, 1000);

  /* Request 2 still sees the old version and lets its date through. */
  g_assert_cmpuint (if_range_status (pq, "Wed, 21 Oct 2015 07:28:00 GMT"), ==, 206);

  /* From request 3 on: the new date, still no ETag, the next seed; the
   * old date no longer lets a range through, the new one does. */
  request_full (session, "GET", pq, "bytes=10-19", "If-Range", "Wed, 21 Oct 2015 07:28:00 GMT",
                TRUE, &stale_range);
  g_assert_cmpuint (status (&stale_range), ==, 200);
  g_assert_cmpstr (header (&stale_range, "Last-Modified"), ==, "Thu, 22 Oct 2015 07:28:00 GMT");
  g_assert_null (header (&stale_range, "ETag"));
  assert_content (stale_range.body, 2, 0, 1000);

  request_full (session, "GET", pq, "bytes=10-19", "If-Range", "Thu, 22 Oct 2015 07:28:00 GMT",
                TRUE, &new_range);
  g_assert_cmpuint (status (&new_range), ==, 206);
  assert_content (new_range.body, 2, 10, 10);

  /* With etag=, the new version keeps a tag of its own. */
  get (tagged, NULL, &tagged_before);
  g_assert_cmpstr (header (&tagged_before, "ETag"), ==, "\"e\"");
  get (tagged, NULL, &tagged_after);
  g_assert_cmpstr (header (&tagged_after, "ETag"), ==, "\"e-2\"");
  g_assert_cmpstr (header (&tagged_after, "Last-Modified"), ==, "Thu, 22 Oct 2015 07:28:00 GMT");
}

/* Extra bytes after the range that are not the file. */
static void
test_longgarbage (void)
{
  g_auto(Reply) r = { 0 };
  g_auto(Reply) m = { 0 };
  g_auto(Reply) whole = { 0 };
  g_autofree guint8 *junk = g_malloc (300);
  g_autofree char *tail = g_strdup ("\r\n--dp-test-boundary-8b41f0--\r\n");
  const guint8 *data;
  gsize len;

  memset (junk, 0xEE, 300);
  get ("/file/lg?size=100000&longgarbage=300&long=50", "bytes=1000-1999", &r);
  g_assert_cmpuint (status (&r), ==, 206);
  g_assert_cmpstr (header (&r, "Content-Range"), ==, "bytes 1000-1999/100000");
  g_assert_null (header (&r, "Content-Length"));
  data = g_bytes_get_data (r.body, &len);
  g_assert_cmpuint (len, ==, 1300);
  {
    g_autoptr(GBytes) range = g_bytes_new_from_bytes (r.body, 0, 1000);
    assert_content (range, 1, 1000, 1000);
  }
  g_assert_cmpmem (data + 1000, 300, junk, 300);

  /* A multipart answer: the junk follows the closing boundary. */
  get ("/file/lg?size=100000&longgarbage=300&multipart=1", "bytes=1000-1999", &m);
  g_assert_cmpuint (status (&m), ==, 206);
  data = g_bytes_get_data (m.body, &len);
  g_assert_cmpuint (len, >, 300 + strlen (tail));
  g_assert_cmpmem (data + len - 300, 300, junk, 300);
  g_assert_cmpmem (data + len - 300 - strlen (tail), strlen (tail), tail, strlen (tail));

  /* Only ranges get it. */
  get ("/file/lg?size=1000&longgarbage=300", NULL, &whole);
  g_assert_cmpuint (status (&whole), ==, 200);
  assert_content (whole.body, 1, 0, 1000);
}

static void
test_failafter (void)
{
  g_auto(Reply) head = { 0 };

  for (int i = 0; i < 4; i++)
    {
      g_auto(Reply) r = { 0 };

      get ("/file/fa?size=100&failafter=2&retryafter=1", i % 2 ? "bytes=10-19" : NULL, &r);
      if (i < 2)
        {
          g_assert_cmpuint (status (&r), ==, i % 2 ? 206 : 200);
          g_assert_null (header (&r, "Retry-After"));
        }
      else
        {
          g_assert_cmpuint (status (&r), ==, 503);
          g_assert_cmpstr (header (&r, "Retry-After"), ==, "1");
        }
    }

  /* HEAD is neither counted nor refused. */
  request_full (session, "HEAD", "/file/fa?size=100&failafter=2", NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpuint (status (&head), ==, 200);
}

static void
test_failat (void)
{
  for (int i = 1; i <= 4; i++)
    {
      g_auto(Reply) r = { 0 };

      get ("/file/fat?size=100&failat=3&retryafter=2", "bytes=0-9", &r);
      if (i == 3)
        {
          g_assert_cmpuint (status (&r), ==, 503);
          g_assert_cmpstr (header (&r, "Retry-After"), ==, "2");
        }
      else
        {
          g_assert_cmpuint (status (&r), ==, 206);
          assert_content (r.body, 1, 0, 10);
        }
    }
}

static void
test_htmlafter (void)
{
  const char *pq = "/file/ha?size=100000&htmlafter=2";
  g_auto(Reply) first = { 0 };
  g_auto(Reply) second = { 0 };
  g_auto(Reply) page = { 0 };
  g_auto(Reply) plain = { 0 };

  get (pq, "bytes=0-999", &first);
  g_assert_cmpuint (status (&first), ==, 206);
  assert_content (first.body, 1, 0, 1000);
  get (pq, NULL, &second);
  g_assert_cmpuint (status (&second), ==, 200);
  assert_content (second.body, 1, 0, 100000);

  /* The third GET with a Range gets the page. */
  get (pq, "bytes=500-", &page);
  g_assert_cmpuint (status (&page), ==, 200);
  g_assert_true (g_str_has_prefix (header (&page, "Content-Type"), "text/html"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (page.body, NULL),
                                  g_bytes_get_size (page.body), "expired"));

  /* Without one, the file as before. */
  get (pq, NULL, &plain);
  g_assert_cmpuint (status (&plain), ==, 200);
  assert_content (plain.body, 1, 0, 100000);
}

/* ---- integrity ----------------------------------------------------------- */

/* @body is content bytes [offset, offset + len) of @seed, those in
 * [dstart, dend) XORed with 0x5A and the rest intact. */
static void
assert_damaged (GBytes  *body,
                guint64  seed,
                guint64  offset,
                gsize    len,
                guint64  dstart,
                guint64  dend)
{
  g_autofree guint8 *expected = g_malloc (MAX (len, 1));
  gsize got_len;
  const guint8 *got = g_bytes_get_data (body, &got_len);

  dp_test_content_fill (seed, offset, expected, len);
  for (guint64 i = MAX (offset, dstart); i < MIN (offset + len, dend); i++)
    expected[i - offset] ^= 0x5A;
  g_assert_cmpmem (got, got_len, expected, len);
}

static void
test_damage (void)
{
  const char *pq = "/file/dmg?size=20000&seed=3&etag=d&damage=5000";
  g_auto(Reply) whole = { 0 };
  g_auto(Reply) head = { 0 };
  g_auto(Reply) before = { 0 };
  g_auto(Reply) across = { 0 };
  g_auto(Reply) tail = { 0 };
  g_auto(Reply) clipped = { 0 };
  g_auto(Reply) beyond = { 0 };
  g_auto(Reply) zero = { 0 };
  g_auto(Raw) gz = { 0 };
  g_auto(Raw) mp = { 0 };
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *preamble = g_strdup ("--dp-test-boundary-8b41f0\r\n"
                                        "Content-Type: application/octet-stream\r\n"
                                        "Content-Range: bytes 4000-5999/20000\r\n\r\n");
  const char *epilogue = "\r\n--dp-test-boundary-8b41f0--\r\n";
  const guint8 *mp_data;
  gsize mp_len;

  /* The whole body: the same size and validators, 4096 bad bytes. */
  get (pq, NULL, &whole);
  g_assert_cmpuint (status (&whole), ==, 200);
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (whole.msg)),
                   ==, 20000);
  g_assert_cmpstr (header (&whole, "ETag"), ==, "\"d\"");
  assert_damaged (whole.body, 3, 0, 20000, 5000, 9096);

  request_full (session, "HEAD", pq, NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (head.msg)),
                   ==, 20000);

  /* Ranges see the damage at the file's offsets, whatever their start. */
  get (pq, "bytes=0-4999", &before);
  g_assert_cmpuint (status (&before), ==, 206);
  assert_content (before.body, 3, 0, 5000);
  get (pq, "bytes=4000-5999", &across);
  g_assert_cmpuint (status (&across), ==, 206);
  g_assert_cmpstr (header (&across, "Content-Range"), ==, "bytes 4000-5999/20000");
  assert_damaged (across.body, 3, 4000, 2000, 5000, 9096);
  get (pq, "bytes=9000-", &tail);
  assert_damaged (tail.body, 3, 9000, 11000, 5000, 9096);

  /* Clipped to the file; past its end, nothing; damage=0 is the start. */
  get ("/file/dmg2?size=6000&damage=5000", NULL, &clipped);
  g_assert_cmpuint (g_bytes_get_size (clipped.body), ==, 6000);
  assert_damaged (clipped.body, 1, 0, 6000, 5000, 6000);
  get ("/file/dmg3?size=1000&damage=5000", NULL, &beyond);
  assert_content (beyond.body, 1, 0, 1000);
  get ("/file/dmg4?size=10000&damage=0", "bytes=4000-", &zero);
  assert_damaged (zero.body, 1, 4000, 6000, 0, 4096);

  /* A multipart frame is untouched, its data damaged. */
  raw_request ("GET", "/file/dmg?size=20000&seed=3&damage=5000&multipart=1",
               "Range: bytes=4000-5999\r\n", &mp);
  g_assert_cmpuint (mp.status, ==, 206);
  mp_data = g_bytes_get_data (mp.body, &mp_len);
  g_assert_cmpuint (mp_len, ==, strlen (preamble) + 2000 + strlen (epilogue));
  g_assert_cmpmem (mp_data, strlen (preamble), preamble, strlen (preamble));
  g_assert_cmpmem (mp_data + mp_len - strlen (epilogue), strlen (epilogue),
                   epilogue, strlen (epilogue));
  data = g_bytes_new_from_bytes (mp.body, strlen (preamble), 2000);
  assert_damaged (data, 3, 4000, 2000, 5000, 9096);

  /* Not with encoding=. */
  raw_request ("GET", "/file/dmg?size=20000&seed=3&damage=5000&encoding=gzip", NULL, &gz);
  g_assert_cmpuint (gz.status, ==, 200);
  plain = gunzip (gz.body);
  assert_content (plain, 3, 0, 20000);
}

/* The digest computed here, independently of the server's helpers. */
static char *
expected_base64 (GChecksumType type,
                 guint64       seed,
                 gsize         size)
{
  g_autofree guint8 *buf = g_malloc (MAX (size, 1));
  g_autoptr(GChecksum) sum = g_checksum_new (type);
  guint8 digest[64];
  gsize len = sizeof digest;

  dp_test_content_fill (seed, 0, buf, size);
  g_checksum_update (sum, buf, size);
  g_checksum_get_digest (sum, digest, &len);
  return g_base64_encode (digest, len);
}

static void
test_digest_helpers (void)
{
  gsize size = 70000;
  g_autofree guint8 *buf = g_malloc (size);
  g_autofree char *b256 = expected_base64 (G_CHECKSUM_SHA256, 5, size);
  g_autofree char *b512 = expected_base64 (G_CHECKSUM_SHA512, 5, size);
  g_autofree char *got256 = dp_test_content_digest_base64 ("sha-256", 5, size);
  g_autofree char *got512 = dp_test_content_digest_base64 ("sha-512", 5, size);
  g_autofree char *hex = NULL;
  g_autofree char *want_hex = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *sha = dp_test_content_sha256 (5, size);

  g_assert_cmpstr (got256, ==, b256);
  g_assert_cmpstr (got512, ==, b512);
  g_assert_cmpuint (strlen (got256), ==, 44);
  g_assert_cmpuint (strlen (got512), ==, 88);
  g_assert_null (dp_test_content_digest_base64 ("md5", 5, size));
  g_assert_null (dp_test_content_digest_base64 ("SHA-256", 5, size));

  /* A piece from an unaligned offset, across a chunk boundary. */
  dp_test_content_fill (5, 0, buf, size);
  hex = dp_test_content_hex (G_CHECKSUM_SHA1, 5, 1001, 66000);
  want_hex = g_compute_checksum_for_data (G_CHECKSUM_SHA1, buf + 1001, 66000);
  g_assert_cmpstr (hex, ==, want_hex);
  for (const char *p = hex; *p != '\0'; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
  whole = dp_test_content_hex (G_CHECKSUM_SHA256, 5, 0, size);
  g_assert_cmpstr (whole, ==, sha);
}

static void
test_reprdigest (void)
{
  g_autofree char *b256 = expected_base64 (G_CHECKSUM_SHA256, 4, 3000);
  g_autofree char *b512 = expected_base64 (G_CHECKSUM_SHA512, 4, 3000);
  g_autofree char *other = expected_base64 (G_CHECKSUM_SHA256, 5, 3000);
  g_autofree char *want256 = g_strdup_printf ("sha-256=:%s:", b256);
  g_autofree char *want512 = g_strdup_printf ("sha-512=:%s:", b512);
  g_autofree char *want_both = g_strdup_printf ("sha-256=:%s:, sha-512=:%s:", b256, b512);
  g_autofree char *want_wrong = g_strdup_printf ("sha-256=:%s:", other);
  g_autofree char *legacy256 = g_strdup_printf ("SHA-256=%s", b256);
  g_autofree char *legacy512 = g_strdup_printf ("SHA-512=%s", b512);
  g_auto(Raw) head = { 0 };
  g_auto(Raw) whole = { 0 };
  g_auto(Raw) part = { 0 };
  g_auto(Raw) wrong = { 0 };
  g_auto(Raw) damaged = { 0 };
  g_auto(Raw) gz = { 0 };
  g_auto(Raw) legacy = { 0 };
  g_auto(Raw) legacy_head = { 0 };
  g_auto(Raw) unknown = { 0 };
  g_auto(Raw) plain = { 0 };
  g_auto(Raw) huge = { 0 };
  g_auto(Raw) huge_legacy = { 0 };

  raw_request ("HEAD", "/file/rd1?size=3000&seed=4&reprdigest=sha-256", NULL, &head);
  g_assert_cmpuint (head.status, ==, 200);
  g_assert_cmpstr (raw_header (&head, "Repr-Digest"), ==, want256);
  g_assert_null (raw_header (&head, "Digest"));

  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=sha-512", NULL, &whole);
  g_assert_cmpuint (whole.status, ==, 200);
  g_assert_cmpstr (raw_header (&whole, "Repr-Digest"), ==, want512);
  assert_content (whole.body, 4, 0, 3000);

  /* A part carries the digest of the whole. */
  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=both", "Range: bytes=10-19\r\n", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpstr (raw_header (&part, "Repr-Digest"), ==, want_both);
  assert_content (part.body, 4, 10, 10);

  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=wrong", NULL, &wrong);
  g_assert_cmpstr (raw_header (&wrong, "Repr-Digest"), ==, want_wrong);
  assert_content (wrong.body, 4, 0, 3000);

  /* The truth, whatever damage= and encoding= do to the bytes. */
  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=sha-256&damage=0", NULL, &damaged);
  g_assert_cmpstr (raw_header (&damaged, "Repr-Digest"), ==, want256);
  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=sha-256&encoding=gzip", NULL, &gz);
  g_assert_cmpstr (raw_header (&gz, "Repr-Digest"), ==, want256);

  raw_request ("GET", "/file/rd1?size=3000&seed=4&legacydigest=sha-256&reprdigest=sha-512",
               "Range: bytes=0-\r\n", &legacy);
  g_assert_cmpuint (legacy.status, ==, 206);
  g_assert_cmpstr (raw_header (&legacy, "Digest"), ==, legacy256);
  g_assert_cmpstr (raw_header (&legacy, "Repr-Digest"), ==, want512);
  raw_request ("HEAD", "/file/rd1?size=3000&seed=4&legacydigest=sha-512", NULL, &legacy_head);
  g_assert_cmpstr (raw_header (&legacy_head, "Digest"), ==, legacy512);
  g_assert_null (raw_header (&legacy_head, "Repr-Digest"));

  raw_request ("GET", "/file/rd1?size=3000&seed=4&reprdigest=md5&legacydigest=both", NULL, &unknown);
  g_assert_cmpuint (unknown.status, ==, 200);
  g_assert_null (raw_header (&unknown, "Repr-Digest"));
  g_assert_null (raw_header (&unknown, "Digest"));
  raw_request ("GET", "/file/rd1?size=3000&seed=4", NULL, &plain);
  g_assert_null (raw_header (&plain, "Repr-Digest"));

  /* Too big to hash. */
  raw_request ("HEAD", "/file/rd2?size=536870913&reprdigest=sha-256", NULL, &huge);
  g_assert_cmpuint (huge.status, ==, 500);
  raw_request ("HEAD", "/file/rd2?size=536870913&legacydigest=sha-512", NULL, &huge_legacy);
  g_assert_cmpuint (huge_legacy.status, ==, 500);
}

/* Each digest is made once: the second answer does not hash again. */
static void
test_reprdigest_cache (void)
{
  const char *pq = "/file/rdc?size=67108864&seed=77&reprdigest=sha-256";
  g_autofree char *b256 = dp_test_content_digest_base64 ("sha-256", 77, 67108864);
  g_autofree char *want = g_strdup_printf ("sha-256=:%s:", b256);
  gint64 first = 0, again = G_MAXINT64;

  /* Asked again, the same value (from the cache). */
  for (int i = 0; i < 4; i++)
    {
      g_auto(Raw) head = { 0 };
      gint64 t0 = g_get_monotonic_time ();
      gint64 took;

      raw_request ("HEAD", pq, NULL, &head);
      took = g_get_monotonic_time () - t0;
      if (i == 0)
        first = took;
      else
        again = MIN (again, took);
      g_assert_cmpstr (raw_header (&head, "Repr-Digest"), ==, want);
    }

  /* How long the cache saves is reported, not checked: a busy machine
   * may slow any answer down. */
  g_test_message ("reprdigest of 64 MiB: %.3f s, then %.3f s",
                  first / (double) G_USEC_PER_SEC, again / (double) G_USEC_PER_SEC);
}

static void
test_duplicate (void)
{
  const char *links = "duplicate=http%3A%2F%2Fa.example%2Fd%3Fx%3D1|"
                      "https%3A%2F%2Fb.example%2Fd%7Cftp%3A%2F%2Fc.example%2Fd";
  static const char *const want[] = {
    "<http://a.example/d?x=1>; rel=duplicate; pri=1",
    "<https://b.example/d>; rel=duplicate; pri=2",
    "<ftp://c.example/d>; rel=duplicate; pri=3",
  };
  static const struct
  {
    const char *method;
    const char *path_and_query;
    guint status;
  } cases[] = {
    { "GET", "/file/dup?size=100&", 200 },
    { "HEAD", "/file/dup?size=100&", 200 },
    { "GET", "/file/dup?size=100&redirect=1&", 302 },
    { "GET", "/file/dup?size=100&status=503&", 503 },
    { "GET", "/nothing?", 404 },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *pq = g_strconcat (cases[c].path_and_query, links, NULL);
      g_auto(Raw) r = { 0 };
      SoupMessageHeadersIter iter;
      const char *name, *value;
      guint n = 0;

      raw_request (cases[c].method, pq, NULL, &r);
      g_assert_cmpuint (r.status, ==, cases[c].status);
      /* The parser makes an entry per header line, so this counts lines. */
      soup_message_headers_iter_init (&iter, r.headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        if (g_ascii_strcasecmp (name, "Link") == 0)
          {
            g_assert_cmpuint (n, <, G_N_ELEMENTS (want));
            g_assert_cmpstr (value, ==, want[n]);
            n++;
          }
      g_assert_cmpuint (n, ==, G_N_ELEMENTS (want));
    }

  {
    g_auto(Raw) none = { 0 };

    raw_request ("GET", "/file/dup?size=100", NULL, &none);
    g_assert_null (raw_header (&none, "Link"));
  }
}

/* Sends @request_text on a connection of its own and reads until the
 * server closes it; returns every byte that came back. The read must
 * end by an orderly close, within the client's 10 s timeout. */
static GBytes *
raw_unanswered (const char *request_text)
{
  g_autofree char *base = dp_test_server_url (server, "/");
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 buf[4096];

  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             request_text, strlen (request_text), NULL, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                      buf, sizeof buf, NULL, &error);

      g_assert_no_error (error);
      if (n == 0)
        break;
      g_byte_array_append (data, buf, n);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
test_goneafter (void)
{
  const char *pq = "/file/gone?size=1000&goneafter=2";
  g_autoptr(SoupSession) fresh = soup_session_new ();
  g_autofree char *url = dp_test_server_url (server, pq);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) silence = NULL;
  g_autoptr(GBytes) head_silence = NULL;
  g_autoptr(GBytes) zero_silence = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  g_auto(Reply) head = { 0 };
  g_auto(Reply) other = { 0 };
  DpTestRequest *r;
  gint64 t0;

  /* HEAD is not counted; the first two GETs are answered. */
  request_full (session, "HEAD", pq, NULL, NULL, NULL, TRUE, &head);
  g_assert_cmpuint (status (&head), ==, 200);
  for (int i = 0; i < 2; i++)
    {
      g_auto(Reply) ok = { 0 };

      get (pq, i == 1 ? "bytes=10-19" : NULL, &ok);
      g_assert_cmpuint (status (&ok), ==, i == 1 ? 206 : 200);
    }

  /* Then nothing: not a byte, the connection closed at once. */
  dp_test_server_reset_counters (server);
  t0 = g_get_monotonic_time ();
  silence = raw_unanswered ("GET /file/gone?size=1000&goneafter=2 HTTP/1.1\r\n"
                            "Host: 127.0.0.1\r\n\r\n");
  g_assert_cmpuint (g_bytes_get_size (silence), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  head_silence = raw_unanswered ("HEAD /file/gone?size=1000&goneafter=2 HTTP/1.1\r\n"
                                 "Host: 127.0.0.1\r\n\r\n");
  g_assert_cmpuint (g_bytes_get_size (head_silence), ==, 0);

  /* A real client sees the connection end. */
  body = soup_session_send_and_read (fresh, msg, NULL, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_test_message ("goneafter: %s", error->message);

  log = dp_test_server_dup_log (server);
  g_assert_cmpuint (log->len, >=, 3);
  for (guint i = 0; i < log->len; i++)
    {
      r = log->pdata[i];
      g_assert_cmpstr (r->path, ==, "/file/gone");
      g_assert_cmpuint (r->status, ==, 0);
    }
  g_assert_cmpstr (((DpTestRequest *) log->pdata[1])->method, ==, "HEAD");

  /* Counted per path, and the server still answers elsewhere. */
  get ("/file/gone2?size=10&goneafter=2", NULL, &other);
  g_assert_cmpuint (status (&other), ==, 200);

  /* goneafter=0: never answered. */
  zero_silence = raw_unanswered ("GET /file/gone3?size=10&goneafter=0 HTTP/1.1\r\n"
                                 "Host: 127.0.0.1\r\n\r\n");
  g_assert_cmpuint (g_bytes_get_size (zero_silence), ==, 0);
}

/* ---- documents ------------------------------------------------------------ */

typedef struct
{
  DpTestServer *srv;
  const char *path;
  const char *text;
} AddCall;

static gpointer
add_from_thread (gpointer user_data)
{
  AddCall *call = user_data;

  dp_test_server_add_document (call->srv, call->path, "text/plain", call->text, -1);
  return NULL;
}

static void
test_document (void)
{
  g_autoptr(DpTestServer) own = dp_test_server_new ();
  g_autoptr(SoupSession) sess = soup_session_new ();
  static const guint8 doc[] = "<?xml version=\"1.0\"?>\n<metalink>\0binary\xff</metalink>\n";
  gsize len = sizeof doc - 1;
  g_autofree char *url = dp_test_server_url (own, "/meta/f.meta4?status=500&goneafter=0&size=3");
  g_autofree char *sub = dp_test_server_url (own, "/meta/f.meta4/x");
  g_autofree char *late = dp_test_server_url (own, "/late.txt");
  g_autofree char *length = g_strdup_printf ("%" G_GSIZE_FORMAT, len);
  g_autofree char *content_range = g_strdup_printf ("bytes 5-14/%" G_GSIZE_FORMAT, len);
  g_autofree char *beyond_range = g_strdup_printf ("bytes=%" G_GSIZE_FORMAT "-", len);
  g_autofree char *unsatisfiable = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, len);
  g_autoptr(GPtrArray) log = NULL;
  AddCall call = { own, "/late.txt", "added by another thread" };
  GThread *thread;
  struct
  {
    const char *method;
    const char *url;
    const char *range;
    guint status;
    SoupMessage *msg;
    GBytes *body;
  } rq[] = {
    { "GET", url, NULL, 200, NULL, NULL },
    { "HEAD", url, NULL, 200, NULL, NULL },
    { "GET", url, "bytes=5-14", 206, NULL, NULL },
    { "GET", url, "bytes=-4", 206, NULL, NULL },
    { "GET", url, "bytes=0-", 206, NULL, NULL },
    { "GET", url, beyond_range, 416, NULL, NULL },
    { "POST", url, NULL, 405, NULL, NULL },
    { "GET", sub, NULL, 404, NULL, NULL },
  };

  dp_test_server_add_document (own, "/meta/f.meta4", "application/metalink4+xml; charset=utf-8",
                               (const char *) doc, (gssize) len);

  for (gsize i = 0; i < G_N_ELEMENTS (rq); i++)
    {
      g_autoptr(GError) error = NULL;

      rq[i].msg = soup_message_new (rq[i].method, rq[i].url);
      if (rq[i].range != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (rq[i].msg), "Range",
                                      rq[i].range);
      rq[i].body = soup_session_send_and_read (sess, rq[i].msg, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (rq[i].msg), ==, rq[i].status);
    }

#define H(i, name) soup_message_headers_get_one (soup_message_get_response_headers (rq[i].msg), name)
  g_assert_cmpstr (H (0, "Content-Type"), ==, "application/metalink4+xml; charset=utf-8");
  g_assert_cmpstr (H (0, "Content-Length"), ==, length);
  g_assert_cmpstr (H (0, "Accept-Ranges"), ==, "bytes");
  g_assert_cmpmem (g_bytes_get_data (rq[0].body, NULL), g_bytes_get_size (rq[0].body), doc, len);
  g_assert_cmpstr (H (1, "Content-Length"), ==, length);
  g_assert_cmpstr (H (1, "Content-Type"), ==, "application/metalink4+xml; charset=utf-8");
  g_assert_cmpuint (g_bytes_get_size (rq[1].body), ==, 0);
  g_assert_cmpstr (H (2, "Content-Range"), ==, content_range);
  g_assert_cmpmem (g_bytes_get_data (rq[2].body, NULL), g_bytes_get_size (rq[2].body), doc + 5, 10);
  g_assert_cmpmem (g_bytes_get_data (rq[3].body, NULL), g_bytes_get_size (rq[3].body),
                   doc + len - 4, 4);
  g_assert_cmpmem (g_bytes_get_data (rq[4].body, NULL), g_bytes_get_size (rq[4].body), doc, len);
  g_assert_cmpstr (H (5, "Content-Range"), ==, unsatisfiable);
#undef H

  /* Counted and logged like any request. */
  g_assert_cmpuint (dp_test_server_get_requests (own), ==, G_N_ELEMENTS (rq));
  g_assert_cmpuint (dp_test_server_get_partial_answers (own), ==, 3);
  g_assert_cmpuint (dp_test_server_get_range_requests (own), ==, 4);
  g_assert_cmpuint (dp_test_server_get_bytes_sent (own), ==, len + 10 + 4 + len);
  log = dp_test_server_dup_log (own);
  g_assert_cmpuint (log->len, ==, G_N_ELEMENTS (rq));
  for (gsize i = 0; i < G_N_ELEMENTS (rq); i++)
    {
      DpTestRequest *r = log->pdata[i];

      g_assert_cmpstr (r->method, ==, rq[i].method);
      g_assert_cmpuint (r->status, ==, rq[i].status);
    }
  g_assert_cmpstr (((DpTestRequest *) log->pdata[0])->path, ==, "/meta/f.meta4");

  for (gsize i = 0; i < G_N_ELEMENTS (rq); i++)
    {
      g_clear_object (&rq[i].msg);
      g_clear_pointer (&rq[i].body, g_bytes_unref);
    }

  /* Added from another thread while the server runs, then replaced. */
  thread = g_thread_new ("add", add_from_thread, &call);
  g_thread_join (thread);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", late);
      g_autoptr(GBytes) body = soup_session_send_and_read (sess, msg, NULL, NULL);
      const char *want = i == 0 ? call.text : "v2";

      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                             NULL), ==, "text/plain");
      g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), want, strlen (want));
      dp_test_server_add_document (own, "/late.txt", "text/plain", "v2xxx", 2);
    }
}

/* ---- stopping ------------------------------------------------------------- */

/* A raw connection to @srv's port in @base. */
static GSocketConnection *
raw_connect (const char  *base,
             GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  g_socket_client_set_timeout (client, 5);
  return g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, error);
}

/* Reads from @conn until it ends; FALSE if it did not end by itself
 * (the read timed out). */
static gboolean
read_to_end (GSocketConnection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  guint8 buf[4096];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return FALSE;
      if (n <= 0)
        return TRUE;
    }
}

static gpointer
stop_from_thread (gpointer user_data)
{
  dp_test_server_stop (user_data);
  return NULL;
}

static void
test_stop (void)
{
  DpTestServer *srv = dp_test_server_new ();
  g_autofree char *base = dp_test_server_url (srv, "/");
  g_autofree char *https_base = dp_test_server_https_url (srv, "/");
  g_autoptr(GSocketConnection) idle = NULL;
  g_autoptr(GSocketConnection) silent = NULL;
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GSocketConnection) refused_tls = NULL;
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) log = NULL;
  const char *request = "GET /file/idle?size=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  StalledClient stalled = { srv, "/file/hang?size=1000000&stall=1000", NULL, 0 };
  GThread *client, *stopper;
  guint8 buf[4096];
  gint64 t0;

  /* A kept-alive connection, idle after its answer... */
  idle = raw_connect (base, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (idle)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (got->len == 0 || g_strstr_len ((const char *) got->data, got->len, "\r\n\r\n") == NULL)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (idle)),
                                      buf, sizeof buf, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_byte_array_append (got, buf, n);
    }
  g_assert_true (g_str_has_prefix ((const char *) got->data, "HTTP/1.1 200"));

  /* ...one that never sent a request, and one stalled mid-body. */
  silent = raw_connect (base, &error);
  g_assert_no_error (error);
  client = g_thread_new ("stalled", stalled_client, &stalled);
  t0 = g_get_monotonic_time ();
  while (dp_test_server_get_bytes_sent (srv) < 1000)
    {
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
      g_usleep (1000);
    }

  /* Stopped from another thread; all gone when it returns. */
  t0 = g_get_monotonic_time ();
  stopper = g_thread_new ("stop", stop_from_thread, srv);
  g_thread_join (stopper);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);

  refused = raw_connect (base, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);
  refused_tls = raw_connect (https_base, &error);
  g_assert_null (refused_tls);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);

  /* Read with a timeout, so a connection left open fails here rather
   * than hanging the join below. */
  g_assert_true (read_to_end (idle));
  g_assert_true (read_to_end (silent));
  g_thread_join (client);
  g_assert_nonnull (stalled.error);
  g_clear_error (&stalled.error);

  /* What was counted stays readable; a second stop is harmless. */
  g_assert_cmpuint (dp_test_server_get_requests (srv), ==, 2);
  log = dp_test_server_dup_log (srv);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpstr (((DpTestRequest *) log->pdata[0])->path, ==, "/file/idle");
  g_assert_cmpuint (dp_test_server_get_bytes_sent (srv), >=, 1000);
  dp_test_server_stop (srv);
  dp_test_server_reset_counters (srv);
  g_assert_cmpuint (dp_test_server_get_requests (srv), ==, 0);
  dp_test_server_free (srv);
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
  g_test_add_func ("/log/requests", test_log);
  g_test_add_func ("/log/range-parse", test_log_range_parse);
  g_test_add_func ("/faults/chunked", test_chunked);
  g_test_add_func ("/faults/gzip", test_gzip);
  g_test_add_func ("/faults/labelgzip", test_labelgzip);
  g_test_add_func ("/faults/rangegzip", test_rangegzip);
  g_test_add_func ("/faults/unknowntotal", test_unknowntotal);
  g_test_add_func ("/faults/multipart", test_multipart);
  g_test_add_func ("/faults/below", test_below);
  g_test_add_func ("/faults/head-lies", test_head_lies);
  g_test_add_func ("/faults/lastmod", test_lastmod);
  g_test_add_func ("/faults/weaketag", test_weaketag);
  g_test_add_func ("/faults/stale", test_stale);
  g_test_add_func ("/faults/ignorerange", test_ignorerange);
  g_test_add_func ("/faults/rangesafter", test_rangesafter);
  g_test_add_func ("/faults/signed", test_signed);
  g_test_add_func ("/faults/auth", test_auth);
  g_test_add_func ("/faults/datedretry", test_datedretry);
  g_test_add_func ("/faults/bigheaders", test_bigheaders);
  g_test_add_func ("/faults/dieevery", test_dieevery);
  g_test_add_func ("/faults/trickle", test_trickle);
  g_test_add_func ("/faults/trickle-at", test_trickle_at);
  g_test_add_func ("/faults/newlastmod", test_newlastmod);
  g_test_add_func ("/faults/longgarbage", test_longgarbage);
  g_test_add_func ("/faults/failat", test_failat);
  g_test_add_func ("/faults/failafter", test_failafter);
  g_test_add_func ("/faults/htmlafter", test_htmlafter);
  g_test_add_func ("/faults/damage", test_damage);
  g_test_add_func ("/content/digest-helpers", test_digest_helpers);
  g_test_add_func ("/faults/reprdigest", test_reprdigest);
  g_test_add_func ("/faults/reprdigest-cache", test_reprdigest_cache);
  g_test_add_func ("/faults/duplicate", test_duplicate);
  g_test_add_func ("/faults/goneafter", test_goneafter);
  g_test_add_func ("/server/document", test_document);
  g_test_add_func ("/server/stop", test_stop);

  ret = g_test_run ();

  g_object_unref (session);
  dp_test_server_free (server);
  return ret;
}
