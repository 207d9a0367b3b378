/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-checksum.h"

G_BEGIN_DECLS

/*
 * A reader of Metalink documents: RFC 5854 Metalink 4 (.meta4,
 * application/metalink4+xml) and the older Metalink 3.0 (.metalink,
 * application/metalink+xml). It takes untrusted text from arbitrary
 * servers: any byte string is accepted without crashing, and the work
 * done is bounded by the limits below.
 */

/* Documents larger than this are refused. */
#define DP_METALINK_MAX_SIZE (4 * 1024 * 1024)

/**
 * DpMetalinkUrl:
 * @url: an absolute http:// or https:// address
 * @priority: 1 is best; a Metalink 3.0 preference P (1–100, 100 best)
 *   maps to 101 - P; none given is 999999
 *
 * One address a file can be downloaded from.
 */
typedef struct
{
  char *url;
  guint priority;
} DpMetalinkUrl;

/**
 * DpMetalinkFile:
 * @name: (nullable): the file name as given, or %NULL; it may contain
 *   "/" and anything else: front ends sanitise it
 * @size: the size in bytes, or -1 when not given
 * @urls: (element-type DpMetalinkUrl): the http(s) addresses, never
 *   empty, sorted by priority (document order among equals), without
 *   duplicates, at most 64
 * @checksum: (nullable): the strongest whole-file hash given: sha-512,
 *   else sha-256, else sha-1, else md5; %NULL when none is usable
 * @piece_type: the digest of the pieces (sha-256, sha-512 or sha-1);
 *   meaningful only when @pieces is not empty
 * @piece_length: bytes per piece (the last one may be shorter), or 0
 *   when there are no usable pieces
 * @pieces: (element-type utf8): the lowercase hexadecimal digests of
 *   the pieces, in order; empty when there are none. When not empty,
 *   @size is known and there are exactly ceil(@size / @piece_length).
 *
 * One file of a Metalink document, as far as Downpour can use it.
 */
typedef struct
{
  char *name;
  gint64 size;
  GPtrArray *urls;
  DpChecksum *checksum;
  GChecksumType piece_type;
  gint64 piece_length;
  GPtrArray *pieces;
} DpMetalinkFile;

/**
 * dp_metalink_parse:
 * @data: the document
 * @length: the length of @data in bytes, or -1 when it is
 *   NUL-terminated
 * @error: return location for a %DP_ERROR_BAD_RESPONSE error
 *
 * Parses a Metalink 4 or 3.0 document with GMarkup. Elements are
 * matched on their local name (a namespace prefix such as "ml:" is
 * ignored, and so is the namespace itself); unknown elements are
 * skipped with everything inside them, and so are <metaurl>, Metalink
 * 3.0 "bittorrent" addresses and addresses of other schemes.
 *
 * Per file: the first 64 distinct usable addresses count (a duplicate
 * keeps the better of its priorities); a hash counts only when its type
 * is known and its digits are right for that type; pieces count only
 * when they are complete (a sha-1, sha-256 or sha-512 digest for every
 * piece of the known size, in order), sha-256 preferred over sha-512
 * over sha-1. A file whose size is not a plain decimal number, or that
 * has no usable address, is left out.
 *
 * The document is refused when it is larger than
 * %DP_METALINK_MAX_SIZE, is not well-formed UTF-8 XML, is nested more
 * than 64 elements deep, is not a Metalink, lists more than 1024 files,
 * or has no file left. The text of one element counts only up to
 * 64 KiB; a longer value is treated as invalid.
 *
 * Errors say what is wrong with the document, so that they can be shown
 * to the user as they are.
 *
 * Returns: (transfer full) (nullable) (element-type DpMetalinkFile):
 *   the files, in document order, at least one; the array frees them.
 *   %NULL on error.
 */
GPtrArray *dp_metalink_parse (const char *data,
                              gssize      length,
                              GError    **error);

/**
 * dp_metalink_file_free:
 * @file: (nullable): a file from dp_metalink_parse()
 */
void dp_metalink_file_free (DpMetalinkFile *file);

DpMetalinkFile *dp_metalink_file_copy (const DpMetalinkFile *file);

/**
 * dp_metalink_is_content_type:
 * @content_type: (nullable): a Content-Type header value
 *
 * Returns: %TRUE when the media type is application/metalink4+xml or
 *   application/metalink+xml (case-insensitive, parameters allowed)
 */
gboolean dp_metalink_is_content_type (const char *content_type);

/**
 * dp_metalink_is_name:
 * @path_or_url: (nullable): a local path or an address
 *
 * Returns: %TRUE when the last segment of the path, before any "?" or
 *   "#", ends in ".meta4" or ".metalink" (case-insensitive); an
 *   address without a path has no segment
 */
gboolean dp_metalink_is_name (const char *path_or_url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpMetalinkFile, dp_metalink_file_free)

G_END_DECLS
