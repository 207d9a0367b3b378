/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "dp-error.h"
#include "dp-http.h"
#include "dp-digest.h"
#include "dp-request-private.h"

/* Kept on the session for its whole life; workers only touch the
 * atomic counter. */
typedef struct
{
  gboolean accept_invalid;
  gint accepted;
} TlsPolicy;

#define TLS_POLICY_KEY "dp-tls-policy"

/* libsoup's message for headers over its limit, in its own text domain
 * (a variable, so that Downpour's translators are not asked for it). */
static const char soup_header_too_big[] = "Header too big";

#define REQUEST_KEY "dp-request"
/* Duplicate links (mirrors) that redirects on the way named. */
#define DUPLICATES_KEY "dp-duplicates"

SoupSession *
dp_http_session_new (guint           connections,
                     guint           timeout_s,
                     gboolean        accept_invalid_certificates,
                     DpRequestState *request)
{
  SoupSession *session;
  TlsPolicy *policy;
  const char *user_agent = request != NULL ? dp_request_state_get_user_agent (request) : NULL;

  /* Both limits are construct-only. One spare connection lets a probe or
   * a retry open while every segment is busy. */
  session = soup_session_new_with_options ("max-conns", connections + 2,
                                           "max-conns-per-host", connections + 2,
                                           "timeout", timeout_s,
                                           "idle-timeout", 60,
                                           "user-agent", user_agent != NULL
                                                         ? user_agent
                                                         : PACKAGE_NAME "/" PACKAGE_VERSION " ",
                                           NULL);
  /* Compressed bodies have other offsets than the file; never decode. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);

  policy = g_new0 (TlsPolicy, 1);
  policy->accept_invalid = accept_invalid_certificates;
  g_object_set_data_full (G_OBJECT (session), TLS_POLICY_KEY, policy, g_free);
  if (request != NULL)
    g_object_set_data_full (G_OBJECT (session), REQUEST_KEY, request,
                            (GDestroyNotify) dp_request_state_free);
  return session;
}

gboolean
dp_http_session_accepted_invalid_certificate (SoupSession *session)
{
  TlsPolicy *policy = g_object_get_data (G_OBJECT (session), TLS_POLICY_KEY);

  return policy != NULL && g_atomic_int_get (&policy->accepted) != 0;
}

static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       TlsPolicy            *policy)
{
  g_atomic_int_set (&policy->accepted, 1);
  return TRUE;
}

#if !SOUP_CHECK_VERSION (3, 4, 0)
/* Emitted on the message that opens a connection, just before its TLS
 * handshake: offering only HTTP/1.1 there keeps the server from
 * choosing HTTP/2. */
static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  static const char * const http1[] = { "http/1.1", NULL };

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (connection), http1);
}
#endif

/* libsoup offers HTTP/2 over TLS and does an HTTP/2 connection's IO in
 * the thread that sent the request, but the probe's open body is read
 * by a worker. HTTP/1.1 keeps every body a plain read of a connection
 * of its own, and one worker to one connection, as mirrors' caps per
 * connection are why segments help. */
static void
keep_on_http1 (SoupMessage *msg)
{
#if SOUP_CHECK_VERSION (3, 4, 0)
  soup_message_set_force_http1 (msg, TRUE);
#else
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
#endif
}

SoupMessage *
dp_http_message_new (const char *method,
                     GUri       *uri,
                     gint64      range_start,
                     gint64      range_end,
                     const char *if_range)
{
  SoupMessage *msg = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_disable_feature (msg, SOUP_TYPE_CONTENT_DECODER);
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");
  keep_on_http1 (msg);

  if (range_start >= 0)
    {
      soup_message_headers_set_range (headers, range_start, range_end);
      if (if_range != NULL && *if_range != '\0')
        soup_message_headers_replace (headers, "If-Range", if_range);
    }

  return msg;
}

static gboolean
status_is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 ||
         status == 307 || status == 308;
}

GInputStream *
dp_http_send (SoupSession   *session,
              SoupMessage  **msg,
              gboolean       allow_downgrade,
              GCancellable  *cancellable,
              GError       **error)
{
  TlsPolicy *policy = g_object_get_data (G_OBJECT (session), TLS_POLICY_KEY);
  DpRequestState *request = g_object_get_data (G_OBJECT (session), REQUEST_KEY);

  for (guint hops = 0;; hops++)
    {
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GUri) target = NULL;
      g_autofree char *shown = NULL;
      SoupMessage *next;
      const char *location;
      const char *scheme;
      const char *method;
      guint status;

      /* Only the user's explicit choice gets past a bad certificate; the
       * policy lives as long as the session, which outlives the message. */
      if (policy != NULL && policy->accept_invalid)
        g_signal_connect (*msg, "accept-certificate", G_CALLBACK (on_accept_certificate), policy);
      /* What the user gave, for this hop's origin. */
      if (request != NULL)
        dp_request_state_prepare (request, *msg);

      stream = soup_session_send (session, *msg, cancellable, &local_error);
      if (stream == NULL)
        {
          /* Headers over libsoup's limit will be just as big next time:
           * that is the server's answer, not a network hiccup. libsoup
           * says so only in its (translated) message. */
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) &&
              (strcmp (local_error->message, soup_header_too_big) == 0 ||
               strcmp (local_error->message, g_dgettext ("libsoup-3.0", soup_header_too_big)) == 0))
            {
              g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                   _("The server sent more headers than Downpour accepts "
                                     "(over 64 KiB). The server is misconfigured."));
              return NULL;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      if (request != NULL)
        dp_request_state_answered (request, *msg);

      status = soup_message_get_status (*msg);
      if (!status_is_redirect (status))
        return g_steal_pointer (&stream);

      location = soup_message_headers_get_one (soup_message_get_response_headers (*msg),
                                               "Location");
      if (location == NULL)
        return g_steal_pointer (&stream);

      dp_http_finish (stream, cancellable);

      if (hops >= DP_MAX_REDIRECTS)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_TOO_MANY_REDIRECTS,
                       _("The server redirected more than %d times. The address may be wrong."),
                       DP_MAX_REDIRECTS);
          return NULL;
        }

      target = g_uri_parse_relative (soup_message_get_uri (*msg), location,
                                     SOUP_HTTP_URI_FLAGS, NULL);
      scheme = target ? g_uri_get_scheme (target) : NULL;
      if (target == NULL || scheme == NULL ||
          (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) ||
          g_uri_get_host (target) == NULL || *g_uri_get_host (target) == '\0')
        {
          g_set_error (error, DP_ERROR, DP_ERROR_TOO_MANY_REDIRECTS,
                       _("The server redirected to an address Downpour cannot follow."));
          return NULL;
        }

      if (!allow_downgrade &&
          g_ascii_strcasecmp (g_uri_get_scheme (soup_message_get_uri (*msg)), "https") == 0 &&
          g_ascii_strcasecmp (scheme, "http") == 0)
        {
          shown = dp_http_uri_to_display (target);
          g_set_error (error, DP_ERROR, DP_ERROR_INSECURE_REDIRECT,
                       _("The server redirected from a secure address to an insecure one (%s). "
                         "Downpour refused to follow."), shown);
          return NULL;
        }

      /* 303 turns anything but HEAD into GET; 301/302 traditionally do
       * too for POST, which Downpour never sends. */
      method = soup_message_get_method (*msg);
      next = soup_message_new_from_uri (method, target);
      soup_message_add_flags (next, SOUP_MESSAGE_NO_REDIRECT);
      soup_message_disable_feature (next, SOUP_TYPE_CONTENT_DECODER);
      keep_on_http1 (next);
      {
        SoupMessageHeaders *from = soup_message_get_request_headers (*msg);
        SoupMessageHeaders *to = soup_message_get_request_headers (next);
        SoupMessageHeadersIter iter;
        const char *name, *value;

        soup_message_headers_iter_init (&iter, from);
        while (soup_message_headers_iter_next (&iter, &name, &value))
          {
            /* Never carry credentials to another origin: another port
             * or scheme on the same host may be another service. */
            if (g_ascii_strcasecmp (name, "Authorization") == 0 &&
                !dp_request_same_origin (target, soup_message_get_uri (*msg)))
              continue;
            /* Set again for the next hop, if it may have them. */
            if (request != NULL && dp_request_state_sets_header (request, name))
              continue;
            soup_message_headers_append (to, name, value);
          }
      }

      /* Mirrors a redirecting server names (RFC 6249: MirrorBrain sends
       * them with its redirect) stay with the message that follows. */
      {
        GPtrArray *links = dp_http_dup_duplicate_links (*msg);

        if (links->len > 0)
          g_object_set_data_full (G_OBJECT (next), DUPLICATES_KEY, links,
                                  (GDestroyNotify) g_ptr_array_unref);
        else
          g_ptr_array_unref (links);
      }
      g_object_unref (*msg);
      *msg = next;
    }
}

GPtrArray *
dp_http_dup_duplicate_links (SoupMessage *msg)
{
  GPtrArray *earlier = g_object_get_data (G_OBJECT (msg), DUPLICATES_KEY);
  const char *value = soup_message_headers_get_list (soup_message_get_response_headers (msg), "Link");
  GPtrArray *links = value != NULL ? dp_link_parse_duplicates (value, soup_message_get_uri (msg))
                                   : g_ptr_array_new_with_free_func ((GDestroyNotify) dp_duplicate_link_free);

  if (earlier != NULL)
    for (guint i = 0; i < earlier->len; i++)
      {
        const DpDuplicateLink *link = g_ptr_array_index (earlier, i);
        DpDuplicateLink *copy = g_new0 (DpDuplicateLink, 1);

        copy->url = g_strdup (link->url);
        copy->priority = link->priority;
        g_ptr_array_add (links, copy);
      }
  return links;
}

gboolean
dp_http_same_origin (const char *a,
                     const char *b)
{
  g_autoptr(GUri) first = dp_http_parse_url (a, NULL);
  g_autoptr(GUri) second = dp_http_parse_url (b, NULL);

  return first != NULL && second != NULL && dp_request_same_origin (first, second);
}

void
dp_http_finish (GInputStream *stream,
                GCancellable *cancellable)
{
  guint8 scratch[4096];
  gsize left = 64 * 1024;

  /* libsoup hands a connection back for the next request only once the
   * body has been read to its end; closing earlier drops it. Read, never
   * g_input_stream_skip(): libsoup 3.2's chunked decoder crashes when a
   * body is skipped. A body with more than 64 KiB left is not worth
   * reading just to keep its connection. */
  while (left > 0)
    {
      gssize n = g_input_stream_read (stream, scratch, MIN (sizeof scratch, left),
                                      cancellable, NULL);

      if (n <= 0)
        break;
      left -= (gsize) n;
    }
  g_input_stream_close (stream, NULL, NULL);
}

gboolean
dp_http_status_is_transient (guint status)
{
  return status == 408 || status == 425 || status == 429 ||
         (status >= 500 && status <= 599 && status != 501 && status != 505);
}

GError *
dp_http_status_to_error (SoupMessage *msg)
{
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  if (reason == NULL)
    reason = "";

  switch (status)
    {
    case 404:
    case 410:
      return g_error_new (DP_ERROR, DP_ERROR_NOT_FOUND,
                          _("The server does not have this file (%u %s). Check the address."),
                          status, reason);
    case 401:
      if (dp_request_login_is_elsewhere (msg))
        {
          g_autofree char *host = g_strdup (g_uri_get_host (soup_message_get_uri (msg)));

          return g_error_new (DP_ERROR, DP_ERROR_FORBIDDEN,
                              _("The address leads to %s, which wants a login (%u %s). "
                                "Downpour gives a login only to the address's own server."),
                              host, status, reason);
        }
      if (dp_request_login_was_refused (msg))
        return g_error_new (DP_ERROR, DP_ERROR_LOGIN,
                            _("The server did not accept the user name or password (%u %s)."),
                            status, reason);
      return g_error_new (DP_ERROR, DP_ERROR_LOGIN,
                          _("The server wants a login for this file (%u %s)."),
                          status, reason);
    case 407:
      return g_error_new (DP_ERROR, DP_ERROR_FORBIDDEN,
                          _("The proxy wants a login (%u %s)."),
                          status, reason);
    case 403:
      return g_error_new (DP_ERROR, DP_ERROR_FORBIDDEN,
                          _("The server refused access to this file (%u %s). "
                            "The link may have expired."),
                          status, reason);
    case 416:
      return g_error_new (DP_ERROR, DP_ERROR_CHANGED,
                          _("The server cannot send the requested part of the file (%u %s). "
                            "The file may have changed on the server."),
                          status, reason);
    default:
      if (dp_http_status_is_transient (status))
        return g_error_new (DP_ERROR, DP_ERROR_HTTP,
                            _("The server is not available right now (%u %s). Try again later."),
                            status, reason);
      return g_error_new (DP_ERROR, DP_ERROR_HTTP,
                          _("The server answered with an error (%u %s)."),
                          status, reason);
    }
}

GError *
dp_http_translate_error (GError   *error,
                         gboolean *transient)
{
  GError *ret;
  gboolean again = FALSE;

  if (error->domain == DP_ERROR)
    {
      if (transient)
        *transient = FALSE;
      return error;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ret = g_error_new_literal (DP_ERROR, DP_ERROR_CANCELLED, _("The download was cancelled."));
  else if (error->domain == G_TLS_ERROR ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    ret = g_error_new (DP_ERROR, DP_ERROR_TLS,
                       _("The secure connection failed: %s. The server's certificate may be "
                         "invalid, or someone may be intercepting the connection."),
                       error->message);
  else if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    ret = g_error_new (DP_ERROR, DP_ERROR_NETWORK,
                       _("Could not find the server: %s. Check the address and your connection."),
                       error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    ret = g_error_new (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                       _("The server sent damaged compressed data: %s."), error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      ret = g_error_new (DP_ERROR, DP_ERROR_NETWORK,
                         _("The server stopped sending data (timed out)."));
      again = TRUE;
    }
  else
    {
      ret = g_error_new (DP_ERROR, DP_ERROR_NETWORK,
                         _("The connection failed: %s."), error->message);
      again = TRUE;
    }

  if (transient)
    *transient = again;
  g_error_free (error);
  return ret;
}

char *
dp_http_uri_to_display (GUri *uri)
{
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS);
}

/* The '@' that ends a login in the authority starting at @authority:
 * the last one before the path, as host names have none. */
static const char *
find_login_end (const char *authority)
{
  const char *end = authority + strcspn (authority, "/?#");
  const char *at = NULL;

  for (const char *p = authority; p < end; p++)
    if (*p == '@')
      at = p;
  return at;
}

char *
dp_http_replace_userinfo (const char *text,
                          const char *replacement)
{
  const char *authority = strstr (text, "://");
  const char *at;

  /* By text, not through GUri: it must work on addresses that do not
   * parse, and must not re-encode the rest of the address. */
  if (authority == NULL)
    return g_strdup (text);
  authority += 3;
  at = find_login_end (authority);
  if (at == NULL)
    return g_strdup (text);

  return g_strdup_printf ("%.*s%s%s", (int) (authority - text), text, replacement, at + 1);
}

char *
dp_http_redact_address (const char *text)
{
  const char *at;

  if (strstr (text, "://") != NULL)
    return dp_http_replace_userinfo (text, "***@");

  /* Without "scheme://" it is a guess, but "user:pw@host/file" pasted
   * without its scheme still holds a password. */
  at = find_login_end (text);
  if (at == NULL)
    return g_strdup (text);
  return g_strconcat ("***", at, NULL);
}

/* Whether @text starts with "scheme:" (RFC 3986 §3.1). Unlike
 * g_uri_peek_scheme() it interns nothing: GLib keeps interned strings
 * forever, and typed or pasted text must not grow memory. */
static gboolean
has_scheme (const char *text)
{
  const char *p = text;

  if (!g_ascii_isalpha (*p))
    return FALSE;
  while (g_ascii_isalnum (*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  return *p == ':';
}

/* Host names as resolvers take them: letters, digits, '-', '.', '_',
 * and non-ASCII letters of internationalised names. */
static gboolean
host_is_valid (const char *host)
{
  if (g_hostname_is_ip_address (host))
    return TRUE;
  for (const char *p = host; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c < 0x80 && !g_ascii_isalnum (c) && c != '-' && c != '.' && c != '_')
        return FALSE;
    }
  return TRUE;
}

GUri *
dp_http_parse_url (const char  *text,
                   GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  const char *host;

  if (text == NULL || *(trimmed = g_strstrip (g_strdup (text))) == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_URL,
                           _("The address is empty."));
      return NULL;
    }

  if (!g_utf8_validate (trimmed, -1, NULL))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_URL,
                           _("The address contains invalid characters."));
      return NULL;
    }

  /* Messages quote the address, but never a password in it. */
  shown = dp_http_redact_address (trimmed);

  if (!has_scheme (trimmed))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_URL,
                   _("“%s” is not a complete address. It must start with http:// or https://."),
                   shown);
      return NULL;
    }

  /* Addresses copied from documents often carry raw spaces in the path;
   * browsers send them as %20, and so does Downpour. */
  if (strchr (trimmed, ' ') != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (trimmed, " ", -1);
      g_free (trimmed);
      trimmed = g_strjoinv ("%20", parts);
    }

  uri = g_uri_parse (trimmed, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_URL,
                   _("“%s” is not a valid address: %s"), shown, local_error->message);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_UNSUPPORTED_SCHEME,
                   _("Downpour cannot download “%s:” addresses; use http:// or https://."),
                   scheme);
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_URL,
                   _("The address “%s” has no server name."), shown);
      return NULL;
    }
  if (!host_is_valid (host))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_URL,
                   _("“%s” is not a valid server name."), host);
      return NULL;
    }

  if (g_uri_get_fragment (uri) != NULL)
    {
      GUri *bare = soup_uri_copy (uri, SOUP_URI_FRAGMENT, NULL, SOUP_URI_NONE);

      g_uri_unref (uri);
      uri = bare;
    }

  return g_steal_pointer (&uri);
}
