/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-http.h"
#include "dp-state.h"

#define GIB4 G_GINT64_CONSTANT (4294967296)

static int
setup (void **state)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("dp-test-state-XXXXXX", &error);

  assert_non_null (dir);
  *state = dir;
  return 0;
}

static int
teardown (void **state)
{
  char *dir = *state;
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  /* The tests only create plain entries and empty folders. */
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
  g_free (dir);
  return 0;
}

static void
add_range (DpState *state,
           gint64   start,
           gint64   end)
{
  DpRange r = { start, end };

  g_array_append_val (state->done, r);
}

static DpState *
make_state (const char *url,
            gint64      size,
            const char *etag,
            const char *last_modified)
{
  DpState *state = dp_state_new ();

  state->url = g_strdup (url);
  state->size = size;
  state->etag = g_strdup (etag);
  state->last_modified = g_strdup (last_modified);
  return state;
}

static void
assert_same_state (const DpState *a,
                   const DpState *b)
{
  assert_string_equal (a->url, b->url);
  assert_true (a->size == b->size);
  if (a->etag == NULL)
    assert_null (b->etag);
  else
    assert_string_equal (a->etag, b->etag);
  if (a->last_modified == NULL)
    assert_null (b->last_modified);
  else
    assert_string_equal (a->last_modified, b->last_modified);
  assert_int_equal (a->done->len, b->done->len);
  for (guint i = 0; i < a->done->len; i++)
    {
      assert_true (g_array_index (a->done, DpRange, i).start
                   == g_array_index (b->done, DpRange, i).start);
      assert_true (g_array_index (a->done, DpRange, i).end
                   == g_array_index (b->done, DpRange, i).end);
    }
}

static DpState *
round_trip (const DpState *state)
{
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  g_autofree char *data = dp_state_to_data (state, &length);
  DpState *parsed;

  assert_non_null (data);
  assert_int_equal (length, strlen (data));
  parsed = dp_state_parse (data, length, "x.part.state", &error);
  if (parsed == NULL)
    fail_msg ("%s\n---\n%s", error->message, data);
  assert_null (error);
  return parsed;
}

/* What every accepted state must satisfy, whatever the input was. */
static void
assert_invariants (const DpState *state)
{
  gint64 previous_end = -1;

  assert_non_null (state->url);
  assert_true (state->url[0] != '\0');
  assert_true (g_utf8_validate (state->url, -1, NULL));
  assert_true (state->size >= 0);
  assert_non_null (state->done);
  assert_true (state->done->len <= 100000);
  for (guint i = 0; i < state->done->len; i++)
    {
      const DpRange *r = &g_array_index (state->done, DpRange, i);

      assert_true (r->start >= 0);
      assert_true (r->start < r->end);
      assert_true (r->end <= state->size);
      /* Sorted and disjoint; touching ones are merged on parse. */
      assert_true (r->start > previous_end);
      previous_end = r->end;
    }
  assert_true (dp_state_get_done_bytes (state) <= state->size);
}

static void
test_new_free (void **unused)
{
  g_autoptr(DpState) state = dp_state_new ();

  assert_null (state->url);
  assert_true (state->size == 0);
  assert_null (state->etag);
  assert_null (state->last_modified);
  assert_non_null (state->done);
  assert_int_equal (state->done->len, 0);
  assert_true (dp_state_get_done_bytes (state) == 0);
  dp_state_free (NULL);
}

static void
test_round_trip_basic (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://example.org/file.iso", 1000,
                                         "\"abc-123\"",
                                         "Wed, 21 Oct 2015 07:28:00 GMT");
  g_autoptr(DpState) parsed = NULL;
  g_autofree char *data = NULL;

  add_range (state, 0, 100);
  add_range (state, 500, 1000);
  parsed = round_trip (state);
  assert_same_state (state, parsed);
  assert_true (dp_state_get_done_bytes (parsed) == 600);

  /* The format is the documented one. */
  data = dp_state_to_data (state, NULL);
  assert_non_null (strstr (data, "[Downpour]\n"));
  assert_non_null (strstr (data, "version=1\n"));
  assert_non_null (strstr (data, "size=1000\n"));
  assert_non_null (strstr (data, "done=0-100,500-1000\n"));
  assert_non_null (strstr (data, "last-modified=Wed, 21 Oct 2015 07:28:00 GMT\n"));
}

/* Mirrors and their own validators go with the state, and a damaged
 * mirror record makes the whole state untrusted. */
static void
test_round_trip_mirrors (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://example.org/file.iso", 1000, "\"a\"", NULL);
  g_autoptr(DpState) parsed = NULL;
  g_autoptr(DpState) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  const DpStateMirror *mirror;
  const char *no_url = "[Downpour]\nversion=1\nurl=http://a/f\nsize=10\ndone=\n[Mirror 1]\netag=\"x\"\n";

  dp_state_add_mirror (state, "https://user:secret@mirror.example.net/file.iso", "\"m1\"", NULL);
  dp_state_add_mirror (state, "http://other.example.com/f.iso", NULL, "Wed, 21 Oct 2015 07:28:00 GMT");
  /* The same address twice is one record. */
  dp_state_add_mirror (state, "http://other.example.com/f.iso", "\"z\"", NULL);
  assert_int_equal (state->mirrors->len, 2);
  data = dp_state_to_data (state, NULL);
  assert_null (strstr (data, "secret"));
  parsed = round_trip (state);
  assert_same_state (state, parsed);
  assert_int_equal (parsed->mirrors->len, 2);
  mirror = dp_state_find_mirror (parsed, "https://mirror.example.net/file.iso");
  assert_non_null (mirror);
  assert_string_equal (mirror->etag, "\"m1\"");
  assert_null (mirror->last_modified);
  mirror = dp_state_find_mirror (parsed, "http://other.example.com/f.iso");
  assert_non_null (mirror);
  assert_null (mirror->etag);
  assert_string_equal (mirror->last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  assert_null (dp_state_find_mirror (parsed, "http://nowhere.example/f.iso"));

  bad = dp_state_parse (no_url, strlen (no_url), "m", &error);
  assert_null (bad);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
}

static void
test_round_trip_large (void **unused)
{
  const gint64 size = 5 * GIB4 + 17;
  g_autoptr(DpState) state = make_state ("http://example.org/big", size, NULL, "x");
  g_autoptr(DpState) parsed = NULL;
  g_autoptr(DpState) max = make_state ("http://example.org/max", G_MAXINT64,
                                       "e", NULL);
  g_autoptr(DpState) max_parsed = NULL;

  add_range (state, 0, 3);
  add_range (state, GIB4 - 1, GIB4 + 1);
  add_range (state, 4 * GIB4 + 5, size);
  parsed = round_trip (state);
  assert_same_state (state, parsed);
  assert_true (dp_state_get_done_bytes (parsed) == 3 + 2 + (GIB4 + 12));

  add_range (max, G_MAXINT64 - 1, G_MAXINT64);
  max_parsed = round_trip (max);
  assert_same_state (max, max_parsed);
}

static void
test_round_trip_empty (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://example.org/", 0, NULL, NULL);
  g_autoptr(DpState) parsed = round_trip (state);
  g_autoptr(DpState) unknown = make_state ("https://example.org/", 77, "", NULL);
  g_autoptr(DpState) unknown_parsed = round_trip (unknown);

  assert_same_state (state, parsed);
  assert_int_equal (parsed->done->len, 0);
  /* An empty validator is kept as given, not confused with none. */
  assert_same_state (unknown, unknown_parsed);
}

static void
test_round_trip_many (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://example.org/many", 30 * GIB4,
                                         "W/\"weak\"", NULL);
  g_autoptr(DpState) parsed = NULL;
  g_autofree char *data = NULL;
  gsize length;

  for (gint64 i = 0; i < 20000; i++)
    add_range (state, 6 * GIB4 + i * 1000, 6 * GIB4 + i * 1000 + 999);
  parsed = round_trip (state);
  assert_same_state (state, parsed);
  data = dp_state_to_data (state, &length);
  assert_true (length < 1 << 20);
}

static void
test_round_trip_strings (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://exämple.org/a file/ünïcode ✓.iso?q=a b#frag",
                                         10, "  \"lead\\ing\ttab\nnewline\" ",
                                         "\\n not a newline [x] = y");
  g_autoptr(DpState) parsed = NULL;
  g_autofree char *data = NULL;

  add_range (state, 2, 4);
  parsed = round_trip (state);
  assert_same_state (state, parsed);

  /* Escaped: nothing can inject another key or group. */
  data = dp_state_to_data (state, NULL);
  assert_null (strstr (data, "\nnewline"));
}

static void
test_to_data_strips_credentials (void **unused)
{
  g_autoptr(DpState) state = make_state ("https://user:secret@example.org/a", 1, NULL, NULL);
  g_autofree char *data = dp_state_to_data (state, NULL);
  g_autoptr(DpState) parsed = round_trip (state);

  assert_null (strstr (data, "secret"));
  assert_null (strstr (data, "user"));
  assert_string_equal (parsed->url, "https://example.org/a");
}

static void
test_normalize (void **unused)
{
  g_autoptr(DpState) state = dp_state_new ();
  static const DpRange expected[] = { { 0, 30 }, { 40, 50 }, { 60, 100 } };

  add_range (state, 60, 70);
  add_range (state, 20, 30);   /* touches the next one */
  add_range (state, 0, 20);
  add_range (state, 45, 45);   /* empty */
  add_range (state, 40, 50);
  add_range (state, 42, 44);   /* inside another */
  add_range (state, 65, 100);  /* overlaps */
  add_range (state, 90, 80);   /* reversed: dropped */
  add_range (state, 60, 70);   /* duplicate */
  dp_state_normalize (state);

  assert_int_equal (state->done->len, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      assert_true (g_array_index (state->done, DpRange, i).start == expected[i].start);
      assert_true (g_array_index (state->done, DpRange, i).end == expected[i].end);
    }
  assert_true (dp_state_get_done_bytes (state) == 30 + 10 + 40);

  /* Idempotent, and fine on nothing. */
  dp_state_normalize (state);
  assert_int_equal (state->done->len, G_N_ELEMENTS (expected));
  g_array_set_size (state->done, 0);
  dp_state_normalize (state);
  assert_int_equal (state->done->len, 0);
}

static void
test_to_data_normalizes (void **unused)
{
  g_autoptr(DpState) state = make_state ("http://h/", 100, NULL, NULL);
  g_autofree char *data = NULL;

  add_range (state, 50, 60);
  add_range (state, 0, 10);
  add_range (state, 10, 20);
  add_range (state, 55, 58);
  data = dp_state_to_data (state, NULL);
  assert_non_null (strstr (data, "done=0-20,50-60\n"));
  /* The caller's state is left alone. */
  assert_int_equal (state->done->len, 4);
}

static void
assert_rejected (const char *data,
                 gssize      length,
                 const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) state = NULL;

  if (length < 0)
    length = strlen (data);
  state = dp_state_parse (data, length, "x.part.state", &error);
  if (state != NULL)
    fail_msg ("accepted:\n%s", data);
  assert_non_null (error);
  if (!g_error_matches (error, DP_ERROR, DP_ERROR_IO))
    fail_msg ("wrong error %s %d: %s", g_quark_to_string (error->domain),
              error->code, error->message);
  assert_non_null (strstr (error->message, "“x.part.state”"));
  assert_non_null (strstr (error->message, "starting over"));
  if (message_part != NULL && strstr (error->message, message_part) == NULL)
    fail_msg ("expected “%s” in: %s", message_part, error->message);
}

#define HEAD "[Downpour]\nversion=1\nurl=http://h/f\n"

static void
test_reject_header (void **unused)
{
  assert_rejected ("", 0, "not a Downpour");
  assert_rejected ("\n\n# just a comment\n", -1, "not a Downpour");
  assert_rejected ("[Other]\nversion=1\nurl=http://h/f\nsize=1\n", -1, "not a Downpour");
  assert_rejected ("[downpour]\nversion=1\nurl=http://h/f\nsize=1\n", -1, "not a Downpour");
  assert_rejected ("version=1\n[Downpour]\n", -1, NULL);
  assert_rejected ("garbage without equals\n", -1, NULL);
  assert_rejected ("\x89PNG\r\n\x1a\n", 8, "UTF-8");
  assert_rejected ("[Downpour]\nurl=http://h/f\nsize=1\n", -1, "version");
  assert_rejected ("[Downpour]\nversion=\nurl=http://h/f\nsize=1\n", -1, "version");
  assert_rejected ("[Downpour]\nversion=one\nurl=http://h/f\nsize=1\n", -1, "version");
  assert_rejected ("[Downpour]\nversion=-1\nurl=http://h/f\nsize=1\n", -1, "version");
  assert_rejected ("[Downpour]\nversion=99999999999999999999999\nurl=http://h/f\nsize=1\n",
                   -1, "version");
  assert_rejected ("[Downpour]\nversion=2\nurl=http://h/f\nsize=1\n", -1, "another version");
  assert_rejected ("[Downpour]\nversion=0\nurl=http://h/f\nsize=1\n", -1, "another version");
}

static void
test_reject_fields (void **unused)
{
  assert_rejected ("[Downpour]\nversion=1\nsize=1\n", -1, "address");
  assert_rejected ("[Downpour]\nversion=1\nurl=\nsize=1\n", -1, "address");
  assert_rejected ("[Downpour]\nversion=1\nurl=bad\\qescape\nsize=1\n", -1, NULL);
  assert_rejected (HEAD, -1, "size");
  assert_rejected (HEAD "size=\n", -1, "size");
  assert_rejected (HEAD "size=-1\n", -1, "size");
  assert_rejected (HEAD "size=+1\n", -1, "size");
  assert_rejected (HEAD "size=12abc\n", -1, "size");
  assert_rejected (HEAD "size=0x10\n", -1, "size");
  assert_rejected (HEAD "size=1.5\n", -1, "size");
  assert_rejected (HEAD "size=1e3\n", -1, "size");
  assert_rejected (HEAD "size=9223372036854775808\n", -1, "size");
  assert_rejected (HEAD "size=99999999999999999999\n", -1, "size");
  assert_rejected (HEAD "size=1\netag=bad\\qescape\n", -1, NULL);
  assert_rejected (HEAD "size=1\nlast-modified=trailing\\\n", -1, NULL);
}

static void
test_reject_ranges (void **unused)
{
  static const char *const bad[] = {
    "x", "-", "1", "1-", "-1", "1-2-3", "1--2", "-1-2", "0-5,", ",0-5", "0-5,,6-7",
    "0-5;6-7", "0-5 ,6-7", "0- 5", "+0-5", "0-+5", "0x1-2", "a-b", "0-5,6",
  };
  static const char *const wrong[][2] = {
    { "5-5", "empty" },
    { "0-1,3-3", "empty" },
    { "6-5", "reversed" },
    { "0-101", "beyond" },
    { "100-101", "beyond" },
    { "0-9223372036854775807", "beyond" },
    { "0-9223372036854775808", "malformed" },
    { "0-99999999999999999999999", "malformed" },
    { "0-10,5-20", "overlapping" },
    { "0-10,9-10", "overlapping" },
    { "20-30,0-10", "unsorted" },
    { "0-10,20-30,15-16", "unsorted" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *data = g_strdup_printf (HEAD "size=100\ndone=%s\n", bad[i]);

      assert_rejected (data, -1, "malformed");
    }
  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autofree char *data = g_strdup_printf (HEAD "size=100\ndone=%s\n", wrong[i][0]);

      assert_rejected (data, -1, wrong[i][1]);
    }
}

static void
test_reject_limits (void **unused)
{
  g_autoptr(GString) s = g_string_new (HEAD "size=1000000000\ndone=");
  g_autoptr(GString) big = NULL;
  static const char with_nul[] = HEAD "size=10\0\ndone=0-1\n";

  /* 100001 ranges fit in 1 MiB only if they repeat; the count alone
   * refuses them. */
  for (int i = 0; i < 100001; i++)
    g_string_append (s, i > 0 ? ",0-1" : "0-1");
  g_string_append_c (s, '\n');
  assert_true (s->len < 1 << 20);
  assert_rejected (s->str, s->len, "more than 100000");

  big = g_string_new (HEAD "size=1\n#");
  while (big->len <= 1 << 20)
    g_string_append (big, "padding padding padding padding\n#");
  assert_rejected (big->str, big->len, "1 MiB");

  assert_rejected (HEAD "size=10\netag=\xff\xfe\n", -1, "UTF-8");
  assert_rejected (HEAD "size=10\nurl=http://h/\xc3\n", -1, "UTF-8");
  assert_rejected (with_nul, sizeof with_nul - 1, "UTF-8");
}

static void
test_accept_variants (void **unused)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) a = NULL;
  g_autoptr(DpState) b = NULL;
  g_autoptr(DpState) c = NULL;
  static const char touching[] = HEAD "size=100\ndone=0-10,10-20,30-40,40-100\n";
  static const char no_done[] = "# written by hand\n[Downpour]\nsize=7\n"
                                "url=http://h/f\nversion=1\nfuture-key=whatever\n";
  g_autoptr(GString) exact = g_string_new (HEAD "size=1000000\ndone=");

  a = dp_state_parse (touching, strlen (touching), "t", &error);
  assert_non_null (a);
  assert_invariants (a);
  assert_int_equal (a->done->len, 2);
  assert_true (g_array_index (a->done, DpRange, 0).end == 20);
  assert_true (g_array_index (a->done, DpRange, 1).start == 30);
  assert_true (dp_state_get_done_bytes (a) == 90);

  /* No list means nothing is on disk yet; unknown keys are ignored. */
  b = dp_state_parse (no_done, strlen (no_done), "t", &error);
  assert_non_null (b);
  assert_true (b->size == 7);
  assert_int_equal (b->done->len, 0);
  assert_null (b->etag);
  assert_null (b->last_modified);

  /* Many ranges are fine. (The full 100000 do not fit in 1 MiB.) */
  for (int i = 0; i < 60000; i++)
    g_string_append_printf (exact, "%s%d-%d", i > 0 ? "," : "", i * 10, i * 10 + 10);
  g_string_append_c (exact, '\n');
  assert_true (exact->len < 1 << 20);
  c = dp_state_parse (exact->str, exact->len, "t", &error);
  assert_non_null (c);
  assert_int_equal (c->done->len, 1);
  assert_true (dp_state_get_done_bytes (c) == 600000);
}

/* Deterministic, so that a failure can be replayed. */
static guint64
next_random (guint64 *seed)
{
  *seed ^= *seed << 13;
  *seed ^= *seed >> 7;
  *seed ^= *seed << 17;
  return *seed;
}

static void
test_random_mutations (void **unused)
{
  static const char alphabet[] = "0123456789-,=[]\n \\#\xc3\xa9\xff";
  g_autoptr(DpState) state = make_state ("https://example.org/ä b", 5 * GIB4,
                                         "\"etag\"", "Thu, 01 Jan 1970 00:00:00 GMT");
  g_autofree char *original = NULL;
  gsize original_length;
  guint64 seed = 0x9e3779b97f4a7c15;
  guint accepted = 0;

  add_range (state, 0, 1000);
  add_range (state, 4096, 123456789);
  add_range (state, GIB4, 5 * GIB4);
  original = dp_state_to_data (state, &original_length);

  for (int round = 0; round < 20000; round++)
    {
      g_autoptr(GString) data = g_string_new_len (original, original_length);
      g_autoptr(GError) error = NULL;
      g_autoptr(DpState) parsed = NULL;
      int n_mutations = 1 + next_random (&seed) % 4;

      for (int m = 0; m < n_mutations; m++)
        {
          gsize pos = data->len > 0 ? next_random (&seed) % data->len : 0;
          char c = alphabet[next_random (&seed) % (sizeof alphabet - 1)];
          gsize amount = next_random (&seed);

          switch (next_random (&seed) % 6)
            {
            case 0:  /* replace a byte */
              if (data->len > 0)
                data->str[pos] = c;
              break;
            case 1:
              g_string_insert_c (data, pos, c);
              break;
            case 2:
              if (data->len > 0)
                g_string_erase (data, pos, MIN (data->len - pos, amount % 8 + 1));
              break;
            case 3:
              g_string_truncate (data, pos);
              break;
            case 4:  /* flip a bit */
              if (data->len > 0)
                data->str[pos] ^= 1 << (next_random (&seed) % 8);
              break;
            default:  /* duplicate a piece */
              {
                gsize n = MIN (data->len - pos, amount % 40 + 1);
                g_autofree char *piece = g_strndup (data->str + pos, n);

                g_string_insert_len (data, next_random (&seed) % (data->len + 1),
                                     piece, n);
              }
              break;
            }
        }

      parsed = dp_state_parse (data->str, data->len, "m", &error);
      if (parsed != NULL)
        {
          assert_null (error);
          assert_invariants (parsed);
          accepted++;
        }
      else
        {
          assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
        }
    }
  /* Harmless changes (in the etag, say) do get through. */
  assert_true (accepted > 0);
}

static void
test_save_load (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *path = g_build_filename (dir, "f.part.state", NULL);
  g_autoptr(DpState) state = make_state ("https://example.org/f", 9 * GIB4, "\"e\"", NULL);
  g_autoptr(DpState) loaded = NULL;
  g_autoptr(DpState) second = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  add_range (state, 0, GIB4 + 1);
  assert_true (dp_state_save (state, path, &error));
  assert_null (error);
  assert_int_equal (g_stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);

  loaded = dp_state_load (path, &error);
  assert_null (error);
  assert_non_null (loaded);
  assert_same_state (state, loaded);

  /* Saving again replaces the file. */
  add_range (state, 2 * GIB4, 3 * GIB4);
  assert_true (dp_state_save (state, path, &error));
  second = dp_state_load (path, &error);
  assert_non_null (second);
  assert_same_state (state, second);
}

static void
test_load_missing (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *path = g_build_filename (dir, "missing.part.state", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) state = dp_state_load (path, &error);

  assert_null (state);
  assert_true (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
}

static void
test_load_damaged (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *path = g_build_filename (dir, "bad.part.state", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) state = NULL;

  assert_true (g_file_set_contents (path, HEAD "size=10\ndone=0-11\n", -1, NULL));
  state = dp_state_load (path, &error);
  assert_null (state);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  /* Named by its base name, as the user sees it. */
  assert_non_null (strstr (error->message, "“bad.part.state”"));
  assert_null (strstr (error->message, dir));
}

static void
test_load_refuses_symlink (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *target = g_build_filename (dir, "real.part.state", NULL);
  g_autofree char *link = g_build_filename (dir, "link.part.state", NULL);
  g_autoptr(DpState) state = make_state ("http://h/f", 10, NULL, NULL);
  g_autoptr(DpState) loaded = NULL;
  g_autoptr(DpState) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  assert_true (dp_state_save (state, target, NULL));
  assert_int_equal (symlink (target, link), 0);

  loaded = dp_state_load (link, &error);
  assert_null (loaded);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_non_null (strstr (error->message, "not a regular file"));

  /* Saving replaces the link instead of writing through it. */
  state->size = 20;
  assert_true (dp_state_save (state, link, NULL));
  assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  assert_non_null (strstr (contents, "size=10\n"));
  after = dp_state_load (link, NULL);
  assert_non_null (after);
  assert_true (after->size == 20);
}

static void
test_load_refuses_special (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *folder = g_build_filename (dir, "folder.part.state", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.part.state", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) fifo_error = NULL;
  g_autoptr(DpState) a = NULL;
  g_autoptr(DpState) b = NULL;

  assert_int_equal (g_mkdir (folder, 0700), 0);
  a = dp_state_load (folder, &error);
  assert_null (a);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));

  /* Must not block waiting for a writer. */
  assert_int_equal (mkfifo (fifo, 0600), 0);
  b = dp_state_load (fifo, &fifo_error);
  assert_null (b);
  assert_true (g_error_matches (fifo_error, DP_ERROR, DP_ERROR_IO));
}

static void
test_load_refuses_large (void **fixture)
{
  const char *dir = *fixture;
  g_autofree char *path = g_build_filename (dir, "large.part.state", NULL);
  g_autoptr(GString) big = g_string_new (HEAD "size=1\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpState) state = NULL;

  while (big->len <= 1 << 20)
    g_string_append (big, "# padding padding padding padding\n");
  assert_true (g_file_set_contents (path, big->str, big->len, NULL));
  state = dp_state_load (path, &error);
  assert_null (state);
  assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_IO));
  assert_non_null (strstr (error->message, "1 MiB"));
}

static void
test_strip_credentials (void **unused)
{
  static const char *const cases[][2] = {
    { "https://user:pw@host/a", "https://host/a" },
    { "https://user@host/a?q=1#f", "https://host/a?q=1#f" },
    { "http://:pw@host:8080/", "http://host:8080/" },
    { "https://user:@host/", "https://host/" },
    { "https://u%40x:p%3Aw@[::1]:81/p", "https://[::1]:81/p" },
    { "https://host/a", "https://host/a" },
    /* Without credentials the address stays exactly as given. */
    { "https://host/a b/ü%41", "https://host/a b/ü%41" },
    { "not a url", "not a url" },
    { "", "" },
    /* The login ends at the last '@' of the authority, so stripping
     * twice changes nothing (found by fuzzing). */
    { "https://exa@@@mp@t/comiso", "https://t/comiso" },
    { "https://a@b@host/x@y", "https://host/x@y" },
    /* Addresses that do not parse lose the login too. */
    { "https://user:pw@host:99x/", "https://host:99x/" },
    /* Without a scheme there is no authority to strip from. */
    { "user:pw@host/x", "user:pw@host/x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *stripped = dp_state_strip_credentials (cases[i][0]);
      g_autofree char *again = dp_state_strip_credentials (stripped);
      g_autofree char *redacted = dp_http_redact_address (cases[i][0]);

      assert_string_equal (stripped, cases[i][1]);
      assert_string_equal (again, stripped);
      /* Messages may quote any of these: never with the password. */
      assert_null (strstr (redacted, "pw"));
    }
}

static void
test_matches (void **unused)
{
  g_autoptr(DpState) etag = make_state ("https://h/f", 100, "\"1\"", "Mon");
  g_autoptr(DpState) date = make_state ("https://h/f", 100, NULL, "Mon");
  g_autoptr(DpState) none = make_state ("https://h/f", 100, NULL, NULL);
  g_autoptr(DpState) creds = make_state ("https://a:b@h/f", 100, NULL, NULL);
  const struct
  {
    const DpState *state;
    const char *url;
    gint64 size;
    const char *etag;
    const char *last_modified;
    gboolean expected;
  } cases[] = {
    /* The etag decides when the state has one. */
    { etag, "https://h/f", 100, "\"1\"", "Mon", TRUE },
    { etag, "https://h/f", 100, "\"1\"", "Tue", TRUE },
    { etag, "https://h/f", 100, "\"1\"", NULL, TRUE },
    { etag, "https://h/f", 100, "\"2\"", "Mon", FALSE },
    { etag, "https://h/f", 100, NULL, "Mon", FALSE },
    { etag, "https://h/f", 100, "W/\"1\"", "Mon", FALSE },
    /* Else the date. */
    { date, "https://h/f", 100, NULL, "Mon", TRUE },
    { date, "https://h/f", 100, "\"1\"", "Mon", TRUE },
    { date, "https://h/f", 100, NULL, "Tue", FALSE },
    { date, "https://h/f", 100, NULL, NULL, FALSE },
    /* Without validators, only if the server has none either. */
    { none, "https://h/f", 100, NULL, NULL, TRUE },
    { none, "https://h/f", 100, "\"1\"", NULL, FALSE },
    { none, "https://h/f", 100, NULL, "Mon", FALSE },
    /* Address and size always. */
    { none, "https://h/g", 100, NULL, NULL, FALSE },
    { none, "http://h/f", 100, NULL, NULL, FALSE },
    { none, "https://h/f", 101, NULL, NULL, FALSE },
    { none, "https://h/f", -1, NULL, NULL, FALSE },
    { etag, "https://h/f", 99, "\"1\"", "Mon", FALSE },
    /* Credentials do not count. */
    { none, "https://x:y@h/f", 100, NULL, NULL, TRUE },
    { creds, "https://h/f", 100, NULL, NULL, TRUE },
    { creds, "https://c:d@h/f", 100, NULL, NULL, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean result = dp_state_matches (cases[i].state, cases[i].url, cases[i].size,
                                          cases[i].etag, cases[i].last_modified);

      if (result != cases[i].expected)
        fail_msg ("case %u: expected %d", i, cases[i].expected);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_new_free),
    cmocka_unit_test (test_round_trip_basic),
    cmocka_unit_test (test_round_trip_large),
    cmocka_unit_test (test_round_trip_empty),
    cmocka_unit_test (test_round_trip_many),
    cmocka_unit_test (test_round_trip_strings),
    cmocka_unit_test (test_to_data_strips_credentials),
    cmocka_unit_test (test_normalize),
    cmocka_unit_test (test_to_data_normalizes),
    cmocka_unit_test (test_reject_header),
    cmocka_unit_test (test_reject_fields),
    cmocka_unit_test (test_reject_ranges),
    cmocka_unit_test (test_reject_limits),
    cmocka_unit_test (test_accept_variants),
    cmocka_unit_test (test_random_mutations),
    cmocka_unit_test_setup_teardown (test_save_load, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_damaged, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_refuses_symlink, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_refuses_special, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_refuses_large, setup, teardown),
    cmocka_unit_test (test_strip_credentials),
    cmocka_unit_test (test_matches),
    cmocka_unit_test (test_round_trip_mirrors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
