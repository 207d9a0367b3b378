/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DpRequest:
 *
 * What a download sends besides its address: extra headers, a user
 * agent, a referrer, cookies and a login. Front ends fill one in from
 * what the user gave (each adder checks its input and says what is
 * wrong), then hand it to dp_download_set_request(); the download
 * works from a copy taken when it starts.
 *
 * Where each part goes, on every request of the download (probe,
 * ranges, retries, and the new links fetched when one expires):
 * - the user agent goes to every server; the referrer as given to the
 *   address's origin, and elsewhere as a browser sends it by default
 *   (only its origin, and nothing from https:// to http://);
 * - extra headers only to the origin (scheme, host and port) of the
 *   download's address, never to another one after a redirect;
 * - cookies by the cookie rules: those given as "a=b; c=d" belong to
 *   the address's host, those from a cookies.txt file to the domains it
 *   names; cookies the servers set on the way are kept for the
 *   download's own later requests;
 * - the login only in answer to a 401 from the address's origin
 *   (Basic or Digest, whichever the server asks for).
 *
 * None of it is ever written to the engine's state file, a message or
 * a log. (A front end that keeps it to resume after a restart says so.)
 */
typedef struct _DpRequest DpRequest;

/* Bounds on what a request may carry. */
#define DP_REQUEST_MAX_HEADERS 64
#define DP_REQUEST_MAX_HEADER_LENGTH 8192
#define DP_REQUEST_MAX_COOKIES 500
#define DP_REQUEST_MAX_FILE_COOKIES 10000
#define DP_REQUEST_MAX_COOKIE_FILE_SIZE (16 * 1024 * 1024)

#define DP_TYPE_REQUEST (dp_request_get_type ())
GType       dp_request_get_type          (void) G_GNUC_CONST;

DpRequest  *dp_request_new               (void);
DpRequest  *dp_request_copy              (const DpRequest *self);
void        dp_request_free              (DpRequest *self);
/* Whether nothing was given: the download sends what it always does. */
gboolean    dp_request_is_empty          (const DpRequest *self);

/**
 * dp_request_add_header:
 * @line: "Name: value", as curl's and wget's --header take it
 * @error: return location for a %DP_ERROR_INVALID_ARGUMENT error
 *
 * "User-Agent", "Referer" and "Cookie" are taken as the user agent,
 * the referrer and cookies. Headers that Downpour must set itself to
 * get the file's bytes right (Range, If-Range, Accept-Encoding, Host,
 * the framing ones) are refused with a message that says so.
 */
gboolean    dp_request_add_header        (DpRequest   *self,
                                          const char  *line,
                                          GError     **error);
/* The extra headers as "Name: value" lines, in the order given. */
const char * const *dp_request_get_headers (const DpRequest *self);

gboolean    dp_request_set_user_agent    (DpRequest   *self,
                                          const char  *user_agent,
                                          GError     **error);
const char *dp_request_get_user_agent    (const DpRequest *self);
/* An absolute http:// or https:// address (the page a link was on). */
gboolean    dp_request_set_referrer      (DpRequest   *self,
                                          const char  *referrer,
                                          GError     **error);
const char *dp_request_get_referrer      (const DpRequest *self);

/**
 * dp_request_add_cookies:
 * @cookies: "name=value" pairs separated by ";", as a Cookie header
 *   or a browser's cookie list has them
 *
 * A cookie given again replaces the earlier one of that name.
 */
gboolean    dp_request_add_cookies       (DpRequest   *self,
                                          const char  *cookies,
                                          GError     **error);
/* The cookies given as text, as one "a=b; c=d" string, or NULL. */
char       *dp_request_dup_cookies       (const DpRequest *self);

/**
 * dp_request_load_cookie_file:
 * @path: a cookies.txt file in the Netscape format browsers' exporters,
 *   curl and wget write (seven fields separated by tabs; "#HttpOnly_"
 *   before the domain marks an HttpOnly cookie; an expiry of 0 is a
 *   session cookie, which is kept)
 * @n_loaded: (out) (optional): how many cookies were taken (expired
 *   ones are left out)
 *
 * Reads the whole file at once. A line that is not a cookie fails the
 * whole file with its line number: a half-read login is worse than a
 * clear message.
 */
gboolean    dp_request_load_cookie_file  (DpRequest   *self,
                                          const char  *path,
                                          guint       *n_loaded,
                                          GError     **error);

/* A login for a server that answers 401; @password may be empty. */
void        dp_request_set_login         (DpRequest   *self,
                                          const char  *user,
                                          const char  *password);
const char *dp_request_get_user          (const DpRequest *self);
/* Forgets what belongs to the address's origin alone: the extra
 * headers, the cookies given as text and the login. For a download that
 * moves to another origin. */
void        dp_request_forget_origin_bound (DpRequest *self);
const char *dp_request_get_password      (const DpRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpRequest, dp_request_free)

G_END_DECLS
