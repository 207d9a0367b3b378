/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * How many connections a download with automatic connections runs, as
 * pure logic over what the controller measured (see HACKING.md, "How
 * automatic connections decide").
 *
 * Ramp: from a few connections, double every short step while the rest
 * of the file would take longer than DP_AUTO_HORIZON_S at the current
 * rate: like TCP's slow start, the count reaches the budget in about a
 * second. A fast path (the loopback, a LAN) finishes within the horizon
 * and never grows. Short windows cannot tell whether the new
 * connections helped (capped mirrors send in bursts a second apart), so
 * that is judged afterwards, over whole-second windows:
 *
 * Trim: halve the count while the total rate stays within
 * DP_AUTO_TRIM_LOSS of the best seen; at the first clear loss go back to
 * the count before, and stay. Connections that only share one
 * bottleneck (a home line, a disk) are thus given back, and the count
 * that stays is the smallest that keeps the best rate.
 *
 * A refusal (503, 429) ends both for good at what the server took; a
 * speed limit that changes, or a budget that grows, starts a ramp anew.
 */

#define DP_AUTO_HORIZON_S 0.5
#define DP_AUTO_TRIM_LOSS 0.1

typedef enum
{
  DP_AUTO_RAMP,
  DP_AUTO_TRIM,
  DP_AUTO_STEADY,
} DpAutoPhase;

typedef struct
{
  DpAutoPhase phase;
  guint best_n;      /* the fewest connections that kept the best rate */
  double best_rate;  /* the best whole-window rate, bytes per second */
} DpAuto;

void  dp_auto_init    (DpAuto *self);
/* One ramp step with @n connections running, @left bytes to go at
 * @rate bytes per second: returns the count to run next, at most @max
 * (the budget's share, the server's ceiling, 64). */
guint dp_auto_ramp    (DpAuto *self,
                       guint   n,
                       gint64  left,
                       double  rate,
                       guint   max);
/* @n connections ran through a whole trim window at @rate: returns the
 * count to run next. */
guint dp_auto_trim    (DpAuto *self,
                       guint   n,
                       double  rate);
/* The server refused a connection with @n running: no more, ever. */
void  dp_auto_refused (DpAuto *self);
/* Conditions changed (a speed limit, the budget): ramp again. */
void  dp_auto_restart (DpAuto *self);

G_END_DECLS
