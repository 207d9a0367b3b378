/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-download.h"
#include "dp-test-server.h"

G_BEGIN_DECLS

/*
 * What the integration suites that drive whole downloads share: a test
 * server, a fresh folder, the notices the downloads gave, and checks of
 * how a download ended. For cmocka's setup and teardown.
 */

typedef struct
{
  DpTestServer *server;
  char *dir;
  GPtrArray *notices;  /* every notice of the fixture's downloads, in order */
} DpTestFixture;

int         dp_test_fixture_setup        (void **state);
int         dp_test_fixture_teardown     (void **state);

/* A download from the fixture's server (or @url) into its folder, with
 * quick retries, whose notices are collected. */
DpDownload *dp_test_fixture_download     (DpTestFixture *fixture,
                                          const char    *path_and_query,
                                          guint          segments);
DpDownload *dp_test_fixture_download_url (DpTestFixture *fixture,
                                          const char    *url,
                                          guint          segments);

/* Checks that @download finished with the content of @seed, @size
 * bytes long. */
void        dp_test_assert_file          (DpDownload    *download,
                                          guint64        seed,
                                          guint64        size);
/* Runs @download, which must succeed with that content. */
void        dp_test_run_ok               (DpDownload    *download,
                                          guint64        seed,
                                          guint64        size);

/* Whether a notice so far contains @part. */
gboolean    dp_test_fixture_has_notice   (DpTestFixture *fixture,
                                          const char    *part);

/* Runs @download, which must fail with @code (or @other_code, if not
 * -1) and leave nothing in the folder under a final name. Returns the
 * error. */
GError     *dp_test_fixture_run_fails    (DpTestFixture *fixture,
                                          DpDownload    *download,
                                          int            code,
                                          int            other_code);

/* Requests in a server log (see dp_test_server_dup_log()) with this
 * method, path and status; NULL and 0 match any. */
guint       dp_test_log_count            (GPtrArray     *log,
                                          const char    *method,
                                          const char    *path,
                                          guint          status);

G_END_DECLS
