/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dp-checksum.h"

G_BEGIN_DECLS

/*
 * What a server says about the file beyond its bytes: the digest of the
 * whole representation (Repr-Digest, RFC 9530, or the older Digest,
 * RFC 3230) and the mirrors that serve the same file (Link with
 * rel=duplicate, RFC 6249). Every function takes untrusted text from
 * arbitrary servers: it accepts any byte string (including NULL)
 * without crashing, does work linear in the length of the input, and
 * ignores what it does not understand.
 */

/**
 * DP_DIGEST_WANT_REPR:
 *
 * The Want-Repr-Digest value a probe sends (RFC 9530 §4, where 10 is
 * the most and 1 the least preferred): SHA-256, which servers are most
 * likely to have, or else SHA-512. When an answer holds both, the
 * parsers below still take SHA-512.
 */
#define DP_DIGEST_WANT_REPR "sha-256=10, sha-512=3"

/**
 * dp_digest_parse_repr:
 * @value: (nullable): a Repr-Digest header value, lines combined with ", "
 *
 * Reads an RFC 9530 Repr-Digest: a Structured Fields Dictionary
 * (RFC 8941) whose members are byte sequences (`:BASE64:`) keyed by
 * algorithm, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`.
 *
 * Only "sha-512" and "sha-256" are used, SHA-512 when both are usable;
 * other algorithms (md5, sha, unixsum, crc32c, …) are ignored. Member
 * parameters are allowed and ignored. A member whose value is not a
 * byte sequence, whose base64 is not well formed (misplaced or wrong
 * padding, non-zero pad bits; missing padding is accepted as RFC 8941
 * §4.2.7 asks) or whose digest has the wrong length for its algorithm
 * is ignored. Of a key that repeats, the last member counts, as
 * RFC 8941 §4.2.2 has it, even when only an earlier one was usable.
 *
 * A value that is not a Dictionary by the parsing rules of RFC 8941
 * (keys `[a-z*][a-z0-9_.*-]*`, OWS around commas, no trailing comma, a
 * byte sequence holding only base64 characters, nothing after the
 * last member) gives %NULL as a whole.
 *
 * Returns: (transfer full) (nullable): the digest as a checksum, or
 *   %NULL when the value is missing, malformed or holds nothing usable
 */
DpChecksum *dp_digest_parse_repr (const char *value);

/**
 * dp_digest_parse_legacy:
 * @value: (nullable): a Digest header value, lines combined with ", "
 *
 * Reads an RFC 3230 Digest: comma-separated `algorithm=base64` instance
 * digests, e.g. `SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=`.
 * Algorithm names are case-insensitive; the digest may be a token or a
 * quoted string. The same algorithms (RFC 5843's SHA-256 and SHA-512;
 * not "SHA", which is SHA-1), preference and length rules as
 * dp_digest_parse_repr() apply, and of a repeated algorithm the last
 * one counts. An element that does not parse is skipped up to the next
 * comma; the others still count.
 *
 * Returns: (transfer full) (nullable): the digest as a checksum, or
 *   %NULL when nothing usable was found
 */
DpChecksum *dp_digest_parse_legacy (const char *value);

/**
 * dp_digest_from_headers:
 * @headers: (nullable): the headers of an answer
 *
 * The digest of the whole file as the server states it: Repr-Digest
 * when it gives a usable one, else Digest. Content-Digest is never
 * used: it covers the content of this one message, e.g. a single
 * range. Repeated header lines are combined.
 *
 * Returns: (transfer full) (nullable): the digest as a checksum, or
 *   %NULL when the headers hold nothing usable
 */
DpChecksum *dp_digest_from_headers (SoupMessageHeaders *headers);

/**
 * DpDuplicateLink:
 * @url: an absolute http:// or https:// address, without fragment
 * @priority: the "pri" parameter (RFC 6249), 1 is best; 999999 when
 *   it was absent or not a number from 1 to 999999
 *
 * A mirror of the file, as a Link header with rel=duplicate names it.
 */
typedef struct
{
  char *url;
  guint priority;
} DpDuplicateLink;

/**
 * dp_duplicate_link_free:
 * @link: (nullable): a link
 */
void dp_duplicate_link_free (DpDuplicateLink *link);

/**
 * dp_link_parse_duplicates:
 * @value: (nullable): a Link header value (RFC 8288), lines combined
 *   with ", "
 * @base: (nullable): the address of the answer, against which
 *   relative targets are resolved; without it only absolute targets
 *   count
 *
 * Finds the links with the relation type "duplicate" (the "rel"
 * parameter is a space-separated list, token or quoted string,
 * compared case-insensitively; only its first occurrence counts), as
 * MirrorBrain and RFC 6249 serve them:
 * `<http://m1/f.iso>; rel=duplicate; pri=1; geo=de`. Commas and
 * semicolons inside `<…>` and inside quoted strings are part of them.
 * A link with an "anchor" parameter that does not name @base describes
 * another resource and is skipped; so is a link that does not parse,
 * up to the next comma.
 *
 * Targets are resolved against @base; only http and https addresses
 * with a host are kept, without their fragment and with the host in
 * lowercase. @base itself is left out, and an address that repeats
 * keeps the place of its first occurrence with the best priority of
 * all. The result is sorted by priority, stably, and holds at most 64
 * links, the best ones. A value longer than 64 KiB is ignored whole.
 *
 * Returns: (transfer full) (element-type DpDuplicateLink): the
 *   mirrors, possibly none; the array frees its elements
 */
GPtrArray *dp_link_parse_duplicates (const char *value,
                                     GUri       *base);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpDuplicateLink, dp_duplicate_link_free)

G_END_DECLS
