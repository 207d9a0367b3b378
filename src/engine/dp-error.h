/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DP_ERROR (dp_error_quark ())

/**
 * DpError:
 * @DP_ERROR_INVALID_URL: the address could not be parsed
 * @DP_ERROR_UNSUPPORTED_SCHEME: not an http:// or https:// address
 * @DP_ERROR_NOT_FOUND: the server does not have the file (404, 410)
 * @DP_ERROR_FORBIDDEN: the server refuses access (403), or a proxy
 *   wants a login (407)
 * @DP_ERROR_HTTP: any other HTTP status that is not worth retrying
 * @DP_ERROR_NETWORK: the network failed, and retrying did not help
 * @DP_ERROR_TLS: the server's identity could not be verified
 * @DP_ERROR_BAD_RESPONSE: the server answered something unusable
 *   (wrong Content-Range, an error page instead of the file, …)
 * @DP_ERROR_CHANGED: the file changed on the server during the download
 * @DP_ERROR_IO: reading or writing the local file failed
 * @DP_ERROR_NO_SPACE: the disk is full, or the file is larger than
 *   the file system allows
 * @DP_ERROR_EXISTS: the target cannot be used (for example a folder
 *   that does not exist)
 * @DP_ERROR_TOO_MANY_REDIRECTS: the server redirected too often or to
 *   a place Downpour will not follow
 * @DP_ERROR_CHECKSUM: the downloaded file does not match its checksum
 * @DP_ERROR_CANCELLED: the download was cancelled
 * @DP_ERROR_INVALID_ARGUMENT: a caller passed a value out of range
 * @DP_ERROR_INSECURE_REDIRECT: an https:// address redirected to plain
 *   http://; #DpDownload:allow-insecure-redirects lets it through
 * @DP_ERROR_BUSY: another download (in this process or another one) is
 *   saving to the same file right now
 * @DP_ERROR_LOGIN: the server wants a login (401), or did not accept
 *   the one given; a front end may ask for one and try again
 *
 * Error codes in the %DP_ERROR domain. Front ends switch on these to
 * decide what to offer (retry, pick another folder, …).
 */
typedef enum
{
  DP_ERROR_INVALID_URL,
  DP_ERROR_UNSUPPORTED_SCHEME,
  DP_ERROR_NOT_FOUND,
  DP_ERROR_FORBIDDEN,
  DP_ERROR_HTTP,
  DP_ERROR_NETWORK,
  DP_ERROR_TLS,
  DP_ERROR_BAD_RESPONSE,
  DP_ERROR_CHANGED,
  DP_ERROR_IO,
  DP_ERROR_NO_SPACE,
  DP_ERROR_EXISTS,
  DP_ERROR_TOO_MANY_REDIRECTS,
  DP_ERROR_CHECKSUM,
  DP_ERROR_CANCELLED,
  DP_ERROR_INVALID_ARGUMENT,
  DP_ERROR_INSECURE_REDIRECT,
  DP_ERROR_BUSY,
  DP_ERROR_LOGIN,
} DpError;

GQuark dp_error_quark (void);

G_END_DECLS
