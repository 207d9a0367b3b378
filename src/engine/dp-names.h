/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DP_NAME_MAX 255

/**
 * dp_sanitize_filename:
 * @name: (nullable): a proposed file name from an untrusted source
 *
 * Turns @name into a single safe path component: invalid UTF-8 is
 * repaired, path separators ('/' and '\\') become '_', control
 * characters (U+0000–U+001F, U+007F–U+009F) are dropped, leading dots
 * and spaces and trailing dots and spaces are removed (no hidden files,
 * no "." or ".."), and the result is cut to at most %DP_NAME_MAX bytes
 * on a character boundary, keeping a short extension where possible.
 *
 * Returns: (transfer full) (nullable): the safe name, or %NULL when
 *   nothing usable is left
 */
char *dp_sanitize_filename (const char *name);

/**
 * dp_filename_from_url:
 * @url: (nullable): an absolute URL
 *
 * Returns: (transfer full) (nullable): the last non-empty segment of
 *   the URL's path, percent-decoded and sanitised, or %NULL
 */
char *dp_filename_from_url (const char *url);

/**
 * dp_derive_filename:
 * @content_disposition: (nullable): the server's Content-Disposition
 * @final_url: (nullable): the URL after redirects
 *
 * Picks the name to save under: the Content-Disposition file name
 * (only its last path segment, after the last '/' or '\\', as RFC 6266
 * section 4.3 asks), else the URL's, else "download". Always sanitised.
 *
 * Returns: (transfer full): a safe, non-empty file name
 */
char *dp_derive_filename (const char *content_disposition,
                          const char *final_url);

/**
 * dp_numbered_filename:
 * @name: a safe file name, e.g. "disk.iso" or "archive.tar.gz"
 * @n: the number to insert, at least 1
 *
 * Returns: (transfer full): "disk (n).iso", "archive (n).tar.gz",
 *   "README (n)", at most %DP_NAME_MAX bytes
 */
char *dp_numbered_filename (const char *name,
                            guint       n);

G_END_DECLS
