/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-download.h"

G_BEGIN_DECLS

/* A fresh temporary folder; removed with everything in it by
 * dp_test_rmdir(). */
char     *dp_test_mkdtemp      (void);
void      dp_test_rmdir        (const char *path);
/* Number of entries in a folder. */
guint     dp_test_count_files  (const char *path);

/* Lets GLib's idle pool threads end before the process does, so that
 * the exit-time leak check finds the process still. */
void      dp_test_quiesce_threads (void);

/* Runs @download to its end on a private main context and returns
 * whether it succeeded. Gives up (and fails the test) after @timeout_s. */
gboolean  dp_test_run_download (DpDownload  *download,
                                guint        timeout_s,
                                GError     **error);

/* Cancels a download once it has @stop_at bytes: connect it to the
 * download's "progress" signal with a #DpTestStop. */
typedef struct
{
  gint64 stop_at;
  gboolean stopped;
} DpTestStop;

void      dp_test_stop_after_bytes (DpDownload *download,
                                    DpTestStop *stop);

G_END_DECLS
