/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <glib.h>

#include "dp-names.h"

#define FFFD "\xef\xbf\xbd"

/* The helpers report the caller's line and the offending input, since
 * the tables below would be hard to debug otherwise. */
#define check_sanitize(in, expected) check_result_at ("sanitize", in, dp_sanitize_filename (in), expected, __FILE__, __LINE__)
#define check_url(in, expected) check_result_at ("url", in, dp_filename_from_url (in), expected, __FILE__, __LINE__)
#define check_numbered(in, n, expected) check_result_at ("numbered", in, dp_numbered_filename (in, n), expected, __FILE__, __LINE__)
#define check_safe(in, out) check_safe_at (in, out, __FILE__, __LINE__)

/* Printable and short enough for a failure message. */
static char *
escaped (const char *s)
{
  g_autofree char *head = NULL;

  if (s == NULL)
    return g_strdup ("(null)");
  head = g_strndup (s, 300);
  return g_strescape (head, NULL);
}

/* Takes ownership of @got. */
static void
check_result_at (const char *what,
                 const char *input,
                 char       *got,
                 const char *expected,
                 const char *file,
                 int         line)
{
  if (g_strcmp0 (got, expected) != 0)
    {
      g_autofree char *i = escaped (input);
      g_autofree char *g = escaped (got);
      g_autofree char *x = escaped (expected);

      print_error ("%s \"%s\": got \"%s\", expected \"%s\"\n", what, i, g, x);
      g_free (got);
      _fail (file, line);
    }
  g_free (got);
}

static const char *
unsafe_reason (const char *name)
{
  const char *p;
  size_t len;

  if (name == NULL)
    return NULL;

  len = strlen (name);
  if (!g_utf8_validate (name, -1, NULL))
    return "invalid UTF-8";
  if (len == 0)
    return "empty";
  if (len > DP_NAME_MAX)
    return "too long";
  if (name[0] == '.' || name[0] == ' ')
    return "leading dot or space";
  if (name[len - 1] == '.' || name[len - 1] == ' ')
    return "trailing dot or space";
  if (strchr (name, '/') != NULL || strchr (name, '\\') != NULL)
    return "separator";

  for (p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return "control character";
    }
  return NULL;
}

/* NULL, or a name that is one harmless path component. */
static void
check_safe_at (const char *input,
               const char *name,
               const char *file,
               int         line)
{
  const char *reason = unsafe_reason (name);

  if (reason != NULL)
    {
      g_autofree char *i = escaped (input);
      g_autofree char *n = escaped (name);

      print_error ("\"%s\" gave \"%s\": %s\n", i, n, reason);
      _fail (file, line);
    }
}

/* splitmix64: a fixed seed keeps the random tests reproducible. */
static guint64
next_random (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static char *
repeat (const char *unit,
        guint       count,
        const char *tail)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < count; i++)
    g_string_append (s, unit);
  g_string_append (s, tail);
  return g_string_free (s, FALSE);
}

/* Random names built from the pieces most likely to break a
 * sanitiser, mixed with arbitrary bytes, up to about 800 bytes long. */
static char *
random_name (guint64 *rng)
{
  static const char *const pieces[] = {
    "/", "\\", ".", ".", "..", " ", "\x01", "\t", "\n", "\x7f", "\xc2\x85",
    "\xc2\x9f", "\xc2\xa0", "\xff", "\xc0\xaf", "\xe2\x82", "\xe2\x82\xac",
    "\xf0\x9f\x98\x80", "a", "name", ".tar", ".gz", ".iso", "%2F", "%00",
    "\xed\xa0\x80", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  };
  GString *s = g_string_new (NULL);
  guint n = next_random (rng) % 40;
  guint i;

  for (i = 0; i < n; i++)
    {
      guint64 r = next_random (rng);

      if (r % 5 == 0)
        g_string_append_c (s, (char) (1 + (r >> 8) % 255));
      else
        g_string_append (s, pieces[(r >> 8) % G_N_ELEMENTS (pieces)]);
    }
  return g_string_free (s, FALSE);
}

/* dp_sanitize_filename */

static void
test_sanitize_plain (void **state)
{
  check_sanitize ("disk.iso", "disk.iso");
  check_sanitize ("My File (1).tar.gz", "My File (1).tar.gz");
  check_sanitize ("\xe2\x82\xac rates.txt", "\xe2\x82\xac rates.txt");
  check_sanitize ("a   b.txt", "a   b.txt");
  check_sanitize ("a\xc2\xa0" "b", "a\xc2\xa0" "b");
  check_sanitize ("a. b", "a. b");
  check_sanitize ("C:file", "C:file");
}

static void
test_sanitize_nothing_left (void **state)
{
  static const char *const empty[] = {
    "", ".", "..", "...", " ", "   ", " . ", ". .", "\x01\x02", "\x7f",
    "\xc2\x85", "\t.\n", ". \x1b .",
  };
  size_t i;

  check_sanitize (NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (empty); i++)
    check_sanitize (empty[i], NULL);
}

static void
test_sanitize_separators (void **state)
{
  check_sanitize ("a/b\\c", "a_b_c");
  check_sanitize ("../../etc/passwd", "_.._etc_passwd");
  check_sanitize ("/etc/passwd", "_etc_passwd");
  check_sanitize ("..\\..\\Windows\\win.ini", "_.._Windows_win.ini");
  check_sanitize ("./x", "_x");
  check_sanitize ("/", "_");
  check_sanitize ("dir/", "dir_");
}

static void
test_sanitize_dots_and_spaces (void **state)
{
  check_sanitize (".bashrc", "bashrc");
  check_sanitize (" .hidden", "hidden");
  check_sanitize ("...x", "x");
  check_sanitize ("  name. . ", "name");
  check_sanitize ("name...", "name");
  check_sanitize ("..a..b..", "a..b");
  check_sanitize ("a .", "a");
}

static void
test_sanitize_controls (void **state)
{
  check_sanitize ("a\tb\nc\rd\x7f", "abcd");
  check_sanitize ("a\xc2\x85" "b\xc2\x9f", "ab");
  check_sanitize ("\x01.bashrc", "bashrc");
  check_sanitize ("x\x1b[31mred.txt", "x[31mred.txt");
  check_sanitize ("name.txt\n", "name.txt");
  check_sanitize ("a\x01/\x02" "b", "a_b");
}

static void
test_sanitize_invalid_utf8 (void **state)
{
  check_sanitize ("\xff\xfe" "abc", FFFD FFFD "abc");
  check_sanitize ("abc\xe2\x82", "abc" FFFD FFFD);
  /* An overlong '/' must not turn into a separator. */
  check_sanitize ("a\xc0\xaf" "b", "a" FFFD FFFD "b");
  /* A C1 control written overlong is not decoded either. */
  check_sanitize ("\xe0\x82\x85", FFFD FFFD FFFD);
  check_sanitize ("\xed\xa0\x80", FFFD FFFD FFFD);
}

static void
test_sanitize_long (void **state)
{
  g_autofree char *iso = repeat ("a", 400, ".iso");
  g_autofree char *iso_expected = repeat ("a", 251, ".iso");
  g_autofree char *tgz = repeat ("a", 400, ".tar.gz");
  g_autofree char *tgz_expected = repeat ("a", 248, ".tar.gz");
  g_autofree char *exact = repeat ("a", 251, ".iso");
  g_autofree char *one_over = repeat ("a", 256, "");
  g_autofree char *one_over_expected = repeat ("a", 255, "");
  g_autofree char *long_ext = repeat ("a", 300, ".averyverylongext");
  g_autofree char *euro = repeat ("\xe2\x82\xac", 200, ".pdf");
  g_autofree char *euro_expected = repeat ("\xe2\x82\xac", 83, ".pdf");
  g_autofree char *spaced = repeat ("a", 240, "                    .iso");
  g_autofree char *spaced_expected = repeat ("a", 240, ".iso");
  g_autofree char *no_ext = repeat ("a", 250, "          b b");
  g_autofree char *no_ext_expected = repeat ("a", 250, "");
  g_autofree char *name = NULL;

  check_sanitize (iso, iso_expected);
  check_sanitize (tgz, tgz_expected);
  check_sanitize (exact, exact);
  check_sanitize (one_over, one_over_expected);
  check_sanitize (euro, euro_expected);
  check_sanitize (spaced, spaced_expected);
  check_sanitize (no_ext, no_ext_expected);

  /* Too long to be an extension: cut like any other name. */
  name = dp_sanitize_filename (long_ext);
  assert_int_equal (strlen (name), DP_NAME_MAX);
  assert_true (g_str_has_prefix (long_ext, name));
}

static void
test_sanitize_hostile (void **state)
{
  static const char *const hostile[] = {
    "../../etc/passwd", "..", "../", "/..", "\\..\\", ". .\x01.", "\x01.\x02.",
    ".\xc2\x85.", "\xff.", "%2e%2e", "....//....//", "a/../../b", "..\xc0\xaf",
    " \xc2\xa0.", "\xe2\x80\xaegpj.exe",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *name = dp_sanitize_filename (hostile[i]);

      check_safe (hostile[i], name);
    }
}

static void
test_sanitize_random (void **state)
{
  guint64 rng = 7;
  guint kept = 0, cut = 0;
  int i;

  for (i = 0; i < 50000; i++)
    {
      g_autofree char *input = random_name (&rng);
      g_autofree char *name = dp_sanitize_filename (input);

      check_safe (input, name);
      if (name != NULL)
        kept++;
      if (name != NULL && strlen (name) > 200)
        cut++;
    }

  /* Make sure the generator exercises both results and the cutting. */
  assert_true (kept > 1000);
  assert_true (cut > 1000);
}

/* dp_filename_from_url */

static void
test_url_basic (void **state)
{
  check_url ("http://example.com/files/disk.iso", "disk.iso");
  check_url ("https://example.com/disk.iso?token=abc/def.exe#frag/x.bin", "disk.iso");
  check_url ("http://example.com/dir/", "dir");
  check_url ("http://example.com/dir//", "dir");
  check_url ("http://example.com/a/./b/../c.txt", "c.txt");
  check_url ("http://user:pw@example.com:8080/x.tar.gz", "x.tar.gz");
  check_url ("http://[::1]/x", "x");
  check_url ("file:///tmp/x.txt", "x.txt");
  check_url ("http://example.com/.hidden", "hidden");
  check_url ("http://example.com/a b.txt", "a b.txt");
}

static void
test_url_percent (void **state)
{
  check_url ("http://h/a%20b.txt", "a b.txt");
  check_url ("http://h/%e2%82%ac.txt", "\xe2\x82\xac.txt");
  check_url ("http://h/..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd");
  check_url ("http://h/a%5Cb", "a_b");
  check_url ("http://h/a%0Ab.txt", "ab.txt");
  check_url ("http://h/%FF.txt", FFFD ".txt");
  /* Undecodable: the raw segment is used. */
  check_url ("http://h/a%00b", "a%00b");
  check_url ("http://h/a%zz.txt", "a%zz.txt");
  check_url ("http://h/a%", "a%");
  check_url ("http://h/..%00", "%00");
  check_url ("http://h/x.iso?q=%zz", "x.iso");
  /* Dot segments, even encoded ones, are resolved by the URL parser. */
  check_url ("http://h/a/%2e%2e", NULL);
  check_url ("http://h/%2e", NULL);
  check_url ("http://h/x/%2e%2e%2e", NULL);
}

static void
test_url_no_name (void **state)
{
  static const char *const bad[] = {
    "", "not a url", "/relative/path.txt", "relative.txt", "//host/x.txt",
    "http://host", "http://host/", "http://host//", "http://host/?x=y.txt",
    "http://host/#x.txt", "http://host/%20", "http://host/%20.%20",
  };
  size_t i;

  check_url (NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    check_url (bad[i], NULL);
}

static void
test_url_random (void **state)
{
  guint64 rng = 99;
  int i;

  for (i = 0; i < 20000; i++)
    {
      g_autofree char *segment = random_name (&rng);
      g_autofree char *encoded = g_uri_escape_string (segment, NULL, FALSE);
      g_autofree char *url = g_strconcat ("http://example.com/dir/", segment, NULL);
      g_autofree char *escaped_url = g_strconcat ("http://example.com/", encoded, NULL);
      g_autofree char *name = dp_filename_from_url (url);
      g_autofree char *name2 = dp_filename_from_url (escaped_url);

      check_safe (url, name);
      check_safe (escaped_url, name2);
    }
}

/* dp_derive_filename */

static void
test_derive (void **state)
{
  g_autofree char *a = dp_derive_filename ("attachment; filename=\"report.pdf\"",
                                           "http://h/download.php?id=1");
  g_autofree char *b = dp_derive_filename ("attachment", "http://h/files/x.iso");
  g_autofree char *c = dp_derive_filename (NULL, "http://h/");
  g_autofree char *d = dp_derive_filename (NULL, NULL);
  g_autofree char *e = dp_derive_filename ("attachment; filename=\"../../.bashrc\"", NULL);
  g_autofree char *f = dp_derive_filename ("attachment; filename=\"..\"", "http://h/y.zip");
  g_autofree char *g = dp_derive_filename ("attachment; filename=\"broken", "http://h/y.zip");
  g_autofree char *h = dp_derive_filename ("attachment; filename*=UTF-8''%e2%82%ac.txt",
                                           "http://h/y.zip");
  g_autofree char *i = dp_derive_filename ("garbage", "not a url");
  g_autofree char *j = dp_derive_filename ("attachment; filename=\"../../x.bin\"", NULL);
  g_autofree char *k = dp_derive_filename ("attachment; filename=\"C:\\\\Users\\\\me\\\\r.pdf\"", NULL);
  g_autofree char *l = dp_derive_filename ("attachment; filename=\"dir/\"", "http://h/y.zip");
  g_autofree char *m = dp_derive_filename ("attachment; filename*=UTF-8''..%2F..%5Cz.txt", NULL);
  g_autofree char *n = dp_derive_filename ("attachment; filename=\"a/b\\\\..\"", "http://h/y.zip");

  assert_string_equal (a, "report.pdf");
  assert_string_equal (b, "x.iso");
  assert_string_equal (c, "download");
  assert_string_equal (d, "download");
  /* Only the last path segment counts (RFC 6266, 4.3), then the usual
   * rules: no hidden file, no "..". */
  assert_string_equal (e, "bashrc");
  assert_string_equal (f, "y.zip");
  assert_string_equal (g, "y.zip");
  assert_string_equal (h, "\xe2\x82\xac.txt");
  assert_string_equal (i, "download");
  assert_string_equal (j, "x.bin");
  assert_string_equal (k, "r.pdf");
  assert_string_equal (l, "y.zip");
  assert_string_equal (m, "z.txt");
  assert_string_equal (n, "y.zip");
}

/* dp_numbered_filename */

static void
test_numbered_basic (void **state)
{
  check_numbered ("a.iso", 1, "a (1).iso");
  check_numbered ("x.tar.gz", 2, "x (2).tar.gz");
  check_numbered ("README", 3, "README (3)");
  check_numbered ("a.b.c", 1, "a.b (1).c");
  check_numbered ("x.tar", 1, "x (1).tar");
  check_numbered ("a.tar.gz.part", 1, "a.tar.gz (1).part");
  check_numbered ("name.", 1, "name. (1)");
  check_numbered ("disk.iso", G_MAXUINT, "disk (4294967295).iso");
  /* An "extension" with a space in it is part of the name. */
  check_numbered ("Report v2.0 final", 1, "Report v2.0 final (1)");
}

static void
test_numbered_tar (void **state)
{
  check_numbered ("x.tar.gz", 1, "x (1).tar.gz");
  check_numbered ("x.tar.xz", 1, "x (1).tar.xz");
  check_numbered ("x.tar.bz2", 1, "x (1).tar.bz2");
  check_numbered ("x.tar.zst", 1, "x (1).tar.zst");
  check_numbered ("Archive.TAR.GZ", 4, "Archive (4).TAR.GZ");
  check_numbered ("x.star.gz", 1, "x.star (1).gz");
  check_numbered ("tar.gz", 1, "tar (1).gz");
}

static void
test_numbered_dotfiles (void **state)
{
  check_numbered (".bashrc", 1, ".bashrc (1)");
  check_numbered (".tar.gz", 1, ".tar.gz (1)");
  check_numbered (".config.json", 2, ".config.json (2)");
  check_numbered ("..", 1, ".. (1)");
}

static void
test_numbered_limit (void **state)
{
  g_autofree char *iso = repeat ("a", 251, ".iso");
  g_autofree char *iso_expected = repeat ("a", 247, " (1).iso");
  g_autofree char *plain = repeat ("b", 255, "");
  g_autofree char *plain_expected = repeat ("b", 242, " (4294967295)");
  g_autofree char *tgz = repeat ("c", 248, ".tar.gz");
  g_autofree char *tgz_expected = repeat ("c", 243, " (10).tar.gz");
  g_autofree char *euro = repeat ("\xe2\x82\xac", 85, "");
  g_autofree char *euro_expected = repeat ("\xe2\x82\xac", 83, " (12)");
  g_autofree char *short_enough = repeat ("d", 246, ".iso");
  g_autofree char *short_expected = repeat ("d", 246, " (1).iso");
  g_autofree char *overlong = repeat ("e", 1000, ".iso");
  g_autofree char *overlong_expected = repeat ("e", 247, " (1).iso");

  check_numbered (iso, 1, iso_expected);
  check_numbered (plain, G_MAXUINT, plain_expected);
  check_numbered (tgz, 10, tgz_expected);
  check_numbered (euro, 12, euro_expected);
  check_numbered (short_enough, 1, short_expected);
  check_numbered (overlong, 1, overlong_expected);
}

static void
test_numbered_random (void **state)
{
  guint64 rng = 1234;
  int i;

  for (i = 0; i < 20000; i++)
    {
      g_autofree char *input = random_name (&rng);
      g_autofree char *safe = dp_sanitize_filename (input);
      g_autofree char *numbered = NULL;
      g_autofree char *infix = NULL;
      guint n;

      if (safe == NULL)
        continue;

      n = 1 + next_random (&rng) % 100000;
      infix = g_strdup_printf (" (%u)", n);
      numbered = dp_numbered_filename (safe, n);
      check_safe (safe, numbered);
      assert_non_null (strstr (numbered, infix));
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sanitize_plain),
    cmocka_unit_test (test_sanitize_nothing_left),
    cmocka_unit_test (test_sanitize_separators),
    cmocka_unit_test (test_sanitize_dots_and_spaces),
    cmocka_unit_test (test_sanitize_controls),
    cmocka_unit_test (test_sanitize_invalid_utf8),
    cmocka_unit_test (test_sanitize_long),
    cmocka_unit_test (test_sanitize_hostile),
    cmocka_unit_test (test_sanitize_random),
    cmocka_unit_test (test_url_basic),
    cmocka_unit_test (test_url_percent),
    cmocka_unit_test (test_url_no_name),
    cmocka_unit_test (test_url_random),
    cmocka_unit_test (test_derive),
    cmocka_unit_test (test_numbered_basic),
    cmocka_unit_test (test_numbered_tar),
    cmocka_unit_test (test_numbered_dotfiles),
    cmocka_unit_test (test_numbered_limit),
    cmocka_unit_test (test_numbered_random),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
