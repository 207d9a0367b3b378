/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The browser extension's messages, as native messaging frames them: a
 * 32-bit length in the machine's byte order, then that many bytes of
 * UTF-8 JSON. A download handed over is one object:
 *
 *   {"url": "https://…", "referrer": "https://…", "cookies": "a=b; c=d",
 *    "userAgent": "…", "filename": "…"}
 *
 * "url" is required; the others may be missing or null. Members of
 * other names are skipped whatever their value, so that a newer
 * extension can talk to an older host. GLib only: the host is small and
 * starts for every download.
 */

/* The largest message the host reads; anything longer is refused
 * before it is read. */
#define DP_HOST_MAX_MESSAGE (1024 * 1024)
/* The longest of each field, in bytes. */
#define DP_HOST_MAX_URL (32 * 1024)
#define DP_HOST_MAX_COOKIES (64 * 1024)
#define DP_HOST_MAX_USER_AGENT 1024
#define DP_HOST_MAX_FILENAME 1024

typedef enum
{
  DP_HOST_ERROR_FRAMING,   /* a length out of bounds, or the stream ended inside a message */
  DP_HOST_ERROR_JSON,      /* not JSON, or not an object */
  DP_HOST_ERROR_INVALID,   /* JSON, but not a download Downpour takes */
} DpHostError;

#define DP_HOST_ERROR (dp_host_error_quark ())
GQuark dp_host_error_quark (void);

typedef struct
{
  char *url;
  char *referrer;    /* NULL when not given */
  char *cookies;
  char *user_agent;
  char *filename;
} DpHostDownload;

void            dp_host_download_free   (DpHostDownload *download);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpHostDownload, dp_host_download_free)

/**
 * dp_host_read_message:
 * @stream: where the browser writes
 * @error: %DP_HOST_ERROR_FRAMING, or an I/O error
 *
 * Returns: (transfer full) (nullable): the next message's bytes; %NULL
 *   with no error at the end of the stream between two messages
 */
GBytes         *dp_host_read_message    (GInputStream  *stream,
                                         GCancellable  *cancellable,
                                         GError       **error);

/* Frames @json and writes it whole. */
gboolean        dp_host_write_message   (GOutputStream  *stream,
                                         const char     *json,
                                         GCancellable   *cancellable,
                                         GError        **error);

/**
 * dp_host_parse_download:
 * @json: a message's bytes (not NUL-terminated)
 *
 * Parses and checks a message: JSON (RFC 8259) whose top level is an
 * object; the known members strings (or null); the address an absolute
 * http:// or https:// one with a host; the referrer the same when
 * given; no control characters anywhere; each field within its bound.
 * The message that says what is wrong names the field, never its value.
 *
 * Returns: (transfer full) (nullable): the download
 */
DpHostDownload *dp_host_parse_download  (const char  *json,
                                         gsize        length,
                                         GError     **error);

/* The answer to the extension: {"ok":true}, or {"ok":false,"error":…}
 * when @error_message is not %NULL. */
char           *dp_host_reply           (const char  *error_message);

/* @text as a JSON string literal, quotes included. */
char           *dp_host_json_quote      (const char  *text);

G_END_DECLS
