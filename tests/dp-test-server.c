/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dp-test-server.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libsoup/soup.h>

/* Body bytes handed to libsoup at a time. Small enough that a 256 MiB
 * body never sits in memory, large enough to keep loopback fast. */
#define CHUNK_SIZE (64 * 1024)

/* How long a reset waits for the bytes before it to reach the client:
 * RESET_TICK_MS per poll of the send queue, at most RESET_MAX_TICKS. */
#define RESET_TICK_MS 5
#define RESET_MAX_TICKS 40

struct _DpTestServer
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *soup;

  /* Written by the server thread before dp_test_server_new() returns,
   * read-only afterwards, so any thread may read it without a lock. */
  char *base_url;
  char *https_base_url;

  GMutex lock;
  GCond cond;
  gboolean ready;
  char *start_error;

  /* Counters: written by the server thread, read by the tests' threads,
   * always under @lock. */
  guint requests;
  guint range_requests;
  guint range_requests_from_zero;
  guint partial_answers;
  GHashTable *sockets;  /* every client connection seen, held */
  guint64 bytes_sent;
  guint in_flight;
  guint max_in_flight;

  /* Only touched in the server thread. */
  GHashTable *fail_counts;  /* path -> GUINT_TO_POINTER (503s sent) */
  GHashTable *resets_done;  /* "START PATH" keys: reset= already fired */
  GList *live;              /* Request records of unfinished GETs */
};

typedef enum
{
  STOP_NONE,
  STOP_STALL,
  STOP_RESET,
} StopMode;

/* One per GET, from the handler until the message finishes (or its
 * connection is torn down on purpose). For file bodies it also holds
 * the state of the streamed body. */
typedef struct
{
  DpTestServer *self;
  SoupServerMessage *msg;  /* strong ref; dropped in request_finish() */

  guint64 seed;
  guint64 offset;          /* content offset of body byte 0 */
  guint64 body_len;        /* body bytes to send in all */
  guint64 appended;        /* body bytes given to libsoup so far */
  guint64 limit;           /* stall/reset point, in body bytes */
  StopMode stop;
  guint64 rate;            /* bytes per second, 0 = unthrottled */
  gsize chunk_size;
  gint64 start_us;

  GSource *timer;          /* rate delay or reset poll, if any */
  guint reset_ticks;
} Request;

/* ---- content ---------------------------------------------------------- */

/* The splitmix64 finaliser: cheap, and every input bit affects every
 * output bit, so consecutive words look unrelated. */
static inline guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
seed_key (guint64 seed)
{
  return mix64 (seed ^ G_GUINT64_CONSTANT (0x6a09e667f3bcc908));
}

/* Word @index of the stream for @key. Stepping by the golden gamma (an
 * odd constant) visits distinct inputs, so no short period appears. */
static inline guint64
content_word (guint64 key,
              guint64 index)
{
  return mix64 (key + (index + 1) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
}

guint8
dp_test_content_byte (guint64 seed,
                      guint64 offset)
{
  guint64 w = content_word (seed_key (seed), offset / 8);

  return (guint8) (w >> (8 * (offset % 8)));
}

void
dp_test_content_fill (guint64 seed,
                      guint64 offset,
                      guint8 *buf,
                      gsize   len)
{
  guint64 key = seed_key (seed);
  guint64 index = offset / 8;
  unsigned int shift = offset % 8;

  /* A leading partial word, then whole words, then a trailing partial
   * word; the byte order is little-endian as in dp_test_content_byte(). */
  if (shift != 0 && len > 0)
    {
      guint64 w = content_word (key, index++);

      while (shift < 8 && len > 0)
        {
          *buf++ = (guint8) (w >> (8 * shift++));
          len--;
        }
    }

  while (len >= 8)
    {
      guint64 w = GUINT64_TO_LE (content_word (key, index++));

      memcpy (buf, &w, 8);
      buf += 8;
      len -= 8;
    }

  if (len > 0)
    {
      guint64 w = content_word (key, index);

      for (gsize i = 0; i < len; i++)
        buf[i] = (guint8) (w >> (8 * i));
    }
}

char *
dp_test_content_sha256 (guint64 seed,
                        guint64 size)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (CHUNK_SIZE);
  guint64 done = 0;

  while (done < size)
    {
      gsize n = (gsize) MIN ((guint64) CHUNK_SIZE, size - done);

      dp_test_content_fill (seed, done, buf, n);
      g_checksum_update (sum, buf, n);
      done += n;
    }

  return g_strdup (g_checksum_get_string (sum));
}

char *
dp_test_file_sha256 (const char *path)
{
  g_autoptr(GChecksum) sum = NULL;
  g_autofree guint8 *buf = NULL;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  buf = g_malloc (CHUNK_SIZE);
  for (;;)
    {
      ssize_t n = read (fd, buf, CHUNK_SIZE);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      g_checksum_update (sum, buf, n);
    }

  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- query helpers ---------------------------------------------------- */

static const char *
query_str (GHashTable *query,
           const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

/* Malformed numbers count as absent, so a typo falls back to the
 * default instead of silently meaning 0. */
static guint64
query_u64 (GHashTable *query,
           const char *name,
           guint64     fallback)
{
  const char *s = query_str (query, name);
  guint64 v;

  if (s == NULL || !g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, &v, NULL))
    return fallback;
  return v;
}

static gboolean
query_flag (GHashTable *query,
            const char *name)
{
  return query_u64 (query, name, 0) != 0;
}

/* ---- counters --------------------------------------------------------- */

static void
count_request (DpTestServer      *self,
               SoupServerMessage *msg,
               const char        *range)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  g_mutex_lock (&self->lock);
  /* Held, so that a closed connection's address is never reused for
   * a new one and counted once. */
  if (socket != NULL && !g_hash_table_contains (self->sockets, socket))
    g_hash_table_add (self->sockets, g_object_ref (socket));
  self->requests++;
  if (range != NULL)
    {
      const char *spec = strchr (range, '=');

      self->range_requests++;
      if (spec != NULL)
        {
          spec++;
          while (*spec == ' ')
            spec++;
          if (g_str_has_prefix (spec, "0-"))
            self->range_requests_from_zero++;
        }
    }
  g_mutex_unlock (&self->lock);
}

/* Body bytes are counted when they are handed to libsoup rather than
 * when libsoup reports them written: the report comes after the write,
 * so a client could see its whole body, read the counter and miss the
 * last chunk. The price is that a response the client abandons may
 * count up to one chunk it never got. */
static void
count_body_bytes (DpTestServer *self,
                  gsize         n)
{
  g_mutex_lock (&self->lock);
  self->bytes_sent += n;
  g_mutex_unlock (&self->lock);
}

/* ---- per-GET records -------------------------------------------------- */

static void
request_clear_timer (Request *req)
{
  if (req->timer != NULL)
    {
      g_source_destroy (req->timer);
      g_clear_pointer (&req->timer, g_source_unref);
    }
}

static void
request_set_timer (Request     *req,
                   guint        ms,
                   GSourceFunc  func)
{
  request_clear_timer (req);
  req->timer = g_timeout_source_new (ms);
  g_source_set_callback (req->timer, func, req, NULL);
  g_source_attach (req->timer, req->self->context);
}

/* Ends the tracking of a GET: called when the message finishes, when
 * its connection is stolen for a reset, and for leftovers at shutdown. */
static void
request_finish (Request *req)
{
  DpTestServer *self = req->self;

  request_clear_timer (req);
  g_signal_handlers_disconnect_by_data (req->msg, req);
  self->live = g_list_remove (self->live, req);

  g_mutex_lock (&self->lock);
  self->in_flight--;
  g_mutex_unlock (&self->lock);

  g_object_unref (req->msg);
  g_free (req);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  request_finish (user_data);
}

static Request *
request_new (DpTestServer      *self,
             SoupServerMessage *msg)
{
  Request *req = g_new0 (Request, 1);

  req->self = self;
  req->msg = g_object_ref (msg);
  self->live = g_list_prepend (self->live, req);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), req);

  g_mutex_lock (&self->lock);
  self->in_flight++;
  self->max_in_flight = MAX (self->max_in_flight, self->in_flight);
  g_mutex_unlock (&self->lock);

  return req;
}

/* ---- body streaming --------------------------------------------------- */

/* Appends the next chunk, never past the stall/reset point, and closes
 * the body once everything is queued (needed for chunked encoding). */
static void
stream_append (Request *req)
{
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  guint64 stop_at = MIN (req->limit, req->body_len);
  gsize n = (gsize) MIN ((guint64) req->chunk_size, stop_at - req->appended);
  guint8 *buf;

  if (n > 0)
    {
      buf = g_malloc (n);
      dp_test_content_fill (req->seed, req->offset + req->appended, buf, n);
      soup_message_body_append_take (body, buf, n);
      req->appended += n;
      count_body_bytes (req->self, n);
    }

  if (req->appended == req->body_len)
    soup_message_body_complete (body);
}

static gboolean
stream_timer_cb (gpointer user_data)
{
  Request *req = user_data;

  request_clear_timer (req);
  stream_append (req);
  /* libsoup paused the message itself when it ran out of body. */
  soup_server_message_unpause (req->msg);
  return G_SOURCE_REMOVE;
}

/* Bytes still waiting in the kernel for the peer to acknowledge. */
static int
socket_unsent (GSocket *sock)
{
#ifdef TIOCOUTQ
  int pending = 0;

  if (ioctl (g_socket_get_fd (sock), TIOCOUTQ, &pending) == 0)
    return pending;
#endif
  return 0;
}

static gboolean
reset_tick_cb (gpointer user_data)
{
  Request *req = user_data;
  g_autoptr(SoupServerMessage) msg = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GIOStream) stream = NULL;
  GSocket *msg_sock;
  struct linger lg = { 1, 0 };

  msg_sock = soup_server_message_get_socket (req->msg);

  /* An RST throws away whatever the kernel has not delivered yet, so let
   * the bytes before the reset point drain first; give up waiting after
   * a while, as a peer that stopped reading would never drain them. */
  if (msg_sock != NULL &&
      req->reset_ticks++ < RESET_MAX_TICKS &&
      socket_unsent (msg_sock) > 0)
    return G_SOURCE_CONTINUE;

  msg = g_object_ref (req->msg);
  if (msg_sock != NULL)
    sock = g_object_ref (msg_sock);

  /* A stolen message never emits "finished", so end the record here. */
  request_finish (req);

  /* Taking the connection away from libsoup means nothing else touches
   * the socket, so it can be closed here without a source of libsoup
   * polling a dead descriptor. */
  stream = soup_server_message_steal_connection (msg);
  if (sock != NULL)
    {
      /* A zero linger time turns close() into an RST: a connection reset,
       * not an orderly end of stream. */
      setsockopt (g_socket_get_fd (sock), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      g_socket_close (sock, NULL);
    }
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);

  return G_SOURCE_REMOVE;
}

/* Called whenever libsoup has written everything appended so far. */
static void
stream_pump (Request *req)
{
  if (req->appended == req->body_len)
    return;

  if (req->appended >= req->limit)
    {
      /* Stall: append nothing more; libsoup pauses the message and keeps
       * the connection until the server is freed. */
      if (req->stop == STOP_RESET && req->timer == NULL)
        request_set_timer (req, RESET_TICK_MS, reset_tick_cb);
      return;
    }

  if (req->rate > 0)
    {
      gint64 due = req->start_us + (gint64) (req->appended * G_USEC_PER_SEC / req->rate);
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        {
          request_set_timer (req, (guint) ((due - now + 999) / 1000), stream_timer_cb);
          return;
        }
    }

  stream_append (req);
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  stream_pump (user_data);
}

static void
on_wrote_headers (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Request *req = user_data;

  /* With a stop at byte 0 no chunk is ever written, so "wrote-chunk"
   * never comes; start the stop from here instead. */
  if (req->appended == 0)
    stream_pump (req);
}

/* Sets up a streamed body of content bytes [offset, offset + len). */
static void
stream_start (Request    *req,
              GHashTable *query,
              guint64     seed,
              guint64     offset,
              guint64     len,
              const char *reset_key)
{
  DpTestServer *self = req->self;
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  guint64 stall = query_u64 (query, "stall", G_MAXUINT64);
  guint64 reset = query_u64 (query, "reset", G_MAXUINT64);

  req->seed = seed;
  req->offset = offset;
  req->body_len = len;
  req->limit = G_MAXUINT64;
  req->stop = STOP_NONE;
  req->rate = query_u64 (query, "rate", 0);
  /* slowfirst=B: the first body served on this path crawls at B/s, as
   * one unlucky connection to an uneven mirror would. */
  if (query_u64 (query, "slowfirst", 0) > 0)
    {
      g_autofree char *key = g_strconcat ("slow ", reset_key, NULL);
      char *space = strchr (key + 5, ' ');
      g_autofree char *path_key = g_strconcat ("slow", space ? space : key, NULL);

      if (!g_hash_table_contains (self->resets_done, path_key))
        {
          req->rate = query_u64 (query, "slowfirst", 0);
          g_hash_table_add (self->resets_done, g_steal_pointer (&path_key));
        }
    }
  req->chunk_size = CHUNK_SIZE;
  req->start_us = g_get_monotonic_time ();

  /* Throttled bodies go out in pieces of about 50 ms each, so the rate
   * holds over short spans too. */
  if (req->rate > 0)
    req->chunk_size = (gsize) CLAMP (req->rate / 20, 1, CHUNK_SIZE);

  /* A stall or a reset hits only the first response per path and range
   * start, so that a retry gets further. */
  if ((stall < len || reset < len) &&
      !g_hash_table_contains (self->resets_done, reset_key))
    {
      req->limit = MIN (stall, reset);
      req->stop = stall < len ? STOP_STALL : STOP_RESET;
      g_hash_table_add (self->resets_done, g_strdup (reset_key));
    }

  /* libsoup must not keep what it wrote, or a big body would pile up in
   * memory; this also keeps its own Range handling away from the body. */
  soup_message_body_set_accumulate (body, FALSE);

  g_signal_connect (req->msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), req);
  g_signal_connect (req->msg, "wrote-headers", G_CALLBACK (on_wrote_headers), req);

  /* The first chunk goes out with the headers; the rest follow as libsoup
   * reports each one written. An empty body is completed right here. */
  if (req->limit > 0)
    stream_append (req);
}

/* ---- responses -------------------------------------------------------- */

static void
maybe_retry_after (SoupServerMessage *msg,
                   GHashTable        *query,
                   guint              status)
{
  const char *retry = query_str (query, "retryafter");

  if (retry != NULL && status >= 400)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After", retry);
}

static void
respond_html (SoupServerMessage *msg,
              GHashTable        *query,
              guint              status,
              const char        *text)
{
  g_autofree char *html = NULL;
  const char *phrase = soup_status_get_phrase (status);
  gsize len;

  soup_server_message_set_status (msg, status, NULL);
  maybe_retry_after (msg, query, status);

  /* These statuses cannot carry a body. */
  if (status == 204 || status == 304)
    return;

  html = g_strdup_printf ("<!DOCTYPE html>\n<html><head><title>%u %s</title></head>\n"
                          "<body><h1>%u %s</h1><p>%s</p></body></html>\n",
                          status, phrase, status, phrase, text);
  len = strlen (html);
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&html), len);
}

typedef enum
{
  RANGE_NONE,           /* no usable Range header: send the whole body */
  RANGE_OK,
  RANGE_UNSATISFIABLE,
} RangeResult;

static void
skip_ws (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static gboolean
scan_u64 (const char **p,
          guint64     *out)
{
  const char *s = *p;
  guint64 v = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;

  while (g_ascii_isdigit (*s))
    {
      unsigned int d = *s - '0';

      if (v > (G_MAXUINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
      s++;
    }

  *p = s;
  *out = v;
  return TRUE;
}

/* Parses the first range-spec of a "bytes=" Range header against a body
 * of @size bytes into the inclusive [*start, *end]. Syntax errors give
 * RANGE_NONE since RFC 9110 says to ignore such a header; further
 * range-specs are ignored, which serves only the first of a multi-range
 * request. */
static RangeResult
parse_range (const char *value,
             guint64     size,
             guint64    *start,
             guint64    *end)
{
  const char *p = value;
  guint64 first = 0, last = 0;
  gboolean have_first, have_last;

  skip_ws (&p);
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return RANGE_NONE;
  p += 5;
  skip_ws (&p);
  if (*p != '=')
    return RANGE_NONE;
  p++;
  skip_ws (&p);

  have_first = scan_u64 (&p, &first);
  skip_ws (&p);
  if (*p != '-')
    return RANGE_NONE;
  p++;
  skip_ws (&p);
  have_last = scan_u64 (&p, &last);
  skip_ws (&p);
  if (*p != '\0' && *p != ',')
    return RANGE_NONE;

  if (have_first)
    {
      if (have_last && last < first)
        return RANGE_NONE;
      if (first >= size)
        return RANGE_UNSATISFIABLE;
      *start = first;
      *end = have_last ? MIN (last, size - 1) : size - 1;
      return RANGE_OK;
    }

  if (!have_last)
    return RANGE_NONE;

  /* "-N": the last N bytes. */
  if (last == 0 || size == 0)
    return RANGE_UNSATISFIABLE;
  *start = size - MIN (last, size);
  *end = size - 1;
  return RANGE_OK;
}

/* The request's own URL with redirect=N replaced by redirect=N-1. The
 * query is copied still percent-encoded, so every other parameter
 * survives the hop byte for byte. */
static char *
redirect_location (DpTestServer      *self,
                   SoupServerMessage *msg,
                   guint64            hops)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  g_auto(GStrv) params = g_strsplit (query != NULL ? query : "", "&", -1);
  GString *out = g_string_new (self->base_url);
  char sep = '?';

  g_string_append (out, g_uri_get_path (uri));
  for (guint i = 0; params[i] != NULL; i++)
    {
      if (params[i][0] == '\0')
        continue;
      g_string_append_c (out, sep);
      if (g_str_has_prefix (params[i], "redirect="))
        g_string_append_printf (out, "redirect=%" G_GUINT64_FORMAT, hops - 1);
      else
        g_string_append (out, params[i]);
      sep = '&';
    }

  return g_string_free (out, FALSE);
}

static void
serve_file (DpTestServer      *self,
            Request           *req,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            const char        *range)
{
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  guint64 size = query_u64 (query, "size", 0);
  guint64 seed = query_u64 (query, "seed", 1);
  gboolean norange = query_flag (query, "norange");
  /* liar=1: advertise ranges, then ignore them like norange. */
  gboolean liar = query_flag (query, "liar");
  const char *type = query_str (query, "type");
  const char *etag = query_str (query, "etag");
  const char *disposition = query_str (query, "disposition");
  g_autofree char *quoted_etag = NULL;
  g_autofree char *reset_key = NULL;
  g_autofree char *changed_etag = NULL;
  RangeResult result = RANGE_NONE;
  guint64 start = 0, end = 0, asked_start = 0;
  guint64 body_start = 0, body_len = size;
  guint64 change_after = query_u64 (query, "changeafter", 0);

  /* changeafter=K: from the K+1st request on, the file is another version
   * (seed + 1, ETag "E-2", and newsize=N if given). */
  if (change_after > 0)
    {
      g_autofree char *key = g_strconcat ("requests ", path, NULL);
      guint served = GPOINTER_TO_UINT (g_hash_table_lookup (self->fail_counts, key));

      g_hash_table_replace (self->fail_counts, g_steal_pointer (&key), GUINT_TO_POINTER (served + 1));
      if (served >= change_after)
        {
          seed += 1;
          size = query_u64 (query, "newsize", size);
          body_len = size;
          changed_etag = g_strdup_printf ("%s-2", etag != NULL ? etag : "v");
          etag = changed_etag;
        }
    }

  soup_message_headers_set_content_type (headers,
                                         type != NULL ? type : "application/octet-stream",
                                         NULL);
  if (!norange && !query_flag (query, "noaccept"))
    soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (etag != NULL)
    {
      quoted_etag = g_strdup_printf ("\"%s\"", etag);
      soup_message_headers_replace (headers, "ETag", quoted_etag);
    }
  if (disposition != NULL)
    soup_message_headers_replace (headers, "Content-Disposition", disposition);

  if (!norange && !liar && range != NULL)
    {
      const char *if_range = soup_message_headers_get_one (req_headers, "If-Range");
      g_autofree char *validator = g_strstrip (g_strdup (if_range != NULL ? if_range : ""));

      /* An If-Range naming anything but the current strong ETag (dates
       * included: there is no Last-Modified) asks for the whole entity. */
      if (if_range == NULL ||
          (quoted_etag != NULL && strcmp (validator, quoted_etag) == 0))
        result = parse_range (range, size, &start, &end);
    }

  if (result == RANGE_UNSATISFIABLE)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);

      soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      soup_message_headers_set_content_length (headers, 0);
      maybe_retry_after (msg, query, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
      return;
    }

  if (result == RANGE_OK)
    {
      guint64 short_len = query_u64 (query, "short", 0);
      g_autofree char *content_range = NULL;

      asked_start = start;
      if (short_len > 0 && end - start + 1 > short_len)
        end = start + short_len - 1;
      if (query_flag (query, "wrongstart") && start + 1 < size)
        {
          start++;
          end = MAX (end, start);
        }

      content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                       "/%" G_GUINT64_FORMAT, start, end, size);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      g_mutex_lock (&self->lock);
      self->partial_answers++;
      g_mutex_unlock (&self->lock);
      body_start = start;
      body_len = end - start + 1;
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }

  if (req == NULL)
    {
      /* HEAD: the headers a GET would get, minus the body. */
      if (query_flag (query, "headnolength"))
        soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
      else
        soup_message_headers_set_content_length (headers, body_len);
      return;
    }

  if (result == RANGE_OK && query_u64 (query, "long", 0) > 0)
    {
      /* No length is announced, so the extra bytes are simply part of a
       * body that ends when the connection does. */
      body_len += query_u64 (query, "long", 0);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
      soup_message_headers_replace (headers, "Connection", "close");
    }
  else if (query_flag (query, "nolength"))
    {
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
    }
  else
    {
      soup_message_headers_set_content_length (headers, body_len);
    }

  reset_key = g_strdup_printf ("%" G_GUINT64_FORMAT " %s", asked_start, path);
  stream_start (req, query, seed, body_start, body_len, reset_key);
}

static void
server_handler (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  DpTestServer *self = user_data;
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  gboolean is_get = strcmp (method, "GET") == 0;
  gboolean is_head = strcmp (method, "HEAD") == 0;
  g_autofree char *range = g_strdup (soup_message_headers_get_one (req_headers, "Range"));
  const char *redirect_to = query_str (query, "redirectto");
  guint64 hops = query_u64 (query, "redirect", 0);
  guint64 status = query_u64 (query, "status", 0);
  guint64 range_status = query_u64 (query, "rangestatus", 0);
  Request *req = NULL;

  count_request (self, msg, range);
  if (is_get)
    req = request_new (self, msg);

  /* libsoup answers a 200 whose body it holds whole with a 206 of its
   * own making when the request has a Range header. Every 206 here is
   * made by hand, and a 200 must stay a 200 (norange, html, If-Range),
   * so libsoup must never see the header. */
  soup_message_headers_remove (req_headers, "Range");

  if (!g_str_has_prefix (path, "/file/"))
    {
      respond_html (msg, query, SOUP_STATUS_NOT_FOUND, "No such file.");
      return;
    }

  if (!is_get && !is_head)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_html (msg, query, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET and HEAD.");
      return;
    }

  if (redirect_to != NULL)
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, redirect_to);
      return;
    }

  if (hops > 0)
    {
      g_autofree char *location = redirect_location (self, msg, hops);

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
      return;
    }

  /* A 1xx is not a final answer: libsoup would send it and then wait
   * for one, so those are not accepted. */
  if (status >= 200 && status <= 999)
    {
      respond_html (msg, query, (guint) status, "Status forced by the test.");
      return;
    }

  if (is_head && query_flag (query, "nohead"))
    {
      soup_message_headers_replace (headers, "Allow", "GET");
      respond_html (msg, query, SOUP_STATUS_METHOD_NOT_ALLOWED, "HEAD is not allowed here.");
      return;
    }

  if (is_get && query_u64 (query, "maxconn", 0) > 0)
    {
      guint in_flight;

      /* maxconn=K: a mirror that bans greed. This request is counted. */
      g_mutex_lock (&self->lock);
      in_flight = self->in_flight;
      g_mutex_unlock (&self->lock);
      if (in_flight > query_u64 (query, "maxconn", 0))
        {
          respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Too many connections.");
          return;
        }
    }

  if (is_get)
    {
      guint64 fail_first = query_u64 (query, "failfirst", 0);
      guint failed = GPOINTER_TO_UINT (g_hash_table_lookup (self->fail_counts, path));

      if (failed < fail_first)
        {
          g_hash_table_replace (self->fail_counts, g_strdup (path),
                                GUINT_TO_POINTER (failed + 1));
          respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Try again later.");
          return;
        }
    }

  if (range != NULL && range_status >= 200 && range_status <= 999)
    {
      respond_html (msg, query, (guint) range_status, "No ranges for you.");
      return;
    }

  if (range != NULL && query_flag (query, "html"))
    {
      respond_html (msg, query, SOUP_STATUS_OK, "This download link has expired.");
      return;
    }

  serve_file (self, req, msg, path, query, range);
}

/* ---- the server thread ------------------------------------------------ */

/* A self-signed certificate for 127.0.0.1 (valid until 2126) and its key,
 * made for these tests only: no client trusts it, which is the point. */
static const char self_signed_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBkDCCATagAwIBAgIUSzGywJdeDMmYkGJXZeDj1fZ6q1swCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNTA2MTYxOVoYDzIxMjYxMTAx\n"
  "MDYxNjE5WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAReA16fU60E2oWilnQTHnv9LjFtDTYa0xjw/eo1UOH5rBLmxIn4cBds\n"
  "ziFotuN5nnFikSbImG8jxmPGj/+lcrDXo2QwYjAdBgNVHQ4EFgQUHWCLvYaMaIZ5\n"
  "Ysn9jNzwAc7jUx8wHwYDVR0jBBgwFoAUHWCLvYaMaIZ5Ysn9jNzwAc7jUx8wDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC\n"
  "IFcva7v9vvZdXQkw9uhYXYDZ2+hBJlujNo2mfsvyjNz+AiEAi4juzZs8H8UxrIh9\n"
  "FxSrRoxXp38ZAeH8oDoPOy/SgZ8=\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsZrUhDpHR0iuXves\n"
  "F5o5MXHIXWUBoFCXU3hBIkIY2fyhRANCAAReA16fU60E2oWilnQTHnv9LjFtDTYa\n"
  "0xjw/eo1UOH5rBLmxIn4cBdsziFotuN5nnFikSbImG8jxmPGj/+lcrDX\n"
  "-----END PRIVATE KEY-----\n";

static char *
listen_on_loopback (SoupServer              *soup,
                    SoupServerListenOptions  options,
                    const char              *scheme,
                    GError                 **error)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSList *uris;
  char *url = NULL;

  if (!soup_server_listen (soup, address, options, error))
    return NULL;

  /* One listener per scheme: find this one by its scheme. */
  uris = soup_server_get_uris (soup);
  for (GSList *l = uris; l != NULL && url == NULL; l = l->next)
    if (g_strcmp0 (g_uri_get_scheme (l->data), scheme) == 0)
      url = g_strdup_printf ("%s://127.0.0.1:%d", scheme, g_uri_get_port (l->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

/* Runs in the server thread on dp_test_server_free(). */
static gboolean
shutdown_cb (gpointer user_data)
{
  DpTestServer *self = user_data;

  /* Closing the listener and every connection finishes every message,
   * stalled and throttled ones included, so nothing waits on a client. */
  soup_server_disconnect (self->soup);

  /* Whatever did not finish that way (none expected) is dropped here so
   * that no timer outlives its record. */
  while (self->live != NULL)
    request_finish (self->live->data);

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer user_data)
{
  DpTestServer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;

  /* SoupServer and its sockets attach their sources to the thread-default
   * context at creation and listen time, so push ours first. */
  g_main_context_push_thread_default (self->context);

  self->soup = soup_server_new ("server-header", "dp-test-server ", NULL);
  soup_server_add_handler (self->soup, NULL, server_handler, self, NULL);

  certificate = g_tls_certificate_new_from_pem (self_signed_pem, -1, &error);
  if (certificate != NULL)
    soup_server_set_tls_certificate (self->soup, certificate);
  if (certificate == NULL ||
      (self->base_url = listen_on_loopback (self->soup, 0, "http", &error)) == NULL ||
      (self->https_base_url = listen_on_loopback (self->soup, SOUP_SERVER_LISTEN_HTTPS,
                                                  "https", &error)) == NULL)
    self->start_error = g_strdup (error->message);

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->start_error == NULL)
    g_main_loop_run (self->loop);

  g_clear_object (&self->soup);

  /* Teardown queues sources that hold message references (unpause and
   * close callbacks); let them run so nothing is left behind. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (self->context, FALSE); i++)
    ;

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* ---- public API ------------------------------------------------------- */

DpTestServer *
dp_test_server_new (void)
{
  DpTestServer *self = g_new0 (DpTestServer, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->sockets = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->fail_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->resets_done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->thread = g_thread_new ("dp-test-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  /* Tests cannot do anything useful without the server. */
  if (self->start_error != NULL)
    g_error ("dp-test-server: cannot listen on 127.0.0.1: %s", self->start_error);

  return self;
}

void
dp_test_server_free (DpTestServer *self)
{
  GSource *source;

  if (self == NULL)
    return;

  source = g_idle_source_new ();
  g_source_set_callback (source, shutdown_cb, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->fail_counts);
  g_hash_table_unref (self->resets_done);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_clear_pointer (&self->sockets, g_hash_table_unref);
  g_free (self->base_url);
  g_free (self->https_base_url);
  g_free (self->start_error);
  g_free (self);
}

char *
dp_test_server_url (DpTestServer *self,
                    const char   *path_and_query)
{
  return g_strconcat (self->base_url, path_and_query, NULL);
}

char *
dp_test_server_https_url (DpTestServer *server,
                          const char   *path_and_query)
{
  return g_strconcat (server->https_base_url, path_and_query, NULL);
}

guint
dp_test_server_get_requests (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->requests;
  g_mutex_unlock (&self->lock);
  return v;
}

guint
dp_test_server_get_connections (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = g_hash_table_size (self->sockets);
  g_mutex_unlock (&self->lock);
  return v;
}

guint
dp_test_server_get_range_requests (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->range_requests;
  g_mutex_unlock (&self->lock);
  return v;
}

guint
dp_test_server_get_range_requests_from_zero (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->range_requests_from_zero;
  g_mutex_unlock (&self->lock);
  return v;
}

guint
dp_test_server_get_partial_answers (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->partial_answers;
  g_mutex_unlock (&self->lock);
  return v;
}

guint64
dp_test_server_get_bytes_sent (DpTestServer *self)
{
  guint64 v;

  g_mutex_lock (&self->lock);
  v = self->bytes_sent;
  g_mutex_unlock (&self->lock);
  return v;
}

guint
dp_test_server_get_max_concurrent (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->max_in_flight;
  g_mutex_unlock (&self->lock);
  return v;
}

typedef struct
{
  DpTestServer *self;
  gboolean done;
} ResetCall;

static gboolean
reset_counters_cb (gpointer user_data)
{
  ResetCall *call = user_data;
  DpTestServer *self = call->self;

  g_mutex_lock (&self->lock);
  self->requests = 0;
  self->range_requests = 0;
  self->range_requests_from_zero = 0;
  self->partial_answers = 0;
  g_hash_table_remove_all (self->sockets);
  self->bytes_sent = 0;
  /* GETs still running keep counting against the new maximum. */
  self->max_in_flight = self->in_flight;
  call->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

void
dp_test_server_reset_counters (DpTestServer *self)
{
  ResetCall call = { self, FALSE };
  GSource *source;

  /* A client can have its whole response while the server thread is
   * still in the libsoup call that wrote the last bytes and will finish
   * the message; a reset done from here could count that message as
   * still in flight. Run from the server thread it comes after that call.
   * Default priority, not idle: busy sockets would starve an idle. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, reset_counters_cb, &call, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_mutex_lock (&self->lock);
  while (!call.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}
