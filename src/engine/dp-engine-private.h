/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dp-engine.h"
#include "dp-rate-limiter.h"

G_BEGIN_DECLS

/*
 * One download's place in the budget. Thread-safe: the download's
 * controller and workers call these.
 *
 * A client's share is what it may hold now: the per-host budget is
 * divided between the clients of the host and the total between all
 * clients, each time so that a client that wants less leaves the rest to
 * the others. Every client may hold one connection whatever the budget
 * says, so that no download waits for another to end.
 */
typedef struct _DpEngineClient DpEngineClient;

DpEngineClient *dp_engine_join              (DpEngine       *self,
                                             const char     *host,
                                             guint           wanted);
/* Gives back every slot the client still holds. */
void            dp_engine_leave             (DpEngineClient *client);
/* How many connections the download could use (it wants no more). */
void            dp_engine_client_set_wanted (DpEngineClient *client,
                                             guint           wanted);
guint           dp_engine_client_get_share  (DpEngineClient *client);
guint           dp_engine_client_get_held   (DpEngineClient *client);
/* Takes a slot for a connection about to open, if the share and the
 * total allow it. */
gboolean        dp_engine_client_try_take   (DpEngineClient *client);
void            dp_engine_client_put        (DpEngineClient *client);

/* Returns: (transfer none): the limiter all downloads go through */
DpRateLimiter  *dp_engine_get_limiter       (DpEngine       *self);

/* The budget a limit of @open_files descriptors allows. */
guint           dp_engine_budget_for_files  (guint64         open_files);

G_END_DECLS
