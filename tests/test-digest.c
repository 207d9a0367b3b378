/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <glib.h>

#include "dp-digest.h"

/* Digests from RFC 9530's examples, in base64 and as the hexadecimal
 * they decode to (computed independently). */
#define B64_256_A "AEGPTgUMw5e96wxZuDtpfm23RBU3nFwtgY5fw4NYORo="
#define HEX_256_A "00418f4e050cc397bdeb0c59b83b697e6db74415379c5c2d818e5fc38358391a"
/* SHA-256 of {"hello": "world"} */
#define B64_256_B "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
#define HEX_256_B "5f8f04f6a3a892aaabbddb6cf273894493773960d4a325b105fee46eef4304f1"
#define B64_512_A "YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg=="
#define HEX_512_A "60c01a9b9d49cff8ce0134faff3bc7acb5603984c6172d5de862623874e886ae" \
                  "323fea60938bdfd9a0acc9164eb70f0c8e433b8b0ef267f5a4a6998ce384f7aa"
/* SHA-512 of {"hello": "world"} */
#define B64_512_B "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
#define HEX_512_B "5990cf6959ffed7807680cbca66a23024196a11c765050a1178d40dacbd7f936" \
                  "8f9be01bc008015a7ac8898965bbb04d37279a95d54bbd1c049931d65ef2707b"

/* B64_256_B without its padding */
#define B64_256_B_BARE "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE"
/* The same with a pad bit set ("E" is 000100, "F" is 000101). */
#define B64_256_B_PADBITS "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPF="
/* 33 and 31 bytes */
#define B64_33 "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPEB"
#define B64_31 "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBA=="
/* 63 and 65 bytes */
#define B64_63 "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJw"
#define B64_65 "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwewA="
/* RFC 3230's own examples: an MD5 and a SHA-1 (16 and 20 bytes) */
#define B64_MD5 "HUXZLQLMuI/KZ5KDcJPcOA=="
#define B64_SHA1 "thvDyvhfIqlvFe+A9MYgxAfm1q0="

#define SHA256_A "sha256:" HEX_256_A
#define SHA256_B "sha256:" HEX_256_B
#define SHA512_A "sha512:" HEX_512_A
#define SHA512_B "sha512:" HEX_512_B

/* A valid member that every malformed dictionary below also holds, so
 * that only the broken rule can make it fail. */
#define GOOD "sha-256=:" B64_256_B ":"

#define check_repr(v, expected) check_digest_at (dp_digest_parse_repr, "Repr-Digest", v, expected, __FILE__, __LINE__)
#define check_legacy(v, expected) check_digest_at (dp_digest_parse_legacy, "Digest", v, expected, __FILE__, __LINE__)
#define check_links(v, base, ...) \
  check_links_at (v, base, (const char *const[]) { __VA_ARGS__, NULL }, __FILE__, __LINE__)
#define NONE NULL

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
check_digest_at (DpChecksum *(*parse) (const char *),
                 const char  *what,
                 const char  *value,
                 const char  *expected,
                 const char  *file,
                 int          line)
{
  g_autoptr(DpChecksum) checksum = parse (value);
  g_autofree char *got = checksum != NULL ? dp_checksum_to_string (checksum) : NULL;

  if (g_strcmp0 (got, expected) != 0)
    {
      g_autofree char *v = escaped (value);

      print_error ("%s \"%s\": got %s, expected %s\n", what, v,
                   got != NULL ? got : "(null)", expected != NULL ? expected : "(null)");
      _fail (file, line);
    }
}

/* @expected: "URL PRIORITY" for each link, in order */
static void
check_links_at (const char        *value,
                const char        *base,
                const char *const *expected,
                const char        *file,
                int                line)
{
  g_autoptr(GUri) base_uri = NULL;
  g_autoptr(GPtrArray) links = NULL;
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);

  if (base != NULL)
    {
      base_uri = g_uri_parse (base, SOUP_HTTP_URI_FLAGS, NULL);
      assert_non_null (base_uri);
    }

  links = dp_link_parse_duplicates (value, base_uri);
  if (links == NULL)
    {
      print_error ("Link: got NULL\n");
      _fail (file, line);
    }

  for (guint i = 0; i < links->len; i++)
    {
      DpDuplicateLink *link = g_ptr_array_index (links, i);

      g_string_append_printf (got, "%s %u\n", link->url, link->priority);
    }
  for (size_t i = 0; expected[i] != NULL; i++)
    g_string_append_printf (want, "%s\n", expected[i]);

  if (strcmp (got->str, want->str) != 0)
    {
      g_autofree char *v = escaped (value);

      print_error ("Link \"%s\" (base %s):\ngot:\n%sexpected:\n%s", v,
                   base != NULL ? base : "(none)", got->str, want->str);
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

/* Repr-Digest */

static void
test_repr_rfc_examples (void **state)
{
  check_repr ("sha-256=:" B64_256_A ":", SHA256_A);
  check_repr ("sha-256=:" B64_256_B ":", SHA256_B);
  check_repr ("sha-512=:" B64_512_A ":", SHA512_A);
  check_repr ("sha-512=:" B64_512_B ":", SHA512_B);
  /* Beside the digests the RFC's examples leave alone. */
  check_repr ("unixsum=:AAAA:, sha-256=:" B64_256_A ":", SHA256_A);
  check_repr ("sha-256=:" B64_256_A ":, md5=:" B64_MD5 ":", SHA256_A);
}

static void
test_repr_prefers_sha512 (void **state)
{
  check_repr ("sha-256=:" B64_256_A ":, sha-512=:" B64_512_A ":", SHA512_A);
  check_repr ("sha-512=:" B64_512_A ":, sha-256=:" B64_256_A ":", SHA512_A);
  check_repr ("md5=:" B64_MD5 ":, sha-512=:" B64_512_B ":, sha-256=:" B64_256_B ":", SHA512_B);
  /* An unusable SHA-512 leaves the SHA-256. */
  check_repr ("sha-512=:" B64_256_A ":, sha-256=:" B64_256_A ":", SHA256_A);
  check_repr ("sha-256=:" B64_256_A ":, sha-512=:" B64_63 ":", SHA256_A);
}

static void
test_repr_parameters (void **state)
{
  check_repr ("sha-256=:" B64_256_B ":;q=1", SHA256_B);
  check_repr ("sha-256=:" B64_256_B ":;a;b=?0;c=\"x;y, z\";d=-1.5;e=tok/en;f=:AAAA:", SHA256_B);
  check_repr ("sha-256=:" B64_256_B ":; a=1", SHA256_B);
  check_repr ("md5=:" B64_MD5 ":;x=1, sha-512=:" B64_512_B ":;y", SHA512_B);
  /* The parameters of a Boolean member and of an inner list. */
  check_repr ("a;x=1, b=(1 2);y=2, " GOOD, SHA256_B);
}

static void
test_repr_ows (void **state)
{
  check_repr (GOOD ",sha-512=:" B64_512_B ":", SHA512_B);
  check_repr (GOOD " , \tsha-512=:" B64_512_B ":", SHA512_B);
  check_repr ("md5=:" B64_MD5 ":\t,\t" GOOD, SHA256_B);
  check_repr ("  " GOOD "  ", SHA256_B);
  check_repr ("\t" GOOD "\t", SHA256_B);
}

static void
test_repr_unpadded (void **state)
{
  check_repr ("sha-256=:" B64_256_B_BARE ":", SHA256_B);
  check_repr ("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew:",
              SHA512_B);
}

/* Other values of RFC 8941 are well formed: they must not spoil the
 * dictionary, only be no digest. */
static void
test_repr_other_values (void **state)
{
  static const char *const members[] = {
    "a=1", "a=-1", "a=123456789012345", "a=-123456789012345", "a=1.5", "a=-1.125",
    "a=123456789012.123", "a=\"\"", "a=\"x \\\" \\\\ y\"", "a=tok", "a=*tok:/x!",
    "a=?0", "a=?1", "a", "a=()", "a=(1 \"x\" tok :AAAA: ?1)", "a=( 1  2 )",
    "a=(1;p=2 3);q", "a=::", "*a_.-9*=1", "a=:" B64_MD5 ":",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autofree char *before = g_strconcat (members[i], ", " GOOD, NULL);
      g_autofree char *after = g_strconcat (GOOD ", ", members[i], NULL);

      check_repr (before, SHA256_B);
      check_repr (after, SHA256_B);
    }
}

static void
test_repr_member_ignored (void **state)
{
  /* Values that are no byte sequence. */
  check_repr ("sha-512=\"" B64_512_B "\", " GOOD, SHA256_B);
  check_repr ("sha-512=(:" B64_512_B ":), " GOOD, SHA256_B);
  check_repr ("sha-512=?1, " GOOD, SHA256_B);
  check_repr ("sha-512, " GOOD, SHA256_B);
  check_repr ("sha-512=1, " GOOD, SHA256_B);
  check_repr ("sha-256=\"" B64_256_B "\"", NULL);
  check_repr ("sha-256=abc", NULL);
  /* Base64 that is not well formed. */
  check_repr ("sha-256=:" B64_256_B_PADBITS ":", NULL);
  check_repr ("sha-256=:" B64_256_B "=:", NULL);
  check_repr ("sha-256=:" B64_256_B "==:", NULL);
  check_repr ("sha-256=:" B64_256_B_BARE "===:", NULL);
  check_repr ("sha-256=:" B64_256_B_BARE "=====:", NULL);
  check_repr ("sha-256=:X48E9qOokqqrvdts8nOJRJN3=WDUoyWxBf7kbu9DBPE=:", NULL);
  check_repr ("sha-256=:X48E9qOokqqrvdts8nOJRJN3=OWDUoyWxBf7kbu9DBPE:", NULL);
  check_repr ("sha-256=:=" B64_256_B_BARE ":", NULL);
  check_repr ("sha-256=:X" B64_256_B ":", NULL);
  check_repr ("sha-256=:" B64_256_B_BARE "AA==:", NULL);
  check_repr ("sha-256=::", NULL);
  check_repr ("sha-512=:" B64_256_B_PADBITS ":, " GOOD, SHA256_B);
  /* Wrong lengths. */
  check_repr ("sha-256=:" B64_33 ":", NULL);
  check_repr ("sha-256=:" B64_31 ":", NULL);
  check_repr ("sha-256=:" B64_512_B ":", NULL);
  check_repr ("sha-512=:" B64_63 ":", NULL);
  check_repr ("sha-512=:" B64_65 ":", NULL);
  check_repr ("sha-512=:" B64_256_B ":", NULL);
  check_repr ("sha-512=:" B64_65 ":, " GOOD, SHA256_B);
}

static void
test_repr_unknown_algorithms (void **state)
{
  check_repr ("md5=:" B64_MD5 ":", NULL);
  check_repr ("sha=:" B64_SHA1 ":", NULL);
  check_repr ("unixsum=:" B64_MD5 ":, crc32c=:AAAAAA==:", NULL);
  check_repr ("id-sha-256=:" B64_256_B ":, sha-384=:" B64_512_B ":", NULL);
  check_repr ("sha256=:" B64_256_B ":, sha512=:" B64_512_B ":", NULL);
  check_repr ("sha-2566=:" B64_256_B ":", NULL);
  check_repr ("sha-25=:" B64_256_B ":", NULL);
}

static void
test_repr_duplicate_keys (void **state)
{
  /* The last member of a key replaces the earlier ones, usable or not. */
  check_repr ("sha-256=:" B64_33 ":, sha-256=:" B64_256_B ":", SHA256_B);
  check_repr ("sha-256=:" B64_256_B ":, sha-256=:" B64_33 ":", NULL);
  check_repr ("sha-256=:" B64_256_A ":, sha-256=:" B64_256_B ":", SHA256_B);
  check_repr ("sha-256=:" B64_256_B ":, sha-256=:" B64_256_A ":", SHA256_A);
  check_repr ("sha-512=:" B64_512_A ":, " GOOD ", sha-512", SHA256_B);
  check_repr ("sha-512=:" B64_512_A ":, " GOOD ", sha-512=:" B64_512_B ":", SHA512_B);
}

static void
test_repr_malformed (void **state)
{
  static const char *const bad[] = {
    /* keys */
    "SHA-256=:" B64_256_B ":",
    "Sha-256=:" B64_256_B ":",
    GOOD ", MD5=:" B64_MD5 ":",
    GOOD ", 1a=1",
    GOOD ", -a=1",
    GOOD ", _a=1",
    GOOD ", a b=1",
    GOOD ", a:b=1",
    GOOD ", =1",
    GOOD ", \xc3\xa4=1",
    /* byte sequences */
    "sha-256=:" B64_256_B,
    "sha-256=" B64_256_B ":",
    "sha-256=" B64_256_B,
    "sha-256=:" B64_256_B "::",
    "sha-256=:" B64_256_B ":x",
    "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE!:",
    "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DB-_=:",
    "sha-256=:X48E9qOokqqrvdts8nOJRJN3 OWDUoyWxBf7kbu9DBPE=:",
    GOOD ", md5=:" B64_MD5,
    GOOD ", md5=:a.b:",
    /* separators */
    GOOD ",",
    GOOD ", ",
    ", " GOOD,
    GOOD ",, md5=:" B64_MD5 ":",
    GOOD "; ",
    GOOD ";",
    GOOD ";=1",
    GOOD ";A=1",
    GOOD " md5=:" B64_MD5 ":",
    GOOD "=",
    "sha-256 =:" B64_256_B ":",
    "sha-256= :" B64_256_B ":",
    GOOD "\n",
    GOOD "\r\n",
    /* trailing garbage */
    GOOD " x",
    GOOD " :",
    GOOD "\x01",
    GOOD "\xff",
    GOOD ";a=1 b",
    /* numbers, strings, booleans, inner lists */
    GOOD ", a=1234567890123456",
    GOOD ", a=1234567890123.1",
    GOOD ", a=1.1234",
    GOOD ", a=1.",
    GOOD ", a=.5",
    GOOD ", a=-",
    GOOD ", a=--1",
    GOOD ", a=1.2.3",
    GOOD ", a=1e3",
    GOOD ", a=\"x",
    GOOD ", a=\"\\x\"",
    GOOD ", a=\"\\\"",
    GOOD ", a=\"\t\"",
    GOOD ", a=\"\xc3\xa4\"",
    GOOD ", a=?",
    GOOD ", a=?2",
    GOOD ", a=?01",
    GOOD ", a=(1 2",
    GOOD ", a=(1,2)",
    GOOD ", a=(1\t2)",
    GOOD ", a=(1\"x\")",
    GOOD ", a=(tok?1)",
    GOOD ", a=((1))",
    GOOD ", a=(1)(2)",
    GOOD ", a=%\"x\"",
    GOOD ", a=@1",
    GOOD ", a=",
    GOOD ", a=;",
    GOOD ", a=/",
    /* empty */
    "", " ", "\t", ",",
  };

  check_repr (NULL, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    check_repr (bad[i], NULL);
}

/* Digest (RFC 3230) */

static void
test_legacy_forms (void **state)
{
  check_legacy ("SHA-256=" B64_256_B, SHA256_B);
  check_legacy ("sha-256=" B64_256_A, SHA256_A);
  check_legacy ("Sha-512=" B64_512_B, SHA512_B);
  check_legacy ("SHA-512=" B64_512_A, SHA512_A);
  check_legacy ("SHA-256=\"" B64_256_B "\"", SHA256_B);
  check_legacy ("  SHA-256 = " B64_256_B "  ", SHA256_B);
  check_legacy ("SHA-256=" B64_256_B_BARE, SHA256_B);
  check_legacy ("SHA-256=" B64_256_B ",SHA-512=" B64_512_B, SHA512_B);
  check_legacy ("SHA-512=" B64_512_B ", SHA-256=" B64_256_B, SHA512_B);
  check_legacy (",, SHA-256=" B64_256_B " ,", SHA256_B);
}

static void
test_legacy_unknown_skipped (void **state)
{
  check_legacy ("MD5=" B64_MD5 ", UNIXsum=30637, SHA-256=" B64_256_B, SHA256_B);
  check_legacy ("SHA-256=" B64_256_B ", MD5=" B64_MD5 ", UNIXcksum=2736485744", SHA256_B);
  /* "SHA" is SHA-1 and never used, even with a 32-byte value. */
  check_legacy ("SHA=" B64_SHA1, NULL);
  check_legacy ("SHA=" B64_256_B, NULL);
  check_legacy ("SHA=" B64_SHA1 ", SHA-256=" B64_256_B, SHA256_B);
  check_legacy ("MD5=" B64_MD5, NULL);
  check_legacy ("UNIXsum=30637", NULL);
  check_legacy ("id-sha-256=" B64_256_B ", id-sha-512=" B64_512_B, NULL);
  check_legacy ("SHA256=" B64_256_B, NULL);
}

static void
test_legacy_malformed_elements (void **state)
{
  /* A broken element does not spoil the others. */
  check_legacy ("garbage, SHA-256=" B64_256_B, SHA256_B);
  check_legacy ("SHA-256=" B64_256_B ", =x, ???, a=b=c", SHA256_B);
  check_legacy ("x=\"unterminated, SHA-512=" B64_512_B, NULL);
  /* What is inside quotes is no element. */
  check_legacy ("x=\"a,SHA-256=" B64_256_B "\", MD5=" B64_MD5, NULL);
  check_legacy ("x=\"a,SHA-256=" B64_256_B "\", SHA-512=" B64_512_B, SHA512_B);
  check_legacy ("SHA-256=" B64_256_B " junk", NULL);
  check_legacy ("SHA-256=\"" B64_256_B, NULL);
  check_legacy ("SHA-256=" B64_256_B "\"", NULL);
  check_legacy ("SHA-256 " B64_256_B, NULL);
  check_legacy ("SHA-256=", NULL);
  check_legacy ("SHA-256=\"\"", NULL);
  check_legacy ("SHA-256=" B64_256_B ";q=1", NULL);
  check_legacy ("SHA-256=:" B64_256_B ":", NULL);
  check_legacy ("", NULL);
  check_legacy (" ", NULL);
  check_legacy (",", NULL);
  check_legacy (NULL, NULL);
}

static void
test_legacy_base64_and_length (void **state)
{
  check_legacy ("SHA-256=" B64_256_B_PADBITS, NULL);
  check_legacy ("SHA-256=" B64_256_B "=", NULL);
  check_legacy ("SHA-256=X48E9qOokqqrvdts8nOJRJN3=OWDUoyWxBf7kbu9DBPE", NULL);
  check_legacy ("SHA-256=X48E9qOokqqrvdts8nOJRJN3=WDUoyWxBf7kbu9DBPE=", NULL);
  check_legacy ("SHA-256=" B64_256_B_BARE "=====", NULL);
  check_legacy ("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE!", NULL);
  check_legacy ("SHA-256=" B64_33, NULL);
  check_legacy ("SHA-256=" B64_31, NULL);
  check_legacy ("SHA-256=" B64_512_B, NULL);
  check_legacy ("SHA-512=" B64_256_B, NULL);
  check_legacy ("SHA-512=" B64_65, NULL);
  check_legacy ("SHA-512=" B64_63 ", SHA-256=" B64_256_A, SHA256_A);
}

static void
test_legacy_last_wins (void **state)
{
  check_legacy ("SHA-256=" B64_256_A ", sha-256=" B64_256_B, SHA256_B);
  check_legacy ("SHA-256=" B64_256_A ", SHA-256=" B64_33, NULL);
  check_legacy ("SHA-256=" B64_33 ", SHA-256=" B64_256_A, SHA256_A);
}

/* Headers */

static SoupMessageHeaders *
headers_new (const char *first_name,
             ...)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      soup_message_headers_append (headers, name, va_arg (args, const char *));
      name = va_arg (args, const char *);
    }
  va_end (args);
  return headers;
}

static void
check_headers (SoupMessageHeaders *headers,
               const char         *expected)
{
  g_autoptr(DpChecksum) checksum = dp_digest_from_headers (headers);
  g_autofree char *got = checksum != NULL ? dp_checksum_to_string (checksum) : NULL;

  assert_string_equal (got != NULL ? got : "(null)", expected != NULL ? expected : "(null)");
  soup_message_headers_unref (headers);
}

static void
test_headers_choice (void **state)
{
  /* Repr-Digest wins, even over a stronger Digest. */
  check_headers (headers_new ("Digest", "SHA-512=" B64_512_B,
                              "Repr-Digest", "sha-256=:" B64_256_A ":", NULL), SHA256_A);
  check_headers (headers_new ("Repr-Digest", "sha-256=:" B64_256_A ":",
                              "Digest", "SHA-256=" B64_256_B, NULL), SHA256_A);
  /* An unusable Repr-Digest leaves Digest. */
  check_headers (headers_new ("Repr-Digest", "md5=:" B64_MD5 ":",
                              "Digest", "SHA-256=" B64_256_B, NULL), SHA256_B);
  check_headers (headers_new ("Repr-Digest", "garbage!",
                              "Digest", "SHA-256=" B64_256_B, NULL), SHA256_B);
  check_headers (headers_new ("Digest", "SHA-256=" B64_256_B, NULL), SHA256_B);
  check_headers (headers_new ("Repr-Digest", "sha-512=:" B64_512_A ":", NULL), SHA512_A);
  check_headers (headers_new ("repr-digest", "sha-512=:" B64_512_A ":", NULL), SHA512_A);
  check_headers (headers_new (NULL), NULL);
  assert_null (dp_digest_from_headers (NULL));
}

static void
test_headers_content_digest_ignored (void **state)
{
  check_headers (headers_new ("Content-Digest", "sha-256=:" B64_256_B ":", NULL), NULL);
  check_headers (headers_new ("Content-Digest", "sha-512=:" B64_512_B ":",
                              "Repr-Digest", "sha-256=:" B64_256_A ":", NULL), SHA256_A);
  check_headers (headers_new ("Content-Digest", "sha-512=:" B64_512_B ":",
                              "Digest", "SHA-256=" B64_256_A, NULL), SHA256_A);
  check_headers (headers_new ("Want-Repr-Digest", DP_DIGEST_WANT_REPR,
                              "Content-MD5", B64_MD5, NULL), NULL);
}

static void
test_headers_several_lines (void **state)
{
  check_headers (headers_new ("Repr-Digest", "sha-256=:" B64_256_A ":",
                              "Repr-Digest", "sha-512=:" B64_512_A ":", NULL), SHA512_A);
  check_headers (headers_new ("Repr-Digest", "sha-512=:" B64_512_A ":",
                              "Repr-Digest", "sha-512=:" B64_65 ":",
                              "Repr-Digest", "sha-256=:" B64_256_A ":", NULL), SHA256_A);
  check_headers (headers_new ("Digest", "MD5=" B64_MD5,
                              "Digest", "SHA-256=" B64_256_B, NULL), SHA256_B);
}

static void
test_want_value (void **state)
{
  /* What the probe asks for is itself a well-formed dictionary. */
  check_repr (DP_DIGEST_WANT_REPR ", " GOOD, SHA256_B);
  assert_string_equal (DP_DIGEST_WANT_REPR, "sha-256=10, sha-512=3");
}

/* Link */

#define BASE "http://example.com/dir/file.iso"

static void
test_link_mirrorbrain (void **state)
{
  check_links ("<http://m1.example.org/f.iso>; rel=duplicate; pri=1; geo=de, "
               "<http://m2.example.org/f.iso>; rel=duplicate; pri=2; geo=us, "
               "<ftp://m3.example.org/f.iso>; rel=duplicate; pri=3; geo=us, "
               "<http://example.com/dir/file.iso.meta4>; rel=describedby; type=\"application/metalink4+xml\"",
               BASE,
               "http://m1.example.org/f.iso 1",
               "http://m2.example.org/f.iso 2");
}

static void
test_link_several_lines (void **state)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new (
    "Link", "<http://m1/f>; rel=duplicate; pri=2",
    "Link", "<https://m2/f>; rel=duplicate; pri=1, <http://m3/f>; rel=duplicate",
    "Link", "<http://m4/f>; rel=\"describedby\"",
    NULL);

  check_links (soup_message_headers_get_list (headers, "Link"), BASE,
               "https://m2/f 1", "http://m1/f 2", "http://m3/f 999999");
}

static void
test_link_commas_and_quotes (void **state)
{
  check_links ("<http://m1/a,b;c.iso>; rel=duplicate, <http://m2/x>; rel=duplicate", BASE,
               "http://m1/a,b;c.iso 999999", "http://m2/x 999999");
  check_links ("<http://m1/f>; title=\"a, <http://evil/>; rel=duplicate\"; rel=duplicate", BASE,
               "http://m1/f 999999");
  check_links ("<http://m1/f>; title=\"q\\\"uote, <http://evil/>; rel=duplicate\", "
               "<http://m2/f>; rel=duplicate", BASE,
               "http://m2/f 999999");
  check_links ("<http://m1/f>; rel=\"duplicate\"; pri=\"2\"", BASE, "http://m1/f 2");
  /* Quoted pairs. */
  check_links ("<http://m1/f>; title=\"a\\\"b\"; rel=duplicate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>; rel=\"dup\\licate\"", BASE, "http://m1/f 999999");
}

static void
test_link_rel_lists (void **state)
{
  check_links ("<http://m1/f>; rel=\"duplicate describedby\"", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>; rel=\"describedby  DUPLICATE\"", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>; rel=Duplicate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>; REL=duplicate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f> ; rel = duplicate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>;rel=duplicate;pri=4", BASE, "http://m1/f 4");
  /* Only the first rel counts (RFC 8288 §3.3). */
  check_links ("<http://m1/f>; rel=duplicate; rel=alternate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f>; rel=alternate; rel=duplicate", BASE, NONE);
  /* Other relation types, or no rel at all. */
  check_links ("<http://m1/f>; rel=\"duplicates\"", BASE, NONE);
  check_links ("<http://m1/f>; rel=\"duplicate-of\"", BASE, NONE);
  check_links ("<http://m1/f>; rel=describedby", BASE, NONE);
  check_links ("<http://m1/f>; rel=\"\"", BASE, NONE);
  check_links ("<http://m1/f>; rel", BASE, NONE);
  check_links ("<http://m1/f>; rev=duplicate", BASE, NONE);
  check_links ("<http://m1/f>; duplicate", BASE, NONE);
  check_links ("<http://m1/f>", BASE, NONE);
}

static void
test_link_priority (void **state)
{
  check_links ("<http://a/f>; rel=duplicate; pri=3, <http://b/f>; rel=duplicate, "
               "<http://c/f>; rel=duplicate; pri=1, <http://d/f>; rel=duplicate; pri=2, "
               "<http://e/f>; rel=duplicate; pri=1",
               BASE,
               "http://c/f 1", "http://e/f 1", "http://d/f 2", "http://a/f 3", "http://b/f 999999");
  /* Equal priorities keep their order. */
  check_links ("<http://z/f>; rel=duplicate, <http://y/f>; rel=duplicate, <http://x/f>; rel=duplicate",
               BASE, "http://z/f 999999", "http://y/f 999999", "http://x/f 999999");
  check_links ("<http://a/f>; rel=duplicate; pri=999999, <http://b/f>; rel=duplicate; pri=000007",
               BASE, "http://b/f 7", "http://a/f 999999");
  /* The first pri counts. */
  check_links ("<http://a/f>; rel=duplicate; pri=5; pri=1", BASE, "http://a/f 5");
}

static void
test_link_priority_invalid (void **state)
{
  static const char *const bad[] = {
    "0", "-1", "+1", "1000000", "1.5", "abc", "1a", "\"\"", "99999999999999999999999", "4294967297",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *value = g_strconcat ("<http://a/f>; rel=duplicate; pri=", bad[i],
                                            ", <http://b/f>; rel=duplicate; pri=999998", NULL);

      check_links (value, BASE, "http://b/f 999998", "http://a/f 999999");
    }
  check_links ("<http://a/f>; rel=duplicate; pri", BASE, "http://a/f 999999");
}

static void
test_link_relative (void **state)
{
  check_links ("<../m/f.iso>; rel=duplicate; pri=1, <//mirror.org/f.iso>; rel=duplicate; pri=2, "
               "<f2.iso>; rel=duplicate; pri=3, </top.iso?x=1>; rel=duplicate; pri=4, "
               "<?y=2>; rel=duplicate; pri=5",
               BASE,
               "http://example.com/m/f.iso 1", "http://mirror.org/f.iso 2",
               "http://example.com/dir/f2.iso 3", "http://example.com/top.iso?x=1 4",
               "http://example.com/dir/file.iso?y=2 5");
  check_links ("<//mirror.org/f.iso>; rel=duplicate", "https://example.com/f",
               "https://mirror.org/f.iso 999999");
  /* Without a base, only absolute targets. */
  check_links ("<../m/f.iso>; rel=duplicate, <http://m1/f>; rel=duplicate, <//m2/f>; rel=duplicate",
               NULL, "http://m1/f 999999");
}

static void
test_link_non_http_dropped (void **state)
{
  check_links ("<ftp://m1/f>; rel=duplicate, <mailto:a@b>; rel=duplicate, "
               "<javascript:alert(1)>; rel=duplicate, <file:///etc/passwd>; rel=duplicate, "
               "<data:,x>; rel=duplicate, <http:///nohost>; rel=duplicate, <http:>; rel=duplicate, "
               "<https://ok/f>; rel=duplicate, <HTTPS://OK2/F>; rel=duplicate",
               BASE, "https://ok/f 999999", "https://ok2/F 999999");
  /* A target that is no URI-Reference. */
  check_links ("<http://m1/a b>; rel=duplicate, <http://m2/\xc3\xa4>; rel=duplicate, "
               "<http://m3/\x01>; rel=duplicate, <http://m4/%zz>; rel=duplicate, <http://m5/>; rel=duplicate",
               BASE, "http://m5/ 999999");
}

static void
test_link_base_dropped (void **state)
{
  check_links ("<http://example.com/dir/file.iso>; rel=duplicate, <>; rel=duplicate, "
               "<file.iso>; rel=duplicate, <HTTP://EXAMPLE.COM/dir/file.iso#x>; rel=duplicate, "
               "<http://example.com:80/dir/file.iso>; rel=duplicate, <#top>; rel=duplicate, "
               "<http://m1/f>; rel=duplicate",
               BASE, "http://m1/f 999999");
  check_links ("<http://example.com/dir/file.iso>; rel=duplicate", "http://example.com/dir/file.iso#frag",
               NONE);
  /* Not the base: another path, query, scheme or port. */
  check_links ("<https://example.com/dir/file.iso>; rel=duplicate, <file.iso?a>; rel=duplicate, "
               "<http://example.com:8080/dir/file.iso>; rel=duplicate",
               BASE, "https://example.com/dir/file.iso 999999", "http://example.com/dir/file.iso?a 999999",
               "http://example.com:8080/dir/file.iso 999999");
}

static void
test_link_duplicates_dropped (void **state)
{
  check_links ("<http://m1/f>; rel=duplicate; pri=5, <http://m2/f>; rel=duplicate; pri=3, "
               "<http://M1/f>; rel=duplicate; pri=2, <http://m1/f#x>; rel=duplicate; pri=9, "
               "<http://m1:80/f>; rel=duplicate",
               BASE, "http://m1/f 2", "http://m2/f 3");
  check_links ("<http://m1/f>; rel=duplicate, <http://m1/f>; rel=duplicate", BASE, "http://m1/f 999999");
  /* Paths are case-sensitive. */
  check_links ("<http://m1/f>; rel=duplicate, <http://m1/F>; rel=duplicate", BASE,
               "http://m1/f 999999", "http://m1/F 999999");
}

static void
test_link_anchor (void **state)
{
  check_links ("<http://m1/f>; rel=duplicate; anchor=\"http://other.example/x\", "
               "<http://m2/f>; rel=duplicate; anchor=\"\", "
               "<http://m3/f>; rel=duplicate; anchor=\"" BASE "\", "
               "<http://m4/f>; rel=duplicate; anchor=\"file.iso\", "
               "<http://m5/f>; rel=duplicate; anchor=\"other.iso\"",
               BASE, "http://m2/f 999999", "http://m3/f 999999", "http://m4/f 999999");
  check_links ("<http://m1/f>; rel=duplicate; anchor=\"http://x/\"", NULL, NONE);
}

static void
test_link_limit (void **state)
{
  g_autoptr(GString) value = g_string_new (NULL);
  g_autoptr(GPtrArray) links = NULL;
  g_autoptr(GUri) base = g_uri_parse (BASE, SOUP_HTTP_URI_FLAGS, NULL);

  /* 100 links, the best last. */
  for (int i = 100; i >= 1; i--)
    g_string_append_printf (value, "%s<http://m%d.example/f>; rel=duplicate; pri=%d",
                            i == 100 ? "" : ", ", i, i);

  links = dp_link_parse_duplicates (value->str, base);
  assert_int_equal (links->len, 64);
  for (guint i = 0; i < links->len; i++)
    {
      DpDuplicateLink *link = g_ptr_array_index (links, i);
      g_autofree char *url = g_strdup_printf ("http://m%u.example/f", i + 1);

      assert_int_equal (link->priority, i + 1);
      assert_string_equal (link->url, url);
    }
}

static void
test_link_size_limit (void **state)
{
  static const char link[] = "<http://m1/f>; rel=duplicate";
  g_autoptr(GString) value = g_string_new (link);

  /* Exactly 64 KiB is read, one byte more is not. */
  g_string_append (value, ", ");
  while (value->len < 64 * 1024)
    g_string_append_c (value, ' ');
  check_links (value->str, BASE, "http://m1/f 999999");
  g_string_append_c (value, ' ');
  check_links (value->str, BASE, NONE);
}

static void
test_link_garbage (void **state)
{
  static const char *const bad[] = {
    "", " ", ",", ",,,", "garbage", "<", ">", "<>", "<http://m1/f", "http://m1/f; rel=duplicate",
    "<http://m1/f> rel=duplicate", "<http://m1/f>; =duplicate", "<http://m1/f>; rel=\"duplicate",
    "<http://m1/f>; rel=duplicate x", "<http://m1/f>; rel=", "<http://m1/f>; rel=\"dup\x01licate\"",
    "<http://m1/f><http://m2/f>; rel=duplicate", "\"<http://m1/f>; rel=duplicate",
    "<http://m1/f>; rel=duplicate\"", "<<http://m1/f>>; rel=duplicate",
    "<http://m1/f>; rel=duplicate; title=\"x", "<http://m1/f>; r\xc3\xa4l=duplicate",
  };

  check_links (NULL, BASE, NONE);
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    check_links (bad[i], BASE, NONE);

  /* Tolerated: empty list elements and empty parameters. */
  check_links (", ,<http://m1/f>;; rel=duplicate;, ,", BASE, "http://m1/f 999999");
  /* A broken link is skipped up to the next comma, not the whole value. */
  check_links ("garbage, <http://m1/f>; rel=duplicate", BASE, "http://m1/f 999999");
  check_links ("<http://m1/f> rel=duplicate, <http://m2/f>; rel=duplicate", BASE, "http://m2/f 999999");
  check_links ("<http://m1/f>; rel=duplicate; =x, <http://m2/f>; rel=duplicate", BASE,
               "http://m2/f 999999");
  check_links ("x<a, <http://evil/>; rel=duplicate, b>, <http://m2/f>; rel=duplicate", BASE,
               "http://m2/f 999999");
  check_links ("x\"a, <http://evil/>; rel=duplicate\", <http://m2/f>; rel=duplicate", BASE,
               "http://m2/f 999999");
}

/* Random input: no crash, no leak, and what comes out keeps its shape. */

static void
check_anything (const char *value,
                GUri       *base,
                guint      *n_digests,
                guint      *n_links)
{
  DpChecksum *parsed[2] = { dp_digest_parse_repr (value), dp_digest_parse_legacy (value) };
  g_autoptr(GPtrArray) links = dp_link_parse_duplicates (value, base);

  for (size_t i = 0; i < G_N_ELEMENTS (parsed); i++)
    {
      if (parsed[i] == NULL)
        continue;
      assert_true (dp_checksum_get_algorithm (parsed[i]) == G_CHECKSUM_SHA256 ||
                   dp_checksum_get_algorithm (parsed[i]) == G_CHECKSUM_SHA512);
      (*n_digests)++;
      dp_checksum_free (parsed[i]);
    }

  assert_non_null (links);
  assert_true (links->len <= 64);
  for (guint i = 0; i < links->len; i++)
    {
      DpDuplicateLink *link = g_ptr_array_index (links, i);

      assert_true (g_str_has_prefix (link->url, "http://") || g_str_has_prefix (link->url, "https://"));
      assert_true (link->priority >= 1 && link->priority <= 999999);
      if (i > 0)
        assert_true (((DpDuplicateLink *) g_ptr_array_index (links, i - 1))->priority <= link->priority);
      (*n_links)++;
    }
}

static void
test_fuzz_mutations (void **state)
{
  static const char *const seeds[] = {
    GOOD ", sha-512=:" B64_512_B ":;p=1, a=(1 \"x\" ?0), b=-1.5",
    "SHA-256=" B64_256_B ", MD5=" B64_MD5 ", SHA-512=\"" B64_512_B "\"",
    "<http://m1/f>; rel=duplicate; pri=1; geo=de, <../f>; rel=\"duplicate x\"; pri=2, "
    "<//m3/f>; rel=duplicate; title=\"a, b\"",
  };
  static const char alphabet[] = ":=,;\"<>()? \t\\/-*abcAZ09+.%#@";
  g_autoptr(GUri) base = g_uri_parse (BASE, SOUP_HTTP_URI_FLAGS, NULL);
  guint64 rng = 7;
  guint digests = 0, links = 0;

  for (int i = 0; i < 30000; i++)
    {
      const char *seed = seeds[i % G_N_ELEMENTS (seeds)];
      g_autoptr(GString) value = g_string_new (seed);
      int edits = 1 + next_random (&rng) % 3;

      for (int e = 0; e < edits; e++)
        {
          size_t pos = next_random (&rng) % (value->len + 1);
          char c = alphabet[next_random (&rng) % (sizeof alphabet - 1)];

          switch (next_random (&rng) % 3)
            {
            case 0:
              g_string_insert_c (value, pos, c);
              break;
            case 1:
              if (pos < value->len)
                g_string_erase (value, pos, 1);
              break;
            default:
              if (pos < value->len)
                value->str[pos] = c;
              break;
            }
        }
      check_anything (value->str, base, &digests, &links);
    }

  /* Some mutations must leave valid values, or the accepting paths
   * would go untested. */
  assert_true (digests > 1000);
  assert_true (links > 1000);
}

static void
test_fuzz_random_bytes (void **state)
{
  g_autoptr(GUri) base = g_uri_parse (BASE, SOUP_HTTP_URI_FLAGS, NULL);
  guint64 rng = 42;
  guint digests = 0, links = 0;
  char buf[97];

  for (int i = 0; i < 50000; i++)
    {
      size_t len = next_random (&rng) % sizeof buf;

      for (size_t j = 0; j < len; j++)
        buf[j] = (char) (1 + next_random (&rng) % 255);
      buf[len] = '\0';
      check_anything (buf, base, &digests, &links);
      check_anything (buf, NULL, &digests, &links);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_repr_rfc_examples),
    cmocka_unit_test (test_repr_prefers_sha512),
    cmocka_unit_test (test_repr_parameters),
    cmocka_unit_test (test_repr_ows),
    cmocka_unit_test (test_repr_unpadded),
    cmocka_unit_test (test_repr_other_values),
    cmocka_unit_test (test_repr_member_ignored),
    cmocka_unit_test (test_repr_unknown_algorithms),
    cmocka_unit_test (test_repr_duplicate_keys),
    cmocka_unit_test (test_repr_malformed),
    cmocka_unit_test (test_legacy_forms),
    cmocka_unit_test (test_legacy_unknown_skipped),
    cmocka_unit_test (test_legacy_malformed_elements),
    cmocka_unit_test (test_legacy_base64_and_length),
    cmocka_unit_test (test_legacy_last_wins),
    cmocka_unit_test (test_headers_choice),
    cmocka_unit_test (test_headers_content_digest_ignored),
    cmocka_unit_test (test_headers_several_lines),
    cmocka_unit_test (test_want_value),
    cmocka_unit_test (test_link_mirrorbrain),
    cmocka_unit_test (test_link_several_lines),
    cmocka_unit_test (test_link_commas_and_quotes),
    cmocka_unit_test (test_link_rel_lists),
    cmocka_unit_test (test_link_priority),
    cmocka_unit_test (test_link_priority_invalid),
    cmocka_unit_test (test_link_relative),
    cmocka_unit_test (test_link_non_http_dropped),
    cmocka_unit_test (test_link_base_dropped),
    cmocka_unit_test (test_link_duplicates_dropped),
    cmocka_unit_test (test_link_anchor),
    cmocka_unit_test (test_link_limit),
    cmocka_unit_test (test_link_size_limit),
    cmocka_unit_test (test_link_garbage),
    cmocka_unit_test (test_fuzz_mutations),
    cmocka_unit_test (test_fuzz_random_bytes),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
