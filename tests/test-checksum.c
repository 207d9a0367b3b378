/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "dp-checksum.h"
#include "dp-error.h"

/* Published digests (FIPS 180-2 examples, RFC 1321 test suite). */
#define MD5_ABC "900150983cd24fb0d6963f7d28e17f72"
#define SHA1_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
                   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define MD5_EMPTY "d41d8cd98f00b204e9800998ecf8427e"
#define SHA1_EMPTY "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA512_EMPTY "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
                     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

#define MIB (1024 * 1024)

#define check_valid(text, type, name, expected) \
  check_valid_at (text, type, name, expected, __FILE__, __LINE__)
#define check_invalid(text, needle) check_invalid_at (text, needle, __FILE__, __LINE__)

static void
check_valid_at (const char   *text,
                GChecksumType type,
                const char   *name,
                const char   *expected,
                const char   *file,
                int           line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse (text, &error);
  g_autoptr(DpChecksum) copy = NULL;
  g_autoptr(DpChecksum) reparsed = NULL;
  g_autofree char *string = NULL;
  g_autofree char *want_string = NULL;

  if (checksum == NULL)
    {
      print_error ("%s:%d: “%s” was rejected: %s\n", file, line, text, error->message);
      _fail (file, line);
    }
  _assert_int_equal (dp_checksum_get_algorithm (checksum), type, file, line);
  _assert_string_equal (dp_checksum_get_name (checksum), name, file, line);
  _assert_string_equal (dp_checksum_get_expected (checksum), expected, file, line);

  string = dp_checksum_to_string (checksum);
  want_string = g_strconcat (name, ":", expected, NULL);
  _assert_string_equal (string, want_string, file, line);

  /* The canonical form reads back as the same value. */
  reparsed = dp_checksum_parse (string, NULL);
  _assert_true (reparsed != NULL, "reparsed != NULL", file, line);
  _assert_int_equal (dp_checksum_get_algorithm (reparsed), type, file, line);
  _assert_string_equal (dp_checksum_get_expected (reparsed), expected, file, line);

  copy = dp_checksum_copy (checksum);
  _assert_true (copy != checksum, "copy != checksum", file, line);
  _assert_int_equal (dp_checksum_get_algorithm (copy), type, file, line);
  _assert_string_equal (dp_checksum_get_expected (copy), expected, file, line);
  _assert_true (dp_checksum_get_expected (copy) != dp_checksum_get_expected (checksum),
                "the copy owns its digest", file, line);
}

/* Rejected with DP_ERROR_INVALID_ARGUMENT, a short valid UTF-8 message
 * and, when @needle is given, a message containing it. Returns the
 * message for further checks. */
static char *
check_invalid_at (const char *text,
                  const char *needle,
                  const char *file,
                  int         line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse (text, &error);

  if (checksum != NULL)
    {
      print_error ("%s:%d: “%.80s” was accepted as %s:%s\n", file, line, text,
                   dp_checksum_get_name (checksum), dp_checksum_get_expected (checksum));
      _fail (file, line);
    }
  _assert_true (error != NULL, "error != NULL", file, line);
  _assert_true (error->domain == DP_ERROR, "domain is DP_ERROR", file, line);
  _assert_int_equal (error->code, DP_ERROR_INVALID_ARGUMENT, file, line);
  _assert_true (g_utf8_validate (error->message, -1, NULL), "message is UTF-8", file, line);
  _assert_true (strlen (error->message) < 400, "message is short", file, line);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    {
      print_error ("%s:%d: message “%s” lacks “%s”\n", file, line, error->message, needle);
      _fail (file, line);
    }
  return g_strdup (error->message);
}

static char *
repeat (char   c,
        size_t n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* A temporary file holding @data, opened read-only; unlinked at once
 * since only the descriptor is needed. */
static int
temp_fd_with (const void *data,
              size_t      len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int write_fd = g_file_open_tmp ("dp-checksum-XXXXXX", &path, &error);
  int fd;

  g_assert_no_error (error);
  assert_true (write_fd >= 0);
  if (len > 0)
    assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
  close (write_fd);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  g_unlink (path);
  return fd;
}

static void
check_digest_of (GChecksumType type,
                 const char   *data,
                 size_t        len,
                 const char   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;
  int fd = temp_fd_with (data, len);

  digest = dp_checksum_compute_fd (type, fd, "test", NULL, &error);
  g_assert_no_error (error);
  assert_string_equal (digest, expected);
  close (fd);
}

static void
test_parse_each_algorithm (void **state)
{
  check_valid ("sha256:" SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("sha512:" SHA512_ABC, G_CHECKSUM_SHA512, "sha512", SHA512_ABC);
  check_valid ("sha1:" SHA1_ABC, G_CHECKSUM_SHA1, "sha1", SHA1_ABC);
  check_valid ("md5:" MD5_ABC, G_CHECKSUM_MD5, "md5", MD5_ABC);
}

static void
test_parse_case_variants (void **state)
{
  g_autofree char *upper = g_ascii_strup (SHA256_ABC, -1);
  g_autofree char *text = NULL;

  check_valid ("SHA256:" SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("Sha256:" SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("sha-256:" SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("SHA-256:" SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("SHA-512:" SHA512_ABC, G_CHECKSUM_SHA512, "sha512", SHA512_ABC);
  check_valid ("sha-1:" SHA1_ABC, G_CHECKSUM_SHA1, "sha1", SHA1_ABC);
  check_valid ("SHA1:" SHA1_ABC, G_CHECKSUM_SHA1, "sha1", SHA1_ABC);
  check_valid ("MD5:" MD5_ABC, G_CHECKSUM_MD5, "md5", MD5_ABC);

  /* Uppercase and mixed-case digits come out lowercase. */
  text = g_strconcat ("sha256:", upper, NULL);
  check_valid (text, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("md5:900150983CD24FB0d6963f7d28E17F72", G_CHECKSUM_MD5, "md5", MD5_ABC);
}

static void
test_parse_bare (void **state)
{
  check_valid (MD5_EMPTY, G_CHECKSUM_MD5, "md5", MD5_EMPTY);
  check_valid (SHA1_EMPTY, G_CHECKSUM_SHA1, "sha1", SHA1_EMPTY);
  check_valid (SHA256_EMPTY, G_CHECKSUM_SHA256, "sha256", SHA256_EMPTY);
  check_valid (SHA512_EMPTY, G_CHECKSUM_SHA512, "sha512", SHA512_EMPTY);
  check_valid ("D41D8CD98F00B204E9800998ECF8427E", G_CHECKSUM_MD5, "md5", MD5_EMPTY);
}

static void
test_parse_white_space (void **state)
{
  check_valid ("  sha256:" SHA256_ABC "  ", G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
  check_valid ("\t\n sha1:" SHA1_ABC "\r\n", G_CHECKSUM_SHA1, "sha1", SHA1_ABC);
  check_valid ("\n" MD5_ABC "\n", G_CHECKSUM_MD5, "md5", MD5_ABC);
  /* As some download pages print it. */
  check_valid ("SHA-256: " SHA256_ABC, G_CHECKSUM_SHA256, "sha256", SHA256_ABC);
}

static void
test_invalid_unknown_type (void **state)
{
  g_autofree char *message = check_invalid ("foo:" SHA256_ABC, NULL);
  g_autofree char *message2 = NULL;
  g_autofree char *message3 = NULL;

  assert_string_equal (message,
                       "“foo” is not a known checksum type; use sha256, sha512, sha1 or md5.");
  g_free (check_invalid ("sha384:" SHA256_ABC, "“sha384” is not a known checksum type"));
  g_free (check_invalid ("sha_256:" SHA256_ABC, "“sha_256”"));
  g_free (check_invalid ("sha 256:" SHA256_ABC, "sha256, sha512, sha1 or md5"));
  g_free (check_invalid ("crc32:cbf43926", "“crc32”"));
  g_free (check_invalid ("md5sum:" MD5_ABC, "“md5sum”"));
  message2 = check_invalid (":" SHA256_ABC, "missing");
  assert_non_null (strstr (message2, "sha256, sha512, sha1 or md5"));

  /* A control character in the type is not echoed raw. */
  message3 = check_invalid ("sh\033[2Ja:" SHA256_ABC, "is not a known checksum type");
  assert_null (strchr (message3, '\033'));
}

static void
test_invalid_empty (void **state)
{
  g_free (check_invalid (NULL, "empty"));
  g_free (check_invalid ("", "empty"));
  g_free (check_invalid (" \t\r\n", "empty"));
  g_free (check_invalid ("sha256:", "The sha256 checksum has no digits"));
  g_free (check_invalid ("sha256:   ", "64 hexadecimal digits"));
  g_free (check_invalid ("md5:", "32 hexadecimal digits"));
  g_free (check_invalid ("sha256", "The sha256 checksum has no digits"));
  g_free (check_invalid ("SHA-512", "The sha512 checksum has no digits"));
  g_free (check_invalid (":", "missing"));
}

static void
test_invalid_length (void **state)
{
  g_autofree char *message = check_invalid ("sha256:" SHA256_ABC "0", NULL);
  g_autofree char *short63 = g_strndup (SHA256_ABC, 63);
  g_autofree char *text = g_strconcat ("sha256:", short63, NULL);
  g_autofree char *message63 = check_invalid (text, NULL);

  assert_string_equal (message, "A sha256 checksum has 64 hexadecimal digits; this one has 65.");
  assert_string_equal (message63, "A sha256 checksum has 64 hexadecimal digits; this one has 63.");

  /* The right digest length for another type is still wrong. */
  g_free (check_invalid ("md5:" SHA256_ABC, "A md5 checksum has 32 hexadecimal digits; this one has 64."));
  g_free (check_invalid ("sha1:" MD5_ABC, "this one has 32"));
  g_free (check_invalid ("sha512:" SHA256_ABC, "128 hexadecimal digits"));
  g_free (check_invalid ("sha256:a", "this one has 1."));

  /* Bare digests of no known length. */
  g_free (check_invalid ("abc", "this one has 3"));
  g_free (check_invalid (MD5_ABC "0", "32 (md5), 40 (sha1), 64 (sha256) or 128 (sha512)"));
  g_free (check_invalid (SHA512_ABC SHA512_ABC, "this one has 256"));
}

static void
test_invalid_non_hex (void **state)
{
  g_autofree char *typo = g_strdup (SHA256_ABC);
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;

  typo[10] = 'g';
  text = g_strconcat ("sha256:", typo, NULL);
  message = check_invalid (text, NULL);
  assert_string_equal (message,
                       "The checksum contains “g”, which is not a hexadecimal digit; "
                       "use only 0–9 and a–f.");

  /* A bare digest of the right length with a typo gets the same help. */
  g_free (check_invalid (typo, "“g”, which is not a hexadecimal digit"));

  g_free (check_invalid ("md5:0x900150983cd24fb0d6963f7d28e17f", "“x”"));
  g_free (check_invalid ("md5:900150983cd24fb0 d6963f7d28e17f72", "U+0020"));
  g_free (check_invalid ("md5:900150983cd24fb0\td6963f7d28e17f72", "U+0009"));
  g_free (check_invalid ("md5:900150983cd24fb0\x7f" "d6963f7d28e17f7", "U+007F"));
  g_free (check_invalid ("md5:900150983cd24fb0é6963f7d28e17f72", "“é”"));
  g_free (check_invalid ("md5:900150983cd24fb0\xff" "d6963f7d28e17f72", "not valid text"));
  g_free (check_invalid ("sha256:sha256:" SHA256_ABC, "“s”"));
  g_free (check_invalid ("sha256:" SHA256_ABC ":", "“:”"));
  g_free (check_invalid ("sha256:-" SHA256_ABC, "“-”"));

  /* Bare text that is not shaped like a digest at all. */
  g_free (check_invalid ("foo", "“foo” is not a checksum"));
  g_free (check_invalid ("sha256sum", "“sha256sum” is not a checksum"));
  g_free (check_invalid (SHA256_ABC "  file.iso", "is not a checksum"));
}

static void
test_invalid_huge (void **state)
{
  g_autofree char *digits = repeat ('a', 4 * MIB);
  g_autofree char *letters = repeat ('z', 4 * MIB);
  g_autofree char *with_type = g_strconcat ("sha256:", digits, NULL);
  g_autofree char *long_type = g_strconcat (letters, ":", SHA256_ABC, NULL);
  g_autofree char *message = NULL;
  g_autofree char *expected_count = g_strdup_printf ("this one has %d.", 4 * MIB);

  g_free (check_invalid (with_type, expected_count));
  g_free (check_invalid (digits, expected_count));
  g_free (check_invalid (letters, "is not a checksum"));

  /* The echoed type is cut short. */
  message = check_invalid (long_type, "…” is not a known checksum type");
  assert_true (strlen (message) < 200);
}

/* Random NUL-free bytes, some shaped like checksums: the parser must
 * either accept with a well-formed value or reject with a clean error. */
static void
test_invalid_garbage (void **state)
{
  static const char alphabet[] = "0123456789abcdefABCDEF:-shaSHAmd5 \t\xc3\xa9\xff\x01g";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);

  for (int round = 0; round < 20000; round++)
    {
      size_t len = g_rand_int_range (rand, 0, 150);
      g_autofree char *text = g_malloc (len + 1);
      g_autoptr(GError) error = NULL;
      g_autoptr(DpChecksum) checksum = NULL;

      for (size_t i = 0; i < len; i++)
        {
          if (g_rand_boolean (rand))
            text[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
          else
            text[i] = (char) g_rand_int_range (rand, 1, 256);
        }
      text[len] = '\0';

      checksum = dp_checksum_parse (text, &error);
      if (checksum != NULL)
        {
          const char *expected = dp_checksum_get_expected (checksum);

          assert_null (error);
          assert_int_equal (strlen (expected),
                            g_checksum_type_get_length (dp_checksum_get_algorithm (checksum)) * 2);
          for (const char *p = expected; *p != '\0'; p++)
            assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
        }
      else
        {
          assert_non_null (error);
          assert_true (error->domain == DP_ERROR);
          assert_int_equal (error->code, DP_ERROR_INVALID_ARGUMENT);
          assert_true (g_utf8_validate (error->message, -1, NULL));
          for (const char *p = error->message; *p != '\0'; p++)
            assert_true ((unsigned char) *p >= 0x20 && *p != 0x7f);
        }
    }
}

static void
test_copy_free_null (void **state)
{
  assert_null (dp_checksum_copy (NULL));
  dp_checksum_free (NULL);
}

static void
test_compute_abc (void **state)
{
  check_digest_of (G_CHECKSUM_MD5, "abc", 3, MD5_ABC);
  check_digest_of (G_CHECKSUM_SHA1, "abc", 3, SHA1_ABC);
  check_digest_of (G_CHECKSUM_SHA256, "abc", 3, SHA256_ABC);
  check_digest_of (G_CHECKSUM_SHA512, "abc", 3, SHA512_ABC);
}

static void
test_compute_empty (void **state)
{
  check_digest_of (G_CHECKSUM_MD5, "", 0, MD5_EMPTY);
  check_digest_of (G_CHECKSUM_SHA1, "", 0, SHA1_EMPTY);
  check_digest_of (G_CHECKSUM_SHA256, "", 0, SHA256_EMPTY);
  check_digest_of (G_CHECKSUM_SHA512, "", 0, SHA512_EMPTY);
}

/* Sizes around the 1 MiB chunk boundary and several chunks long. */
static void
test_compute_large (void **state)
{
  static const size_t sizes[] = { MIB - 1, MIB, MIB + 1, 2 * MIB, 5 * MIB + 12345 };
  static const GChecksumType types[] = { G_CHECKSUM_SHA256, G_CHECKSUM_MD5, G_CHECKSUM_SHA512 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  size_t max = sizes[G_N_ELEMENTS (sizes) - 1];
  g_autofree guint8 *data = g_malloc (max);

  for (size_t i = 0; i < max; i++)
    data[i] = (guint8) g_rand_int (rand);

  for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int fd = temp_fd_with (data, sizes[s]);

      for (size_t t = 0; t < G_N_ELEMENTS (types); t++)
        {
          g_autoptr(GChecksum) reference = g_checksum_new (types[t]);
          g_autoptr(GError) error = NULL;
          g_autofree char *digest = NULL;

          g_checksum_update (reference, data, sizes[s]);
          digest = dp_checksum_compute_fd (types[t], fd, "big", NULL, &error);
          g_assert_no_error (error);
          assert_string_equal (digest, g_checksum_get_string (reference));
        }
      close (fd);
    }
}

/* The whole file is hashed whatever the position, and the position
 * stays where the caller left it. */
static void
test_compute_keeps_position (void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *text = NULL;
  g_autoptr(DpChecksum) checksum = NULL;
  int fd = temp_fd_with ("abc", 3);

  assert_int_equal (lseek (fd, 2, SEEK_SET), 2);
  digest = dp_checksum_compute_fd (G_CHECKSUM_SHA256, fd, "abc", NULL, &error);
  g_assert_no_error (error);
  assert_string_equal (digest, SHA256_ABC);
  assert_int_equal (lseek (fd, 0, SEEK_CUR), 2);

  checksum = dp_checksum_parse ("sha256:" SHA256_ABC, &error);
  g_assert_no_error (error);
  assert_true (dp_checksum_verify_fd (checksum, fd, "abc", NULL, &error));
  g_assert_no_error (error);
  assert_int_equal (lseek (fd, 0, SEEK_CUR), 2);

  /* At the end, too. */
  assert_int_equal (lseek (fd, 0, SEEK_END), 3);
  assert_true (dp_checksum_verify_fd (checksum, fd, "abc", NULL, &error));
  g_assert_no_error (error);
  assert_int_equal (lseek (fd, 0, SEEK_CUR), 3);
  close (fd);
}

static void
test_verify_match (void **state)
{
  static const char *const texts[] = {
    "md5:" MD5_ABC, "sha1:" SHA1_ABC, "SHA-256:" SHA256_ABC, SHA512_ABC,
  };
  int fd = temp_fd_with ("abc", 3);

  for (size_t i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DpChecksum) checksum = dp_checksum_parse (texts[i], &error);

      g_assert_no_error (error);
      assert_true (dp_checksum_verify_fd (checksum, fd, "abc.txt", NULL, &error));
      g_assert_no_error (error);
    }
  close (fd);
}

static void
test_verify_mismatch (void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse ("sha256:" SHA256_EMPTY, NULL);
  g_autoptr(DpChecksum) md5 = dp_checksum_parse (MD5_EMPTY, NULL);
  int fd = temp_fd_with ("abc", 3);

  assert_false (dp_checksum_verify_fd (checksum, fd, "abc.txt", NULL, &error));
  assert_non_null (error);
  assert_true (error->domain == DP_ERROR);
  assert_int_equal (error->code, DP_ERROR_CHECKSUM);
  assert_string_equal (error->message,
                       "The downloaded file does not match its sha256 checksum "
                       "(expected e3b0c44298fc…, got ba7816bf8f01…). It was not saved.");
  assert_non_null (strstr (error->message, "sha256"));
  assert_non_null (strstr (error->message, "not saved"));
  g_clear_error (&error);

  assert_false (dp_checksum_verify_fd (md5, fd, "abc.txt", NULL, &error));
  assert_int_equal (error->code, DP_ERROR_CHECKSUM);
  assert_non_null (strstr (error->message, "md5 checksum"));
  assert_non_null (strstr (error->message, "expected d41d8cd98f00…, got 900150983cd2…"));
  assert_non_null (strstr (error->message, "not saved"));
  close (fd);
}

static void
test_cancelled (void **state)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse ("sha256:" SHA256_ABC, NULL);
  g_autofree char *digest = NULL;
  int fd = temp_fd_with ("abc", 3);

  g_cancellable_cancel (cancellable);
  digest = dp_checksum_compute_fd (G_CHECKSUM_SHA256, fd, "abc.txt", cancellable, &error);
  assert_null (digest);
  assert_non_null (error);
  assert_true (error->domain == DP_ERROR);
  assert_int_equal (error->code, DP_ERROR_CANCELLED);
  g_clear_error (&error);

  assert_false (dp_checksum_verify_fd (checksum, fd, "abc.txt", cancellable, &error));
  assert_true (error->domain == DP_ERROR);
  assert_int_equal (error->code, DP_ERROR_CANCELLED);
  g_clear_error (&error);

  /* An uncancelled one changes nothing. */
  g_cancellable_reset (cancellable);
  assert_true (dp_checksum_verify_fd (checksum, fd, "abc.txt", cancellable, &error));
  g_assert_no_error (error);
  close (fd);
}

static void
check_io_error (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpChecksum) checksum = dp_checksum_parse ("md5:" MD5_ABC, NULL);
  g_autofree char *digest = NULL;

  digest = dp_checksum_compute_fd (G_CHECKSUM_MD5, fd, "data.bin", NULL, &error);
  assert_null (digest);
  assert_non_null (error);
  assert_true (error->domain == DP_ERROR);
  assert_int_equal (error->code, DP_ERROR_IO);
  assert_non_null (strstr (error->message, "Could not read “data.bin” to verify it: "));
  g_clear_error (&error);

  assert_false (dp_checksum_verify_fd (checksum, fd, "data.bin", NULL, &error));
  assert_int_equal (error->code, DP_ERROR_IO);
}

static void
test_unreadable (void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  int tmp_fd = g_file_open_tmp ("dp-checksum-XXXXXX", &path, &error);
  int write_only;
  int dir_fd;
  int pipe_fds[2];

  g_assert_no_error (error);
  close (tmp_fd);
  write_only = open (path, O_WRONLY | O_CLOEXEC);
  assert_true (write_only >= 0);
  g_unlink (path);
  check_io_error (write_only);
  close (write_only);

  check_io_error (-1);

  dir = g_dir_make_tmp ("dp-checksum-XXXXXX", &error);
  g_assert_no_error (error);
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (dir_fd >= 0);
  check_io_error (dir_fd);
  close (dir_fd);
  g_rmdir (dir);

  /* Not seekable: pread() cannot work on it. */
  assert_int_equal (pipe (pipe_fds), 0);
  check_io_error (pipe_fds[0]);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
}

/* Digests from files and headers: exact digits only, and the same
 * checksum as the user's text would give. */
static void
test_new_from_digest (void **state)
{
  const char *hex = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  const guint8 bytes[4] = { 0x00, 0xab, 0x10, 0xff };
  g_autoptr(DpChecksum) from_hex = dp_checksum_new (G_CHECKSUM_SHA256, hex, -1);
  g_autoptr(DpChecksum) parsed = dp_checksum_parse (hex, NULL);
  g_autoptr(DpChecksum) short_one = dp_checksum_new (G_CHECKSUM_SHA256, hex, 63);
  g_autoptr(DpChecksum) odd = dp_checksum_new (G_CHECKSUM_MD5, "0123456789abcdef0123456789abcdeg", -1);
  g_autoptr(DpChecksum) sha384 = dp_checksum_new (G_CHECKSUM_SHA384, hex, -1);
  g_autoptr(DpChecksum) wrong_length = dp_checksum_new_from_bytes (G_CHECKSUM_SHA256, bytes, 4);
  guint8 md5[16] = { 0 };
  g_autoptr(DpChecksum) from_bytes = NULL;
  GChecksumType type = G_CHECKSUM_MD5;

  (void) state;
  assert_non_null (from_hex);
  assert_string_equal (dp_checksum_get_expected (from_hex), dp_checksum_get_expected (parsed));
  assert_int_equal (dp_checksum_get_algorithm (from_hex), G_CHECKSUM_SHA256);
  assert_null (short_one);
  assert_null (odd);
  assert_null (sha384);
  assert_null (wrong_length);

  memcpy (md5, bytes, sizeof bytes);
  from_bytes = dp_checksum_new_from_bytes (G_CHECKSUM_MD5, md5, sizeof md5);
  assert_non_null (from_bytes);
  assert_string_equal (dp_checksum_get_expected (from_bytes), "00ab10ff000000000000000000000000");

  assert_true (dp_checksum_type_from_name ("SHA-512", -1, &type));
  assert_int_equal (type, G_CHECKSUM_SHA512);
  assert_true (dp_checksum_type_from_name ("sha1 and more", 4, &type));
  assert_int_equal (type, G_CHECKSUM_SHA1);
  assert_false (dp_checksum_type_from_name ("sha-384", -1, &type));
  assert_false (dp_checksum_type_from_name (NULL, -1, &type));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_each_algorithm),
    cmocka_unit_test (test_parse_case_variants),
    cmocka_unit_test (test_parse_bare),
    cmocka_unit_test (test_parse_white_space),
    cmocka_unit_test (test_invalid_unknown_type),
    cmocka_unit_test (test_invalid_empty),
    cmocka_unit_test (test_invalid_length),
    cmocka_unit_test (test_invalid_non_hex),
    cmocka_unit_test (test_invalid_huge),
    cmocka_unit_test (test_invalid_garbage),
    cmocka_unit_test (test_copy_free_null),
    cmocka_unit_test (test_compute_abc),
    cmocka_unit_test (test_compute_empty),
    cmocka_unit_test (test_compute_large),
    cmocka_unit_test (test_compute_keeps_position),
    cmocka_unit_test (test_verify_match),
    cmocka_unit_test (test_verify_mismatch),
    cmocka_unit_test (test_cancelled),
    cmocka_unit_test (test_unreadable),
    cmocka_unit_test (test_new_from_digest),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
