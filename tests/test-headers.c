/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <glib.h>

#include "dp-headers.h"

/* Sun, 06 Nov 1994 08:49:37 GMT, the date used in the RFC examples */
#define NOW_1994 G_GINT64_CONSTANT (784111777)
/* Mon, 01 Jan 2024 00:00:00 GMT */
#define NOW_2024 G_GINT64_CONSTANT (1704067200)

/* The helpers report the caller's line and the offending input, since
 * the tables below would be hard to debug otherwise. */
#define check_range(v, ok, s, e, t) check_range_at (v, ok, s, e, t, __FILE__, __LINE__)
#define check_cd(v, expected) check_cd_at (v, expected, __FILE__, __LINE__)
#define check_retry(v, now, expected) check_retry_at (v, now, expected, __FILE__, __LINE__)

/* Printable and short enough for a failure message. */
static char *
escaped (const char *s)
{
  g_autofree char *head = NULL;

  if (s == NULL)
    return g_strdup ("(null)");
  head = g_strndup (s, 200);
  return g_strescape (head, NULL);
}

static void
check_range_at (const char *value,
                gboolean    ok,
                gint64      s,
                gint64      e,
                gint64      t,
                const char *file,
                int         line)
{
  gint64 start = -42, end = -42, total = -42;
  gboolean res = dp_parse_content_range (value, &start, &end, &total);

  if (res != ok || (ok && (start != s || end != e || total != t)) ||
      (!ok && (start != -42 || end != -42 || total != -42)))
    {
      g_autofree char *v = escaped (value);

      print_error ("Content-Range \"%s\": got %d %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
                   "/%" G_GINT64_FORMAT ", expected %d\n", v, res, start, end, total, ok);
      _fail (file, line);
    }
}

static void
check_cd_at (const char *value,
             const char *expected,
             const char *file,
             int         line)
{
  g_autofree char *name = dp_parse_content_disposition_filename (value);

  if (g_strcmp0 (name, expected) != 0)
    {
      g_autofree char *v = escaped (value);
      g_autofree char *n = escaped (name);
      g_autofree char *x = escaped (expected);

      print_error ("Content-Disposition \"%s\": got \"%s\", expected \"%s\"\n", v, n, x);
      _fail (file, line);
    }
}

static void
check_retry_at (const char *value,
                gint64      now,
                gint64      expected,
                const char *file,
                int         line)
{
  gint64 got = dp_parse_retry_after (value, now);

  if (got != expected)
    {
      g_autofree char *v = escaped (value);

      print_error ("Retry-After \"%s\": got %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT "\n",
                   v, got, expected);
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

/* Content-Range */

static void
test_range_valid (void **state)
{
  check_range ("bytes 0-99/1000", TRUE, 0, 99, 1000);
  check_range ("bytes 0-0/1", TRUE, 0, 0, 1);
  check_range ("bytes 999-999/1000", TRUE, 999, 999, 1000);
  check_range ("bytes 500-999/1000", TRUE, 500, 999, 1000);
  check_range ("bytes 0-99/*", TRUE, 0, 99, -1);
  check_range ("bytes 7-7/*", TRUE, 7, 7, -1);
  check_range ("bytes 000-099/01000", TRUE, 0, 99, 1000);
}

static void
test_range_large (void **state)
{
  check_range ("bytes 4294967296-4294967300/1099511627776", TRUE,
               G_GINT64_CONSTANT (4294967296), G_GINT64_CONSTANT (4294967300),
               G_GINT64_CONSTANT (1099511627776));
  check_range ("bytes 2147483647-4294967295/4294967296", TRUE,
               G_GINT64_CONSTANT (2147483647), G_GINT64_CONSTANT (4294967295),
               G_GINT64_CONSTANT (4294967296));
  check_range ("bytes 0-9223372036854775806/9223372036854775807", TRUE,
               0, G_MAXINT64 - 1, G_MAXINT64);
  check_range ("bytes 9223372036854775807-9223372036854775807/*", TRUE,
               G_MAXINT64, G_MAXINT64, -1);
}

static void
test_range_whitespace_and_case (void **state)
{
  check_range ("  bytes 0-1/2  ", TRUE, 0, 1, 2);
  check_range ("\tbytes\t0-1/2\t", TRUE, 0, 1, 2);
  check_range ("BYTES 0-1/2", TRUE, 0, 1, 2);
  check_range ("Bytes 0-1/2", TRUE, 0, 1, 2);
  check_range ("bytes   0 - 1 / 2", TRUE, 0, 1, 2);
  check_range ("bytes 0-1/ *", TRUE, 0, 1, -1);
}

static void
test_range_malformed (void **state)
{
  static const char *const bad[] = {
    "", " ", "bytes", "bytes ", "bytes 0", "bytes 0-", "bytes 0-99",
    "bytes 0-99/", "bytes 0-/100", "bytes -99/100", "bytes -/100",
    "bytes */1000", "bytes */*", "bytes 0-99/1000 x", "bytes 0-99/1000,",
    "bytes 0-99/1000;", "bytes0-99/1000", "bytesx 0-99/1000",
    "items 0-99/1000", "byte 0-99/1000", "bytes=0-99/1000",
    "bytes: 0-99/1000", "0-99/1000", "bytes 0--99/1000",
    "bytes +0-99/1000", "bytes 0-+99/1000", "bytes 0-99/+1000",
    "bytes -0-99/1000", "bytes 0-99/-1", "bytes 0x10-0x20/100",
    "bytes 0-99/1000/2000", "bytes 0-99,200-299/1000", "bytes 1.5-2/3",
    "bytes 0-99/**", "bytes 0-99/*1", "bytes 0-99\n/100", "\nbytes 0-1/2",
    "bytes 0-1/2\r\n", "bytes 0 1/2", "bytes 0-1 2", "bytes \xef\xbc\x90-1/2",
    "bytes 0-99/1000 bytes 0-99/1000",
  };
  size_t i;

  check_range (NULL, FALSE, 0, 0, 0);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    check_range (bad[i], FALSE, 0, 0, 0);
}

static void
test_range_inconsistent (void **state)
{
  check_range ("bytes 100-99/1000", FALSE, 0, 0, 0);
  check_range ("bytes 5-4/*", FALSE, 0, 0, 0);
  check_range ("bytes 0-1000/1000", FALSE, 0, 0, 0);
  check_range ("bytes 1000-1000/1000", FALSE, 0, 0, 0);
  check_range ("bytes 1000-1001/1000", FALSE, 0, 0, 0);
  check_range ("bytes 0-0/0", FALSE, 0, 0, 0);
}

static void
test_range_overflow (void **state)
{
  check_range ("bytes 9223372036854775808-9223372036854775809/*", FALSE, 0, 0, 0);
  check_range ("bytes 0-9223372036854775808/*", FALSE, 0, 0, 0);
  check_range ("bytes 0-1/9223372036854775808", FALSE, 0, 0, 0);
  check_range ("bytes 0-1/18446744073709551616", FALSE, 0, 0, 0);
  check_range ("bytes 0-1/99999999999999999999999999999999", FALSE, 0, 0, 0);
  check_range ("bytes 0-9223372036854775807/9223372036854775807", FALSE, 0, 0, 0);
}

static void
test_range_null_outputs (void **state)
{
  gint64 end = 0;

  assert_true (dp_parse_content_range ("bytes 1-2/3", NULL, &end, NULL));
  assert_int_equal (end, 2);
}

/* Content-Disposition */

static void
test_cd_plain (void **state)
{
  check_cd ("attachment; filename=foo.html", "foo.html");
  check_cd ("inline; filename=foo.html", "foo.html");
  check_cd ("attachment; filename=\"foo.html\"", "foo.html");
  check_cd ("attachment; filename=\"foo bar.html\"", "foo bar.html");
  check_cd ("attachment;filename=foo.html", "foo.html");
  check_cd ("  attachment ; filename = \"foo.html\" ; ", "foo.html");
  check_cd ("attachment;; filename=foo.html;;", "foo.html");
  check_cd ("form-data; name=\"file\"; filename=\"x.bin\"", "x.bin");
  check_cd ("attachment; filename=foo.html; size=123", "foo.html");
  check_cd ("attachment; creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"; filename=a.txt",
            "a.txt");
  check_cd ("x-unknown-type; filename=a.txt", "a.txt");
  check_cd ("attachment; foo*=UTF-8''bar; filename=a.txt", "a.txt");
}

static void
test_cd_quoted_escapes (void **state)
{
  check_cd ("attachment; filename=\"f\\oo.html\"", "foo.html");
  check_cd ("attachment; filename=\"\\\"quoting\\\" tested.html\"", "\"quoting\" tested.html");
  check_cd ("attachment; filename=\"a\\\\b.txt\"", "a\\b.txt");
  check_cd ("attachment; filename=\"Here's a semicolon;.html\"", "Here's a semicolon;.html");
  check_cd ("attachment; filename=\"a=b, c.txt\"", "a=b, c.txt");
  check_cd ("attachment; filename=\"tab\there.txt\"", "tab\there.txt");
  check_cd ("attachment; filename=\"\\ \"", " ");
}

static void
test_cd_ext_utf8 (void **state)
{
  check_cd ("attachment; filename*=UTF-8''%e2%82%ac%20rates.txt", "\u20ac rates.txt");
  check_cd ("attachment; filename*=utf-8''foo.html", "foo.html");
  check_cd ("attachment; filename*=UTF-8'en'%E2%82%AC.txt", "\u20ac.txt");
  check_cd ("attachment; filename*=UTF-8'de-DE'x.txt", "x.txt");
  check_cd ("attachment; filename*=UTF-8''%c3%a4%20%2B%25.txt", "\u00e4 +%.txt");
  check_cd ("attachment; filename*=UTF-8''!#$&+-.^_`|~", "!#$&+-.^_`|~");
}

static void
test_cd_ext_latin1 (void **state)
{
  check_cd ("attachment; filename*=iso-8859-1'en'%A3%20rates", "\u00a3 rates");
  check_cd ("attachment; filename*=ISO-8859-1''%e4%FF.txt", "\u00e4\u00ff.txt");
  check_cd ("attachment; filename*=ISO-8859-1''plain.txt", "plain.txt");
}

static void
test_cd_ext_preferred (void **state)
{
  check_cd ("attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates",
            "\u20ac rates");
  check_cd ("attachment; filename*=utf-8''%e2%82%ac%20rates; filename=\"EURO rates\"",
            "\u20ac rates");
  check_cd ("attachment; filename=a.txt; filename*=UTF-8''b.txt", "b.txt");
}

static void
test_cd_ext_invalid_falls_back (void **state)
{
  static const char *const bad_ext[] = {
    "UTF-8''%zz.txt",      /* bad escape */
    "UTF-8''%c3.txt",      /* invalid UTF-8 after decoding */
    "UTF-8''%ff%fe",       /* invalid UTF-8 */
    "UTF-8''a%00b",        /* NUL */
    "ISO-8859-1''a%00b",
    "\"UTF-8''foo.txt\"",  /* ext-values are never quoted */
    "foo.txt",             /* no charset */
    "UTF-8'foo.txt",       /* one quote */
    "KOI8-R''%c1.txt",     /* unsupported charset */
    "''foo.txt",           /* empty charset */
    "UTF-8''a%",           /* '%' at the end */
    "UTF-8''a%4",          /* half an escape */
    "UTF-8''a%4g",
    "UTF-8'e_n'x",         /* bad language tag */
    "UTF-8'e.n'x",
    "UTF-8''a'b",          /* a third quote */
    "UTF-8''a\xc3\xa4",    /* raw non-ASCII */
    "UTF-8''",             /* empty name */
    "UTF-8",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (bad_ext); i++)
    {
      g_autofree char *alone = g_strdup_printf ("attachment; filename*=%s", bad_ext[i]);
      g_autofree char *after = g_strdup_printf ("attachment; filename=\"fallback.txt\"; filename*=%s",
                                                bad_ext[i]);
      g_autofree char *before = g_strdup_printf ("attachment; filename*=%s; filename=fallback.txt",
                                                 bad_ext[i]);

      check_cd (alone, NULL);
      check_cd (after, "fallback.txt");
      check_cd (before, "fallback.txt");
    }
}

static void
test_cd_case_insensitive (void **state)
{
  check_cd ("ATTACHMENT; FILENAME=foo.html", "foo.html");
  check_cd ("Attachment; FileName=\"foo.html\"", "foo.html");
  check_cd ("attachment; FILENAME*=utf-8''x.txt", "x.txt");
  check_cd ("attachment; Filename*=Utf-8''x.txt; FILENAME=y.txt", "x.txt");
}

static void
test_cd_malformed (void **state)
{
  static const char *const bad[] = {
    "attachment; filename=\"foo.html",       /* unterminated */
    "attachment; filename=\"foo\\",          /* lone backslash at the end */
    "attachment; filename=\"foo\\\"",        /* escaped final quote */
    "attachment; filename=\"",
    "attachment; filename=",
    "attachment; filename= ;",
    "attachment; filename",
    "attachment; filename;",
    "attachment; =foo.html",
    "attachment filename=foo.html",          /* no ';' */
    "attachment; filename=foo bar.html",     /* space in a token */
    "attachment; filename=\"foo\" bar",
    "attachment; filename=foo\"bar\"",
    "attachment; filename=a,b",
    "; filename=foo.html",                   /* empty disposition type */
    "\"attachment\"; filename=foo.html",
    "attachment; filename=\"a\x01" "b\"",    /* control character */
    "attachment; filename=\"a\x7f" "b\"",
    "attachment; filename=\"a\\\x01\"",
    "attachment; filename=\"x\"; filename=\"y\"",   /* repeated */
    "attachment; filename*=UTF-8''a; filename*=UTF-8''b",
    "attachment; filename=x; FILENAME=x",
    "attachment; filename*=",
    "attachment; filename==x",
    "attachment; filename=\"x\"\"y\"",
    "attachment;\nfilename=x",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    check_cd (bad[i], NULL);
}

static void
test_cd_no_name (void **state)
{
  check_cd (NULL, NULL);
  check_cd ("", NULL);
  check_cd ("   ", NULL);
  check_cd ("attachment", NULL);
  check_cd ("inline", NULL);
  check_cd ("attachment;", NULL);
  check_cd ("attachment; filename=\"\"", NULL);
  check_cd ("attachment; filename*=UTF-8''; filename=\"\"", NULL);
  check_cd ("attachment; name=foo.txt", NULL);
  check_cd ("attachment; filenamex=foo.txt", NULL);
  check_cd ("attachment; file name=foo.txt", NULL);
}

static void
test_cd_without_type (void **state)
{
  check_cd ("filename=foo.txt", "foo.txt");
  check_cd ("filename=\"foo bar.txt\"", "foo bar.txt");
  check_cd ("  filename = foo.txt ;", "foo.txt");
  check_cd ("filename*=UTF-8''x%20y.txt", "x y.txt");
  check_cd ("filename=a.txt; filename*=UTF-8''b.txt", "b.txt");
}

static void
test_cd_separators_kept (void **state)
{
  /* Sanitising is dp_sanitize_filename()'s job, not the parser's. */
  check_cd ("attachment; filename=\"../../etc/passwd\"", "../../etc/passwd");
  /* Unquoted, '/' is not a token character. */
  check_cd ("attachment; filename=../x", NULL);
  check_cd ("attachment; filename=\"C:\\\\dir\\\\x.txt\"", "C:\\dir\\x.txt");
  check_cd ("attachment; filename*=UTF-8''..%2F..%2Fx", "../../x");
  check_cd ("attachment; filename*=UTF-8''.hidden", ".hidden");
  check_cd ("attachment; filename=\".\"", ".");
}

static void
test_cd_raw_non_ascii (void **state)
{
  check_cd ("attachment; filename=\"\xe2\x82\xac.txt\"", "\u20ac.txt");
  check_cd ("attachment; filename=\xe2\x82\xac.txt", "\u20ac.txt");
  /* Not UTF-8: read as ISO-8859-1. */
  check_cd ("attachment; filename=\"\xa3.txt\"", "\u00a3.txt");
  check_cd ("attachment; filename=\xff\xfe", "\u00ff\u00fe");
}

static void
test_cd_huge (void **state)
{
  const size_t n = 1024 * 1024;
  g_autoptr(GString) s = g_string_new ("attachment; filename=\"");
  g_autofree char *name = NULL;
  size_t i;

  for (i = 0; i < n; i++)
    g_string_append_c (s, 'a');
  g_string_append_c (s, '"');
  name = dp_parse_content_disposition_filename (s->str);
  assert_non_null (name);
  assert_int_equal (strlen (name), n);

  /* The same without the closing quote, full of backslashes, and a
   * million empty parameters. */
  g_string_truncate (s, s->len - 1);
  check_cd (s->str, NULL);
  g_string_assign (s, "attachment; filename=\"");
  for (i = 0; i < n; i++)
    g_string_append_c (s, '\\');
  check_cd (s->str, NULL);
  g_string_append_c (s, '"');
  g_clear_pointer (&name, g_free);
  name = dp_parse_content_disposition_filename (s->str);
  assert_non_null (name);
  assert_int_equal (strlen (name), n / 2);
  /* One more backslash escapes the closing quote. */
  g_string_insert_c (s, s->len - 1, '\\');
  check_cd (s->str, NULL);
  g_string_assign (s, "attachment");
  for (i = 0; i < n; i++)
    g_string_append_c (s, ';');
  check_cd (s->str, NULL);

  g_string_assign (s, "attachment; filename*=UTF-8''");
  for (i = 0; i < n / 16; i++)
    g_string_append (s, "%e2%82%ac");
  g_clear_pointer (&name, g_free);
  name = dp_parse_content_disposition_filename (s->str);
  assert_non_null (name);
  assert_int_equal (strlen (name), 3 * (n / 16));
}

/* Hostile header values: valid ones mutated a few times by inserting
 * fragments that reach deep into the parsers, inserting arbitrary
 * bytes, deleting and truncating. */
static char *
random_header (guint64 *rng)
{
  static const char *const seeds[] = {
    "attachment; filename=\"foo.html\"",
    "attachment; filename*=UTF-8''%e2%82%ac%20rates.txt; filename=x",
    "inline; filename=\"a\\\"b\"; filename*=iso-8859-1'en'%A3",
    "filename=foo.txt",
    "bytes 0-99/1000",
    "bytes 4294967296-4294967300/*",
    "120",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "",
  };
  static const char *const pieces[] = {
    ";", " ", "\t", "=", "\"", "\\", "filename", "filename*", "UTF-8''",
    "'", "%", "%e2", "%zz", "%00", "%c3", "\xff", "\xc3", "-", "/", "*",
    "9223372036854775807", "9223372036854775808", "99", "GMT", ",", ":",
  };
  GString *s = g_string_new (seeds[next_random (rng) % G_N_ELEMENTS (seeds)]);
  guint n = next_random (rng) % 4;
  guint i;

  for (i = 0; i < n; i++)
    {
      guint64 r = next_random (rng);
      size_t pos = s->len > 0 ? (r >> 16) % (s->len + 1) : 0;

      switch (r % 5)
        {
        case 0:
          g_string_insert (s, pos, pieces[(r >> 8) % G_N_ELEMENTS (pieces)]);
          break;
        case 1:
          g_string_insert_c (s, pos, (char) (1 + (r >> 8) % 255));
          break;
        case 2:
          if (pos < s->len)
            s->str[pos] = (char) (1 + (r >> 8) % 255);
          break;
        case 3:
          g_string_erase (s, MIN (pos, s->len), MIN ((r >> 8) % 4, s->len - MIN (pos, s->len)));
          break;
        default:
          g_string_truncate (s, pos);
          break;
        }
    }
  return g_string_free (s, FALSE);
}

static void
test_fuzz (void **state)
{
  guint64 rng = 20240101;
  guint names = 0, ranges = 0, delays = 0;
  int i;

  for (i = 0; i < 200000; i++)
    {
      g_autofree char *value = random_header (&rng);
      g_autofree char *name = dp_parse_content_disposition_filename (value);
      gint64 start = 0, end = 0, total = 0, delay;

      if (name != NULL)
        {
          names++;
          assert_true (g_utf8_validate (name, -1, NULL));
          assert_true (name[0] != '\0');
        }

      if (dp_parse_content_range (value, &start, &end, &total))
        {
          ranges++;
          assert_true (start >= 0 && start <= end);
          assert_true (total == -1 || end < total);
        }

      delay = dp_parse_retry_after (value, NOW_1994);
      assert_true (delay >= -1 && delay <= 86400);
      if (delay >= 0)
        delays++;
    }

  /* The mutations must leave some values valid, or the accepting
   * paths would go untested. */
  assert_true (names > 1000);
  assert_true (ranges > 1000);
  assert_true (delays > 1000);
}

static void
test_fuzz_random_bytes (void **state)
{
  guint64 rng = 42;
  char buf[65];
  int i;

  for (i = 0; i < 100000; i++)
    {
      g_autofree char *name = NULL;
      size_t len = next_random (&rng) % sizeof buf;
      gint64 start, end, total, delay;
      size_t j;

      for (j = 0; j < len; j++)
        buf[j] = (char) (1 + next_random (&rng) % 255);
      buf[len] = '\0';

      name = dp_parse_content_disposition_filename (buf);
      assert_true (name == NULL || (name[0] != '\0' && g_utf8_validate (name, -1, NULL)));
      if (dp_parse_content_range (buf, &start, &end, &total))
        assert_true (start >= 0 && start <= end && (total == -1 || end < total));
      delay = dp_parse_retry_after (buf, NOW_1994);
      assert_true (delay >= -1 && delay <= 86400);
    }
}

/* Retry-After */

static void
test_retry_seconds (void **state)
{
  check_retry ("0", NOW_1994, 0);
  check_retry ("120", NOW_1994, 120);
  check_retry (" 120 ", NOW_1994, 120);
  check_retry ("\t5", NOW_1994, 5);
  check_retry ("0000120", NOW_1994, 120);
  check_retry ("86400", NOW_1994, 86400);
  check_retry ("120", G_MAXINT64, 120);
}

static void
test_retry_clamped (void **state)
{
  check_retry ("86401", NOW_1994, 86400);
  check_retry ("4294967296", NOW_1994, 86400);
  check_retry ("9223372036854775807", NOW_1994, 86400);
  check_retry ("9223372036854775808", NOW_1994, 86400);
  check_retry ("99999999999999999999999999999999999999999999999999", NOW_1994, 86400);
  check_retry ("Fri, 31 Dec 9999 23:59:59 GMT", NOW_1994, 86400);
  check_retry ("Mon, 07 Nov 1994 08:49:38 GMT", NOW_1994, 86400);
  check_retry ("Sun, 06 Nov 1994 08:49:37 GMT", G_MININT64, 86400);
  check_retry ("Sunday, 06-Nov-94 08:49:37 GMT", G_MININT64, 86400);
  check_retry ("Sunday, 06-Nov-94 08:49:37 GMT", G_MAXINT64, 0);
}

static void
test_retry_imf_fixdate (void **state)
{
  check_retry ("Sun, 06 Nov 1994 08:51:37 GMT", NOW_1994, 120);
  check_retry ("Sun, 06 Nov 1994 09:49:37 GMT", NOW_1994, 3600);
  check_retry ("Mon, 07 Nov 1994 08:49:37 GMT", NOW_1994, 86400);
  check_retry ("Mon, 07 Nov 1994 08:49:36 GMT", NOW_1994, 86399);
  check_retry ("  Sun, 06 Nov 1994 08:49:38 GMT  ", NOW_1994, 1);
  /* A leap second. */
  check_retry ("Sun, 06 Nov 1994 08:49:60 GMT", NOW_1994, 23);
  check_retry ("Mon, 01 Jan 2024 00:00:30 GMT", NOW_2024, 30);
}

static void
test_retry_rfc850 (void **state)
{
  check_retry ("Sunday, 06-Nov-94 08:51:37 GMT", NOW_1994, 120);
  check_retry ("Monday, 01-Jan-24 00:01:00 GMT", NOW_2024, 60);
  /* 2099 would be more than 50 years ahead of 2024: it is 1999. */
  check_retry ("Friday, 01-Jan-99 00:00:00 GMT", NOW_2024, 0);
  /* 2070 is not. */
  check_retry ("Tuesday, 01-Jan-70 00:00:00 GMT", NOW_2024, 86400);
  /* Seen from 1994, "00" is 2000. */
  check_retry ("Saturday, 01-Jan-00 00:00:00 GMT", NOW_1994, 86400);
}

static void
test_retry_asctime (void **state)
{
  check_retry ("Sun Nov  6 08:51:37 1994", NOW_1994, 120);
  check_retry ("Sun Nov 06 08:51:37 1994", NOW_1994, 120);
  check_retry ("Mon Jan  1 00:00:10 2024", NOW_2024, 10);
}

static void
test_retry_past (void **state)
{
  check_retry ("Sun, 06 Nov 1994 08:49:37 GMT", NOW_1994, 0);
  check_retry ("Sat, 05 Nov 1994 08:49:37 GMT", NOW_1994, 0);
  check_retry ("Thu, 01 Jan 1970 00:00:00 GMT", NOW_1994, 0);
  check_retry ("Mon, 01 Jan 0001 00:00:00 GMT", NOW_1994, 0);
  check_retry ("Thu, 29 Feb 1996 00:00:00 GMT", NOW_2024, 0);
  check_retry ("Sunday, 06-Nov-94 08:49:36 GMT", NOW_1994, 0);
  check_retry ("Sun Nov  6 08:49:36 1994", NOW_1994, 0);
  check_retry ("Sun Nov  6 08:49:37 1994", G_MAXINT64, 0);
}

static void
test_retry_malformed (void **state)
{
  static const char *const bad[] = {
    "", " ", "\t", "-1", "+5", "1.5", "5s", "5 5", "0x10", "1e3", "120\r\n",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",
    "sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37 gmt",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 06 Nov 1994 08:49:37 GMT x",
    "Sun, 06 Nov 1994 08:49:37 GMTx",
    "Sun,  06 Nov 1994 08:49:37 GMT",
    "Sun 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 08:49 GMT",
    "Sun, 06 Nov 19940 08:49:37 GMT",
    "Sun, 31 Feb 1994 08:49:37 GMT",
    "Sun, 29 Feb 1995 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 32 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    "Sun, 06 Nov 0000 08:49:37 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06-Nov-94 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sunday, 6-Nov-94 08:49:37 GMT",
    "Sunday 06-Nov-94 08:49:37 GMT",
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov   6 08:49:37 1994",
    "Sun Nov  6 08:49:37 94",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sun, Nov  6 08:49:37 1994",
    "Sunday Nov  6 08:49:37 1994",
    "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
    "tomorrow",
  };
  size_t i;

  check_retry (NULL, NOW_1994, -1);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    check_retry (bad[i], NOW_1994, -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_range_valid),
    cmocka_unit_test (test_range_large),
    cmocka_unit_test (test_range_whitespace_and_case),
    cmocka_unit_test (test_range_malformed),
    cmocka_unit_test (test_range_inconsistent),
    cmocka_unit_test (test_range_overflow),
    cmocka_unit_test (test_range_null_outputs),
    cmocka_unit_test (test_cd_plain),
    cmocka_unit_test (test_cd_quoted_escapes),
    cmocka_unit_test (test_cd_ext_utf8),
    cmocka_unit_test (test_cd_ext_latin1),
    cmocka_unit_test (test_cd_ext_preferred),
    cmocka_unit_test (test_cd_ext_invalid_falls_back),
    cmocka_unit_test (test_cd_case_insensitive),
    cmocka_unit_test (test_cd_malformed),
    cmocka_unit_test (test_cd_no_name),
    cmocka_unit_test (test_cd_without_type),
    cmocka_unit_test (test_cd_separators_kept),
    cmocka_unit_test (test_cd_raw_non_ascii),
    cmocka_unit_test (test_cd_huge),
    cmocka_unit_test (test_fuzz),
    cmocka_unit_test (test_fuzz_random_bytes),
    cmocka_unit_test (test_retry_seconds),
    cmocka_unit_test (test_retry_clamped),
    cmocka_unit_test (test_retry_imf_fixdate),
    cmocka_unit_test (test_retry_rfc850),
    cmocka_unit_test (test_retry_asctime),
    cmocka_unit_test (test_retry_past),
    cmocka_unit_test (test_retry_malformed),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
