/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * "Browser Integration": native-messaging host manifests for the current
 * user, so that Firefox, Chromium and Chrome find downpour-browser-host
 * where a system-wide install cannot tell them: in the Flatpak (whose
 * host the browsers reach through a small wrapper that runs
 * `flatpak run --command=downpour-browser-host`), or under a prefix the
 * browsers do not read.
 */

/* Whether every browser's manifest is there and names this host. */
gboolean dp_app_browser_integration_is_installed (void);
/* Writes (or removes) the manifests, and the Flatpak wrapper. Removing
 * only removes files that are Downpour's. */
gboolean dp_app_browser_integration_set_installed (gboolean   installed,
                                                   GError   **error);

G_END_DECLS
