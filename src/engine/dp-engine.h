/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * What all downloads of a process share: the connection budget (a total
 * and one per host, shared fairly between the downloads of a host and
 * taken before a socket opens) and the speed limit for all downloads
 * together. Front ends create one; a download without one uses
 * dp_engine_get_default().
 *
 * Creating the first engine raises the process's limit of open files
 * to its hard limit, and the total budget is derived from that limit, so
 * that many downloads never run out of descriptors.
 */
#define DP_TYPE_ENGINE (dp_engine_get_type ())
G_DECLARE_FINAL_TYPE (DpEngine, dp_engine, DP, ENGINE, GObject)

/* Connections to one host, for all downloads from it together. */
#define DP_ENGINE_DEFAULT_MAX_PER_HOST 64

DpEngine *dp_engine_new                          (void);
/* Returns: (transfer none): the process-wide engine */
DpEngine *dp_engine_get_default                  (void);

guint     dp_engine_get_max_connections          (DpEngine *self);
void      dp_engine_set_max_connections          (DpEngine *self,
                                                  guint     max);
guint     dp_engine_get_max_connections_per_host (DpEngine *self);
void      dp_engine_set_max_connections_per_host (DpEngine *self,
                                                  guint     max);
/* Bytes per second for all downloads together; 0 for no limit. Takes
 * effect at once, also for running downloads. */
guint64   dp_engine_get_rate_limit               (DpEngine *self);
void      dp_engine_set_rate_limit               (DpEngine *self,
                                                  guint64   rate);
/* Connections all downloads hold right now. */
guint     dp_engine_get_connections              (DpEngine *self);

G_END_DECLS
