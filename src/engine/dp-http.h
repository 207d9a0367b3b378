/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dp-request-private.h"

G_BEGIN_DECLS

/* How often a chain of redirects may bounce before Downpour gives up. */
#define DP_MAX_REDIRECTS 10

/**
 * dp_http_session_new:
 * @connections: how many requests may run at once
 * @timeout_s: seconds a connection may stay silent before it fails
 * @accept_invalid_certificates: go on when a TLS certificate fails
 *   verification (only ever on the user's explicit request)
 * @request: (transfer full) (nullable): what goes with the requests
 *   besides the address; dp_http_send() applies it to every hop
 *
 * A session for one download. libsoup's defaults (2 connections per
 * host) would silently serialise the segments, and its content decoder
 * would turn compressed bodies into bytes at the wrong offsets, so both
 * are set here. Create and use it from the same thread first; after
 * that, worker threads may send on it (libsoup ≥ 3.2).
 *
 * Returns: (transfer full): the session
 */
SoupSession  *dp_http_session_new          (guint           connections,
                                            guint           timeout_s,
                                            gboolean        accept_invalid_certificates,
                                            DpRequestState *request);
/* Whether a certificate that failed verification was let through. */
gboolean      dp_http_session_accepted_invalid_certificate (SoupSession *session);

/**
 * dp_http_message_new:
 * @method: "GET" or "HEAD"
 * @uri: the address
 * @range_start: first byte to ask for, or -1 for no Range header
 * @range_end: last byte (inclusive), or -1 for "to the end"
 * @if_range: (nullable): a validator for If-Range
 *
 * Returns: (transfer full): a message that asks for identity encoding,
 *   stays on HTTP/1.1 and does not follow redirects by itself
 */
SoupMessage  *dp_http_message_new          (const char *method,
                                            GUri       *uri,
                                            gint64      range_start,
                                            gint64      range_end,
                                            const char *if_range);

/**
 * dp_http_send:
 * @session: the session
 * @msg: (inout) (transfer full): the request; replaced by the message
 *   of the last hop when the server redirects
 * @allow_downgrade: whether an https:// address may redirect to http://
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error: a transport error as libsoup
 *   reports it (see dp_http_translate_error()), or a %DP_ERROR one
 *
 * Sends @msg and follows up to %DP_MAX_REDIRECTS redirects, only to
 * http:// and https:// addresses. The status is not checked.
 *
 * Returns: (transfer full) (nullable): the body stream of the final
 *   answer, or %NULL on a transport error
 */
GInputStream *dp_http_send                 (SoupSession   *session,
                                            SoupMessage  **msg,
                                            gboolean       allow_downgrade,
                                            GCancellable  *cancellable,
                                            GError       **error);

/* The mirrors (RFC 6249 `Link: <…>; rel=duplicate`) named by the answer
 * in @msg and by the redirects that led to it, best first: a
 * #GPtrArray of #DpDuplicateLink (dp-digest.h). */
GPtrArray    *dp_http_dup_duplicate_links  (SoupMessage   *msg);

/* Whether a status is worth another try later (408, 429, 5xx). */
/* Reads what is left of a small or finished body (up to 64 KiB) and
 * closes @stream, so that its connection can carry the next request.
 * A new connection costs a handshake, and on mirrors that cap each
 * connection differently it may well be a slow one. */
void          dp_http_finish               (GInputStream *stream,
                                            GCancellable *cancellable);
gboolean      dp_http_status_is_transient  (guint status);

/**
 * dp_http_status_to_error:
 * @msg: a message with a final, unsuccessful status
 *
 * Returns: (transfer full): a %DP_ERROR error whose message says what
 *   happened and what to do
 */
GError       *dp_http_status_to_error      (SoupMessage *msg);

/* Turns a GIO/TLS/resolver error into a %DP_ERROR one and consumes
 * @error; *@transient tells whether another try may help. A %DP_ERROR
 * error passes through unchanged (and is never transient). */
GError       *dp_http_translate_error      (GError   *error,
                                            gboolean *transient);

/**
 * dp_http_parse_url:
 * @text: what the user typed, pasted or passed
 * @error: return location for %DP_ERROR_INVALID_URL or
 *   %DP_ERROR_UNSUPPORTED_SCHEME
 *
 * Accepts absolute http:// and https:// addresses with a host, with
 * surrounding white space trimmed. The fragment is dropped: it never
 * reaches the server.
 *
 * Returns: (transfer full) (nullable): the parsed address
 */
GUri         *dp_http_parse_url            (const char  *text,
                                            GError     **error);

/* Whether two addresses have the same origin (scheme, host and port);
 * %FALSE when either does not parse. */
gboolean      dp_http_same_origin          (const char *a,
                                            const char *b);

/* The URI without user information, for messages and logs. */
char         *dp_http_uri_to_display       (GUri *uri);
/* @text with any "user:password@" before the host replaced by
 * @replacement, for addresses that may not even parse. */
char         *dp_http_replace_userinfo     (const char *text,
                                            const char *replacement);
/* The same, with "***@": for messages that quote an address. */
char         *dp_http_redact_address       (const char *text);

G_END_DECLS
