/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The test server's machinery: its thread, counters, request log and
 * body streaming. What to answer is decided in dp-test-server-faults.c. */
#include "dp-test-server-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* How long a reset waits for the bytes before it to reach the client:
 * RESET_TICK_MS per poll of the send queue, at most RESET_MAX_TICKS. */
#define RESET_TICK_MS 5
#define RESET_MAX_TICKS 40

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

/* A checksum of content bytes [offset, offset + len), generated a chunk
 * at a time so that no big file sits in memory. */
static GChecksum *
content_checksum (GChecksumType type,
                  guint64       seed,
                  guint64       offset,
                  guint64       len)
{
  GChecksum *sum = g_checksum_new (type);
  g_autofree guint8 *buf = g_malloc (DP_TEST_CHUNK_SIZE);
  guint64 done = 0;

  while (done < len)
    {
      gsize n = (gsize) MIN ((guint64) DP_TEST_CHUNK_SIZE, len - done);

      dp_test_content_fill (seed, offset + done, buf, n);
      g_checksum_update (sum, buf, n);
      done += n;
    }

  return sum;
}

char *
dp_test_content_sha256 (guint64 seed,
                        guint64 size)
{
  return dp_test_content_hex (G_CHECKSUM_SHA256, seed, 0, size);
}

char *
dp_test_content_hex (GChecksumType type,
                     guint64       seed,
                     guint64       offset,
                     guint64       len)
{
  g_autoptr(GChecksum) sum = content_checksum (type, seed, offset, len);

  /* GChecksum's hex is lowercase already. */
  return g_strdup (g_checksum_get_string (sum));
}

char *
dp_test_content_digest_base64 (const char *algorithm,
                               guint64     seed,
                               guint64     size)
{
  g_autoptr(GChecksum) sum = NULL;
  GChecksumType type;
  guint8 digest[64];
  gsize digest_len = sizeof digest;

  if (g_strcmp0 (algorithm, "sha-256") == 0)
    type = G_CHECKSUM_SHA256;
  else if (g_strcmp0 (algorithm, "sha-512") == 0)
    type = G_CHECKSUM_SHA512;
  else
    return NULL;

  sum = content_checksum (type, seed, 0, size);
  g_checksum_get_digest (sum, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
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
  buf = g_malloc (DP_TEST_CHUNK_SIZE);
  for (;;)
    {
      ssize_t n = read (fd, buf, DP_TEST_CHUNK_SIZE);

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


/* ---- counters --------------------------------------------------------- */

/* Returns the number of the request's connection. */
static guint
count_request (DpTestServer      *self,
               SoupServerMessage *msg,
               const char        *range)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  guint number = 0;

  g_mutex_lock (&self->lock);
  /* Held, so that a closed connection's address is never reused for
   * a new one and counted once. */
  if (socket != NULL)
    {
      number = GPOINTER_TO_UINT (g_hash_table_lookup (self->sockets, socket));
      if (number == 0)
        {
          number = g_hash_table_size (self->sockets) + 1;
          g_hash_table_insert (self->sockets, g_object_ref (socket), GUINT_TO_POINTER (number));
        }
    }
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

  return number;
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

void
_dp_test_server_count_partial (DpTestServer *self)
{
  g_mutex_lock (&self->lock);
  self->partial_answers++;
  g_mutex_unlock (&self->lock);
}

void
_dp_test_server_count_signature (DpTestServer *self)
{
  g_mutex_lock (&self->lock);
  self->signatures++;
  g_mutex_unlock (&self->lock);
}

guint
_dp_test_server_get_in_flight (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->in_flight;
  g_mutex_unlock (&self->lock);
  return v;
}

/* ---- the request log -------------------------------------------------- */

void
dp_test_request_free (DpTestRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->range);
  g_free (request->if_range);
  g_free (request->authorization);
  g_free (request->accept_encoding);
  g_free (request->cookie);
  g_free (request->user_agent);
  g_free (request->referer);
  g_free (request->headers);
  g_free (request->http_version);
  g_free (request);
}

static DpTestRequest *
dp_test_request_copy (const DpTestRequest *request)
{
  DpTestRequest *copy = g_memdup2 (request, sizeof *request);

  copy->method = g_strdup (request->method);
  copy->path = g_strdup (request->path);
  copy->query = g_strdup (request->query);
  copy->range = g_strdup (request->range);
  copy->if_range = g_strdup (request->if_range);
  copy->authorization = g_strdup (request->authorization);
  copy->accept_encoding = g_strdup (request->accept_encoding);
  copy->cookie = g_strdup (request->cookie);
  copy->user_agent = g_strdup (request->user_agent);
  copy->referer = g_strdup (request->referer);
  copy->headers = g_strdup (request->headers);
  copy->http_version = g_strdup (request->http_version);
  return copy;
}

/* Taken before the handler runs, while the request's headers are still
 * as the client sent them (the Range header is removed from them). */
static DpTestRequest *
log_entry_new (SoupServerMessage *msg,
               const char        *path)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  DpTestRequest *entry = g_new0 (DpTestRequest, 1);
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  entry->time_us = g_get_monotonic_time ();
  entry->method = g_strdup (soup_server_message_get_method (msg));
  entry->path = g_strdup (path);
  entry->query = g_strdup (query);
  entry->range = g_strdup (soup_message_headers_get_one (h, "Range"));
  entry->if_range = g_strdup (soup_message_headers_get_one (h, "If-Range"));
  entry->authorization = g_strdup (soup_message_headers_get_one (h, "Authorization"));
  entry->accept_encoding = g_strdup (soup_message_headers_get_one (h, "Accept-Encoding"));
  entry->cookie = g_strdup (soup_message_headers_get_one (h, "Cookie"));
  entry->user_agent = g_strdup (soup_message_headers_get_one (h, "User-Agent"));
  entry->referer = g_strdup (soup_message_headers_get_one (h, "Referer"));
  {
    GString *all = g_string_new (NULL);
    SoupMessageHeadersIter iter;
    const char *name, *value;

    soup_message_headers_iter_init (&iter, h);
    while (soup_message_headers_iter_next (&iter, &name, &value))
      g_string_append_printf (all, "%s: %s\n", name, value);
    entry->headers = g_string_free (all, FALSE);
  }
  switch (soup_server_message_get_http_version (msg))
    {
    case SOUP_HTTP_1_0:
      entry->http_version = g_strdup ("HTTP/1.0");
      break;
    case SOUP_HTTP_1_1:
      entry->http_version = g_strdup ("HTTP/1.1");
      break;
    case SOUP_HTTP_2_0:
      entry->http_version = g_strdup ("HTTP/2");
      break;
    default:
      entry->http_version = g_strdup ("unknown");
      break;
    }
  return entry;
}

/* Shared with the fault logic, which needs the same reading of
 * "bytes=0-" for unknowntotal=probe. */
gboolean
_dp_test_parse_single_range (const char *value,
                             gint64     *first,
                             gint64     *last)
{
  const char *p = value;
  char *end;
  gint64 a, b = -1;

  if (value == NULL)
    return FALSE;

  while (*p == ' ' || *p == '\t')
    p++;
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return FALSE;
  p += 5;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != '=')
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;

  /* g_ascii_strtoll() would take a sign or leading blanks: only digits
   * are a first-byte-pos. */
  if (!g_ascii_isdigit (*p))
    return FALSE;
  errno = 0;
  a = g_ascii_strtoll (p, &end, 10);
  if (errno != 0)
    return FALSE;
  p = end;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != '-')
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (g_ascii_isdigit (*p))
    {
      errno = 0;
      b = g_ascii_strtoll (p, &end, 10);
      if (errno != 0 || b < a)
        return FALSE;
      p = end;
    }
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0')
    return FALSE;

  if (first != NULL)
    *first = a;
  if (last != NULL)
    *last = b;
  return TRUE;
}

gboolean
dp_test_request_get_range (const DpTestRequest *request,
                           gint64              *first,
                           gint64              *last)
{
  return _dp_test_parse_single_range (request->range, first, last);
}

/* ---- documents -------------------------------------------------------- */

static void
document_free (DpTestDocument *doc)
{
  g_free (doc->content_type);
  g_bytes_unref (doc->data);
  g_free (doc);
}

GBytes *
_dp_test_server_dup_document (DpTestServer *self,
                              const char   *path,
                              char        **content_type)
{
  DpTestDocument *doc;
  GBytes *data = NULL;

  g_mutex_lock (&self->lock);
  doc = g_hash_table_lookup (self->documents, path);
  if (doc != NULL)
    {
      data = g_bytes_ref (doc->data);
      *content_type = g_strdup (doc->content_type);
    }
  g_mutex_unlock (&self->lock);

  return data;
}

/* ---- per-GET records -------------------------------------------------- */

static void
get_clear_timer (DpTestGet *get)
{
  if (get->timer != NULL)
    {
      g_source_destroy (get->timer);
      g_clear_pointer (&get->timer, g_source_unref);
    }
}

static void
get_set_timer (DpTestGet   *get,
               guint        ms,
               GSourceFunc  func)
{
  get_clear_timer (get);
  get->timer = g_timeout_source_new (ms);
  g_source_set_callback (get->timer, func, get, NULL);
  g_source_attach (get->timer, get->self->context);
}

/* Ends the tracking of a GET: called when the message finishes, when
 * its connection is stolen for a reset, and for leftovers at shutdown. */
static void
get_finish (DpTestGet *get)
{
  DpTestServer *self = get->self;

  get_clear_timer (get);
  g_signal_handlers_disconnect_by_data (get->msg, get);
  self->live = g_list_remove (self->live, get);

  g_mutex_lock (&self->lock);
  self->in_flight--;
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&get->data, g_bytes_unref);
  g_clear_pointer (&get->prefix, g_bytes_unref);
  g_clear_pointer (&get->suffix, g_bytes_unref);
  g_object_unref (get->msg);
  g_free (get);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  get_finish (user_data);
}

static DpTestGet *
get_new (DpTestServer      *self,
         SoupServerMessage *msg)
{
  DpTestGet *get = g_new0 (DpTestGet, 1);

  get->self = self;
  get->msg = g_object_ref (msg);
  self->live = g_list_prepend (self->live, get);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), get);

  g_mutex_lock (&self->lock);
  self->in_flight++;
  self->max_in_flight = MAX (self->max_in_flight, self->in_flight);
  g_mutex_unlock (&self->lock);

  return get;
}

/* ---- body streaming --------------------------------------------------- */

/* Data bytes [pos, pos + n) of the representation. */
static void
fill_data (DpTestGet *get,
           guint64    pos,
           guint8    *buf,
           gsize      n)
{
  gsize have, k = 0;
  const guint8 *data;

  if (get->data == NULL)
    {
      guint64 from = MAX (pos, get->damage_start);
      guint64 to = MIN (pos + n, get->damage_end);

      dp_test_content_fill (get->seed, pos, buf, n);
      /* damage=K: the part of the damaged span that falls in here. */
      for (guint64 i = from; i < to; i++)
        buf[i - pos] ^= DP_TEST_DAMAGE_XOR;
      return;
    }

  /* Only long=K reads past the end of a stored representation. */
  data = g_bytes_get_data (get->data, &have);
  if (pos < have)
    {
      k = (gsize) MIN ((guint64) n, have - pos);
      memcpy (buf, data + pos, k);
    }
  memset (buf + k, 0, n - k);
}

/* Body bytes [pos, pos + n): framing prefix, data, framing suffix. */
static void
fill_body (DpTestGet *get,
           guint64    pos,
           guint8    *buf,
           gsize      n)
{
  gsize prefix_len = get->prefix != NULL ? g_bytes_get_size (get->prefix) : 0;
  gsize suffix_len = get->suffix != NULL ? g_bytes_get_size (get->suffix) : 0;
  guint64 data_end = get->body_len - suffix_len;

  while (n > 0)
    {
      gsize k;

      if (pos < prefix_len)
        {
          k = (gsize) MIN ((guint64) n, prefix_len - pos);
          memcpy (buf, (const guint8 *) g_bytes_get_data (get->prefix, NULL) + pos, k);
        }
      else if (pos < data_end)
        {
          k = (gsize) MIN ((guint64) n, data_end - pos);
          fill_data (get, get->offset + (pos - prefix_len), buf, k);
        }
      else
        {
          k = (gsize) MIN ((guint64) n, get->body_len - pos);
          g_assert (k > 0);
          memcpy (buf, (const guint8 *) g_bytes_get_data (get->suffix, NULL) + (pos - data_end), k);
        }
      buf += k;
      pos += k;
      n -= k;
    }
}

/* Appends the next chunk, never past the stall/reset point, and closes
 * the body once everything is queued (needed for chunked encoding). */
static void
stream_append (DpTestGet *get)
{
  SoupMessageBody *body = soup_server_message_get_response_body (get->msg);
  guint64 stop_at = MIN (get->limit, get->body_len);
  guint64 piece = DP_TEST_CHUNK_SIZE;
  gsize n;

  /* The fast start of a throttled body ends exactly at @fast_bytes, so
   * that the throttled part starts where the fault says. */
  if (get->appended < get->fast_bytes)
    piece = MIN (piece, get->fast_bytes - get->appended);
  else if (get->rate > 0)
    piece = get->chunk_size;
  n = (gsize) MIN (piece, stop_at - get->appended);

  if (n > 0)
    {
      guint8 *buf = g_malloc (n);

      fill_body (get, get->appended, buf, n);
      soup_message_body_append_take (body, buf, n);
      get->appended += n;
      count_body_bytes (get->self, n);
    }

  if (get->appended == get->body_len)
    soup_message_body_complete (body);
}

static gboolean
stream_timer_cb (gpointer user_data)
{
  DpTestGet *get = user_data;

  get_clear_timer (get);
  stream_append (get);
  /* libsoup paused the message itself when it ran out of body. */
  soup_server_message_unpause (get->msg);
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
  DpTestGet *get = user_data;
  g_autoptr(SoupServerMessage) msg = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GIOStream) stream = NULL;
  GSocket *msg_sock;
  struct linger lg = { 1, 0 };

  msg_sock = soup_server_message_get_socket (get->msg);

  /* An RST throws away whatever the kernel has not delivered yet, so let
   * the bytes before the reset point drain first; give up waiting after
   * a while, as a peer that stopped reading would never drain them. */
  if (msg_sock != NULL &&
      get->reset_ticks++ < RESET_MAX_TICKS &&
      socket_unsent (msg_sock) > 0)
    return G_SOURCE_CONTINUE;

  msg = g_object_ref (get->msg);
  if (msg_sock != NULL)
    sock = g_object_ref (msg_sock);

  /* A stolen message never emits "finished", so end the record here. */
  get_finish (get);

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

static gboolean
drop_cb (gpointer user_data)
{
  SoupServerMessage *msg = user_data;
  GSocket *msg_sock = soup_server_message_get_socket (msg);
  g_autoptr(GSocket) sock = msg_sock != NULL ? g_object_ref (msg_sock) : NULL;
  g_autoptr(GIOStream) stream = NULL;

  /* As for a reset, but an orderly close (FIN): no byte of an answer was
   * ever sent, so there is nothing to throw away. */
  stream = soup_server_message_steal_connection (msg);
  if (sock != NULL)
    g_socket_close (sock, NULL);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);

  return G_SOURCE_REMOVE;
}

void
_dp_test_server_drop (DpTestServer      *self,
                      DpTestGet         *get,
                      SoupServerMessage *msg)
{
  GSource *source;

  /* Paused with no status, libsoup writes nothing and waits; the log
   * records the status 0. The connection cannot be stolen from inside
   * the handler, as libsoup still works on the message after it
   * returns, so that is done from a source of high priority: it runs
   * before any I/O of default priority, a shutdown or a stop. */
  soup_server_message_pause (msg);
  if (get != NULL)
    get_finish (get);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, drop_cb, g_object_ref (msg), g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Called whenever libsoup has written everything appended so far. */
static void
stream_pump (DpTestGet *get)
{
  if (get->appended == get->body_len)
    return;

  if (get->appended >= get->limit)
    {
      /* Stall: append nothing more; libsoup pauses the message and keeps
       * the connection until the server is freed. */
      if (get->stop == DP_TEST_STOP_RESET && get->timer == NULL)
        get_set_timer (get, RESET_TICK_MS, reset_tick_cb);
      return;
    }

  if (get->rate > 0 && get->appended >= get->fast_bytes)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 due;

      /* The schedule starts with the first throttled piece, which goes
       * out at once; each later one waits for its share of time. */
      if (get->throttle_start_us == 0)
        get->throttle_start_us = now;
      due = get->throttle_start_us +
            (gint64) ((get->appended - get->fast_bytes) * G_USEC_PER_SEC / get->rate);
      if (due > now)
        {
          get_set_timer (get, (guint) ((due - now + 999) / 1000), stream_timer_cb);
          return;
        }
    }

  stream_append (get);
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
  DpTestGet *get = user_data;

  /* With a stop at byte 0 no chunk is ever written, so "wrote-chunk"
   * never comes; start the stop from here instead. */
  if (get->appended == 0)
    stream_pump (get);
}

/* Starts streaming the body the fault logic set up in @get. */
void
_dp_test_get_stream (DpTestGet *get)
{
  SoupMessageBody *body = soup_server_message_get_response_body (get->msg);

  if (get->chunk_size == 0)
    get->chunk_size = DP_TEST_CHUNK_SIZE;
  if (get->rate > 0 && get->fast_bytes == 0)
    get->throttle_start_us = g_get_monotonic_time ();

  /* libsoup must not keep what it wrote, or a big body would pile up in
   * memory; this also keeps its own Range handling away from the body. */
  soup_message_body_set_accumulate (body, FALSE);

  g_signal_connect (get->msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), get);
  g_signal_connect (get->msg, "wrote-headers", G_CALLBACK (on_wrote_headers), get);

  /* The first chunk goes out with the headers; the rest follow as libsoup
   * reports each one written. An empty body is completed right here. */
  if (get->limit > 0)
    stream_append (get);
}

/* ---- the handler ------------------------------------------------------ */

static void
server_handler (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  DpTestServer *self = user_data;
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  g_autofree char *range = g_strdup (soup_message_headers_get_one (req_headers, "Range"));
  DpTestRequest *entry = log_entry_new (msg, path);
  DpTestGet *get = NULL;

  entry->connection = count_request (self, msg, range);
  if (strcmp (soup_server_message_get_method (msg), "GET") == 0)
    get = get_new (self, msg);

  /* libsoup answers a 200 whose body it holds whole with a 206 of its
   * own making when the request has a Range header. Every 206 here is
   * made by hand, and a 200 must stay a 200 (norange, html, If-Range),
   * so libsoup must never see the header. */
  soup_message_headers_remove (req_headers, "Range");

  _dp_test_server_handle (self, get, msg, path, query, range);

  /* Every answer is decided before the handler returns (bodies are
   * streamed, but their status is set), and nothing has been written
   * yet, so the entry is in the log before the client can see any of
   * the response. */
  entry->status = soup_server_message_get_status (msg);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->log, entry);
  g_mutex_unlock (&self->lock);
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
    get_finish (self->live->data);

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  DpTestServer *self;
  gboolean done;
} ServerCall;

/* Runs in the server thread on dp_test_server_stop(). */
static gboolean
stop_cb (gpointer user_data)
{
  ServerCall *call = user_data;
  DpTestServer *self = call->self;

  /* The listeners go, so the kernel refuses new connections, and so do
   * the connections libsoup has, idle ones included; those taken from
   * it (reset, goneafter) were closed when they were taken. The loop
   * keeps running for the log, the counters and the final free. */
  soup_server_disconnect (self->soup);
  while (self->live != NULL)
    get_finish (self->live->data);

  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  call->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

/* Runs @func (a ServerCall callback) in the server thread and waits
 * until it has set done. Default priority, not idle: busy sockets would
 * starve an idle. */
static void
run_in_server (DpTestServer *self,
               GSourceFunc   func)
{
  ServerCall call = { self, FALSE };
  GSource *source;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, &call, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_mutex_lock (&self->lock);
  while (!call.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
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
  self->log = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_test_request_free);
  self->path_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->once_done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->gzip_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_bytes_unref);
  self->digest_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) document_free);

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
  g_hash_table_unref (self->path_counts);
  g_hash_table_unref (self->once_done);
  g_hash_table_unref (self->gzip_cache);
  g_hash_table_unref (self->digest_cache);
  g_hash_table_unref (self->documents);
  g_ptr_array_unref (self->log);
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

guint
dp_test_server_get_signatures (DpTestServer *self)
{
  guint v;

  g_mutex_lock (&self->lock);
  v = self->signatures;
  g_mutex_unlock (&self->lock);
  return v;
}

GPtrArray *
dp_test_server_dup_log (DpTestServer *self)
{
  GPtrArray *copy;

  g_mutex_lock (&self->lock);
  copy = g_ptr_array_new_full (self->log->len, (GDestroyNotify) dp_test_request_free);
  for (guint i = 0; i < self->log->len; i++)
    g_ptr_array_add (copy, dp_test_request_copy (self->log->pdata[i]));
  g_mutex_unlock (&self->lock);

  return copy;
}

static gboolean
reset_counters_cb (gpointer user_data)
{
  ServerCall *call = user_data;
  DpTestServer *self = call->self;

  g_mutex_lock (&self->lock);
  self->requests = 0;
  self->range_requests = 0;
  self->range_requests_from_zero = 0;
  self->partial_answers = 0;
  self->signatures = 0;
  /* Connections are numbered from 1 again, as in a fresh log. */
  g_hash_table_remove_all (self->sockets);
  g_ptr_array_set_size (self->log, 0);
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
  /* A client can have its whole response while the server thread is
   * still in the libsoup call that wrote the last bytes and will finish
   * the message; a reset done from here could count that message as
   * still in flight. Run from the server thread it comes after that call. */
  run_in_server (self, reset_counters_cb);
}

void
dp_test_server_stop (DpTestServer *self)
{
  gboolean stopped;

  g_mutex_lock (&self->lock);
  stopped = self->stopped;
  g_mutex_unlock (&self->lock);

  if (!stopped)
    run_in_server (self, stop_cb);
}

void
dp_test_server_add_document (DpTestServer *self,
                             const char   *path,
                             const char   *content_type,
                             const char   *data,
                             gssize        length)
{
  DpTestDocument *doc;

  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (data != NULL || length <= 0);

  doc = g_new0 (DpTestDocument, 1);
  if (length < 0)
    length = data != NULL ? (gssize) strlen (data) : 0;
  doc->content_type = g_strdup (content_type != NULL ? content_type : "application/octet-stream");
  doc->data = g_bytes_new (data, (gsize) length);

  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->documents, g_strdup (path), doc);
  g_mutex_unlock (&self->lock);
}
