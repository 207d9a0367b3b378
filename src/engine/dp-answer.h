/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * What an answer to a GET says about the bytes in its body, in every
 * form RFC 9110 allows for a single range: a 206 with Content-Range (a
 * known or unknown total), a 206 in a multipart/byteranges body of one
 * part, a 200 with the whole representation, a 416 for an empty one.
 * The caller decides whether those bytes are the ones it asked for.
 */

typedef enum
{
  DP_ANSWER_PARTIAL,  /* 206: the body is [start, end) of the representation */
  DP_ANSWER_WHOLE,    /* 200: the body is the whole representation */
  DP_ANSWER_EMPTY,    /* 416 "bytes * /0": the representation is empty */
  DP_ANSWER_STATUS,   /* any other status: not a body of the file */
} DpAnswerKind;

typedef struct
{
  DpAnswerKind kind;
  gint64 start;          /* offset of the first body byte (0 for WHOLE) */
  gint64 end;            /* offset after the last body byte, or -1 until the body ends */
  gint64 total;          /* the representation's length, or -1 if the answer does not say */
  char *encoding;        /* the content coding of the bytes, NULL for identity */
  char *etag;            /* as sent, NULL if none */
  char *last_modified;   /* as sent, NULL if none */
  gboolean last_modified_strong;  /* RFC 9110 §8.8.2.2: a minute older than the answer */
  GInputStream *stream;  /* the body from its first byte of the file (multipart framing gone) */
} DpAnswer;

/**
 * dp_answer_read:
 * @answer: (out caller-allocates): filled in; clear with dp_answer_clear()
 * @msg: the message whose headers arrived
 * @body: (transfer none): its body stream
 * @cancellable: (nullable): for reading a multipart preamble
 * @error: %DP_ERROR_BAD_RESPONSE when a 206 cannot be understood
 *
 * Returns: whether @answer could be filled in
 */
gboolean  dp_answer_read                (DpAnswer      *answer,
                                         SoupMessage   *msg,
                                         GInputStream  *body,
                                         GCancellable  *cancellable,
                                         GError       **error);
void      dp_answer_clear               (DpAnswer      *answer);

/**
 * dp_answer_open_part:
 * @body: a multipart/byteranges body
 * @boundary: its boundary
 * @start: (out): offset of the part's first byte
 * @end: (out): offset after its last byte
 * @total: (out): the representation's length, or -1
 * @part: (out) (transfer full): @body from the part's first data byte
 * @cancellable: (nullable): a #GCancellable
 * @error: %DP_ERROR_BAD_RESPONSE for a part that cannot be understood
 *
 * Reads the preamble and the headers of the first part (at most 8 KiB
 * in all). A single range was asked for, so a second part is never read.
 */
gboolean  dp_answer_open_part           (GInputStream  *body,
                                         const char    *boundary,
                                         gint64        *start,
                                         gint64        *end,
                                         gint64        *total,
                                         GInputStream **part,
                                         GCancellable  *cancellable,
                                         GError       **error);

/* The validator an If-Range may carry: a strong ETag, else a strong
 * Last-Modified date, else NULL (RFC 9110 §13.1.5). */
const char *dp_answer_get_strong_validator (const DpAnswer *answer);

/* Whether an ETag is strong: a weak one (W/"…") never matches under the
 * strong comparison that "same file" decisions need. */
gboolean  dp_etag_is_strong             (const char *etag);

/* Whether @msg's Last-Modified is strong: at least 60 s before its Date. */
gboolean  dp_last_modified_is_strong    (SoupMessageHeaders *headers);

/* The content coding of a response, lower case, or NULL for identity. */
char     *dp_answer_dup_encoding        (SoupMessageHeaders *headers);

/* Whether Downpour can decode @encoding itself, and with which zlib
 * format (gzip, x-gzip, deflate). */
gboolean  dp_encoding_get_zlib_format   (const char            *encoding,
                                         GZlibCompressorFormat *format);

/* Whether a file named @name is itself in @encoding (a .tar.gz served
 * as "gzip"): its bytes are then saved as they come. */
gboolean  dp_encoding_is_the_file       (const char *encoding,
                                         const char *name);

G_END_DECLS
