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
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-part-file.h"
#include "dp-part-file-private.h"
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
  g_autoptr(DpPartFile) file = dp_part_file_open (path, DP_PART_FILE_EXCLUSIVE, NULL);
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
  DpPartFile *file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, &error);
  g_autofree char *contents = NULL;
  gsize len;

  assert_non_null (file);
  assert_true (dp_part_file_preallocate (file, 10, &error));
  assert_true (dp_part_file_write (file, 5, "67890", 5, &error));
  assert_true (dp_part_file_write (file, 0, "12345", 5, &error));
  assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  assert_true (dp_part_file_commit (file, final, DP_PART_FILE_NO_REPLACE, &error));
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
  file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, &error);
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
  file = dp_part_file_open (part, DP_PART_FILE_CREATE | DP_PART_FILE_TRUNCATE, &error);
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

  file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, &error);
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

static void
assert_contents (const char *path,
                 const char *expected)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    fail_msg ("“%s” cannot be read", path);
  assert_string_equal (contents, expected);
}

/* While one download holds a partial file, a second one is refused
 * before it changes a byte, truncation or not; once the first lets go,
 * the file can be taken. */
static void
test_second_open_is_busy (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "same.part", NULL);
  g_autoptr(DpPartFile) first = NULL;
  g_autoptr(DpPartFile) again = NULL;
  const DpPartFileFlags attempts[] = {
    DP_PART_FILE_CREATE | DP_PART_FILE_TRUNCATE,
    DP_PART_FILE_OPEN_EXISTING | DP_PART_FILE_TRUNCATE,
    DP_PART_FILE_CREATE,
  };

  first = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);
  assert_non_null (first);
  assert_true (dp_part_file_write (first, 0, "first's bytes", 13, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DpPartFile) second = dp_part_file_open (part, attempts[i], &error);

      assert_null (second);
      assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_BUSY));
      assert_non_null (strstr (error->message, "same.part"));
      assert_non_null (strstr (error->message, "Another download"));
      assert_contents (part, "first's bytes");
    }

  g_clear_pointer (&first, dp_part_file_free);
  again = dp_part_file_open (part, DP_PART_FILE_CREATE | DP_PART_FILE_TRUNCATE, NULL);
  assert_non_null (again);
  assert_contents (part, "");
}

/* The lock lasts until the commit: the name then holds nothing, and the
 * next download there starts a new, empty file instead of writing into
 * the finished one. */
static void
test_lock_lasts_until_commit (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "c.part", NULL);
  g_autofree char *final = g_build_filename (dir, "c", NULL);
  g_autoptr(DpPartFile) next = NULL;
  g_autoptr(GError) error = NULL;
  DpPartFile *file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);

  assert_non_null (file);
  assert_true (dp_part_file_write (file, 0, "done", 4, NULL));
  assert_null (dp_part_file_open (part, DP_PART_FILE_CREATE, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_BUSY));
  g_clear_error (&error);

  assert_true (dp_part_file_commit (file, final, DP_PART_FILE_NO_REPLACE, &error));
  g_assert_no_error (error);
  dp_part_file_free (file);

  next = dp_part_file_open (part, DP_PART_FILE_CREATE, &error);
  assert_non_null (next);
  assert_true (dp_part_file_write (next, 0, "new", 3, NULL));
  assert_contents (final, "done");
  assert_contents (part, "new");
}

/* An existing partial file is opened only if it is there: looking at a
 * name must not create a file. */
static void
test_open_existing_creates_nothing (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "absent.part", NULL);
  g_autoptr(GError) error = NULL;

  assert_null (dp_part_file_open (part, DP_PART_FILE_OPEN_EXISTING, &error));
  assert_non_null (error);
  assert_int_equal (dp_test_count_files (dir), 0);
}

/* Committing without replacing keeps a file that appeared at the final
 * name, keeps the partial file open and locked, and can then use
 * another name. Replacing replaces. */
static void
test_commit_never_replaces_unless_asked (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "n.part", NULL);
  g_autofree char *final = g_build_filename (dir, "n", NULL);
  g_autofree char *other = g_build_filename (dir, "n (1)", NULL);
  g_autofree char *part2 = g_build_filename (dir, "r.part", NULL);
  g_autoptr(GError) error = NULL;
  DpPartFile *file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);
  DpPartFile *replacing = NULL;

  assert_non_null (file);
  assert_true (dp_part_file_write (file, 0, "download", 8, NULL));
  g_assert_true (g_file_set_contents (final, "appeared meanwhile", -1, NULL));

  assert_false (dp_part_file_commit (file, final, DP_PART_FILE_NO_REPLACE, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_EXISTS));
  g_clear_error (&error);
  assert_contents (final, "appeared meanwhile");
  assert_contents (part, "download");
  /* Still ours. */
  assert_null (dp_part_file_open (part, DP_PART_FILE_CREATE, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_BUSY));
  g_clear_error (&error);

  assert_true (dp_part_file_commit (file, other, DP_PART_FILE_NO_REPLACE, &error));
  dp_part_file_free (file);
  assert_contents (other, "download");
  assert_contents (final, "appeared meanwhile");
  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* -o: the named file is replaced once the new one is complete. */
  replacing = dp_part_file_open (part2, DP_PART_FILE_EXCLUSIVE, NULL);
  assert_non_null (replacing);
  assert_true (dp_part_file_write (replacing, 0, "newer", 5, NULL));
  assert_true (dp_part_file_commit (replacing, final, DP_PART_FILE_REPLACE, &error));
  dp_part_file_free (replacing);
  assert_contents (final, "newer");
}

/* A sync that failed once fails for good: the kernel reports a lost
 * writeback only once and then calls the pages clean, so a later
 * fdatasync() or fsync() would succeed over lost bytes. */
static void
test_failed_sync_is_sticky (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "s.part", NULL);
  g_autofree char *final = g_build_filename (dir, "s", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPartFile) file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);

  assert_non_null (file);
  assert_true (dp_part_file_write (file, 0, "bytes", 5, NULL));
  assert_true (dp_part_file_sync (file, &error));

  dp_part_file_set_fault_for_testing (file, EIO);
  assert_false (dp_part_file_sync (file, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_non_null (strstr (error->message, "s.part"));
  assert_non_null (strstr (error->message, g_strerror (EIO)));
  g_clear_error (&error);

  /* The fault was used up; the real fdatasync() would now succeed. */
  assert_false (dp_part_file_sync (file, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_non_null (strstr (error->message, g_strerror (EIO)));
  g_clear_error (&error);

  assert_false (dp_part_file_commit (file, final, DP_PART_FILE_REPLACE, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* The seam for whole downloads hands its fault to the next file opened,
 * and only to that one. */
static void
test_next_open_fault (void **state)
{
  const char *dir = *state;
  g_autofree char *a = g_build_filename (dir, "a.part", NULL);
  g_autofree char *b = g_build_filename (dir, "b.part", NULL);
  g_autoptr(DpPartFile) first = NULL;
  g_autoptr(DpPartFile) second = NULL;
  g_autoptr(GError) error = NULL;

  dp_part_file_set_next_open_fault_for_testing (ENOSPC);
  first = dp_part_file_open (a, DP_PART_FILE_EXCLUSIVE, NULL);
  second = dp_part_file_open (b, DP_PART_FILE_EXCLUSIVE, NULL);
  assert_false (dp_part_file_sync (first, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_true (dp_part_file_sync (second, NULL));
}

/* Discarding deletes the partial file while it is still locked, and
 * only if the name still holds it. */
static void
test_discard_spares_a_replaced_name (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "d.part", NULL);
  g_autofree char *aside = g_build_filename (dir, "aside", NULL);
  DpPartFile *file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);

  assert_non_null (file);
  /* Somebody moves it away and puts their own file at the name. */
  assert_int_equal (g_rename (part, aside), 0);
  g_assert_true (g_file_set_contents (part, "theirs", -1, NULL));
  dp_part_file_discard (file);
  dp_part_file_free (file);
  assert_contents (part, "theirs");
}

/* Deleting partial data takes the download's lock first: a file some
 * download holds stays as it is, with its record; one nobody holds goes,
 * with its record. */
static void
test_delete_spares_a_held_file (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "held.part", NULL);
  g_autofree char *record = g_build_filename (dir, "held.part.state", NULL);
  g_autoptr(GError) error = NULL;
  DpPartFile *file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, NULL);

  assert_non_null (file);
  assert_true (dp_part_file_write (file, 0, "held", 4, NULL));
  g_assert_true (g_file_set_contents (record, "progress", -1, NULL));

  assert_false (dp_part_file_delete (part, record, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_BUSY));
  assert_contents (part, "held");
  assert_contents (record, "progress");

  dp_part_file_free (file);
  assert_true (dp_part_file_delete (part, record, NULL));
  assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
}

/* A missing partial file is no error, and its stale record goes; a link
 * at the name is neither followed nor deleted. */
static void
test_delete_missing_and_links (void **state)
{
  const char *dir = *state;
  g_autofree char *part = g_build_filename (dir, "gone.part", NULL);
  g_autofree char *record = g_build_filename (dir, "gone.part.state", NULL);
  g_autofree char *victim = g_build_filename (dir, "victim", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (record, "stale", -1, NULL));
  assert_true (dp_part_file_delete (part, record, NULL));
  assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  assert_true (dp_part_file_delete (part, NULL, NULL));

  g_assert_true (g_file_set_contents (victim, "keep me", -1, NULL));
  g_assert_true (g_file_set_contents (record, "theirs", -1, NULL));
  assert_int_equal (symlink (victim, part), 0);
  assert_false (dp_part_file_delete (part, record, &error));
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_EXISTS));
  assert_true (g_file_test (part, G_FILE_TEST_IS_SYMLINK));
  assert_contents (victim, "keep me");
  assert_contents (record, "theirs");
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
    cmocka_unit_test_setup_teardown (test_second_open_is_busy, setup, teardown),
    cmocka_unit_test_setup_teardown (test_lock_lasts_until_commit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_open_existing_creates_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_commit_never_replaces_unless_asked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failed_sync_is_sticky, setup, teardown),
    cmocka_unit_test_setup_teardown (test_next_open_fault, setup, teardown),
    cmocka_unit_test_setup_teardown (test_discard_spares_a_replaced_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_delete_spares_a_held_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_delete_missing_and_links, setup, teardown),
  };

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
