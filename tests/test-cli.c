/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE  /* posix_openpt() and friends */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "dp-state.h"
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

/* The environment of the next runs; NULL inherits the test's. */
static char **cli_env;

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

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, cli_env, G_SPAWN_DEFAULT, NULL, NULL,
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

#define SEGMENTS_ERROR(value) \
  "--segments must be “auto” or a number from 1 to 64, not “" value "”."

static void
test_bad_usage (void **state)
{
  const char *dir = *state;
  g_autofree char *out = g_build_filename (dir, "x", NULL);

  assert_usage_error ("No address given. Usage: ", "-q", NULL);
  assert_usage_error ("--output names one file; give --dir for several addresses.",
                      "-o", out, "http://a/x", "http://b/y", NULL);
  assert_usage_error (SEGMENTS_ERROR ("0"), "-s", "0", "http://a/x", NULL);
  assert_usage_error (SEGMENTS_ERROR ("65"), "-s", "65", "http://a/x", NULL);
  assert_usage_error (SEGMENTS_ERROR ("abc"), "-s", "abc", "http://a/x", NULL);
  assert_usage_error (SEGMENTS_ERROR ("-3"), "-s", "-3", "http://a/x", NULL);
  assert_usage_error (SEGMENTS_ERROR (""), "-s", "", "http://a/x", NULL);
  assert_usage_error ("Downpour cannot download “ftp:” addresses; use http:// or https://.",
                      "-d", dir, "ftp://example.com/a.iso", NULL);
  assert_usage_error ("Downpour cannot download “file:” addresses; use http:// or https://.",
                      "-d", dir, "file:///etc/passwd", NULL);
  assert_usage_error ("“example.com/a.iso” is not a complete address.",
                      "-d", dir, "example.com/a.iso", NULL);
  assert_usage_error ("The address “http:///a.iso” has no server name.",
                      "-d", dir, "http:///a.iso", NULL);
  assert_usage_error ("together", "-o", out, "-d", dir, NULL);
  assert_usage_error (NULL, "--no-such-option", "http://a/x", NULL);
  assert_usage_error ("file name", "-o", "", "http://a/x", NULL);

  /* Nothing was written anywhere. */
  assert_int_equal (dp_test_count_files (dir), 0);
}

#define LIMIT_RATE_ERROR(value) \
  "--limit-rate must be a speed such as “16M”, “500K” or a number of bytes, not “" value "”."

/* A speed as curl and wget spell it is taken; anything else is a usage
 * error that quotes it, before anything is written. (That the limit
 * holds during a download is the engine's test.) */
static void
test_limit_rate (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/rate.bin?size=200003&seed=25");
  g_autofree char *out = g_build_filename (dir, "rate.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (25, 200003);
  const char *good[] = { "--limit-rate=16M", "--limit-rate=1.5m", "--limit-rate=1G",
                         "--limit-rate=1048576" };
  Run run;

  assert_usage_error (LIMIT_RATE_ERROR ("0"), "--limit-rate", "0", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("0K"), "--limit-rate=0K", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("-1"), "--limit-rate", "-1", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("1MB"), "--limit-rate", "1MB", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("1e6"), "--limit-rate=1e6", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("1.2.3"), "--limit-rate=1.2.3", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR (" 1M"), "--limit-rate= 1M", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("fast"), "--limit-rate=fast", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR (""), "--limit-rate=", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("99999999999G"), "--limit-rate=99999999999G", url, NULL);
  assert_usage_error (LIMIT_RATE_ERROR ("18446744073709551617"),
                      "--limit-rate=18446744073709551617", url, NULL);
  assert_int_equal (dp_test_count_files (dir), 0);
  assert_int_equal (dp_test_server_get_requests (server), 0);

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *got = NULL;

      run = run_cli ("-q", good[i], "-o", out, url, NULL);
      if (run.status != 0)
        fail_msg ("exit %d with %s: %s", run.status, good[i], run.err);
      assert_string_equal (run.err, "");
      got = dp_test_file_sha256 (out);
      assert_string_equal (got, want);
      run_clear (&run);
    }

  /* The limit reaches the download: 1.5 MiB at 512 KiB/s, beyond the
   * probe's 64 KiB and the limiter's first bucket (an eighth of a
   * second), take at least 2.75 s. Only a lower bound: a slow machine
   * makes it slower, never faster. */
  {
    g_autofree char *slow_url = dp_test_server_url (server, "/file/slow.bin?size=1572864&seed=26");
    g_autofree char *slow_want = dp_test_content_sha256 (26, 1572864);
    g_autofree char *got = NULL;
    gint64 start = g_get_monotonic_time ();

    run = run_cli ("-q", "--limit-rate=512K", "-o", out, slow_url, NULL);
    assert_int_equal (run.status, 0);
    assert_true (g_get_monotonic_time () - start >= G_USEC_PER_SEC * 11 / 4);
    got = dp_test_file_sha256 (out);
    assert_string_equal (got, slow_want);
    run_clear (&run);
  }
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
  assert_non_null (strstr (run.out, "--limit-rate=RATE"));
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
  g_autofree char *no_dir = g_build_filename (dir, "no-such-folder", NULL);
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
  assert_one_error_line (&run, "The server does not have this file (404");
  run_clear (&run);

  run = run_cli ("-o", dir, url, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "is a folder. Give a file name to save to.");
  run_clear (&run);

  run = run_cli ("-d", no_dir, url, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "The folder “");
  assert_non_null (strstr (run.err, "no-such-folder” does not exist."));
  assert_false (g_file_test (no_dir, G_FILE_TEST_EXISTS));
  run_clear (&run);
}

/* Security refusals name their way out; taking it works and says so.
 * A login in the address shows up nowhere, debug output included. */
static void
test_security_options (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *https = dp_test_server_https_url (server, "/file/tls.bin?size=200003&seed=22");
  g_autofree char *plain = dp_test_server_url (server, "/file/down.bin?size=1000&seed=23");
  g_autofree char *escaped = g_uri_escape_string (plain, NULL, FALSE);
  g_autofree char *to_plain = NULL;
  g_autofree char *with_login = g_strdup_printf ("http://alice:S3cretPw@%s",
                                                 plain + strlen ("http://"));
  g_autofree char *missing = dp_test_server_url (server, "/file/missing.bin?status=404");
  g_autofree char *bad_login = g_strdup_printf ("http://alice:S3cretPw@%s",
                                                missing + strlen ("http://"));
  g_autofree char *redirect_base = dp_test_server_https_url (server, "/file/r.bin?redirectto=");
  g_autofree char *out = g_build_filename (dir, "tls.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (22, 200003);
  g_autofree char *got = NULL;
  Run run;

  to_plain = g_strconcat (redirect_base, escaped, NULL);
  run = run_cli ("-d", dir, https, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "--no-check-certificate");
  assert_true (g_str_has_prefix (run.err, "downpour-cli: The secure connection failed: "));
  assert_int_equal (dp_test_count_files (dir), 0);
  run_clear (&run);

  run = run_cli ("-o", out, "--no-check-certificate", https, NULL);
  assert_int_equal (run.status, 0);
  assert_one_error_line (&run, "could not be verified");
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  run_clear (&run);

  run = run_cli ("-d", dir, "--no-check-certificate", to_plain, NULL);
  assert_int_equal (run.status, 1);
  assert_non_null (strstr (run.err, "--allow-http-redirect"));
  run_clear (&run);

  run = run_cli ("-q", "-d", dir, "--no-check-certificate", "--allow-http-redirect", to_plain, NULL);
  assert_int_equal (run.status, 0);
  run_clear (&run);

  cli_env = g_environ_setenv (g_get_environ (), "G_MESSAGES_DEBUG", "all", TRUE);
  for (guint i = 0; i < 3; i++)
    {
      const char *urls[] = { with_login, bad_login, "http://alice:S3cretPw@127.0.0.1:99x/" };

      run = run_cli ("-d", dir, urls[i], NULL);
      if (strstr (run.out, "S3cretPw") != NULL || strstr (run.err, "S3cretPw") != NULL)
        fail_msg ("the password was shown:\n%s\n%s", run.out, run.err);
      if (i == 2)
        {
          assert_int_equal (run.status, 2);
          assert_one_error_line (&run, "“http://***@127.0.0.1:99x/” is not a valid address: ");
        }
      run_clear (&run);
    }
  g_clear_pointer (&cli_env, g_strfreev);
}

/* A complete download with retries, checked for leaks and memory
 * errors: under valgrind's memcheck in the normal build, and by the
 * build's own LeakSanitizer in the sanitizer build (valgrind cannot run
 * sanitized programs). Either way no definite leak may remain. */
static void
test_leak_check (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/leak.bin?size=5000011&seed=24&failfirst=2");
  g_autofree char *out = g_build_filename (dir, "leak.bin", NULL);
  g_autofree char *log = g_build_filename (dir, "leaks.log", NULL);
  g_autofree char *log_option = g_strconcat ("--log-file=", log, NULL);
  g_autofree char *want = dp_test_content_sha256 (24, 5000011);
  g_autofree char *got = NULL;
  g_autofree char *report = NULL;
  g_autofree char *errors = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
#if defined(__SANITIZE_ADDRESS__)
  const char *argv[] = { g_getenv ("DOWNPOUR_CLI"), "-q", "-s", "8", "-o", out, url, NULL };
  /* intercept_tls_get_addr=0: see build-aux/test.sh. */
  char **env = g_environ_setenv (g_get_environ (), "ASAN_OPTIONS",
                                 "detect_leaks=1:exitcode=99:intercept_tls_get_addr=0", TRUE);
#else
  /* Leaks a library keeps on purpose: see tests/valgrind.supp. */
  g_autofree char *suppressions = g_strconcat ("--suppressions=",
                                               g_getenv ("DP_VALGRIND_SUPPRESSIONS"), NULL);
  const char *argv[] = {
    "valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite",
    "--error-exitcode=99", suppressions, log_option, g_getenv ("DOWNPOUR_CLI"), "-q", "-s", "8",
    "-o", out, url, NULL,
  };
  char **env = g_environ_setenv (g_get_environ (), "G_SLICE", "always-malloc", TRUE);
#endif
  int wait_status = 0;

  assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                             NULL, &errors, &wait_status, &error));
  g_strfreev (env);
#if defined(__SANITIZE_ADDRESS__)
  report = g_strdup (errors);
#else
  assert_true (g_file_get_contents (log, &report, NULL, NULL));
#endif
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    fail_msg ("leak check failed:\n%s", report);

  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
#if defined(__SANITIZE_ADDRESS__)
  assert_null (strstr (report, "LeakSanitizer"));
  printf ("# LeakSanitizer: no leaks\n");
#else
  assert_non_null (strstr (report, "definitely lost: 0 bytes"));
  /* For the record in the test log: the leak and error summaries. */
  lines = g_strsplit (report, "\n", -1);
  for (guint i = 0, shown = FALSE; lines[i] != NULL; i++)
    {
      const char *text = strstr (lines[i], "== ");

      shown = shown || strstr (lines[i], "LEAK SUMMARY") != NULL;
      if (shown && text != NULL && text[3] != '\0')
        printf ("# %s\n", text + 3);
    }
#endif
}

/* Waits until @path exists with more than @min_size bytes; fails the
 * test after a generous deadline, or as soon as @writer (if not NULL)
 * has ended without it. Polling is the wait, not a margin. */
static void
wait_for_file (const char  *path,
               gint64       min_size,
               GSubprocess *writer)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GStatBuf st;

  while (g_stat (path, &st) != 0 || st.st_size <= min_size)
    {
      if (g_get_monotonic_time () > deadline)
        fail_msg ("“%s” did not appear", path);
      if (writer != NULL && g_subprocess_get_identifier (writer) == NULL)
        fail_msg ("the download ended before “%s” appeared", path);
      g_usleep (5 * 1000);
    }
}

/* Killed without warning partway, run again: it continues from what the
 * state file recorded and fetches only the bytes missing there. */
static void
test_resume_after_kill (void **state)
{
  const char *dir = *state;
  const guint64 size = 4194319;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  /* Four connections at 250 kB/s each: over 4 s for the whole file,
   * while the state file records progress every quarter of a second. */
  g_autofree char *url = dp_test_server_url (server, "/file/killed.iso?size=4194319&seed=41&etag=k&rate=250000");
  g_autofree char *out = g_build_filename (dir, "killed.iso", NULL);
  g_autofree char *state_file = g_build_filename (dir, "killed.iso.part.state", NULL);
  g_autofree char *want = dp_test_content_sha256 (41, size);
  g_autofree char *got = NULL;
  const char *argv[] = { g_getenv ("DOWNPOUR_CLI"), "-q", "-s", "4", "-o", out, url, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) saved = NULL;
  gint64 deadline;
  guint64 missing;
  GPid pid;
  int wait_status;
  Run run;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));

  /* Kill it once the state file records a quarter of the file, the
   * start of it included, however long that takes. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(DpState) seen = dp_state_load (state_file, NULL);

      if (seen != NULL && dp_state_get_done_bytes (seen) >= (gint64) size / 4 &&
          g_array_index (seen->done, DpRange, 0).start == 0)
        break;
      if (waitpid (pid, &wait_status, WNOHANG) == pid)
        fail_msg ("downpour-cli ended before it was killed");
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &wait_status, 0);
          fail_msg ("the state file recorded no progress within 60 s");
        }
      g_usleep (10 * 1000);
    }
  kill (pid, SIGKILL);
  waitpid (pid, &wait_status, 0);
  g_spawn_close_pid (pid);
  assert_true (WIFSIGNALED (wait_status));
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* What the kill left: the second run may trust these bytes. */
  saved = dp_state_load (state_file, &error);
  g_assert_no_error (error);
  assert_int_equal (g_array_index (saved->done, DpRange, 0).start, 0);
  missing = size - (guint64) dp_state_get_done_bytes (saved);
  dp_test_server_reset_counters (server);

  run = run_cli ("-s", "4", "-o", out, url, NULL);
  assert_int_equal (run.status, 0);
  assert_non_null (strstr (run.err, "Continuing an interrupted download"));
  run_clear (&run);

  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  assert_false (g_file_test (state_file, G_FILE_TEST_EXISTS));
  /* Nothing asked for the start of the file, which was already here. */
  assert_int_equal (dp_test_server_get_range_requests_from_zero (server), 0);
  /* Only the missing bytes were sent, give or take the pieces of 12500
   * bytes the server still handed to the killed connections before it
   * noticed they were gone (two each, at most three). Each range had
   * about a quarter of a megabyte recorded: had any of them started
   * over, from 0 or from its own start, that would show. */
  if (dp_test_server_get_bytes_sent (server) > missing + 4 * 3 * 12500)
    fail_msg ("%" G_GUINT64_FORMAT " bytes sent for %" G_GUINT64_FORMAT " missing",
              dp_test_server_get_bytes_sent (server), missing);
}

/* Starts downpour-cli in the background, its output collected. */
static GSubprocess *
spawn_cli (const char *first,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  va_list args;

  assert_non_null (g_getenv ("DOWNPOUR_CLI"));
  g_ptr_array_add (argv, (char *) g_getenv ("DOWNPOUR_CLI"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  return process;
}

/* Waits for @process to end; it must have been neither killed nor
 * still running when the test needed it to be. */
static Run
finish_cli (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &run.out, &run.err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run.status = g_subprocess_get_exit_status (process);
  return run;
}

static void
assert_still_running (GSubprocess *process)
{
  if (g_subprocess_get_identifier (process) == NULL)
    fail_msg ("the first download ended too soon for the test");
}

/* Two downloads into the same -o file at once: the second is refused
 * before it changes anything, whether it comes before the first has a
 * state file (when it used to truncate the first's partial file) or
 * after (when it used to adopt it). The first finishes intact, and
 * nothing else is left. */
static void
test_same_output_at_once (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  /* About 5 s at 2 MB/s over two connections. */
  g_autofree char *url = dp_test_server_url (server, "/file/same.bin?size=10000019&seed=51&etag=s&rate=1000000");
  g_autofree char *other = dp_test_server_url (server, "/file/same.bin?size=2000003&seed=52");
  g_autofree char *out = g_build_filename (dir, "same.bin", NULL);
  g_autofree char *part = g_build_filename (dir, "same.bin.part", NULL);
  g_autofree char *state_file = g_build_filename (dir, "same.bin.part.state", NULL);
  g_autofree char *want = dp_test_content_sha256 (51, 10000019);
  g_autofree char *got = NULL;
  g_autoptr(GSubprocess) first = spawn_cli ("-q", "-s", "2", "-o", out, url, NULL);
  Run run;

  /* Its partial file exists: another download into it is refused. */
  wait_for_file (part, 0, first);
  assert_still_running (first);
  run = run_cli ("-q", "-o", out, other, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "Another download is already saving to");
  run_clear (&run);

  /* Its state file exists and matches this very address: still refused. */
  wait_for_file (state_file, 0, first);
  assert_still_running (first);
  run = run_cli ("-q", "-o", out, url, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "Another download is already saving to");
  run_clear (&run);

  run = finish_cli (first);
  assert_int_equal (run.status, 0);
  assert_string_equal (run.err, "");
  run_clear (&run);
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  assert_int_equal (dp_test_count_files (dir), 1);
}

/* The same with -d: the second download takes the next free name
 * instead, and both files are whole. */
static void
test_same_folder_name_at_once (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/same.bin?size=10000019&seed=53&etag=d&rate=1000000");
  g_autofree char *other = dp_test_server_url (server, "/file/same.bin?size=2000003&seed=54");
  g_autofree char *first_path = g_build_filename (dir, "same.bin", NULL);
  g_autofree char *second_path = g_build_filename (dir, "same (1).bin", NULL);
  g_autofree char *third_path = g_build_filename (dir, "same (2).bin", NULL);
  g_autofree char *part = g_build_filename (dir, "same.bin.part", NULL);
  g_autofree char *state_file = g_build_filename (dir, "same.bin.part.state", NULL);
  g_autofree char *want = dp_test_content_sha256 (53, 10000019);
  g_autofree char *want_other = dp_test_content_sha256 (54, 2000003);
  g_autofree char *got = NULL;
  g_autoptr(GSubprocess) first = spawn_cli ("-s", "2", "-d", dir, url, NULL);
  g_autofree char *expected_out = g_strconcat (second_path, "\n", NULL);
  Run run;

  wait_for_file (part, 0, first);
  assert_still_running (first);
  run = run_cli ("-d", dir, other, NULL);
  assert_int_equal (run.status, 0);
  assert_string_equal (run.out, expected_out);
  run_clear (&run);
  got = dp_test_file_sha256 (second_path);
  assert_string_equal (got, want_other);
  g_clear_pointer (&got, g_free);

  /* Same address, matching state: the live partial file is still not
   * continued by a second download. */
  wait_for_file (state_file, 0, first);
  assert_still_running (first);
  run = run_cli ("-q", "-d", dir, url, NULL);
  assert_int_equal (run.status, 0);
  run_clear (&run);
  got = dp_test_file_sha256 (third_path);
  assert_string_equal (got, want);
  g_clear_pointer (&got, g_free);

  run = finish_cli (first);
  assert_int_equal (run.status, 0);
  g_assert_true (g_str_has_prefix (run.out, first_path));
  run_clear (&run);
  got = dp_test_file_sha256 (first_path);
  assert_string_equal (got, want);
  assert_int_equal (dp_test_count_files (dir), 3);
}

static void
test_checksum (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/sum.bin?size=1000003&seed=42");
  g_autofree char *out = g_build_filename (dir, "sum.bin", NULL);
  g_autofree char *good = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *sum = dp_test_content_sha256 (42, 1000003);
  Run run;

  good = g_strconcat ("sha256:", sum, NULL);
  run = run_cli ("-q", "--checksum", good, "-o", out, url, NULL);
  assert_int_equal (run.status, 0);
  run_clear (&run);
  g_unlink (out);

  /* One digit off: the download fails and nothing carries the name. */
  bad = g_strdup (good);
  bad[7] = bad[7] == '0' ? '1' : '0';
  run = run_cli ("-q", "--checksum", bad, "-o", out, url, NULL);
  assert_int_equal (run.status, 1);
  assert_one_error_line (&run, "The downloaded file does not match its sha256 checksum");
  run_clear (&run);
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* Malformed, an unknown type, the wrong length: usage errors that
   * name the problem. */
  assert_usage_error ("“nonsense” is not a checksum", "--checksum", "nonsense", url, NULL);
  assert_usage_error ("“sha999” is not a known checksum type", "--checksum", "sha999:00", url, NULL);
  assert_usage_error ("A sha256 checksum has 64 hexadecimal digits; this one has 3.",
                      "--checksum", "sha256:abc", url, NULL);
}

/* Bad request options: exit 2, one line that says what is wrong, and
 * nothing on disk. */
static void
test_request_options_usage (void **state)
{
  const char *dir = *state;
  g_autofree char *missing = g_build_filename (dir, "no-cookies.txt", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad-cookies.txt", NULL);
  g_autofree char *out = g_build_filename (dir, "x.bin", NULL);

  assert_usage_error ("Downpour sets the header “Range” itself to get the file right",
                      "-H", "Range: bytes=0-", "-o", out, "http://a/x", NULL);
  assert_usage_error ("“no colon” is not a header. Write it as “Name: value”.",
                      "--header", "no colon", "-o", out, "http://a/x", NULL);
  assert_usage_error ("The value of the header “X-A” has a line break",
                      "-H", "X-A: 1\r\nHost: evil", "-o", out, "http://a/x", NULL);
  assert_usage_error ("“novalue” is not a cookie. Give cookies as “name=value; name2=value2”.",
                      "--cookie", "novalue", "-o", out, "http://a/x", NULL);
  assert_usage_error ("The referrer “ftp://example.org/” is not an http:// or https:// address.",
                      "--referer", "ftp://example.org/", "-o", out, "http://a/x", NULL);
  assert_usage_error ("Could not read cookies from “", "--load-cookies", missing, "http://a/x", NULL);
  g_assert_true (g_file_set_contents (bad, "example.org TRUE / FALSE 0 a b\n", -1, NULL));
  assert_usage_error ("Line 1 of “", "--load-cookies", bad, "http://a/x", NULL);
  assert_usage_error ("--user needs a user name", "--user", ":pw", "http://a/x", NULL);
  assert_int_equal (g_unlink (bad), 0);
  assert_int_equal (dp_test_count_files (dir), 0);
}

/* Every request option on one download, from a server that refuses
 * each request that lacks any of them. */
static void
test_request_options_sent (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autoptr(GPtrArray) log = NULL;
  g_autofree char *url = dp_test_server_url (server,
    "/file/opts.bin?size=2097169&seed=24&needheader=X-Api-Key%3Ak3y"
    "&needcookie=sid%3D42%7Cfromfile%3Dyes%7Cagain%3D1"
    "&needreferer=https%3A%2F%2Fexample.org%2Ffiles&digest=alice%3Apa%3Ass");
  g_autofree char *cookies = g_build_filename (dir, "cookies.txt", NULL);
  g_autofree char *out = g_build_filename (dir, "opts.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (24, 2097169);
  g_autofree char *got = NULL;
  Run run;

  g_assert_true (g_file_set_contents (cookies, "# Netscape HTTP Cookie File\n"
                                      "127.0.0.1\tFALSE\t/\tFALSE\t0\tfromfile\tyes\n", -1, NULL));
  run = run_cli ("-q", "-s", "3", "-o", out, "-H", "X-Api-Key: k3y", "--cookie", "sid=42",
                 "--cookie", "again=1", "--load-cookies", cookies,
                 "--referer", "https://example.org/files", "--user-agent", "Fetcher/2.0",
                 "--user", "alice:pa:ss", url, NULL);
  if (run.status != 0)
    fail_msg ("exit %d: %s", run.status, run.err);
  assert_string_equal (run.err, "");
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
  run_clear (&run);

  log = dp_test_server_dup_log (server);
  for (guint i = 0; i < log->len; i++)
    {
      const DpTestRequest *r = g_ptr_array_index (log, i);

      assert_string_equal (r->user_agent, "Fetcher/2.0");
      if (r->status == 200 || r->status == 206)
        assert_true (g_str_has_prefix (r->authorization, "Digest "));
    }

  /* A cookie file with nothing left in it says so, and goes on. */
  g_assert_true (g_file_set_contents (cookies, "127.0.0.1\tFALSE\t/\tFALSE\t1\told\tx\n",
                                      -1, NULL));
  run = run_cli ("-o", out, "--load-cookies", cookies, url, NULL);
  assert_int_equal (run.status, 1);
  assert_non_null (strstr (run.err, "has no cookies that have not expired."));
  assert_non_null (strstr (run.err, "downpour-cli: The server wants a login for this file (401"));
  run_clear (&run);
}

static void
become_session_leader (gpointer user_data)
{
  const char *terminal = user_data;

  setsid ();
  /* A session leader's first terminal becomes its controlling one. */
  if (terminal != NULL)
    close (open (terminal, O_RDWR));
}

/* Reads what the terminal shows until @needle, or the end. */
static void
read_terminal (int      master,
               GString *seen,
               const char *needle)
{
  while (needle == NULL || strstr (seen->str, needle) == NULL)
    {
      struct pollfd p = { .fd = master, .events = POLLIN };
      char buf[256];
      ssize_t n;

      if (poll (&p, 1, 60000) <= 0)
        fail_msg ("the terminal shows only “%s”", seen->str);
      n = read (master, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (seen, buf, n);
    }
}

/* --user without a password asks on the terminal, without echo, even
 * with standard input elsewhere; with no terminal it is bad usage. */
static void
test_password_prompt (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/asked.bin?size=300007&seed=25"
                                                     "&auth=carol%3Ahunter2");
  g_autofree char *out = g_build_filename (dir, "asked.bin", NULL);
  g_autofree char *want = dp_test_content_sha256 (25, 300007);
  g_autofree char *got = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("DOWNPOUR_CLI"), "-q", "-o", out, "--user", "carol", url, NULL };
  char *terminal;
  int master, slave, status = 0;
  GPid pid;
  Run run = { 0 };

  /* No terminal at all. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, become_session_leader,
                               NULL, &run.out, &run.err, &status, &error));
  g_assert_no_error (error);
  assert_int_equal (WEXITSTATUS (status), 2);
  assert_one_error_line (&run, "--user=carol gives no password, and there is no terminal to ask "
                               "for one. Use --user=USER:PASSWORD.");
  run_clear (&run);
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  master = posix_openpt (O_RDWR | O_NOCTTY);
  assert_true (master >= 0);
  assert_int_equal (grantpt (master), 0);
  assert_int_equal (unlockpt (master), 0);
  terminal = ptsname (master);
  assert_non_null (terminal);
  /* Held open here too, so that the terminal stays up between the
   * child's opening it and the program's. */
  slave = open (terminal, O_RDWR | O_NOCTTY);
  assert_true (slave >= 0);
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                become_session_leader, terminal, &pid, &error));
  g_assert_no_error (error);

  read_terminal (master, seen, "Password for carol: ");
  assert_int_equal (write (master, "hunter2\n", 8), 8);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  g_spawn_close_pid (pid);
  close (slave);
  read_terminal (master, seen, NULL);
  close (master);

  assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) != 0)
    fail_msg ("exit %d; the terminal showed “%s”", WEXITSTATUS (status), seen->str);
  /* Not echoed. */
  assert_null (strstr (seen->str, "hunter2"));
  got = dp_test_file_sha256 (out);
  assert_string_equal (got, want);
}

/* Several addresses: each is saved, the paths on standard output; a
 * failure is named with its address, a summary follows, and the exit
 * status is 1 unless every one was saved. */
static void
test_several_addresses (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *a = dp_test_server_url (server, "/file/a.bin?size=300007&seed=31");
  g_autofree char *b = dp_test_server_url (server, "/file/b.bin?size=1&status=404");
  g_autofree char *c = dp_test_server_url (server, "/file/c.bin?size=200003&seed=32");
  g_autofree char *path_a = g_build_filename (dir, "a.bin", NULL);
  g_autofree char *path_c = g_build_filename (dir, "c.bin", NULL);
  g_autofree char *want_a = dp_test_content_sha256 (31, 300007);
  g_autofree char *want_c = dp_test_content_sha256 (32, 200003);
  g_autofree char *got_a = NULL;
  g_autofree char *got_c = NULL;
  g_autofree char *expected_out = g_strdup_printf ("%s\n%s\n", path_a, path_c);
  g_autofree char *expected_err = g_strdup_printf ("downpour-cli: %s: The server does not have this "
                                                   "file (404 Not Found). Check the address.\n"
                                                   "downpour-cli: 1 of 3 downloads failed.\n", b);
  Run run;

  run = run_cli ("-d", dir, a, b, c, NULL);
  assert_int_equal (run.status, 1);
  /* One after another, in the order given. */
  assert_string_equal (run.out, expected_out);
  assert_string_equal (run.err, expected_err);
  run_clear (&run);
  got_a = dp_test_file_sha256 (path_a);
  got_c = dp_test_file_sha256 (path_c);
  assert_string_equal (got_a, want_a);
  assert_string_equal (got_c, want_c);
  assert_int_equal (dp_test_count_files (dir), 2);

  assert_int_equal (g_unlink (path_a), 0);
  assert_int_equal (g_unlink (path_c), 0);
  run = run_cli ("-q", "-d", dir, a, c, NULL);
  assert_int_equal (run.status, 0);
  assert_string_equal (run.out, "");
  assert_string_equal (run.err, "");
  run_clear (&run);
  assert_int_equal (dp_test_count_files (dir), 2);
}

/* Runs downpour-cli with @input on standard input. */
static Run
run_cli_with_input (const char *input,
                    const char *first,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("DOWNPOUR_CLI"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, &run.out, &run.err, &error));
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (process);
  return run;
}

/* -i FILE and -i - read one address per line, comments and blank lines
 * skipped; addresses on the command line come first. */
static void
test_address_list (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *a = dp_test_server_url (server, "/file/l1.bin?size=100003&seed=33");
  g_autofree char *b = dp_test_server_url (server, "/file/l2.bin?size=100019&seed=34");
  g_autofree char *c = dp_test_server_url (server, "/file/l3.bin?size=100043&seed=35");
  g_autofree char *list = g_build_filename (dir, "list.txt", NULL);
  g_autofree char *bad_list = g_build_filename (dir, "bad.txt", NULL);
  g_autofree char *empty_list = g_build_filename (dir, "empty.txt", NULL);
  g_autofree char *out_dir = g_build_filename (dir, "out", NULL);
  g_autofree char *text = g_strdup_printf ("# Downloads for today\r\n\r\n  %s  \r\n"
                                           "#%s\n\t%s\n", b, a, c);
  g_autofree char *from_stdin = g_strdup_printf ("%s\n", c);
  Run run;

  g_assert_true (g_file_set_contents (list, text, -1, NULL));
  g_assert_true (g_file_set_contents (bad_list, "http://ok.example/a\nnot an address\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty_list, "# nothing yet\n\n", -1, NULL));
  assert_int_equal (g_mkdir (out_dir, 0700), 0);

  run = run_cli ("-d", out_dir, "-i", list, a, NULL);
  assert_int_equal (run.status, 0);
  {
    g_autofree char *p1 = g_build_filename (out_dir, "l1.bin", NULL);
    g_autofree char *p2 = g_build_filename (out_dir, "l2.bin", NULL);
    g_autofree char *p3 = g_build_filename (out_dir, "l3.bin", NULL);
    g_autofree char *expected = g_strdup_printf ("%s\n%s\n%s\n", p1, p2, p3);
    g_autofree char *sha = dp_test_file_sha256 (p3);
    g_autofree char *want = dp_test_content_sha256 (35, 100043);

    assert_string_equal (run.out, expected);
    assert_string_equal (sha, want);
  }
  run_clear (&run);
  assert_int_equal (dp_test_count_files (out_dir), 3);

  /* Standard input; one address there may go with -o. */
  {
    g_autofree char *out = g_build_filename (dir, "one.bin", NULL);
    g_autofree char *sha = NULL;
    g_autofree char *want = dp_test_content_sha256 (35, 100043);

    run = run_cli_with_input (from_stdin, "-q", "-o", out, "-i", "-", NULL);
    assert_int_equal (run.status, 0);
    run_clear (&run);
    sha = dp_test_file_sha256 (out);
    assert_string_equal (sha, want);
    assert_int_equal (g_unlink (out), 0);
  }

  /* A bad line: nothing is downloaded, and the line is named. */
  dp_test_server_reset_counters (server);
  run = run_cli ("-d", out_dir, "-i", bad_list, a, NULL);
  assert_int_equal (run.status, 2);
  assert_one_error_line (&run, "Line 2 of “");
  assert_non_null (strstr (run.err, "bad.txt”: “not an address” is not a complete address"));
  run_clear (&run);
  assert_int_equal (dp_test_server_get_requests (server), 0);

  assert_usage_error ("There is no address in “", "-d", dir, "-i", empty_list, NULL);
  assert_usage_error ("Could not read addresses from “/nonexistent/list.txt”: ", "-d", dir,
                      "-i", "/nonexistent/list.txt", NULL);
  run = run_cli_with_input ("", "-d", dir, "-i", "-", NULL);
  assert_int_equal (run.status, 2);
  assert_one_error_line (&run, "There is no address on standard input.");
  run_clear (&run);
  assert_usage_error ("--output names one file; give --dir for several addresses.",
                      "-o", "x.bin", "-i", list, NULL);
  assert_usage_error ("--checksum is the checksum of one file", "--checksum",
                      "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                      "http://a/x", "http://b/y", NULL);
  assert_usage_error ("--jobs must be a number from 1 to 16, not “0”.", "-j", "0", "http://a/x", NULL);
  assert_usage_error ("--jobs must be a number from 1 to 16, not “17”.", "-j", "17", "http://a/x", NULL);
  assert_usage_error ("--input-file needs a file name", "-i", "", NULL);
}

/* -j N: N downloads at once, never more; the default is one at a time. */
static void
test_jobs (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  Run run;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *pq = g_strdup_printf ("/file/j%u.bin?size=262147&seed=%u&rate=1048576",
                                             i, 40 + i);

      g_ptr_array_add (urls, dp_test_server_url (server, pq));
    }

  run = run_cli ("-q", "-s", "1", "-j", "2", "-d", dir, g_ptr_array_index (urls, 0),
                 g_ptr_array_index (urls, 1), g_ptr_array_index (urls, 2),
                 g_ptr_array_index (urls, 3), g_ptr_array_index (urls, 4), NULL);
  assert_int_equal (run.status, 0);
  run_clear (&run);
  assert_int_equal (dp_test_count_files (dir), 5);
  assert_int_equal (dp_test_server_get_max_concurrent (server), 2);

  dp_test_server_reset_counters (server);
  dp_test_rmdir (dir);
  assert_int_equal (g_mkdir (dir, 0700), 0);
  run = run_cli ("-q", "-s", "1", "-d", dir, g_ptr_array_index (urls, 0),
                 g_ptr_array_index (urls, 1), g_ptr_array_index (urls, 2), NULL);
  assert_int_equal (run.status, 0);
  run_clear (&run);
  assert_int_equal (dp_test_server_get_max_concurrent (server), 1);
}

/* A password given on the command line is blanked in what other users
 * can read of the process (/proc/PID/cmdline) while it runs. */
static void
test_password_hidden_from_ps (void **state)
{
  const char *dir = *state;
  g_autoptr(DpTestServer) server = dp_test_server_new ();
  g_autofree char *url = dp_test_server_url (server, "/file/ps.bin?size=2000003&seed=26&rate=262144"
                                                     "&auth=dora%3AS3cretPw");
  g_autofree char *out = g_build_filename (dir, "ps.bin", NULL);
  g_autofree char *part = g_strconcat (out, ".part", NULL);
  g_autofree char *cmdline_path = NULL;
  g_autofree char *cmdline = NULL;
  gsize length = 0;
  g_autoptr(GSubprocess) process = spawn_cli ("-q", "-s", "1", "-o", out, "--user=dora:S3cretPw",
                                              url, NULL);
  Run run;

  wait_for_file (part, 0, process);
  cmdline_path = g_strdup_printf ("/proc/%s/cmdline", g_subprocess_get_identifier (process));
  assert_true (g_file_get_contents (cmdline_path, &cmdline, &length, NULL));
  for (gsize i = 0; i + 1 < length; i++)
    if (cmdline[i] == '\0')
      cmdline[i] = ' ';
  /* (The address holds it too, for the test server.) */
  assert_null (strstr (cmdline, "--user=dora:S3cretPw"));
  assert_non_null (strstr (cmdline, "--user=dora:******** "));
  g_subprocess_send_signal (process, SIGTERM);
  run = finish_cli (process);
  run_clear (&run);
}

/* Ctrl+C at the password prompt leaves the terminal echoing again. */
static void
test_password_prompt_interrupted (void **state)
{
  const char *dir = *state;
  g_autofree char *out = g_build_filename (dir, "never.bin", NULL);
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("DOWNPOUR_CLI"), "-o", out, "--user", "carol",
                         "http://127.0.0.1:9/x", NULL };
  struct termios after;
  char *terminal;
  int master, slave, status = 0;
  GPid pid;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  assert_true (master >= 0);
  assert_int_equal (grantpt (master), 0);
  assert_int_equal (unlockpt (master), 0);
  terminal = ptsname (master);
  slave = open (terminal, O_RDWR | O_NOCTTY);
  assert_true (slave >= 0);
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                become_session_leader, terminal, &pid, &error));
  g_assert_no_error (error);
  read_terminal (master, seen, "Password for carol: ");
  kill (pid, SIGINT);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  g_spawn_close_pid (pid);
  assert_true (WIFSIGNALED (status));
  assert_int_equal (WTERMSIG (status), SIGINT);
  assert_int_equal (tcgetattr (slave, &after), 0);
  assert_true ((after.c_lflag & ECHO) != 0);
  close (slave);
  close (master);
  assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
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
    cmocka_unit_test_setup_teardown (test_resume_after_kill, setup, teardown),
    cmocka_unit_test_setup_teardown (test_checksum, setup, teardown),
    cmocka_unit_test_setup_teardown (test_limit_rate, setup, teardown),
    cmocka_unit_test_setup_teardown (test_same_output_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_same_folder_name_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_security_options, setup, teardown),
    cmocka_unit_test_setup_teardown (test_leak_check, setup, teardown),
    cmocka_unit_test_setup_teardown (test_request_options_usage, setup, teardown),
    cmocka_unit_test_setup_teardown (test_request_options_sent, setup, teardown),
    cmocka_unit_test_setup_teardown (test_password_prompt, setup, teardown),
    cmocka_unit_test_setup_teardown (test_password_prompt_interrupted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_password_hidden_from_ps, setup, teardown),
    cmocka_unit_test_setup_teardown (test_several_addresses, setup, teardown),
    cmocka_unit_test_setup_teardown (test_address_list, setup, teardown),
    cmocka_unit_test_setup_teardown (test_jobs, setup, teardown),
  };

  int failed;

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));

  failed = cmocka_run_group_tests (tests, NULL, NULL);
  dp_test_quiesce_threads ();
  return failed;
}
