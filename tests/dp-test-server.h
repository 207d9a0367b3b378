/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A loopback SoupServer that runs in its own thread and main context and
 * serves generated content, for the integration tests. It can misbehave
 * on purpose; each URL's query string picks the behaviour:
 *
 *   /file/NAME?size=N          the content: N bytes, byte i =
 *                              dp_test_content_byte (seed, i)
 *   seed=S                     content seed (default 1)
 *   norange=1                  ignore Range: always 200 + whole body,
 *                              no Accept-Ranges
 *   liar=1                     send "Accept-Ranges: bytes", then ignore
 *                              Range like norange
 *   noaccept=1                 honour Range but send no Accept-Ranges
 *   nohead=1                   HEAD gets 405 Method Not Allowed
 *   headnolength=1             HEAD has no Content-Length
 *   nolength=1                 GET answers are chunked, no Content-Length
 *   short=K                    a 206 covers at most K bytes
 *   long=K                     send K bytes more than the range asked
 *                              (the Content-Range still tells the truth
 *                              about the first part; the body is longer;
 *                              the connection is closed after it)
 *   wrongstart=1               206 whose Content-Range starts one byte
 *                              after what was asked
 *   status=C                   answer every request with status C and a
 *                              small HTML body
 *   rangestatus=C              answer only Range requests with status C
 *                              (HTML body), e.g. 403 or 503
 *   retryafter=S               add "Retry-After: S" to error statuses
 *   maxconn=K                  GET requests beyond K in flight at once
 *                              get 503 (with retryafter=S if given)
 *   failfirst=K                the first K GET requests to this path
 *                              get 503 (counted per path)
 *   redirect=N                 answer 302 to the same URL with
 *                              redirect=N-1 (N > 0)
 *   redirectto=URL             answer 302 to URL (percent-encoded)
 *   disposition=V              send "Content-Disposition: V"
 *                              (percent-encoded)
 *   type=T                     Content-Type (default
 *                              application/octet-stream)
 *   etag=E                     send ETag "E" (quoted by the server)
 *   changeafter=K              after K requests to this path (HEAD
 *                              included), serve another version: seed+1,
 *                              ETag "E-2", size newsize=N if given
 *   html=1                     a GET with Range is answered 200 with
 *                              an HTML error page (an expired link)
 *   rate=B                     throttle every response body to B bytes
 *                              per second
 *   slowfirst=B                the first body served for this path is
 *                              throttled to B bytes per second
 *   reset=B                    close each connection abruptly after B
 *                              body bytes (first attempt per range only)
 *   stall=B                    stop sending after B body bytes, keeping
 *                              the connection open (first attempt per
 *                              range only)
 *
 * The server counts requests and body bytes it sent.
 */

typedef struct _DpTestServer DpTestServer;

DpTestServer *dp_test_server_new              (void);
void          dp_test_server_free             (DpTestServer *server);
/* Returns "http://127.0.0.1:PORT" + @path_and_query; free with g_free(). */
char         *dp_test_server_url              (DpTestServer *server,
                                               const char   *path_and_query);
/* The same files over HTTPS, with a self-signed certificate that
 * fails verification. */
char         *dp_test_server_https_url        (DpTestServer *server,
                                               const char   *path_and_query);
guint         dp_test_server_get_requests     (DpTestServer *server);
/* Client connections that sent at least one request. */
guint         dp_test_server_get_connections  (DpTestServer *server);
guint         dp_test_server_get_range_requests (DpTestServer *server);
/* Range requests that ask for bytes from offset 0 on. */
guint         dp_test_server_get_range_requests_from_zero (DpTestServer *server);
/* Requests answered 206 Partial Content. */
guint         dp_test_server_get_partial_answers (DpTestServer *server);
guint64       dp_test_server_get_bytes_sent   (DpTestServer *server);
/* The largest number of GET requests that were in flight at once. */
guint         dp_test_server_get_max_concurrent (DpTestServer *server);
void          dp_test_server_reset_counters   (DpTestServer *server);

guint8        dp_test_content_byte            (guint64 seed,
                                               guint64 offset);
/* Fills @buf with content bytes [offset, offset + len). */
void          dp_test_content_fill            (guint64 seed,
                                               guint64 offset,
                                               guint8 *buf,
                                               gsize   len);
/* SHA-256 hex digest of the first @size content bytes. */
char         *dp_test_content_sha256          (guint64 seed,
                                               guint64 size);
/* SHA-256 hex digest of a file on disk, or NULL if unreadable. */
char         *dp_test_file_sha256             (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpTestServer, dp_test_server_free)

G_END_DECLS
