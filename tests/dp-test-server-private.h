/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared between the server's machinery (dp-test-server.c: thread,
 * counters, log, body streaming) and its misbehaviours
 * (dp-test-server-faults.c: everything the URL's query decides). */

#include <libsoup/soup.h>

#include "dp-test-server.h"

G_BEGIN_DECLS

/* Body bytes handed to libsoup at a time. Small enough that a 256 MiB
 * body never sits in memory, large enough to keep loopback fast. */
#define DP_TEST_CHUNK_SIZE (64 * 1024)

/* What damage=K does to each byte it covers. */
#define DP_TEST_DAMAGE_XOR 0x5A

/* A document added with dp_test_server_add_document(). */
typedef struct
{
  char *content_type;
  GBytes *data;
} DpTestDocument;

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
  gboolean stopped;     /* dp_test_server_stop() was done; under @lock */
  char *start_error;

  /* Counters and the log: written by the server thread, read by the
   * tests' threads, always under @lock. */
  guint requests;
  guint range_requests;
  guint range_requests_from_zero;
  guint partial_answers;
  guint signatures;
  GHashTable *sockets;  /* every client connection seen, held -> its number */
  guint64 bytes_sent;
  guint in_flight;
  guint max_in_flight;
  GPtrArray *log;       /* DpTestRequest, oldest first */
  GHashTable *documents; /* path -> DpTestDocument, added by any thread */

  /* Only touched in the server thread. */
  GHashTable *path_counts;  /* "KIND PATH" -> GUINT_TO_POINTER (count) */
  GHashTable *once_done;    /* "KIND ..." keys of one-shot faults already used */
  GHashTable *gzip_cache;   /* "SEED SIZE" -> GBytes of the gzip representation */
  GHashTable *digest_cache; /* "ALGORITHM SEED SIZE" -> base64 digest */
  GList *live;              /* DpTestGet records of unfinished GETs */
};

typedef enum
{
  DP_TEST_STOP_NONE,
  DP_TEST_STOP_STALL,
  DP_TEST_STOP_RESET,
} DpTestStop;

/* One per GET, from the handler until the message finishes (or its
 * connection is torn down on purpose). The fault logic fills in what
 * to send; the machinery streams it. */
typedef struct
{
  DpTestServer *self;
  SoupServerMessage *msg;  /* strong ref; dropped in _dp_test_get_finish() */

  /* The body is @prefix, then @body_len minus both framings of data,
   * then @suffix. The data are content bytes from @offset on, taken
   * from @data when set (a transformed representation; zeros past its
   * end) and from the generator for @seed otherwise. */
  guint64 seed;
  guint64 offset;
  GBytes *data;
  GBytes *prefix;
  GBytes *suffix;
  guint64 body_len;

  /* damage=K: generated content bytes at offsets [@damage_start,
   * @damage_end) go out XORed with DP_TEST_DAMAGE_XOR; never applied to
   * @data. Empty (both 0) for an intact body. */
  guint64 damage_start;
  guint64 damage_end;

  guint64 limit;           /* stall/reset point, in body bytes */
  DpTestStop stop;
  guint64 rate;            /* bytes per second, 0 = unthrottled */
  guint64 fast_bytes;      /* sent unthrottled before @rate applies */
  gsize chunk_size;        /* piece size once throttled */

  /* Streaming state, only for the machinery. */
  guint64 appended;        /* body bytes given to libsoup so far */
  gint64 throttle_start_us;
  GSource *timer;          /* rate delay or reset poll, if any */
  guint reset_ticks;
} DpTestGet;

/* dp-test-server.c */
void     _dp_test_get_stream               (DpTestGet    *get);
void     _dp_test_server_count_partial     (DpTestServer *self);
void     _dp_test_server_count_signature   (DpTestServer *self);
guint    _dp_test_server_get_in_flight     (DpTestServer *self);
gboolean _dp_test_parse_single_range       (const char   *value,
                                            gint64       *first,
                                            gint64       *last);
/* The document added for @path, or NULL; @content_type is set to a copy
 * of its type. Free the result with g_bytes_unref(). */
GBytes  *_dp_test_server_dup_document      (DpTestServer *self,
                                            const char   *path,
                                            char        **content_type);
/* Answers nothing: @msg is paused at once, and its connection taken
 * from libsoup and closed as soon as the handler has returned, as by a
 * server that went away. @get (NULL but for GET) is ended here. */
void     _dp_test_server_drop              (DpTestServer      *self,
                                            DpTestGet         *get,
                                            SoupServerMessage *msg);

/* dp-test-server-faults.c: answers one request; @get is NULL except
 * for GET. The Range header has already been taken out of the request
 * headers and is passed as @range. */
void     _dp_test_server_handle            (DpTestServer      *self,
                                            DpTestGet         *get,
                                            SoupServerMessage *msg,
                                            const char        *path,
                                            GHashTable        *query,
                                            const char        *range);

G_END_DECLS
