/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A loopback SoupServer that runs in its own thread and main context and
 * serves generated content, for the integration tests. It can misbehave
 * on purpose; each URL's query string picks the behaviour (parameters
 * combine; numbers that do not parse count as absent):
 *
 *   /file/NAME?size=N          the content: N bytes, byte i =
 *                              dp_test_content_byte (seed, i)
 *   seed=S                     content seed (default 1)
 *
 * Ranges and lengths
 *   norange=1                  ignore Range: always 200 + whole body,
 *                              no Accept-Ranges
 *   liar=1                     send "Accept-Ranges: bytes", then ignore
 *                              Range like norange
 *   noaccept=1                 honour Range but send no Accept-Ranges
 *   nolength=1, chunked=1      every GET answer (200 and 206) is sent
 *                              with Transfer-Encoding: chunked and no
 *                              Content-Length; a 206 keeps its
 *                              Content-Range (the two are aliases)
 *   short=K                    a 206 covers at most K bytes
 *   long=K                     send K bytes more than the range asked
 *                              (the Content-Range still tells the truth
 *                              about the first part; the body is longer;
 *                              the connection is closed after it)
 *   longgarbage=K              like long=K, but the K extra bytes are
 *                              0xEE, not the file's next bytes (after
 *                              a multipart answer's closing boundary);
 *                              wins over long (at most 16 MiB)
 *   wrongstart=1               206 whose Content-Range starts one byte
 *                              after what was asked
 *   below=K                    a 206 starts K bytes before the asked
 *                              start (not before 0) and ends where
 *                              asked; its Content-Range says so
 *   unknowntotal=1             206 answers give "*" as the complete
 *                              length: "Content-Range: bytes a-b/"
 *                              followed by "*"
 *   unknowntotal=probe         the same, only for ranges from byte 0
 *                              ("bytes=0-" and "bytes=0-N")
 *   multipart=1                a 206 is "multipart/byteranges;
 *                              boundary=dp-test-boundary-8b41f0" with
 *                              exactly one part (CRLF framing of RFC
 *                              9110 §14.6, B the boundary: "--B", the
 *                              part's Content-Type and Content-Range, a
 *                              blank line, the data, "\r\n--B--\r\n"); no
 *                              outer Content-Range; Content-Length
 *                              counts the whole framed body
 *   ignorerange=K              every K-th GET with a Range (counted per
 *                              path) gets 200, the whole body and no
 *                              Accept-Ranges, as from a node without
 *                              range support behind a balancer
 *   rangesafter=K              every GET with a Range after the first K
 *                              (counted per path) gets 200, the whole
 *                              body and no Accept-Ranges: a server whose
 *                              ranges stop working mid-download
 *
 * Encodings
 *   encoding=gzip              the representation is the gzip of the
 *                              content (made once per seed and size, at
 *                              most 64 MiB of content, else 500):
 *                              "Content-Encoding: gzip" on HEAD, 200 and
 *                              206; sizes, Content-Length, ranges and
 *                              Content-Range count compressed bytes; the
 *                              client's Accept-Encoding is ignored (a
 *                              misconfigured server)
 *   encoding=rangegzip         the same for requests with a Range; a
 *                              GET without one gets the plain content
 *   labelgzip=1                the plain content, but labelled
 *                              "Content-Encoding: gzip" (a lie) on HEAD,
 *                              200 and 206
 *
 * Integrity
 *   damage=K                   every body this address serves (200 and
 *                              206, any range) has the content bytes at
 *                              file offsets [K, K+4096), clipped to the
 *                              file, XORed with 0x5A; sizes, ETag,
 *                              Last-Modified and all else unchanged: a
 *                              mirror with a damaged copy. Plain content
 *                              only: ignored whenever encoding= is given
 *   reprdigest=A               every file answer (HEAD, 200, 206) has an
 *                              RFC 9530 Repr-Digest of the whole, true
 *                              content of the version served (of its
 *                              seed and size; damage= and encoding= do
 *                              not change it), B being the base64 of a
 *                              digest: A = sha-256 sends "sha-256=:B:",
 *                              sha-512 "sha-512=:B:", both
 *                              "sha-256=:B:, sha-512=:B:" (each its own
 *                              B); wrong sends "sha-256=:B:" with the B
 *                              of the content of seed+1 (same size).
 *                              Other values of A are ignored. Each
 *                              digest is made once per algorithm, seed
 *                              and size; above 512 MiB of content the
 *                              answer is 500 instead (legacydigest too).
 *                              See dp_test_content_digest_base64()
 *   legacydigest=A             the RFC 3230 form of the same: A =
 *                              sha-256 sends "Digest: SHA-256=B",
 *                              sha-512 "Digest: SHA-512=B"; other values
 *                              are ignored. Combines with reprdigest
 *
 * HEAD
 *   nohead=1                   HEAD gets 405 Method Not Allowed
 *   headnolength=1             HEAD has no Content-Length
 *   headsize=N                 HEAD claims Content-Length N
 *   headetag=E                 HEAD sends ETag "E" instead of the GETs'
 *   headnoranges=1             HEAD has no Accept-Ranges
 *
 * Validators (If-Range is honoured per RFC 9110 §13.1.5)
 *   etag=E                     send ETag "E" (quoted by the server); an
 *                              If-Range naming anything else gets 200
 *   weaketag=1                 the ETag is sent weak (W/"E"), and no
 *                              If-Range tag ever matches it
 *   lastmod=D                  send "Last-Modified: D" (D percent-
 *                              encoded, an HTTP date) and a Date of now
 *                              on every file answer; an If-Range date
 *                              lets a range through only if it is the
 *                              same time as D and D is strong (at least
 *                              60 s before that Date)
 *   changeafter=K              after K requests to this path (HEAD
 *                              included), serve another version: seed+1,
 *                              ETag "E-2", size newsize=N if given
 *   newlastmod=D               with changeafter: the other version has
 *                              "Last-Modified: D" (D as for lastmod),
 *                              and an ETag only if etag= is given
 *   stale=K                    every K-th GET to this path (the K-th,
 *                              2K-th, ...) hits a node with an older
 *                              copy: seed+100, ETag "E-old" ("old"
 *                              without etag=), size stalesize=N if
 *                              given; If-Range is checked against that
 *                              ETag (Last-Modified stays the same).
 *                              HEAD is never stale
 *
 * Statuses and redirects
 *   status=C                   answer every request with status C and a
 *                              small HTML body
 *   rangestatus=C              answer only Range requests with status C
 *                              (HTML body), e.g. 403 or 503
 *   retryafter=S               add "Retry-After: S" to error statuses
 *   datedretry=S               the same with an HTTP date at least S
 *                              seconds ahead (wins over retryafter)
 *   maxconn=K                  GET requests beyond K in flight at once
 *                              get 503 (with retryafter=S if given)
 *   failfirst=K                the first K GET requests to this path
 *                              get 503 (counted per path)
 *   failat=K                   only the K-th GET to this path gets 503
 *                              (with retryafter=S if given)
 *   failafter=K                every GET to this path after the first
 *                              K gets 503 (with retryafter=S if given)
 *   redirect=N                 answer 302 to the same URL with
 *                              redirect=N-1 (N > 0)
 *   redirectto=URL             answer 302 to URL (percent-encoded)
 *   signed=MS                  a GET or HEAD of /file/NAME answers 302 to
 *                              a signed link, /signed/TOKEN/NAME?(the
 *                              same query without signed=), served like
 *                              /file/NAME (and counted under that path)
 *                              for MS milliseconds from its issue, then
 *                              403 Forbidden with an HTML body, as an
 *                              expired S3 link; see
 *                              dp_test_server_get_signatures()
 *   auth=USER:PASS             401 with 'WWW-Authenticate: Basic
 *                              realm="test"' unless the request has
 *                              that Basic Authorization
 *   digest=USER:PASS           the same with Digest (RFC 7616, MD5,
 *                              qop=auth, realm "test"): 401 with a
 *                              challenge unless the request answers it
 *                              with those credentials
 *   needcookie=N=V             403 unless the Cookie header has the
 *                              pair N=V (several: separate with "|")
 *   needreferer=URL            403 unless Referer is exactly URL
 *   needheader=NAME:VALUE      403 unless the request has that header
 *                              with exactly that value
 *   setcookie=C                add "Set-Cookie: C" to every answer to
 *                              this address, redirects and errors too
 *   duplicate=URLS             add a header line "Link: <URL>;
 *                              rel=duplicate; pri=N" (RFC 6249) per URL
 *                              to every answer to this address, file
 *                              answers, redirects and errors alike, N =
 *                              1, 2, ... in the given order; URLS
 *                              percent-encoded, several separated by "|"
 *   html=1                     a GET with Range is answered 200 with
 *                              an HTML error page (an expired link)
 *   htmlafter=K                the same, but only after K GETs to this
 *                              path were served (with or without Range):
 *                              a link that expires mid-download
 *
 * Other headers
 *   disposition=V              send "Content-Disposition: V"
 *                              (percent-encoded)
 *   type=T                     Content-Type (default
 *                              application/octet-stream)
 *   bigheaders=N               about N bytes of extra header lines
 *                              ("X-Pad-1: aaa...", up to 4 KiB each) on
 *                              every answer, errors and redirects too
 *                              (libsoup's client gives up on a header
 *                              block of 64 KiB: "Header too big")
 *
 * Speed and connection trouble
 *   rate=B                     throttle every response body to B bytes
 *                              per second
 *   slowfirst=B                the first body served for this path is
 *                              throttled to B bytes per second
 *   trickle=B                  (wins over rate and slowfirst)
 *                              the first body served for this path sends
 *                              64 KiB at full speed, then B bytes per
 *                              second as a piece every 100 ms, never
 *                              silent long enough to look stalled
 *   trickleat=K                with trickle=B: the K-th GET body served
 *                              for this path trickles instead of the
 *                              first (the ones before keep to rate=)
 *   reset=B                    close each connection abruptly (RST)
 *                              after B body bytes (first attempt per
 *                              range start only)
 *   dieevery=B                 like reset, but every GET answer dies
 *                              after B body bytes, retries included
 *   stall=B                    stop sending after B body bytes, keeping
 *                              the connection open (first attempt per
 *                              range start only)
 *   goneafter=K                once K GET requests to this path have
 *                              been answered (every GET counts, whatever
 *                              its answer; counted per path like
 *                              failafter, a signed link under its /file/
 *                              path), every further request to this
 *                              path, HEAD included, is not answered at
 *                              all: its connection is closed at once
 *                              (FIN), as by a server that went away. The
 *                              log has such requests with status 0.
 *                              goneafter=0: no request is answered
 *
 * A page for browser tests
 *   /page/NAME?QUERY           an HTML page that sets the cookie
 *                              dp-session=p4ge-c00kie, waits until the
 *                              extension ext=ID answers a message
 *                              "downpour-ready?", then follows its link to
 *                              /file/NAME?QUERY, served as an attachment
 *                              named NAME and refused (403) without that
 *                              cookie and the page as the referrer
 *
 * Documents
 *   dp_test_server_add_document() gives a path fixed bytes (a Metalink
 *   file, say): a GET or HEAD of exactly that path, whatever its query,
 *   gets 200, the document with its Content-Type, Content-Length and
 *   "Accept-Ranges: bytes"; a Range gets 206 with its first range
 *   ("bytes=a-b", "bytes=a-" or "bytes=-n") and a Content-Range, 416
 *   when unsatisfiable, and is ignored when malformed; other methods
 *   get 405. The query is not looked at, so none of the faults above
 *   apply to a document. Documents are logged and counted like files.
 *
 * Any other path gets 404. A document wins over everything. When several
 * faults could answer, the first of these wins: goneafter (no answer at
 * all); bigheaders, setcookie and duplicate (added to any answer); an
 * expired signed link, 404, 405 for other methods, auth, digest, needcookie,
 * needreferer, needheader, signed, redirectto, redirect,
 * status, nohead, maxconn, failfirst, failat, failafter, rangestatus,
 * html, htmlafter; then the file, with the range, encoding, validator,
 * HEAD, integrity and speed faults combined.
 *
 * The server counts requests and body bytes it sent, and logs every
 * request it got (dp_test_server_dup_log()), answered or not.
 */

typedef struct _DpTestServer DpTestServer;

/* One request as the server saw it. Header fields are NULL when the
 * request did not have that header. */
typedef struct
{
  char *method;
  char *path;             /* as asked, e.g. "/signed/TOKEN/NAME" */
  char *query;            /* raw, still percent-encoded; NULL if none */
  char *range;
  char *if_range;
  char *authorization;
  char *accept_encoding;
  char *cookie;
  char *user_agent;
  char *referer;
  char *headers;          /* every request header, "Name: value\n" each,
                           * in the order sent (Range included) */
  char *http_version;     /* "HTTP/1.0" or "HTTP/1.1" */
  gint64 time_us;         /* g_get_monotonic_time () when it arrived */
  guint connection;       /* client connections numbered from 1, in the
                           * order of their first request */
  guint status;           /* the status it was answered with; a body cut
                           * short (reset, stall) keeps its 200 or 206;
                           * 0 if it got no answer (goneafter) */
} DpTestRequest;

DpTestServer *dp_test_server_new              (void);
void          dp_test_server_free             (DpTestServer *server);
/* The server goes away for real: it stops listening, so the kernel
 * refuses new connections, and closes every client connection it has
 * (idle, mid-request, stalled or mid-body) at once; returns when that is
 * done. Callable from any thread; a second call does nothing. The
 * counters and the log stay readable; dp_test_server_free() still has
 * to be called. */
void          dp_test_server_stop             (DpTestServer *server);
/* Serves @length bytes of @data (up to its NUL if @length is -1) with
 * Content-Type @content_type (NULL: application/octet-stream) at @path,
 * which starts with "/"; see "Documents" above. Replaces an earlier
 * document at @path. Callable from any thread, at any time. */
void          dp_test_server_add_document     (DpTestServer *server,
                                               const char   *path,
                                               const char   *content_type,
                                               const char   *data,
                                               gssize        length);
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
/* Signed links issued by signed=MS. */
guint         dp_test_server_get_signatures   (DpTestServer *server);
/* Clears the counters and the log; connections are numbered from 1
 * again. Per-path fault state (failfirst, reset, ...) is kept. */
void          dp_test_server_reset_counters   (DpTestServer *server);

/* A copy of every request so far, oldest first (arrival order); free
 * with g_ptr_array_unref(). A request is in the log before any byte of
 * its answer is sent. */
GPtrArray    *dp_test_server_dup_log          (DpTestServer *server);
void          dp_test_request_free            (DpTestRequest *request);
/* Parses a single-range "bytes=a-b" or "bytes=a-" Range header into
 * @first and @last (-1 for an open end). FALSE if there is none or it is
 * anything else (malformed, a suffix "bytes=-n", several ranges). */
gboolean      dp_test_request_get_range       (const DpTestRequest *request,
                                               gint64              *first,
                                               gint64              *last);

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
/* Lowercase hex digest of type @type of content bytes [offset, offset +
 * len), e.g. for Metalink piece hashes. */
char         *dp_test_content_hex             (GChecksumType type,
                                               guint64       seed,
                                               guint64       offset,
                                               guint64       len);
/* Base64 of the digest of the first @size content bytes, as in
 * reprdigest= and legacydigest=; @algorithm is "sha-256" or "sha-512"
 * (NULL for anything else). */
char         *dp_test_content_digest_base64   (const char *algorithm,
                                               guint64     seed,
                                               guint64     size);
/* SHA-256 hex digest of a file on disk, or NULL if unreadable. */
char         *dp_test_file_sha256             (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpTestServer, dp_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpTestRequest, dp_test_request_free)

G_END_DECLS
