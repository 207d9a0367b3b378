/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DpChecksum:
 *
 * An immutable value: a digest algorithm and the digest the user
 * expects, as lowercase hexadecimal. Made by dp_checksum_parse() from
 * the text of `--checksum=ALGO:HEX`; used to check a finished download
 * before it gets its final name.
 */
typedef struct _DpChecksum DpChecksum;

/**
 * DpDigestOrigin:
 * @DP_DIGEST_ORIGIN_NONE: the file was not checked
 * @DP_DIGEST_ORIGIN_USER: against the checksum the user gave
 * @DP_DIGEST_ORIGIN_METALINK: against the hash in the Metalink file
 * @DP_DIGEST_ORIGIN_SERVER: against the server's `Repr-Digest` or
 *   `Digest` header
 *
 * Where the digest a download was checked against came from. The
 * user's wins over the Metalink's, which wins over the server's.
 */
typedef enum
{
  DP_DIGEST_ORIGIN_NONE,
  DP_DIGEST_ORIGIN_USER,
  DP_DIGEST_ORIGIN_METALINK,
  DP_DIGEST_ORIGIN_SERVER,
} DpDigestOrigin;

/**
 * dp_checksum_parse:
 * @text: (nullable): what the user typed
 * @error: return location for a %DP_ERROR_INVALID_ARGUMENT error
 *
 * Accepts "sha256:HEX", "sha512:HEX", "sha1:HEX" and "md5:HEX". The
 * type is case-insensitive and may be written "sha-256" as well; the
 * digits are case-insensitive; white space around the whole text and
 * around the ":" is ignored ("SHA-256: ab12…" as download pages print it). A bare digest is accepted when its length names the type:
 * 32 digits are md5, 40 sha1, 64 sha256 and 128 sha512.
 *
 * Errors say what is wrong and what would be accepted, so they can be
 * shown to the user as they are.
 *
 * Returns: (transfer full) (nullable): the checksum, or %NULL on error
 */
DpChecksum *dp_checksum_parse (const char *text,
                               GError    **error);

/**
 * dp_checksum_type_from_name:
 * @name: (nullable): an algorithm's name as specifications and tools
 *   write it: "sha256", "SHA-256", "sha1", "md5", … (case-insensitive)
 * @length: its length in bytes, or -1 when it ends with a NUL
 * @type: (out): the algorithm
 *
 * Returns: %TRUE for sha256, sha512, sha1 and md5 under their usual names
 */
gboolean dp_checksum_type_from_name (const char    *name,
                                     gssize         length,
                                     GChecksumType *type);

/**
 * dp_checksum_new:
 * @type: sha256, sha512, sha1 or md5
 * @hex: (nullable): the digest as hexadecimal digits, of either case
 * @length: the length of @hex in bytes, or -1 when it ends with a NUL
 *
 * For digests that come from files and headers rather than from the
 * user: nothing but the digits of the right number is accepted, and
 * nothing is said about what is wrong.
 *
 * Returns: (transfer full) (nullable): the checksum, or %NULL when @hex
 *   is not a digest of @type
 */
DpChecksum *dp_checksum_new (GChecksumType  type,
                             const char    *hex,
                             gssize         length);

/**
 * dp_checksum_new_from_bytes:
 * @type: sha256, sha512, sha1 or md5
 * @digest: (array length=length) (nullable): the digest's bytes
 * @length: how many; must be the length of a @type digest
 *
 * Returns: (transfer full) (nullable): the checksum, or %NULL when
 *   @length does not fit @type
 */
DpChecksum *dp_checksum_new_from_bytes (GChecksumType  type,
                                        const guint8  *digest,
                                        gsize          length);

/**
 * dp_checksum_copy:
 * @self: (nullable): a checksum
 *
 * Returns: (transfer full) (nullable): an independent copy, or %NULL
 *   when @self is %NULL
 */
DpChecksum *dp_checksum_copy (const DpChecksum *self);

/**
 * dp_checksum_free:
 * @self: (nullable): a checksum
 */
void dp_checksum_free (DpChecksum *self);

/**
 * dp_checksum_get_algorithm:
 * @self: a checksum
 *
 * Returns: the digest algorithm
 */
GChecksumType dp_checksum_get_algorithm (const DpChecksum *self);

/**
 * dp_checksum_get_name:
 * @self: a checksum
 *
 * Returns: the canonical lowercase name: "sha256", "sha512", "sha1"
 *   or "md5"
 */
const char *dp_checksum_get_name (const DpChecksum *self);

/**
 * dp_checksum_get_expected:
 * @self: a checksum
 *
 * Returns: the expected digest, lowercase hexadecimal
 */
const char *dp_checksum_get_expected (const DpChecksum *self);

/**
 * dp_checksum_to_string:
 * @self: a checksum
 *
 * Returns: (transfer full): "NAME:HEX", which dp_checksum_parse()
 *   reads back as an equal checksum
 */
char *dp_checksum_to_string (const DpChecksum *self);

/**
 * dp_checksum_compute_fd:
 * @type: the digest algorithm
 * @fd: an open file descriptor, readable and seekable
 * @display_name: how to name the file in an error message
 * @cancellable: (nullable): checked between chunks
 * @error: return location for a %DP_ERROR_IO or %DP_ERROR_CANCELLED error
 *
 * Hashes the whole file, from offset 0 to its end, with pread() in
 * 1 MiB chunks, so the file position of @fd is left as it was.
 *
 * This blocks for as long as reading the file takes: call it from a
 * worker thread.
 *
 * Returns: (transfer full) (nullable): the lowercase hexadecimal
 *   digest, or %NULL on error
 */
char *dp_checksum_compute_fd (GChecksumType type,
                              int           fd,
                              const char   *display_name,
                              GCancellable *cancellable,
                              GError      **error);

/**
 * dp_checksum_verify_fd:
 * @self: the expected checksum
 * @fd: an open file descriptor, readable and seekable
 * @display_name: how to name the file in an error message
 * @cancellable: (nullable): checked between chunks
 * @error: return location for a %DP_ERROR_CHECKSUM, %DP_ERROR_IO or
 *   %DP_ERROR_CANCELLED error
 *
 * Hashes the file as dp_checksum_compute_fd() does and compares the
 * result with the expected digest. Blocking: call it from a worker
 * thread.
 *
 * Returns: %TRUE when the file matches
 */
gboolean dp_checksum_verify_fd (const DpChecksum *self,
                                int               fd,
                                const char       *display_name,
                                GCancellable     *cancellable,
                                GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpChecksum, dp_checksum_free)

G_END_DECLS
