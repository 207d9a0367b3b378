/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * downpour-cli's contract: exit 0 when the file was saved, 1 when the
 * download failed, 2 on bad usage; every error is one line on stderr that
 * starts with "downpour-cli: ".
 */

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

static Run
run_cli (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("DOWNPOUR_CLI");
  Run run = { 0 };
  int wait_status = 0;
  va_list args;

  assert_non_null (cli);
  g_ptr_array_add (argv, (char *) cli);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &run.out, &run.err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  run.status = WEXITSTATUS (wait_status);
  return run;
}

/* One line, with the prefix, that contains @needle. */
static void
assert_one_error_line (const Run  *run,
                       const char *needle)
{
  const char *newline;

  if (!g_str_has_prefix (run->err, "downpour-cli: "))
    fail_msg ("stderr does not start with the prefix: “%s”", run->err);
  newline = strchr (run->err, '\n');
  assert_non_null (newline);
  assert_int_equal (newline[1], '\0');
  if (needle != NULL && strstr (run->err, needle) == NULL)
    fail_msg ("“%s” not in “%s”", needle, run->err);
}

static void
assert_usage_error (const char *needle,
                    const char *first,
                    ...)
{
  /* Variadic forwarding is awkward in C: tests pass up to 4 arguments. */
  const char *a[5] = { first, NULL, NULL, NULL, NULL };
  va_list args;
  Run run;

  va_start (args, first);
  for (int i = 1; i < 5 && a[i - 1] != NULL; i++)
    a[i] = va_arg (args, const char *);
  va_end (args);

  run = run_cli (a[0], a[1], a[2], a[3], a[4], NULL);
  if (run.status != 2)
    fail_msg ("exit %d for %s %s: %s", run.status, a[0], a[1] ? a[1] : "", run.err);
  assert_one_error_line (&run, needle);
  run_clear (&run);
}

static void
test_bad_usage (void **state)
{
  const char *dir = *state;

  assert_usage_error ("No address", "-q", NULL);
  assert_usage_error ("exactly one", "http://a/x", "http://b/y", NULL);
  assert_usage_error ("--segments", "-s", "0", "http://a/x", NULL);
  assert_usage_error ("--segments", "-s", "65", "http://a/x", NULL);
  assert_usage_error ("--segments", "-s", "abc", "http://a/x", NULL);
  assert_usage_error ("--segments", "-s", "-3", "http://a/x", NULL);
  assert_usage_error ("--segments", "-s", "", "http://a/x", NULL);
  assert_usage_error ("ftp", "-d", dir, "ftp://example.com/a.iso", NULL);
  assert_usage_error ("http://", "-d", dir, "example.com/a.iso", NULL);
  assert_usage_error ("no server name", "-d", dir, "http:///a.iso", NULL);
  assert_usage_error ("together", "-o", "x", "-d", dir, NULL);
  assert_usage_error (NULL, "--no-such-option", "http://a/x", NULL);
  assert_usage_error ("file name", "-o", "", "http://a/x", NULL);

  /* Nothing was written anywhere. */
  assert_int_equal (dp_test_count_files (dir), 0);
}

static void
test_version_and_help (void **state)
{
  Run run = run_cli ("--version", NULL);

  assert_int_equal (run.status, 0);
  assert_true (g_str_has_prefix (run.out, "downpour-cli "));
  run_clear (&run);

  run = run_cli ("--help", NULL);
  assert_int_equal (run.status, 0);
  assert_non_null (strstr (run.out, "--segments"));
  assert_non_null (strstr (run.out, "--output"));
  assert_non_null (strstr (run.out, "--dir"));
  assert_non_null (strstr (run.out, "--quiet"));
  run_clear (&run);
}

static void
test_download_and_failure (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/cli.bin?size=3000017&seed=21");
  g_autofree char *missing = dp_test_server_url (server, "/file/missing.bin?size=1&status=404");
  g_autofree char *out = g_build_filename (dir, "out.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (21, 3000017);
  g_autofree char *got = NULL;
  g_autofree char *expected_path = NULL;
  Run run;

  run = run_cli ("-q", "-s", "4", "-o", out, url, NULL);
  assert_int_equal (run.status, 0);
  assert_string_equal (run.err, "");
  assert_string_equal (run.out, "");
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  run_clear (&run);

  /* -d: the server's name, and the path on standard output. */
  run = run_cli ("-d", dir, url, NULL);
  assert_int_equal (run.status, 0);
  expected_path = g_build_filename (dir, "cli.bin", NULL);
  assert_true (g_str_has_prefix (run.out, expected_path));
  /* Not a terminal: no progress line. */
  assert_string_equal (run.err, "");
  run_clear (&run);

  run = run_cli ("-d", dir, missing, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "404");
  run_clear (&run);

  run = run_cli ("-o", dir, url, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "folder");
  run_clear (&run);
}

static int
setup (void **state)
{
  *state = dp_test_mkdtemp ();
  return 0;
}

static int
teardown (void **state)
{
  dp_test_rmdir (*state);
  g_free (*state);
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_version_and_help),
    cmocka_unit_test_setup_teardown (test_bad_usage, setup, teardown),
    cmocka_unit_test_setup_teardown (test_download_and_failure, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
