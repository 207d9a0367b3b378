/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <glib.h>

#include "dp-error.h"
#include "dp-metalink.h"

/* Published digests of "abc" (FIPS 180-2, RFC 1321). */
#define MD5_ABC "900150983cd24fb0d6963f7d28e17f72"
#define SHA1_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
                   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
/* The same digests of "" */
#define SHA1_EMPTY "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define NS4 "urn:ietf:params:xml:ns:metalink"
#define NS3 "http://www.metalinker.org/"

#define META4_OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metalink xmlns=\"" NS4 "\">\n"
#define META4_CLOSE "</metalink>\n"

#define parse_ok(doc) parse_ok_at (doc, -1, __FILE__, __LINE__)
#define parse_fails(doc, needle) parse_fails_at (doc, -1, needle, __FILE__, __LINE__)

static GPtrArray *
parse_ok_at (const char *doc,
             gssize      length,
             const char *file,
             int         line)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *files = dp_metalink_parse (doc, length, &error);

  if (files == NULL)
    {
      print_error ("%s:%d: the document was refused: %s\n", file, line, error->message);
      _fail (file, line);
    }
  _assert_true (error == NULL, "error == NULL", file, line);
  _assert_true (files->len > 0, "files->len > 0", file, line);
  return files;
}

static void
parse_fails_at (const char *doc,
                gssize      length,
                const char *needle,
                const char *file,
                int         line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = dp_metalink_parse (doc, length, &error);

  if (files != NULL)
    {
      print_error ("%s:%d: the document was accepted with %u files\n", file, line, files->len);
      _fail (file, line);
    }
  if (error == NULL || !g_error_matches (error, DP_ERROR, DP_ERROR_BAD_RESPONSE))
    {
      print_error ("%s:%d: no DP_ERROR_BAD_RESPONSE error\n", file, line);
      _fail (file, line);
    }
  if (!g_utf8_validate (error->message, -1, NULL) || strstr (error->message, needle) == NULL)
    {
      print_error ("%s:%d: message “%s” lacks “%s”\n", file, line, error->message, needle);
      _fail (file, line);
    }
}

static DpMetalinkFile *
file_at (GPtrArray *files,
         guint      i)
{
  assert_true (i < files->len);
  return g_ptr_array_index (files, i);
}

static const DpMetalinkUrl *
url_at (const DpMetalinkFile *file,
        guint                 i)
{
  assert_true (i < file->urls->len);
  return g_ptr_array_index (file->urls, i);
}

/* A Metalink 4 document of one file "f" with the given body. */
static char *
meta4_file (const char *body)
{
  return g_strconcat (META4_OPEN, "<file name=\"f\">", body, "</file>", META4_CLOSE, NULL);
}

static void
test_v4_typical (void **state)
{
  static const char doc[] =
    META4_OPEN
    "  <published>2024-01-01T00:00:00Z</published>\n"
    "  <file name=\"example-1.0.iso\">\n"
    "    <size>10</size>\n"
    "    <identity>Example</identity>\n"
    "    <version>1.0</version>\n"
    "    <description>An example</description>\n"
    "    <hash type=\"sha-256\">" SHA256_ABC "</hash>\n"
    "    <hash type=\"SHA-512\">" SHA512_ABC "</hash>\n"
    "    <hash type=\"md5\">" MD5_ABC "</hash>\n"
    "    <pieces length=\"4\" type=\"sha-256\">\n"
    "      <hash>" SHA256_ABC "</hash>\n"
    "      <hash>" SHA256_EMPTY "</hash>\n"
    "      <hash>BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD</hash>\n"
    "    </pieces>\n"
    "    <url location=\"de\" priority=\"2\">http://mirror.example.de/example-1.0.iso</url>\n"
    "    <url>https://slow.example.org/example-1.0.iso</url>\n"
    "    <url location=\"us\" priority=\"1\">https://example.com/example-1.0.iso</url>\n"
    "  </file>\n"
    META4_CLOSE;
  g_autoptr(GPtrArray) files = parse_ok (doc);
  DpMetalinkFile *f = file_at (files, 0);

  assert_int_equal (files->len, 1);
  assert_string_equal (f->name, "example-1.0.iso");
  assert_int_equal (f->size, 10);

  assert_int_equal (f->urls->len, 3);
  assert_string_equal (url_at (f, 0)->url, "https://example.com/example-1.0.iso");
  assert_int_equal (url_at (f, 0)->priority, 1);
  assert_string_equal (url_at (f, 1)->url, "http://mirror.example.de/example-1.0.iso");
  assert_int_equal (url_at (f, 1)->priority, 2);
  assert_string_equal (url_at (f, 2)->url, "https://slow.example.org/example-1.0.iso");
  assert_int_equal (url_at (f, 2)->priority, 999999);

  assert_non_null (f->checksum);
  assert_int_equal (dp_checksum_get_algorithm (f->checksum), G_CHECKSUM_SHA512);
  assert_string_equal (dp_checksum_get_expected (f->checksum), SHA512_ABC);

  /* 10 bytes in pieces of 4: three pieces, digits made lowercase. */
  assert_int_equal (f->piece_type, G_CHECKSUM_SHA256);
  assert_int_equal (f->piece_length, 4);
  assert_int_equal (f->pieces->len, 3);
  assert_string_equal (g_ptr_array_index (f->pieces, 0), SHA256_ABC);
  assert_string_equal (g_ptr_array_index (f->pieces, 1), SHA256_EMPTY);
  assert_string_equal (g_ptr_array_index (f->pieces, 2), SHA256_ABC);
}

static void
test_v4_minimal (void **state)
{
  g_autoptr(GPtrArray) files =
    parse_ok ("<metalink xmlns=\"" NS4 "\"><file><url>http://h/x</url></file></metalink>");
  DpMetalinkFile *f = file_at (files, 0);

  assert_null (f->name);
  assert_int_equal (f->size, -1);
  assert_null (f->checksum);
  assert_int_equal (f->piece_length, 0);
  assert_non_null (f->pieces);
  assert_int_equal (f->pieces->len, 0);
  assert_int_equal (f->urls->len, 1);
  assert_int_equal (url_at (f, 0)->priority, 999999);
}

static void
test_v3 (void **state)
{
  static const char doc[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<metalink version=\"3.0\" xmlns=\"" NS3 "\" type=\"static\">\n"
    "  <publisher><name>Example</name><url>http://publisher.example/</url></publisher>\n"
    "  <files>\n"
    "    <file name=\"dir/example.tar.gz\">\n"
    "      <size>6</size>\n"
    "      <verification>\n"
    "        <hash type=\"md5\">" MD5_ABC "</hash>\n"
    "        <hash type=\"sha1\">" SHA1_ABC "</hash>\n"
    "        <hash type=\"sha256\">" SHA256_ABC "</hash>\n"
    "        <pieces length=\"3\" type=\"sha1\">\n"
    "          <hash piece=\"0\">" SHA1_ABC "</hash>\n"
    "          <hash piece=\"1\">" SHA1_EMPTY "</hash>\n"
    "        </pieces>\n"
    "        <signature type=\"pgp\">-----BEGIN PGP SIGNATURE-----</signature>\n"
    "      </verification>\n"
    "      <resources maxconnections=\"4\">\n"
    "        <url type=\"ftp\" location=\"us\" preference=\"100\">ftp://ftp.example/e.tar.gz</url>\n"
    "        <url type=\"http\" location=\"de\" preference=\"50\">http://de.example/e.tar.gz</url>\n"
    "        <url type=\"bittorrent\" preference=\"100\">http://t.example/e.torrent</url>\n"
    "        <url type=\"https\">https://none.example/e.tar.gz</url>\n"
    "        <url type=\"http\" location=\"us\" preference=\"100\">http://us.example/e.tar.gz</url>\n"
    "        <url type=\"http\" preference=\"1\">http://last.example/e.tar.gz</url>\n"
    "      </resources>\n"
    "    </file>\n"
    "  </files>\n"
    "</metalink>\n";
  g_autoptr(GPtrArray) files = parse_ok (doc);
  DpMetalinkFile *f = file_at (files, 0);

  assert_int_equal (files->len, 1);
  assert_string_equal (f->name, "dir/example.tar.gz");
  assert_int_equal (f->size, 6);

  /* preference P is priority 101 - P; no preference comes last. */
  assert_int_equal (f->urls->len, 4);
  assert_string_equal (url_at (f, 0)->url, "http://us.example/e.tar.gz");
  assert_int_equal (url_at (f, 0)->priority, 1);
  assert_string_equal (url_at (f, 1)->url, "http://de.example/e.tar.gz");
  assert_int_equal (url_at (f, 1)->priority, 51);
  assert_string_equal (url_at (f, 2)->url, "http://last.example/e.tar.gz");
  assert_int_equal (url_at (f, 2)->priority, 100);
  assert_string_equal (url_at (f, 3)->url, "https://none.example/e.tar.gz");
  assert_int_equal (url_at (f, 3)->priority, 999999);

  assert_non_null (f->checksum);
  assert_int_equal (dp_checksum_get_algorithm (f->checksum), G_CHECKSUM_SHA256);
  assert_string_equal (dp_checksum_get_expected (f->checksum), SHA256_ABC);

  assert_int_equal (f->piece_type, G_CHECKSUM_SHA1);
  assert_int_equal (f->piece_length, 3);
  assert_int_equal (f->pieces->len, 2);
  assert_string_equal (g_ptr_array_index (f->pieces, 0), SHA1_ABC);
  assert_string_equal (g_ptr_array_index (f->pieces, 1), SHA1_EMPTY);
}

static void
test_v3_preference_out_of_range (void **state)
{
  g_autoptr(GPtrArray) files = parse_ok (
    "<metalink xmlns=\"" NS3 "\"><files><file name=\"a\"><resources>"
    "<url type=\"http\" preference=\"0\">http://zero/a</url>"
    "<url type=\"http\" preference=\"101\">http://big/a</url>"
    "<url type=\"http\" preference=\"x\">http://bad/a</url>"
    "<url preference=\"99\">http://untyped/a</url>"
    "</resources></file></files></metalink>");
  DpMetalinkFile *f = file_at (files, 0);

  assert_int_equal (f->urls->len, 4);
  assert_string_equal (url_at (f, 0)->url, "http://untyped/a");
  assert_int_equal (url_at (f, 0)->priority, 2);
  for (guint i = 1; i < 4; i++)
    assert_int_equal (url_at (f, i)->priority, 999999);
  assert_string_equal (url_at (f, 1)->url, "http://zero/a");
  assert_string_equal (url_at (f, 2)->url, "http://big/a");
  assert_string_equal (url_at (f, 3)->url, "http://bad/a");
}

static void
test_v3_piece_order (void **state)
{
  static const char *const bodies[] = {
    /* out of order */
    "<hash piece=\"1\">" SHA1_ABC "</hash><hash piece=\"0\">" SHA1_EMPTY "</hash>",
    /* not a number */
    "<hash piece=\"0\">" SHA1_ABC "</hash><hash piece=\"one\">" SHA1_EMPTY "</hash>",
    /* a gap */
    "<hash piece=\"0\">" SHA1_ABC "</hash><hash piece=\"2\">" SHA1_EMPTY "</hash>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *doc = g_strdup_printf (
        "<metalink xmlns=\"" NS3 "\"><files><file name=\"a\"><size>6</size>"
        "<verification><pieces length=\"3\" type=\"sha1\">%s</pieces></verification>"
        "<resources><url type=\"http\">http://h/a</url></resources>"
        "</file></files></metalink>", bodies[i]);
      g_autoptr(GPtrArray) files = parse_ok (doc);
      DpMetalinkFile *f = file_at (files, 0);

      assert_int_equal (f->pieces->len, 0);
      assert_int_equal (f->piece_length, 0);
    }
}

static void
test_prefixes (void **state)
{
  static const char doc[] =
    "<ml:metalink xmlns:ml=\"" NS4 "\">"
    "<ml:file name=\"p\"><ml:size>3</ml:size>"
    "<ml:hash type=\"sha-1\">" SHA1_ABC "</ml:hash>"
    "<ml:url priority=\"5\">http://a.example/p</ml:url>"
    "<ml:url priority=\"3\">http://b.example/p</ml:url>"
    "</ml:file></ml:metalink>";
  static const char other_ns[] =
    "<metalink xmlns=\"urn:example:not-metalink\"><x:file xmlns:x=\"urn:other\" name=\"q\">"
    "<x:y:url>http://c.example/q</x:y:url></x:file></metalink>";
  g_autoptr(GPtrArray) files = parse_ok (doc);
  g_autoptr(GPtrArray) others = parse_ok (other_ns);
  DpMetalinkFile *f = file_at (files, 0);

  assert_string_equal (f->name, "p");
  assert_int_equal (f->size, 3);
  assert_int_equal (f->urls->len, 2);
  assert_string_equal (url_at (f, 0)->url, "http://b.example/p");
  assert_string_equal (url_at (f, 1)->url, "http://a.example/p");
  assert_int_equal (dp_checksum_get_algorithm (f->checksum), G_CHECKSUM_SHA1);

  f = file_at (others, 0);
  assert_string_equal (f->name, "q");
  assert_string_equal (url_at (f, 0)->url, "http://c.example/q");

  /* The root's local name counts too. */
  parse_fails ("<ml:metalinks xmlns:ml=\"" NS4 "\"><ml:file><ml:url>http://h/</ml:url>"
               "</ml:file></ml:metalinks>", "not a Metalink");
}

static void
test_several_files (void **state)
{
  static const char doc[] =
    META4_OPEN
    "<file name=\"one\"><size>1</size><url>http://h/one</url></file>\n"
    "<file name=\"no-http\"><url>ftp://h/two</url></file>\n"
    "<file name=\"bad-size\"><size>12a</size><url>http://h/three</url></file>\n"
    "<file name=\"four\"><url>https://h/four</url><hash type=\"md5\">" MD5_ABC "</hash></file>\n"
    "<file name=\"five\"><url>http://h/five</url></file>\n"
    META4_CLOSE;
  g_autoptr(GPtrArray) files = parse_ok (doc);

  assert_int_equal (files->len, 3);
  assert_string_equal (file_at (files, 0)->name, "one");
  assert_int_equal (file_at (files, 0)->size, 1);
  assert_null (file_at (files, 0)->checksum);
  assert_string_equal (file_at (files, 1)->name, "four");
  assert_string_equal (url_at (file_at (files, 1), 0)->url, "https://h/four");
  assert_int_equal (dp_checksum_get_algorithm (file_at (files, 1)->checksum), G_CHECKSUM_MD5);
  assert_string_equal (file_at (files, 2)->name, "five");
}

static void
test_unknown_skipped (void **state)
{
  static const char doc[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE metalink>\n"
    "<metalink xmlns=\"" NS4 "\">\n"
    "<!-- a comment <file> -->\n"
    "<generator>Test/1.0</generator>\n"
    "<origin dynamic=\"true\">http://origin.example/x.meta4</origin>\n"
    "<extension><file name=\"hidden\"><url>http://hidden/</url></file></extension>\n"
    "<file name=\"x\">\n"
    "  <metaurl mediatype=\"torrent\" priority=\"1\">http://t.example/x.torrent</metaurl>\n"
    "  <other:mirror xmlns:other=\"urn:x\" priority=\"1\" other:attr=\"1\">"
    "    <nested><url priority=\"1\">http://nested.example/x</url></nested>"
    "  </other:mirror>\n"
    "  <mirrors><url priority=\"1\">http://mirrors.example/x</url></mirrors>\n"
    "  <language>en</language><os>Linux-x86</os><logo>http://logo/</logo>\n"
    "  <signature mediatype=\"application/pgp-signature\">sig</signature>\n"
    "  <url priority=\"7\">http://real.example/x</url>\n"
    "  <hash type=\"sha-384\">" SHA256_ABC SHA256_ABC "</hash>\n"
    "  <hash type=\"crc32\">352441c2</hash>\n"
    "  <?pi instruction?>\n"
    "</file>\n"
    META4_CLOSE;
  g_autoptr(GPtrArray) files = parse_ok (doc);
  DpMetalinkFile *f = file_at (files, 0);

  assert_int_equal (files->len, 1);
  assert_string_equal (f->name, "x");
  assert_int_equal (f->urls->len, 1);
  assert_string_equal (url_at (f, 0)->url, "http://real.example/x");
  assert_int_equal (url_at (f, 0)->priority, 7);
  assert_null (f->checksum);
}

static void
test_no_http_url (void **state)
{
  parse_fails (META4_OPEN
               "<file name=\"a\">"
               "<metaurl mediatype=\"torrent\">http://t.example/a.torrent</metaurl>"
               "<url>ftp://ftp.example/a</url>"
               "<url>/relative/a</url>"
               "<url>a</url>"
               "<url>http://</url>"
               "<url>http:///path</url>"
               "<url>file:///etc/passwd</url>"
               "<url></url>"
               "</file>" META4_CLOSE,
               "http");
  parse_fails (META4_OPEN META4_CLOSE, "no files");
  parse_fails ("<metalink xmlns=\"" NS3 "\"><files/></metalink>", "no files");
  parse_fails (META4_OPEN "<file name=\"a\"><size>-1</size><url>http://h/a</url></file>"
               META4_CLOSE, "valid size");
}

static void
test_not_xml (void **state)
{
  parse_fails ("", "not valid XML");
  parse_fails ("   \n", "not valid XML");
  parse_fails ("hello, world", "not valid XML");
  parse_fails ("<metalink><file name=\"a\"><url>http://h/a</url></file>", "not valid XML");
  parse_fails ("<metalink><file name=\"a\"><url>http://h/a</file></url></metalink>",
               "not valid XML");
  parse_fails ("<metalink><file name=\"a\"><url>http://h/&bogus;</url></file></metalink>",
               "not valid XML");
  parse_fails ("<metalink><file name=\"a\"><url>http://h/\xff</url></file></metalink>",
               "not valid XML");
  parse_fails ("<metalink xmlns=\"" NS4 "\"><file><url>http://h/a</url></file></metalink>"
               "<metalink/>", "more than one root");
  parse_fails ("<html><head><title>404</title></head><body>Not found</body></html>",
               "not a Metalink");
  parse_fails ("{\"url\": \"http://h/a\"}", "not valid XML");
}

static void
test_nul_and_bom (void **state)
{
  static const char with_nul[] =
    "<metalink><file name=\"a\"><url>http://h/a\0</url></file></metalink>";
  static const char with_bom[] =
    "\xef\xbb\xbf<metalink><file name=\"a\"><url>http://h/a</url></file></metalink>";
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) cut = NULL;

  parse_fails_at (with_nul, sizeof with_nul - 1, "NUL", __FILE__, __LINE__);
  files = parse_ok (with_bom);
  assert_string_equal (url_at (file_at (files, 0), 0)->url, "http://h/a");

  /* @length is honoured: what follows is not read. */
  cut = parse_ok_at ("<metalink><file><url>http://h/b</url></file></metalink>garbage<",
                     strlen ("<metalink><file><url>http://h/b</url></file></metalink>"),
                     __FILE__, __LINE__);
  assert_string_equal (url_at (file_at (cut, 0), 0)->url, "http://h/b");
}

static void
test_pieces_count (void **state)
{
  static const struct
  {
    const char *size;
    const char *length;
    guint n;
    gboolean usable;
  } cases[] = {
    { "10", "4", 3, TRUE },
    { "10", "4", 2, FALSE },
    { "10", "4", 4, FALSE },
    { "12", "4", 3, TRUE },
    { "12", "4", 4, FALSE },
    { "1", "1048576", 1, TRUE },
    { "0", "4", 0, FALSE },
    { "0", "4", 1, FALSE },
    { NULL, "4", 3, FALSE },
    { "10", "0", 3, FALSE },
    { "10", "-4", 3, FALSE },
    { "10", "four", 3, FALSE },
    { "10", "", 3, FALSE },
    { "10", NULL, 3, FALSE },
    { "9223372036854775807", "4611686018427387904", 2, TRUE },
    { "9223372036854775807", "4611686018427387904", 1, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) body = g_string_new (NULL);
      g_autofree char *doc = NULL;
      g_autoptr(GPtrArray) files = NULL;
      DpMetalinkFile *f;

      if (cases[i].size != NULL)
        g_string_append_printf (body, "<size>%s</size>", cases[i].size);
      g_string_append (body, "<pieces type=\"sha-256\"");
      if (cases[i].length != NULL)
        g_string_append_printf (body, " length=\"%s\"", cases[i].length);
      g_string_append (body, ">");
      for (guint n = 0; n < cases[i].n; n++)
        g_string_append (body, "<hash>" SHA256_ABC "</hash>");
      g_string_append (body, "</pieces><url>http://h/f</url>");

      doc = meta4_file (body->str);
      files = parse_ok (doc);
      f = file_at (files, 0);
      if (cases[i].usable)
        {
          assert_int_equal (f->pieces->len, cases[i].n);
          assert_int_equal (f->piece_type, G_CHECKSUM_SHA256);
          assert_true (f->piece_length > 0);
        }
      else
        {
          if (f->pieces->len != 0)
            {
              print_error ("case %zu: pieces were taken\n", i);
              fail ();
            }
          assert_int_equal (f->piece_length, 0);
        }
    }
}

static void
test_pieces_bad (void **state)
{
  static const char *const bodies[] = {
    /* md5 pieces are not used */
    "<pieces length=\"4\" type=\"md5\"><hash>" MD5_ABC "</hash></pieces>",
    /* an unknown type */
    "<pieces length=\"4\" type=\"sha-384\"><hash>" SHA256_ABC "</hash></pieces>",
    /* no type */
    "<pieces length=\"4\"><hash>" SHA256_ABC "</hash></pieces>",
    /* a digest of the wrong length */
    "<pieces length=\"4\" type=\"sha-256\"><hash>" SHA1_ABC "</hash></pieces>",
    /* not hexadecimal */
    "<pieces length=\"4\" type=\"sha-1\"><hash>g9993e364706816aba3e25717850c26c9cd0d89d</hash>"
    "</pieces>",
    /* an element inside a digest */
    "<pieces length=\"4\" type=\"sha-1\"><hash>a9993e364706816aba3e25<b/>717850c26c9cd0d89d"
    "</hash></pieces>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *body = g_strconcat ("<size>3</size>", bodies[i],
                                           "<url>http://h/f</url>", NULL);
      g_autofree char *doc = meta4_file (body);
      g_autoptr(GPtrArray) files = parse_ok (doc);

      if (file_at (files, 0)->pieces->len != 0)
        {
          print_error ("case %zu: pieces were taken\n", i);
          fail ();
        }
      assert_int_equal (file_at (files, 0)->piece_length, 0);
    }
}

static void
test_pieces_preference (void **state)
{
  static const char sha1_then_256[] =
    "<size>5</size>"
    "<pieces length=\"5\" type=\"sha-1\"><hash>" SHA1_ABC "</hash></pieces>"
    "<pieces length=\"5\" type=\"sha-512\"><hash>" SHA512_ABC "</hash></pieces>"
    "<pieces length=\"5\" type=\"sha-256\"><hash>" SHA256_ABC "</hash></pieces>"
    "<url>http://h/f</url>";
  /* A broken sha-256 list does not hide a good sha-512 one; size last. */
  static const char broken_256[] =
    "<pieces length=\"5\" type=\"sha-1\"><hash>" SHA1_ABC "</hash></pieces>"
    "<pieces length=\"5\" type=\"sha-256\"><hash>" SHA256_ABC "</hash>"
    "<hash>" SHA256_ABC "</hash></pieces>"
    "<pieces length=\"5\" type=\"sha-512\"><hash>" SHA512_ABC "</hash></pieces>"
    "<url>http://h/f</url><size>5</size>";
  g_autofree char *doc1 = meta4_file (sha1_then_256);
  g_autofree char *doc2 = meta4_file (broken_256);
  g_autoptr(GPtrArray) files1 = parse_ok (doc1);
  g_autoptr(GPtrArray) files2 = parse_ok (doc2);

  assert_int_equal (file_at (files1, 0)->piece_type, G_CHECKSUM_SHA256);
  assert_string_equal (g_ptr_array_index (file_at (files1, 0)->pieces, 0), SHA256_ABC);
  assert_int_equal (file_at (files2, 0)->piece_type, G_CHECKSUM_SHA512);
  assert_int_equal (file_at (files2, 0)->piece_length, 5);
  assert_string_equal (g_ptr_array_index (file_at (files2, 0)->pieces, 0), SHA512_ABC);
}

static void
test_bad_hash_ignored (void **state)
{
  static const struct
  {
    const char *hashes;
    GChecksumType type;  /* G_CHECKSUM_SHA384: none */
  } cases[] = {
    /* sha-512 one digit short: sha-256 wins */
    { "<hash type=\"sha-512\">" SHA256_ABC SHA256_ABC "0"
      "</hash><hash type=\"sha-256\">" SHA256_ABC "</hash>", G_CHECKSUM_SHA256 },
    /* not hexadecimal */
    { "<hash type=\"sha-256\">" SHA1_ABC "zzzzzzzzzzzzzzzzzzzzzzzz</hash>", G_CHECKSUM_SHA384 },
    /* right length for another type */
    { "<hash type=\"sha-256\">" SHA1_ABC "</hash><hash type=\"md5\">" MD5_ABC "</hash>",
      G_CHECKSUM_MD5 },
    /* no type */
    { "<hash>" SHA256_ABC "</hash>", G_CHECKSUM_SHA384 },
    /* white space around the digits is fine, inside it is not */
    { "<hash type=\"sha1\">\n  " SHA1_ABC "\n</hash>", G_CHECKSUM_SHA1 },
    { "<hash type=\"sha-256\">ba7816bf 8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
      "</hash>", G_CHECKSUM_SHA384 },
    /* type names are case-insensitive; "sha-256" is the same as "sha256" */
    { "<hash type=\"MD5\">" MD5_ABC "</hash><hash type=\"Sha256\">" SHA256_ABC "</hash>",
      G_CHECKSUM_SHA256 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strconcat (cases[i].hashes, "<url>http://h/f</url>", NULL);
      g_autofree char *doc = meta4_file (body);
      g_autoptr(GPtrArray) files = parse_ok (doc);
      DpChecksum *checksum = file_at (files, 0)->checksum;

      if (cases[i].type == G_CHECKSUM_SHA384)
        {
          if (checksum != NULL)
            {
              print_error ("case %zu: a checksum was taken\n", i);
              fail ();
            }
        }
      else
        {
          assert_non_null (checksum);
          assert_int_equal (dp_checksum_get_algorithm (checksum), cases[i].type);
        }
    }
}

static void
test_sizes (void **state)
{
  static const struct
  {
    const char *text;
    gint64 size;  /* -2: the file is dropped */
  } cases[] = {
    { "0", 0 },
    { "42", 42 },
    { " \n 42 \t", 42 },
    { "007", 7 },
    { "9223372036854775807", G_MAXINT64 },
    { "9223372036854775808", -2 },
    { "99999999999999999999999", -2 },
    { "-1", -2 },
    { "+1", -2 },
    { "1e3", -2 },
    { "1.0", -2 },
    { "0x10", -2 },
    { "1 2", -2 },
    { "", -2 },
    { "<![CDATA[15]]>", 15 },
    { "1<b/>5", -2 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *doc = g_strdup_printf (
        "<metalink><file name=\"drop\"><size>%s</size><url>http://h/a</url></file>"
        "<file name=\"keep\"><url>http://h/b</url></file></metalink>", cases[i].text);
      g_autoptr(GPtrArray) files = parse_ok (doc);

      if (cases[i].size == -2)
        {
          assert_int_equal (files->len, 1);
          assert_string_equal (file_at (files, 0)->name, "keep");
        }
      else
        {
          assert_int_equal (files->len, 2);
          assert_int_equal (file_at (files, 0)->size, cases[i].size);
        }
    }

  {
    /* Two sizes that disagree */
    g_autoptr(GPtrArray) same = parse_ok (
      "<metalink><file name=\"a\"><size>5</size><size>5</size><url>http://h/a</url></file>"
      "</metalink>");

    assert_int_equal (file_at (same, 0)->size, 5);
    parse_fails ("<metalink><file name=\"a\"><size>5</size><size>6</size><url>http://h/a</url>"
                 "</file></metalink>", "valid size");
  }
}

static void
test_urls (void **state)
{
  static const char doc[] =
    META4_OPEN "<file name=\"u\">"
    "<url priority=\"9\">\n   https://h.example/a  \n</url>"
    "<url priority=\"3\">https://h.example/a</url>"
    "<url priority=\"0\">HTTP://h.example/b</url>"
    "<url priority=\"1000000\">http://h.example/c</url>"
    "<url priority=\" 4\">http://h.example/d</url>"
    "<url><![CDATA[http://h.example/e?x=1&y=2]]></url>"
    "<url>http://h.example/f?x=1&amp;y=2</url>"
    "<url>http://h.example/%zz</url>"
    "<url>http://h.example/g<b/>h</url>"
    "<url>torrent:abc</url>"
    "<url>mailto:x@example.org</url>"
    "</file>" META4_CLOSE;
  g_autoptr(GPtrArray) files = parse_ok (doc);
  DpMetalinkFile *f = file_at (files, 0);

  assert_int_equal (f->urls->len, 6);
  /* a duplicate keeps the better priority and its first place */
  assert_string_equal (url_at (f, 0)->url, "https://h.example/a");
  assert_int_equal (url_at (f, 0)->priority, 3);
  assert_string_equal (url_at (f, 1)->url, "http://h.example/b");
  assert_int_equal (url_at (f, 1)->priority, 999999);
  assert_string_equal (url_at (f, 2)->url, "http://h.example/c");
  assert_string_equal (url_at (f, 3)->url, "http://h.example/d");
  assert_string_equal (url_at (f, 4)->url, "http://h.example/e?x=1&y=2");
  assert_string_equal (url_at (f, 5)->url, "http://h.example/f?x=1&y=2");
  for (guint i = 1; i < f->urls->len; i++)
    assert_int_equal (url_at (f, i)->priority, 999999);
}

static void
test_limit_files (void **state)
{
  g_autoptr(GString) doc = g_string_new ("<metalink>");
  g_autoptr(GPtrArray) files = NULL;

  for (guint i = 0; i < 1024; i++)
    g_string_append_printf (doc, "<file name=\"f%u\"><url>http://h/%u</url></file>", i, i);
  g_string_append (doc, "</metalink>");
  files = parse_ok (doc->str);
  assert_int_equal (files->len, 1024);
  assert_string_equal (file_at (files, 1023)->name, "f1023");

  /* One more, even one without an address, is too many. */
  g_string_truncate (doc, doc->len - strlen ("</metalink>"));
  g_string_append (doc, "<file/></metalink>");
  parse_fails (doc->str, "1024");
}

static void
test_limit_urls (void **state)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *doc = NULL;
  g_autoptr(GPtrArray) files = NULL;
  DpMetalinkFile *f;

  /* Duplicates do not use up places. */
  for (guint i = 0; i < 10; i++)
    g_string_append (body, "<url priority=\"50\">http://h/0</url>");
  for (guint i = 0; i < 64; i++)
    g_string_append_printf (body, "<url priority=\"%u\">http://h/%u</url>", 100 - i, i);
  g_string_append (body, "<url priority=\"1\">http://h/64</url>");
  doc = meta4_file (body->str);
  files = parse_ok (doc);
  f = file_at (files, 0);

  assert_int_equal (f->urls->len, 64);
  for (guint i = 0; i < f->urls->len; i++)
    assert_string_not_equal (url_at (f, i)->url, "http://h/64");
  assert_string_equal (url_at (f, 0)->url, "http://h/63");
  assert_int_equal (url_at (f, 0)->priority, 37);
  for (guint i = 1; i < f->urls->len; i++)
    assert_true (url_at (f, i - 1)->priority <= url_at (f, i)->priority);
}

static void
test_limit_size (void **state)
{
  static const char head[] = "<metalink><file><url>http://h/a</url></file><!--";
  static const char tail[] = "--></metalink>";
  gsize fill = DP_METALINK_MAX_SIZE - strlen (head) - strlen (tail);
  g_autofree char *padding = g_strnfill (fill, 'x');
  g_autofree char *doc = g_strconcat (head, padding, tail, NULL);
  g_autofree char *bigger = g_strconcat (head, padding, "x", tail, NULL);
  g_autoptr(GPtrArray) files = NULL;

  assert_int_equal (strlen (doc), DP_METALINK_MAX_SIZE);
  files = parse_ok (doc);
  assert_int_equal (files->len, 1);
  parse_fails (bigger, "larger than 4 MiB");
}

static void
test_limit_depth (void **state)
{
  g_autoptr(GString) doc = g_string_new ("<metalink><file><url>http://h/a</url></file>");
  g_autoptr(GPtrArray) files = NULL;

  /* 64 open elements, <metalink> included, are allowed; 65 are not. */
  for (guint i = 1; i < 64; i++)
    g_string_append (doc, "<x>");
  for (guint i = 1; i < 64; i++)
    g_string_append (doc, "</x>");
  g_string_append (doc, "</metalink>");
  files = parse_ok (doc->str);
  assert_int_equal (files->len, 1);

  g_string_assign (doc, "<metalink><file><url>http://h/a</url></file>");
  for (guint i = 1; i < 65; i++)
    g_string_append (doc, "<x>");
  for (guint i = 1; i < 65; i++)
    g_string_append (doc, "</x>");
  g_string_append (doc, "</metalink>");
  parse_fails (doc->str, "nested too deeply");
}

static void
test_limit_text (void **state)
{
  g_autofree char *path = g_strnfill (64 * 1024 - strlen ("http://h/"), 'p');
  g_autofree char *longer = g_strnfill (64 * 1024 - strlen ("http://h/") + 1, 'p');
  g_autofree char *doc = g_strdup_printf (
    "<metalink><file name=\"a\"><url>http://h/%s</url></file>"
    "<file name=\"b\"><url>http://h/%s</url></file></metalink>", path, longer);
  g_autoptr(GPtrArray) files = parse_ok (doc);

  assert_int_equal (files->len, 1);
  assert_string_equal (file_at (files, 0)->name, "a");
  assert_int_equal (strlen (url_at (file_at (files, 0), 0)->url), 64 * 1024);
}

static void
test_content_type (void **state)
{
  assert_true (dp_metalink_is_content_type ("application/metalink4+xml"));
  assert_true (dp_metalink_is_content_type ("application/metalink+xml"));
  assert_true (dp_metalink_is_content_type ("Application/Metalink4+XML"));
  assert_true (dp_metalink_is_content_type ("application/metalink4+xml; charset=utf-8"));
  assert_true (dp_metalink_is_content_type ("  application/metalink+xml ;charset=\"utf-8\""));

  assert_false (dp_metalink_is_content_type (NULL));
  assert_false (dp_metalink_is_content_type (""));
  assert_false (dp_metalink_is_content_type ("application/xml"));
  assert_false (dp_metalink_is_content_type ("application/metalink4"));
  assert_false (dp_metalink_is_content_type ("application/metalink4+xml2"));
  assert_false (dp_metalink_is_content_type ("application/metalink4+xm"));
  assert_false (dp_metalink_is_content_type ("text/html; x=application/metalink4+xml"));
  assert_false (dp_metalink_is_content_type ("application/metalink4+xml, text/html"));
  assert_false (dp_metalink_is_content_type ("xapplication/metalink+xml"));
}

static void
test_is_name (void **state)
{
  assert_true (dp_metalink_is_name ("file.meta4"));
  assert_true (dp_metalink_is_name ("file.metalink"));
  assert_true (dp_metalink_is_name ("FILE.META4"));
  assert_true (dp_metalink_is_name ("/home/u/Downloads/File.MetaLink"));
  assert_true (dp_metalink_is_name ("http://example.org/pub/file.meta4"));
  assert_true (dp_metalink_is_name ("https://example.org/file.metalink?mirror=de#top"));
  assert_true (dp_metalink_is_name ("https://example.org/file.meta4#x.iso"));

  assert_false (dp_metalink_is_name (NULL));
  assert_false (dp_metalink_is_name (""));
  assert_false (dp_metalink_is_name ("file.iso"));
  assert_false (dp_metalink_is_name ("file.meta4.iso"));
  assert_false (dp_metalink_is_name ("file.meta"));
  assert_false (dp_metalink_is_name ("file_meta4"));
  assert_false (dp_metalink_is_name ("dir.meta4/file.iso"));
  assert_false (dp_metalink_is_name ("http://example.org/dir.meta4/"));
  assert_false (dp_metalink_is_name ("http://example.org/get?file=x.meta4"));
  assert_false (dp_metalink_is_name ("http://example.org/file.iso#x.meta4"));
  assert_false (dp_metalink_is_name ("http://files.meta4"));
  assert_false (dp_metalink_is_name ("http://files.meta4?x"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_v4_typical),
    cmocka_unit_test (test_v4_minimal),
    cmocka_unit_test (test_v3),
    cmocka_unit_test (test_v3_preference_out_of_range),
    cmocka_unit_test (test_v3_piece_order),
    cmocka_unit_test (test_prefixes),
    cmocka_unit_test (test_several_files),
    cmocka_unit_test (test_unknown_skipped),
    cmocka_unit_test (test_no_http_url),
    cmocka_unit_test (test_not_xml),
    cmocka_unit_test (test_nul_and_bom),
    cmocka_unit_test (test_pieces_count),
    cmocka_unit_test (test_pieces_bad),
    cmocka_unit_test (test_pieces_preference),
    cmocka_unit_test (test_bad_hash_ignored),
    cmocka_unit_test (test_sizes),
    cmocka_unit_test (test_urls),
    cmocka_unit_test (test_limit_files),
    cmocka_unit_test (test_limit_urls),
    cmocka_unit_test (test_limit_size),
    cmocka_unit_test (test_limit_depth),
    cmocka_unit_test (test_limit_text),
    cmocka_unit_test (test_content_type),
    cmocka_unit_test (test_is_name),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
