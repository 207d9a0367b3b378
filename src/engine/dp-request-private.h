/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dp-request.h"

G_BEGIN_DECLS

/*
 * A DpRequest at work for one transfer: the address whose origin the
 * headers and the login belong to, and the cookie jar, which the
 * servers' Set-Cookie answers add to. Workers use it from their own
 * threads; it locks what they share. Internal to the engine.
 */
typedef struct _DpRequestState DpRequestState;

/* @request may be NULL: nothing beyond the cookies servers set. */
DpRequestState *dp_request_state_new             (const DpRequest *request,
                                                  GUri            *origin);
void            dp_request_state_free            (DpRequestState  *self);
/* The user agent to send, or NULL for Downpour's own. */
const char     *dp_request_state_get_user_agent  (DpRequestState  *self);
/* Adds what belongs to @msg's address; call before each send, for each
 * hop of a redirect chain. */
void            dp_request_state_prepare         (DpRequestState  *self,
                                                  SoupMessage     *msg);
/* Takes the cookies @msg's answer sets. */
void            dp_request_state_answered        (DpRequestState  *self,
                                                  SoupMessage     *msg);
/* Whether dp_request_state_prepare() sets the header @name, so that a
 * redirect must not copy it from the hop before. */
gboolean        dp_request_state_sets_header     (DpRequestState  *self,
                                                  const char      *name);
/* Whether @msg went to another origin than the download's, where no
 * login is ever given. */
gboolean        dp_request_login_is_elsewhere    (SoupMessage     *msg);
/* Whether a login was sent to @msg's server and refused. */
gboolean        dp_request_login_was_refused     (SoupMessage     *msg);

/* dp_request_load_cookie_file() on a file's contents; @display names
 * it in messages. */
gboolean        dp_request_add_cookie_text       (DpRequest   *self,
                                                  const char  *text,
                                                  gsize        length,
                                                  const char  *display,
                                                  guint       *n_loaded,
                                                  GError     **error);
/* The number of cookies taken from cookies.txt files. */
guint           dp_request_get_n_file_cookies    (const DpRequest *self);

/* RFC 6454 origins: the same scheme, host and port. */
gboolean        dp_request_same_origin           (GUri *a,
                                                  GUri *b);

G_END_DECLS
