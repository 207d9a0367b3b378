/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Parsers for the HTTP header values the engine acts on. They take
 * untrusted text from arbitrary servers: every function accepts any
 * byte string (including NULL) without crashing and rejects anything
 * that is not exactly well formed.
 */

/**
 * dp_parse_content_range:
 * @value: (nullable): a Content-Range header value, e.g. "bytes 0-99/1000"
 * @start: (out): first byte
 * @end: (out): last byte, inclusive
 * @total: (out): complete length, or -1 when the server sent "*"
 *
 * Parses a single byte range as sent with 206 Partial Content
 * (RFC 9110 §14.4). Rejects other units, "bytes * /N" (that belongs to
 * 416), end < start, end >= total, numbers that overflow gint64,
 * signs, and trailing garbage.
 *
 * Returns: %TRUE when @value is a valid satisfied byte range
 */
gboolean dp_parse_content_range (const char *value,
                                 gint64     *start,
                                 gint64     *end,
                                 gint64     *total);

/**
 * dp_parse_content_disposition_filename:
 * @value: (nullable): a Content-Disposition header value
 *
 * Extracts the file name from a Content-Disposition value
 * (RFC 6266): `filename*` (RFC 8187/5987 ext-value, UTF-8 or
 * ISO-8859-1, percent-decoded) is preferred over `filename`
 * (token or quoted-string with backslash escapes). The result is not
 * sanitised; pass it through dp_sanitize_filename().
 *
 * Returns: (transfer full) (nullable): the name as valid UTF-8, or
 *   %NULL when there is none or the value is malformed
 */
char *dp_parse_content_disposition_filename (const char *value);

/**
 * dp_parse_retry_after:
 * @value: (nullable): a Retry-After header value
 * @now_unix: the current time in seconds since the epoch
 *
 * Accepts delay-seconds or an HTTP-date (IMF-fixdate, and the obsolete
 * RFC 850 and asctime forms).
 *
 * Returns: the delay in seconds (0 for a date in the past), clamped
 *   to one day, or -1 when @value is missing or malformed
 */
gint64 dp_parse_retry_after (const char *value,
                             gint64      now_unix);

G_END_DECLS
