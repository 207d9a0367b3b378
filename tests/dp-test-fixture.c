/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dp-error.h"
#include "dp-test-fixture.h"
#include "dp-test-util.h"

int
dp_test_fixture_setup (void **state)
{
  DpTestFixture *fixture = g_new0 (DpTestFixture, 1);

  fixture->server = dp_test_server_new ();
  fixture->dir = dp_test_mkdtemp ();
  fixture->notices = g_ptr_array_new_with_free_func (g_free);
  *state = fixture;
  return 0;
}

int
dp_test_fixture_teardown (void **state)
{
  DpTestFixture *fixture = *state;

  dp_test_server_free (fixture->server);
  dp_test_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_ptr_array_unref (fixture->notices);
  g_free (fixture);
  return 0;
}

static void
collect_notice (DpDownload *download,
                const char *message,
                GPtrArray  *notices)
{
  g_ptr_array_add (notices, g_strdup (message));
}

DpDownload *
dp_test_fixture_download_url (DpTestFixture *fixture,
                              const char    *url,
                              guint          segments)
{
  DpDownload *download = dp_download_new (url);

  dp_download_set_directory (download, fixture->dir);
  dp_download_set_segments (download, segments);
  dp_download_set_retry_delay (download, 10);
  dp_download_set_stall_timeout (download, 5);
  g_signal_connect (download, "notice", G_CALLBACK (collect_notice), fixture->notices);
  return download;
}

DpDownload *
dp_test_fixture_download (DpTestFixture *fixture,
                          const char    *path_and_query,
                          guint          segments)
{
  g_autofree char *url = dp_test_server_url (fixture->server, path_and_query);

  return dp_test_fixture_download_url (fixture, url, segments);
}

void
dp_test_assert_file (DpDownload *download,
                     guint64     seed,
                     guint64     size)
{
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = NULL;

  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FINISHED);
  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_non_null (got);
  assert_string_equal (got, want);
}

void
dp_test_run_ok (DpDownload *download,
                guint64     seed,
                guint64     size)
{
  g_autoptr(GError) error = NULL;

  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("%s failed: %s", dp_download_get_url (download), error->message);
  dp_test_assert_file (download, seed, size);
}

gboolean
dp_test_fixture_has_notice (DpTestFixture *fixture,
                            const char    *part)
{
  for (guint i = 0; i < fixture->notices->len; i++)
    if (strstr (g_ptr_array_index (fixture->notices, i), part) != NULL)
      return TRUE;
  return FALSE;
}

GError *
dp_test_fixture_run_fails (DpTestFixture *fixture,
                           DpDownload    *download,
                           int            code,
                           int            other_code)
{
  g_autoptr(GDir) dir = NULL;
  GError *error = NULL;
  const char *name;

  assert_false (dp_test_run_download (download, 120, &error));
  assert_non_null (error);
  if (!g_error_matches (error, DP_ERROR, code) &&
      (other_code < 0 || !g_error_matches (error, DP_ERROR, other_code)))
    fail_msg ("expected error code %d, got %s %d: %s", code,
              g_quark_to_string (error->domain), error->code, error->message);
  assert_int_equal (dp_download_get_state (download), DP_DOWNLOAD_STATE_FAILED);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_suffix (name, ".part") && !g_str_has_suffix (name, ".part.state"))
      fail_msg ("a failed download left “%s”", name);
  return error;
}

guint
dp_test_log_count (GPtrArray  *log,
                   const char *method,
                   const char *path,
                   guint       status)
{
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *request = g_ptr_array_index (log, i);

      if ((method == NULL || strcmp (request->method, method) == 0) &&
          (path == NULL || strcmp (request->path, path) == 0) &&
          (status == 0 || request->status == status))
        n++;
    }
  return n;
}
