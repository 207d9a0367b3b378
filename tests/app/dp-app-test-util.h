/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*DpAppTestCondition) (gpointer data);

/* Runs the default main context until @condition holds; fails the test
 * after @timeout_s seconds. */
void     dp_app_test_wait_until   (DpAppTestCondition condition,
                                   gpointer           data,
                                   guint              timeout_s);
/* Runs the default main context for @ms milliseconds. */
void     dp_app_test_spin         (guint              ms);
/* Whether a display is there; prints the TAP skip line if not. */
gboolean dp_app_test_have_display (void);

G_END_DECLS
