/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE  /* memmem() */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "dp-app-manager.h"
#include "dp-app-store.h"
#include "dp-app-test-util.h"
#include "dp-error.h"
#include "dp-request.h"
#include "dp-state.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* Downloads that need more than an address, through the app's list:
 * what is kept for a restart and what is not, a login after a 401, and
 * a new address for a download whose link expired. No display needed. */

typedef struct
{
  DpTestServer *server;
  char *dir;
  char *store_path;
  DpAppManager *manager;
} Fixture;

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_assert_true (dp_app_manager_load_finish (DP_APP_MANAGER (source), result, NULL));
}

static gboolean
is_loaded (gpointer data)
{
  return dp_app_manager_get_loaded (data);
}

static DpAppManager *
load_manager (Fixture *f)
{
  g_autoptr(DpAppStore) store = dp_app_store_new (f->store_path);
  DpAppManager *manager = dp_app_manager_new (store);

  g_object_set (manager, "directory", f->dir, NULL);
  dp_app_manager_load_async (manager, NULL, on_loaded, NULL);
  dp_app_test_wait_until (is_loaded, manager, 10);
  return manager;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->store_path = g_build_filename (f->dir, "store", "downloads.gvariant", NULL);
  f->manager = load_manager (f);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->manager != NULL)
    dp_app_manager_shutdown (f->manager);
  g_clear_object (&f->manager);
  dp_test_server_free (f->server);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->store_path);
  g_free (f);
  return 0;
}

static DpAppItem *
item_at (DpAppManager *manager,
         guint         position)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (dp_app_manager_get_model (manager), position);
  return item;
}

static gboolean
is_stopped (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED ||
          status == DP_APP_ITEM_PAUSED || status == DP_APP_ITEM_CANCELLED);
}

static gboolean
has_some_bytes (gpointer data)
{
  return dp_app_item_get_status (data) == DP_APP_ITEM_DOWNLOADING &&
         dp_app_item_get_received (data) >= 1048576;
}

static void
assert_file (const char *path,
             guint64     seed,
             guint64     size)
{
  g_autofree char *want = dp_test_content_sha256 (seed, size);
  g_autofree char *got = dp_test_file_sha256 (path);

  assert_non_null (got);
  assert_string_equal (got, want);
}

/* Headers, user agent, referrer and cookies are kept with the list, so
 * that a download resumes after a restart as it started; a login only
 * when the user asked to remember it. The list stays private. */
static void
test_request_kept_for_restart (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dp_test_server_url (f->server, "/file/kept.bin?size=100&status=503&retryafter=3600");
  g_autofree char *contents = NULL;
  const DpRequest *back;
  struct stat st;
  DpAppItem *forgetful, *remembering;

  assert_true (dp_request_add_header (request, "X-Token: t0k3n", NULL));
  assert_true (dp_request_set_user_agent (request, "Agent/3", NULL));
  assert_true (dp_request_set_referrer (request, "https://example.org/page", NULL));
  assert_true (dp_request_add_cookies (request, "sid=C00kie", NULL));
  dp_request_set_login (request, "alice", "Forg0tten");

  forgetful = dp_app_manager_add_full (f->manager, url, NULL, 0, NULL, request, FALSE);
  remembering = dp_app_manager_add_full (f->manager, url, NULL, 0, NULL, request, FALSE);
  dp_app_item_set_login (remembering, "bob", "Rem3mbered", TRUE);
  assert_false (dp_app_item_get_remember_login (forgetful));
  assert_true (dp_app_store_flush (dp_app_manager_get_store (f->manager), &error));
  g_assert_no_error (error);

  assert_int_equal (g_stat (f->store_path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  assert_true (g_file_get_contents (f->store_path, &contents, NULL, NULL));
  /* The list is GVariant data: strings are stored as they are. */
  assert_non_null (memmem (contents, st.st_size, "Rem3mbered", 10));
  assert_null (memmem (contents, st.st_size, "Forg0tten", 9));

  dp_app_manager_shutdown (f->manager);
  g_clear_object (&f->manager);
  reloaded = load_manager (f);
  assert_int_equal (g_list_model_get_n_items (dp_app_manager_get_model (reloaded)), 2);
  for (guint i = 0; i < 2; i++)
    {
      back = dp_app_item_get_request (item_at (reloaded, i));
      assert_non_null (back);
      assert_string_equal (dp_request_get_headers (back)[0], "X-Token: t0k3n");
      assert_string_equal (dp_request_get_user_agent (back), "Agent/3");
      assert_string_equal (dp_request_get_referrer (back), "https://example.org/page");
      {
        g_autofree char *cookies = dp_request_dup_cookies (back);

        assert_string_equal (cookies, "sid=C00kie");
      }
    }
  assert_null (dp_request_get_user (dp_app_item_get_request (item_at (reloaded, 0))));
  back = dp_app_item_get_request (item_at (reloaded, 1));
  assert_string_equal (dp_request_get_user (back), "bob");
  assert_string_equal (dp_request_get_password (back), "Rem3mbered");
  assert_true (dp_app_item_get_remember_login (item_at (reloaded, 1)));
  dp_app_manager_shutdown (reloaded);
}

/* A server that wants a login: the download fails in a way the row can
 * offer "Log In…" for; with the login it finishes, and the server saw
 * it on every request that got the file. */
static void
test_login_after_401 (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server,
                                             "/file/locked.bin?size=2097169&seed=61&digest=alice%3As3cret");
  g_autofree char *path = g_build_filename (f->dir, "locked.bin", NULL);
  g_autoptr(GPtrArray) log = NULL;
  DpAppItem *item = dp_app_manager_add (f->manager, url, NULL, 4, NULL, TRUE);

  dp_app_test_wait_until (is_stopped, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_true (dp_app_item_needs_login (item));
  assert_non_null (strstr (dp_app_item_get_error (item), "wants a login"));

  /* A wrong one: refused, and still a login problem. */
  dp_app_item_set_login (item, "alice", "wrong", FALSE);
  dp_app_item_resume (item);
  dp_app_test_wait_until (is_stopped, item, 30);
  assert_true (dp_app_item_needs_login (item));
  assert_non_null (strstr (dp_app_item_get_error (item), "did not accept"));

  dp_app_item_set_login (item, "alice", "s3cret", FALSE);
  dp_app_item_resume (item);
  dp_app_test_wait_until (is_stopped, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  assert_false (dp_app_item_needs_login (item));
  assert_file (path, 61, 2097169);

  log = dp_test_server_dup_log (f->server);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);

      if (r->status == 200 || r->status == 206)
        assert_true (g_str_has_prefix (r->authorization, "Digest "));
    }
}

/* A download stopped with bytes on disk takes a new address: the same
 * file there continues from those bytes; another file there is refused
 * with the reason, and the download keeps its address and its bytes. */
static void
test_update_address (void **state)
{
  Fixture *f = *state;
  g_autofree char *old_url = dp_test_server_url (f->server,
    "/file/iso.bin?size=8388617&seed=62&etag=v1&rate=2097152");
  g_autofree char *other_url = dp_test_server_url (f->server,
    "/file/iso-v2.bin?size=8388617&seed=63&etag=v2");
  g_autofree char *new_url = dp_test_server_url (f->server,
    "/file/iso-mirror.bin?size=8388617&seed=62&etag=v1");
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  g_autofree char *part_before = NULL;
  g_autofree char *part_after = NULL;
  DpAppItem *item = dp_app_manager_add (f->manager, old_url, NULL, 4, NULL, TRUE);
  gint64 had;

  assert_false (dp_app_item_can_update_address (item));
  dp_app_test_wait_until (has_some_bytes, item, 30);
  dp_app_item_pause (item);
  dp_app_test_wait_until (is_stopped, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);
  assert_true (dp_app_item_can_update_address (item));
  path = g_strdup (dp_app_item_get_path (item));
  part = g_strconcat (path, ".part", NULL);
  part_before = dp_test_file_sha256 (part);
  {
    g_autofree char *state_path = g_strconcat (part, ".state", NULL);
    g_autoptr(DpState) saved = dp_state_load (state_path, NULL);

    assert_non_null (saved);
    dp_state_normalize (saved);
    had = dp_state_get_done_bytes (saved);
    assert_true (had > 0);
  }

  /* Another version: refused, nothing changed. */
  dp_app_item_update_address (item, other_url);
  dp_app_test_wait_until (is_stopped, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_string_equal (dp_app_item_get_url (item), old_url);
  assert_non_null (strstr (dp_app_item_get_error (item), "another version"));
  assert_non_null (strstr (dp_app_item_get_error (item), "left as it was"));
  part_after = dp_test_file_sha256 (part);
  assert_string_equal (part_after, part_before);
  assert_true (dp_app_item_can_update_address (item));

  /* An address that fails before it could show anything: the old one
   * is kept. */
  {
    g_autofree char *gone = dp_test_server_url (f->server, "/file/gone.bin?status=404");

    dp_app_item_update_address (item, gone);
  }
  dp_app_test_wait_until (is_stopped, item, 30);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FAILED);
  assert_string_equal (dp_app_item_get_url (item), old_url);

  /* The same file elsewhere: continued, not fetched again. */
  dp_test_server_reset_counters (f->server);
  dp_app_item_update_address (item, new_url);
  assert_string_equal (dp_app_item_get_url (item), new_url);
  dp_app_test_wait_until (is_stopped, item, 60);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  assert_string_equal (dp_app_item_get_path (item), path);
  assert_file (path, 62, 8388617);
  /* What was asked of the new address: the missing bytes, and the
   * probe's first 64 KiB. */
  {
    g_autoptr(GPtrArray) log = dp_test_server_dup_log (f->server);
    gint64 asked = 0;

    for (guint i = 0; i < log->len; i++)
      {
        const DpTestRequest *r = g_ptr_array_index (log, i);
        gint64 first, last;

        assert_string_equal (r->path, "/file/iso-mirror.bin");
        assert_true (dp_test_request_get_range (r, &first, &last));
        asked += (last < 0 ? 8388617 - 1 : last) - first + 1;
      }
    if (asked > 8388617 - had + 65536)
      fail_msg ("%" G_GINT64_FORMAT " bytes asked for, %" G_GINT64_FORMAT " were here", asked, had);
  }
}

/* A download moved to another server keeps nothing that was given for
 * the first one: no header, no cookie given as text, no login. */
static void
test_update_address_elsewhere (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpTestServer) mirror = dp_test_server_new ();
  g_autoptr(DpRequest) request = dp_request_new ();
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *old_url = dp_test_server_url (f->server,
    "/file/moved.bin?size=4194319&seed=64&etag=m1&rate=1048576");
  g_autofree char *new_url = dp_test_server_url (mirror, "/file/moved.bin?size=4194319&seed=64&etag=m1");
  DpAppItem *item;
  const DpRequest *kept;

  assert_true (dp_request_add_header (request, "X-Token: s3cret", NULL));
  assert_true (dp_request_add_cookies (request, "sid=C00kie", NULL));
  assert_true (dp_request_set_user_agent (request, "Agent/9", NULL));
  dp_request_set_login (request, "alice", "pw");
  item = dp_app_manager_add_full (f->manager, old_url, NULL, 4, NULL, request, TRUE);
  dp_app_test_wait_until (has_some_bytes, item, 30);
  dp_app_item_pause (item);
  dp_app_test_wait_until (is_stopped, item, 30);

  /* Refused elsewhere: the download goes back with all it had. */
  {
    g_autofree char *gone = dp_test_server_url (mirror, "/file/moved.bin?status=404");

    dp_app_item_update_address (item, gone);
    dp_app_test_wait_until (is_stopped, item, 30);
    assert_string_equal (dp_app_item_get_url (item), old_url);
    kept = dp_app_item_get_request (item);
    assert_string_equal (dp_request_get_headers (kept)[0], "X-Token: s3cret");
    assert_string_equal (dp_request_get_user (kept), "alice");
    dp_test_server_reset_counters (mirror);
  }

  dp_app_item_update_address (item, new_url);
  dp_app_test_wait_until (is_stopped, item, 60);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  kept = dp_app_item_get_request (item);
  assert_null (dp_request_get_headers (kept)[0]);
  assert_null (dp_request_dup_cookies (kept));
  assert_null (dp_request_get_user (kept));
  assert_string_equal (dp_request_get_user_agent (kept), "Agent/9");

  log = dp_test_server_dup_log (mirror);
  assert_true (log->len >= 1);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);

      assert_null (strstr (r->headers, "s3cret"));
      assert_null (r->cookie);
      assert_null (r->authorization);
      assert_string_equal (r->user_agent, "Agent/9");
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_request_kept_for_restart, setup, teardown),
    cmocka_unit_test_setup_teardown (test_login_after_401, setup, teardown),
    cmocka_unit_test_setup_teardown (test_update_address, setup, teardown),
    cmocka_unit_test_setup_teardown (test_update_address_elsewhere, setup, teardown),
  };

  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
