/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-part-file.h"
#include "dp-test-util.h"

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

/* Offsets beyond 4 GiB reach the right place (no 32-bit truncation). */
static void
test_write_above_4_gib (void **state)
{
  const char *dir = *state;
  g_autofree char *path = g_build_filename (dir, "big.part", NULL);
  g_autoptr(DpPartFile) file = dp_part_file_open (path, TRUE, TRUE, NULL);
  const gint64 offset = G_GINT64_CONSTANT (4294967296) + 12345;
  char buf[16] = { 0 };
  GStatBuf st;
  int fd;

  assert_non_null (file);
  /* A sparse file: the test must not need 4 GiB of disk. */
  assert_true (dp_part_file_truncate (file, offset + 5, NULL));
  assert_true (dp_part_file_write (file, offset, "hello", 5, NULL));
  assert_true (dp_part_file_write (file, 7, "start", 5, NULL));

  assert_int_equal (g_stat (path, &st), 0);
  assert_int_equal (st.st_size, offset + 5);

  fd = g_open (path, O_RDONLY, 0);
  assert_true (fd >= 0);
  assert_int_equal (pread (fd, buf, 5, offset), 5);
  assert_memory_equal (buf, "hello", 5);
  assert_int_equal (pread (fd, buf, 5, 7), 5);
  assert_memory_equal (buf, "start", 5);
  /* 2^32 + 12345 truncated to 32 bits would be 12345. */
  assert_int_equal (pread (fd, buf, 5, 12345), 5);
  assert_memory_equal (buf, "\0\0\0\0\0", 5);
  close (fd);
}

static void
test_preallocate_and_commit (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "f.part", NULL);
  g_autofree char *final = g_build_filename (dir, "f", NULL);
  g_autoptr(GError) error = NULL;
  DpPartFile *file = dp_part_file_open (part, TRUE, TRUE, &error);
  g_autofree char *contents = NULL;
  gsize len;

  assert_non_null (file);
  assert_true (dp_part_file_preallocate (file, 10, &error));
  assert_true (dp_part_file_write (file, 5, "67890", 5, &error));
  assert_true (dp_part_file_write (file, 0, "12345", 5, &error));
  assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  assert_true (dp_part_file_commit (file, final, &error));
  dp_part_file_free (file);

  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_true (g_file_get_contents (final, &contents, &len, NULL));
  assert_int_equal (len, 10);
  assert_memory_equal (contents, "1234567890", 10);
}

static void
test_exclusive_open_refuses_existing (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "taken.part", NULL);
  g_autoptr(GError) error = NULL;
  DpPartFile *file;

  g_assert_true (g_file_set_contents (part, "x", 1, NULL));
  file = dp_part_file_open (part, TRUE, TRUE, &error);
  assert_null (file);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_EXISTS));
}

static void
test_symlink_is_not_followed (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "link.part", NULL);
  g_autofree char *victim = g_build_filename (dir, "victim", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  DpPartFile *file;

  g_assert_true (g_file_set_contents (victim, "keep me", -1, NULL));
  assert_int_equal (symlink (victim, part), 0);
  file = dp_part_file_open (part, FALSE, TRUE, &error);
  assert_null (file);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_EXISTS));
  assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  assert_string_equal (contents, "keep me");
}

/* A file larger than the process may write fails early with a clear
 * error, as a full disk would. */
static void
test_too_large_for_limit (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "limited.part", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPartFile) file = NULL;
  struct rlimit old, limit;
  void (*old_handler) (int);

  assert_int_equal (getrlimit (RLIMIT_FSIZE, &old), 0);
  limit = old;
  limit.rlim_cur = 1 << 20;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  assert_int_equal (setrlimit (RLIMIT_FSIZE, &limit), 0);

  file = dp_part_file_open (part, TRUE, TRUE, &error);
  assert_non_null (file);
  assert_false (dp_part_file_preallocate (file, 10 << 20, &error));

  setrlimit (RLIMIT_FSIZE, &old);
  signal (SIGXFSZ, old_handler);

  assert_non_null (error);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_NO_SPACE));
  assert_true (g_str_has_prefix (error->message, "The file “"));
  assert_non_null (strstr (error->message, "limited.part” is larger than this disk allows."));
}

static void
test_error_messages (void **state)
{
  g_autoptr(GError) nospace = dp_part_file_error_new (ENOSPC, "/tmp/x.iso");
  g_autoptr(GError) denied = dp_part_file_error_new (EACCES, "/tmp/x.iso");

  assert_true (g_error_matches (nospace, DP_ERROR, DP_ERROR_NO_SPACE));
  assert_non_null (strstr (nospace->message, "x.iso"));
  assert_true (g_error_matches (denied, DP_ERROR, DP_ERROR_IO));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_write_above_4_gib, setup, teardown),
    cmocka_unit_test_setup_teardown (test_preallocate_and_commit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exclusive_open_refuses_existing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_symlink_is_not_followed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_too_large_for_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_error_messages, setup, teardown),
  };

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
