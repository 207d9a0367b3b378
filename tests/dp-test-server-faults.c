/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the test server answers: the files, and every way of getting them
 * wrong that the URL's query can ask for (see dp-test-server.h). Runs in
 * the server thread only. */
#include "dp-test-server-private.h"

#include <string.h>

/* encoding=gzip keeps each compressed representation in memory. */
#define GZIP_MAX_SIZE (G_GUINT64_CONSTANT (64) * 1024 * 1024)

/* The boundary of multipart=1 answers. */
#define BOUNDARY "dp-test-boundary-8b41f0"

/* bigheaders=N pads in header lines of about this many bytes. */
#define PAD_LINE 4096

/* trickle=B sends this much at full speed first. */
#define TRICKLE_FAST_BYTES (64 * 1024)

/* longgarbage=K sends K of these bytes (held in memory, so capped). */
#define LONG_GARBAGE_BYTE 0xEE
#define LONG_GARBAGE_MAX (G_GUINT64_CONSTANT (16) * 1024 * 1024)

/* damage=K spoils this many bytes from K on. */
#define DAMAGE_LEN 4096

/* reprdigest= and legacydigest= hash the whole content once per seed and
 * size; beyond this that would hold a test up for too long. */
#define DIGEST_MAX_SIZE (G_GUINT64_CONSTANT (512) * 1024 * 1024)

/* ---- query helpers ---------------------------------------------------- */

static const char *
query_str (GHashTable *query,
           const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

/* Malformed numbers count as absent, so a typo falls back to the
 * default instead of silently meaning 0. */
static guint64
query_u64 (GHashTable *query,
           const char *name,
           guint64     fallback)
{
  const char *s = query_str (query, name);
  guint64 v;

  if (s == NULL || !g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, &v, NULL))
    return fallback;
  return v;
}

static gboolean
query_flag (GHashTable *query,
            const char *name)
{
  return query_u64 (query, name, 0) != 0;
}


/* ---- per-path bookkeeping --------------------------------------------- */

/* Counts one more @kind event for @path; returns the new count. */
static guint
bump_count (DpTestServer *self,
            const char   *kind,
            const char   *path)
{
  g_autofree char *key = g_strconcat (kind, " ", path, NULL);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->path_counts, key)) + 1;

  g_hash_table_replace (self->path_counts, g_steal_pointer (&key), GUINT_TO_POINTER (n));
  return n;
}

static guint
get_count (DpTestServer *self,
           const char   *kind,
           const char   *path)
{
  g_autofree char *key = g_strconcat (kind, " ", path, NULL);

  return GPOINTER_TO_UINT (g_hash_table_lookup (self->path_counts, key));
}

/* TRUE the first time it is asked about @key, for one-shot faults. */
static gboolean
first_time (DpTestServer *self,
            const char   *key)
{
  if (g_hash_table_contains (self->once_done, key))
    return FALSE;
  g_hash_table_add (self->once_done, g_strdup (key));
  return TRUE;
}

/* ---- responses -------------------------------------------------------- */

/* retryafter=S and datedretry=S, on error statuses only. */
static void
maybe_retry_after (SoupServerMessage *msg,
                   GHashTable        *query,
                   guint              status)
{
  const char *retry = query_str (query, "retryafter");
  guint64 dated = query_u64 (query, "datedretry", G_MAXUINT64);
  g_autofree char *date = NULL;

  if (status < 400)
    return;

  if (dated != G_MAXUINT64)
    {
      /* Rounded up to the next whole second, since an HTTP date has no
       * fraction: the client is never told to come back early. Capped
       * at about 30 years so the date stays representable. */
      gint64 then = (g_get_real_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC +
                    (gint64) MIN (dated, G_GUINT64_CONSTANT (1000000000));
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (then);

      date = soup_date_time_to_string (when, SOUP_DATE_HTTP);
      retry = date;
    }

  if (retry != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After", retry);
}

static void
respond_html (SoupServerMessage *msg,
              GHashTable        *query,
              guint              status,
              const char        *text)
{
  g_autofree char *html = NULL;
  const char *phrase = soup_status_get_phrase (status);
  gsize len;

  soup_server_message_set_status (msg, status, NULL);
  maybe_retry_after (msg, query, status);

  /* These statuses cannot carry a body. */
  if (status == 204 || status == 304)
    return;

  html = g_strdup_printf ("<!DOCTYPE html>\n<html><head><title>%u %s</title></head>\n"
                          "<body><h1>%u %s</h1><p>%s</p></body></html>\n",
                          status, phrase, status, phrase, text);
  len = strlen (html);
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&html), len);
}

/* bigheaders=N: about @n bytes of header lines ("X-Pad-I: aaa…\r\n"),
 * as a CDN's pile of tracing and cache headers can reach. */
static void
add_padding (SoupMessageHeaders *headers,
             guint64             n)
{
  /* libsoup writes the whole header block from memory: keep it sane. */
  n = MIN (n, G_GUINT64_CONSTANT (16) * 1024 * 1024);

  for (guint i = 1; n > 0; i++)
    {
      g_autofree char *name = g_strdup_printf ("X-Pad-%u", i);
      gsize overhead = strlen (name) + 4;  /* ": " and CRLF */
      gsize line = (gsize) MIN (n, (guint64) PAD_LINE);
      g_autofree char *value = NULL;

      /* A last line too short to hold its own name joins this one. */
      if (n - line < overhead + 1)
        line = (gsize) n;
      value = g_strnfill (line > overhead ? line - overhead : 1, 'a');
      soup_message_headers_append (headers, name, value);
      n -= MIN (n, (guint64) line);
    }
}

/* duplicate=URL|URL2: one "Link: <URL>; rel=duplicate; pri=N" line per
 * URL (RFC 6249), numbered from 1 in the given order. */
static void
add_duplicates (SoupMessageHeaders *headers,
                const char         *urls)
{
  g_auto(GStrv) list = NULL;
  guint pri = 0;

  if (urls == NULL)
    return;

  list = g_strsplit (urls, "|", -1);
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *value = NULL;

      if (list[i][0] == '\0')
        continue;
      value = g_strdup_printf ("<%s>; rel=duplicate; pri=%u", list[i], ++pri);
      /* Appended, not replaced: each is a header line of its own. */
      soup_message_headers_append (headers, "Link", value);
    }
}

typedef enum
{
  RANGE_NONE,           /* no usable Range header: send the whole body */
  RANGE_OK,
  RANGE_UNSATISFIABLE,
} RangeResult;

static void
skip_ws (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static gboolean
scan_u64 (const char **p,
          guint64     *out)
{
  const char *s = *p;
  guint64 v = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;

  while (g_ascii_isdigit (*s))
    {
      unsigned int d = *s - '0';

      if (v > (G_MAXUINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
      s++;
    }

  *p = s;
  *out = v;
  return TRUE;
}

/* Parses the first range-spec of a "bytes=" Range header against a body
 * of @size bytes into the inclusive [*start, *end]. Syntax errors give
 * RANGE_NONE since RFC 9110 says to ignore such a header; further
 * range-specs are ignored, which serves only the first of a multi-range
 * request. */
static RangeResult
parse_range (const char *value,
             guint64     size,
             guint64    *start,
             guint64    *end)
{
  const char *p = value;
  guint64 first = 0, last = 0;
  gboolean have_first, have_last;

  skip_ws (&p);
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return RANGE_NONE;
  p += 5;
  skip_ws (&p);
  if (*p != '=')
    return RANGE_NONE;
  p++;
  skip_ws (&p);

  have_first = scan_u64 (&p, &first);
  skip_ws (&p);
  if (*p != '-')
    return RANGE_NONE;
  p++;
  skip_ws (&p);
  have_last = scan_u64 (&p, &last);
  skip_ws (&p);
  if (*p != '\0' && *p != ',')
    return RANGE_NONE;

  if (have_first)
    {
      if (have_last && last < first)
        return RANGE_NONE;
      if (first >= size)
        return RANGE_UNSATISFIABLE;
      *start = first;
      *end = have_last ? MIN (last, size - 1) : size - 1;
      return RANGE_OK;
    }

  if (!have_last)
    return RANGE_NONE;

  /* "-N": the last N bytes. */
  if (last == 0 || size == 0)
    return RANGE_UNSATISFIABLE;
  *start = size - MIN (last, size);
  *end = size - 1;
  return RANGE_OK;
}

/* The request's own URL with redirect=N replaced by redirect=N-1. The
 * query is copied still percent-encoded, so every other parameter
 * survives the hop byte for byte. */
static char *
redirect_location (DpTestServer      *self,
                   SoupServerMessage *msg,
                   guint64            hops)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  g_auto(GStrv) params = g_strsplit (query != NULL ? query : "", "&", -1);
  GString *out = g_string_new (self->base_url);
  char sep = '?';

  g_string_append (out, g_uri_get_path (uri));
  for (guint i = 0; params[i] != NULL; i++)
    {
      if (params[i][0] == '\0')
        continue;
      g_string_append_c (out, sep);
      if (g_str_has_prefix (params[i], "redirect="))
        g_string_append_printf (out, "redirect=%" G_GUINT64_FORMAT, hops - 1);
      else
        g_string_append (out, params[i]);
      sep = '&';
    }

  return g_string_free (out, FALSE);
}

/* ---- validators ------------------------------------------------------- */

/* Whether an If-Range @validator lets a range through (RFC 9110
 * §13.1.5): an entity tag must match the current one by the strong
 * comparison, so a weak tag on either side never matches; a date must
 * equal Last-Modified, and only a strong Last-Modified (at least 60 s
 * before the Date sent, §8.8.2.2) may be used that way. */
static gboolean
if_range_matches (const char *validator,
                  const char *quoted_etag,
                  gboolean    weak_etag,
                  const char *last_modified,
                  GDateTime  *now)
{
  g_autofree char *v = g_strstrip (g_strdup (validator));
  g_autoptr(GDateTime) asked = NULL;
  g_autoptr(GDateTime) modified = NULL;

  if (g_str_has_prefix (v, "W/"))
    return FALSE;
  if (v[0] == '"')
    return quoted_etag != NULL && !weak_etag && strcmp (v, quoted_etag) == 0;

  if (last_modified == NULL)
    return FALSE;
  asked = soup_date_time_new_from_http_string (v);
  modified = soup_date_time_new_from_http_string (last_modified);
  if (asked == NULL || modified == NULL)
    return FALSE;
  if (g_date_time_difference (now, modified) < 60 * G_TIME_SPAN_SECOND)
    return FALSE;
  return g_date_time_compare (asked, modified) == 0;
}

/* ---- signed links ----------------------------------------------------- */

/* The request's query, still percent-encoded, without @name. */
static char *
query_without (SoupServerMessage *msg,
               const char        *name)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_auto(GStrv) params = g_strsplit (query != NULL ? query : "", "&", -1);
  gsize name_len = strlen (name);
  GString *out = g_string_new (NULL);

  for (guint i = 0; params[i] != NULL; i++)
    {
      const char *p = params[i];

      if (p[0] == '\0' ||
          (strncmp (p, name, name_len) == 0 && (p[name_len] == '=' || p[name_len] == '\0')))
        continue;
      if (out->len > 0)
        g_string_append_c (out, '&');
      g_string_append (out, p);
    }

  return g_string_free (out, FALSE);
}

/* signed=MS on /file/NAME: the answer is a redirect to a link that
 * works for MS milliseconds. The token carries its issue time and
 * lifetime, so the link needs no state on the server. */
static void
issue_signed_link (DpTestServer      *self,
                   SoupServerMessage *msg,
                   const char        *path,
                   guint64            lifetime_ms)
{
  g_autofree char *rest = query_without (msg, "signed");
  g_autofree char *location = NULL;

  location = g_strdup_printf ("/signed/%" G_GINT64_FORMAT "-%" G_GUINT64_FORMAT "/%s%s%s",
                              g_get_monotonic_time () / 1000, lifetime_ms,
                              path + strlen ("/file/"),
                              rest[0] != '\0' ? "?" : "", rest);
  /* libsoup makes the location absolute against the request's URL, so
   * HTTPS links stay HTTPS. */
  soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
  _dp_test_server_count_signature (self);
}

/* For "/signed/TOKEN/NAME": "/file/NAME" while the token is valid,
 * NULL once it has expired or if it is not one of ours. */
static char *
signed_link_target (const char *path)
{
  const char *start = path + strlen ("/signed/");
  const char *slash = strchr (start, '/');
  g_autofree char *token = NULL;
  char *dash;
  guint64 issued, lifetime;

  if (slash == NULL || slash[1] == '\0')
    return NULL;
  token = g_strndup (start, slash - start);
  dash = strchr (token, '-');
  if (dash == NULL)
    return NULL;
  *dash = '\0';
  if (!g_ascii_string_to_unsigned (token, 10, 0, G_MAXINT64, &issued, NULL) ||
      !g_ascii_string_to_unsigned (dash + 1, 10, 0, G_MAXINT64, &lifetime, NULL))
    return NULL;

  if ((guint64) (g_get_monotonic_time () / 1000) - issued >= lifetime)
    return NULL;
  return g_strconcat ("/file/", slash + 1, NULL);
}

/* ---- credentials ------------------------------------------------------ */

/* auth=USER:PASS: whether the request carries exactly those credentials
 * in a Basic Authorization header. */
static gboolean
authorized (SoupServerMessage *msg,
            const char        *credentials)
{
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (req_headers, "Authorization");
  g_autofree char *expected = g_base64_encode ((const guchar *) credentials, strlen (credentials));

  if (value == NULL || g_ascii_strncasecmp (value, "Basic", 5) != 0 ||
      (value[5] != ' ' && value[5] != '\t'))
    return FALSE;
  value += 5;
  while (*value == ' ' || *value == '\t')
    value++;
  return strcmp (value, expected) == 0;
}

#define DIGEST_NONCE "dp-test-nonce-5f2c"

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* digest=USER:PASS: whether the request answers the Digest challenge
 * (RFC 7616 with MD5 and qop=auth) with those credentials. */
static gboolean
digest_authorized (SoupServerMessage *msg,
                   const char        *credentials)
{
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (req_headers, "Authorization");
  const char *colon = strchr (credentials, ':');
  g_autofree char *user = NULL;
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *a1 = NULL;
  g_autofree char *a2 = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GHashTable) params = NULL;
  const char *uri, *nc, *cnonce, *response;

  if (value == NULL || colon == NULL || g_ascii_strncasecmp (value, "Digest ", 7) != 0)
    return FALSE;
  params = soup_header_parse_param_list (value + 7);
  user = g_strndup (credentials, (gsize) (colon - credentials));
  uri = g_hash_table_lookup (params, "uri");
  nc = g_hash_table_lookup (params, "nc");
  cnonce = g_hash_table_lookup (params, "cnonce");
  response = g_hash_table_lookup (params, "response");
  if (g_strcmp0 (g_hash_table_lookup (params, "username"), user) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "realm"), "test") != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "nonce"), DIGEST_NONCE) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "qop"), "auth") != 0 ||
      uri == NULL || nc == NULL || cnonce == NULL || response == NULL)
    return FALSE;

  a1 = g_strdup_printf ("%s:test:%s", user, colon + 1);
  ha1 = md5_hex (a1);
  a2 = g_strdup_printf ("%s:%s", soup_server_message_get_method (msg), uri);
  ha2 = md5_hex (a2);
  joined = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, DIGEST_NONCE, nc, cnonce, ha2);
  expected = md5_hex (joined);
  return g_ascii_strcasecmp (expected, response) == 0;
}

/* needcookie=N=V|N2=V2: whether the Cookie header has every pair. */
static gboolean
has_cookies (SoupServerMessage *msg,
             const char        *wanted)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Cookie");
  g_auto(GStrv) pairs = NULL;
  g_auto(GStrv) need = g_strsplit (wanted, "|", -1);

  if (header == NULL)
    return FALSE;
  pairs = g_strsplit (header, ";", -1);
  for (guint i = 0; need[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; pairs[j] != NULL && !found; j++)
        found = strcmp (g_strstrip (pairs[j]), need[i]) == 0;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* needheader=NAME:VALUE */
static gboolean
has_header (SoupServerMessage *msg,
            const char        *wanted)
{
  const char *colon = strchr (wanted, ':');
  g_autofree char *name = NULL;
  const char *value;

  if (colon == NULL)
    return FALSE;
  name = g_strndup (wanted, (gsize) (colon - wanted));
  value = soup_message_headers_get_list (soup_server_message_get_request_headers (msg), name);
  return g_strcmp0 (value, colon + 1) == 0;
}

/* ---- a page with a download link ------------------------------------- */

#define PAGE_COOKIE "dp-session=p4ge-c00kie"

/* /page/NAME?QUERY: the page a browser test opens. It sets a session
 * cookie, waits until the browser extension whose ID is ext= answers
 * (so that it is listening before the download starts), then follows
 * its link to /file/NAME?QUERY, which is served as an attachment and
 * refused without that cookie and this page as the referrer. */
static void
serve_page (SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query)
{
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *page = g_uri_to_string_partial (uri, G_URI_HIDE_FRAGMENT);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *page_q = g_uri_escape_string (page, NULL, FALSE);
  g_autofree char *cookie_q = g_uri_escape_string (PAGE_COOKIE, NULL, FALSE);
  g_autofree char *target = NULL;
  g_autofree char *html = NULL;
  const char *rest = g_uri_get_query (uri);
  const char *ext = query_str (query, "ext");

  target = g_strdup_printf ("/file/%s?%s&needcookie=%s&needreferer=%s"
                            "&disposition=attachment%%3B%%20filename%%3D%s",
                            name, rest != NULL ? rest : "", cookie_q, page_q, name);
  html = g_strdup_printf ("<!DOCTYPE html>\n<html><head><title>Downloads</title></head><body>\n"
                          "<a id=\"link\" href=\"%s\">%s</a>\n<script>\n"
                          "function ready () {\n"
                          "  try {\n"
                          "    chrome.runtime.sendMessage (\"%s\", \"downpour-ready?\", (answer) => {\n"
                          "      if (answer === \"ready\") document.getElementById (\"link\").click ();\n"
                          "      else setTimeout (ready, 100);\n"
                          "    });\n"
                          "  } catch (e) { setTimeout (ready, 100); }\n"
                          "}\n"
                          "ready ();\n</script></body></html>\n",
                          target, name, ext != NULL ? ext : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               PAGE_COOKIE "; Path=/");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, html,
                                    strlen (html));
}

/* ---- representations -------------------------------------------------- */

static GBytes *
gzip_content (guint64 seed,
              guint64 size)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autofree guint8 *buf = g_malloc (DP_TEST_CHUNK_SIZE);
  guint64 done = 0;

  /* Writes to memory cannot fail short of running out of it. */
  while (done < size)
    {
      gsize n = (gsize) MIN ((guint64) DP_TEST_CHUNK_SIZE, size - done);

      dp_test_content_fill (seed, done, buf, n);
      g_output_stream_write_all (out, buf, n, NULL, NULL, NULL);
      done += n;
    }
  g_output_stream_close (out, NULL, NULL);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/* The gzip representation of the content, made once per seed and size:
 * a test may fetch it in many ranges. */
static GBytes *
gzip_cached (DpTestServer *self,
             guint64       seed,
             guint64       size)
{
  g_autofree char *key = g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, seed, size);
  GBytes *bytes = g_hash_table_lookup (self->gzip_cache, key);

  if (bytes == NULL)
    {
      bytes = gzip_content (seed, size);
      g_hash_table_insert (self->gzip_cache, g_steal_pointer (&key), bytes);
    }
  return g_bytes_ref (bytes);
}

/* The values reprdigest= and legacydigest= know; others are ignored. */
static const char * const repr_modes[] = { "sha-256", "sha-512", "both", "wrong", NULL };
static const char * const legacy_modes[] = { "sha-256", "sha-512", NULL };

/* The base64 digest of the whole content of @seed and @size, made once
 * per algorithm, seed and size; owned by the cache. */
static const char *
digest_cached (DpTestServer *self,
               const char   *algorithm,
               guint64       seed,
               guint64       size)
{
  g_autofree char *key = g_strdup_printf ("%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                                          algorithm, seed, size);
  char *digest = g_hash_table_lookup (self->digest_cache, key);

  if (digest == NULL)
    {
      digest = dp_test_content_digest_base64 (algorithm, seed, size);
      g_hash_table_insert (self->digest_cache, g_steal_pointer (&key), digest);
    }
  return digest;
}

/* reprdigest=A: the Repr-Digest field (RFC 9530) for the content of
 * @seed and @size, or NULL when A is none of the known values. */
static char *
repr_digest_value (DpTestServer *self,
                   const char   *mode,
                   guint64       seed,
                   guint64       size)
{
  if (g_strcmp0 (mode, "sha-256") == 0 || g_strcmp0 (mode, "sha-512") == 0)
    return g_strdup_printf ("%s=:%s:", mode, digest_cached (self, mode, seed, size));
  if (g_strcmp0 (mode, "both") == 0)
    return g_strdup_printf ("sha-256=:%s:, sha-512=:%s:",
                            digest_cached (self, "sha-256", seed, size),
                            digest_cached (self, "sha-512", seed, size));
  /* wrong: a well-formed digest of other bytes, as a mirror whose
   * metadata went out of step with its files. */
  if (g_strcmp0 (mode, "wrong") == 0)
    return g_strdup_printf ("sha-256=:%s:", digest_cached (self, "sha-256", seed + 1, size));
  return NULL;
}

/* legacydigest=A: the older Digest field (RFC 3230), or NULL. */
static char *
legacy_digest_value (DpTestServer *self,
                     const char   *mode,
                     guint64       seed,
                     guint64       size)
{
  if (g_strcmp0 (mode, "sha-256") == 0)
    return g_strdup_printf ("SHA-256=%s", digest_cached (self, mode, seed, size));
  if (g_strcmp0 (mode, "sha-512") == 0)
    return g_strdup_printf ("SHA-512=%s", digest_cached (self, mode, seed, size));
  return NULL;
}

/* ---- serving a file --------------------------------------------------- */

/* Decides how the body of a GET goes out: its speed and where it stops,
 * then starts it. @asked_start is the range start the client asked for,
 * which names the attempt for the first-attempt-only faults. */
static void
stream_body (DpTestServer *self,
             DpTestGet    *get,
             const char   *path,
             GHashTable   *query,
             guint64       asked_start)
{
  guint64 len = get->body_len;
  guint64 stall = query_u64 (query, "stall", G_MAXUINT64);
  guint64 reset = query_u64 (query, "reset", G_MAXUINT64);
  guint64 die = query_u64 (query, "dieevery", G_MAXUINT64);
  guint64 slow_first = query_u64 (query, "slowfirst", 0);
  guint64 trickle = query_u64 (query, "trickle", 0);
  g_autofree char *slow_key = g_strconcat ("slowfirst ", path, NULL);
  g_autofree char *cut_key = g_strdup_printf ("cut %" G_GUINT64_FORMAT " %s", asked_start, path);

  get->limit = G_MAXUINT64;
  get->stop = DP_TEST_STOP_NONE;
  get->rate = query_u64 (query, "rate", 0);

  /* slowfirst=B: the first body served on this path crawls at B/s, as
   * one unlucky connection to an uneven mirror would. */
  if (slow_first > 0 && first_time (self, slow_key))
    get->rate = slow_first;

  /* Throttled bodies go out in pieces of about 50 ms each, so the rate
   * holds over short spans too. */
  if (get->rate > 0)
    get->chunk_size = (gsize) CLAMP (get->rate / 20, 1, DP_TEST_CHUNK_SIZE);

  /* trickle=B: a connection that starts fast and then slows to a trickle
   * without ever going quiet, so that only its pace gives it away: a
   * piece every 100 ms. */
  if (trickle > 0 && bump_count (self, "trickle", path) == MAX (query_u64 (query, "trickleat", 1), 1))
    {
      get->rate = trickle;
      get->fast_bytes = TRICKLE_FAST_BYTES;
      get->chunk_size = (gsize) CLAMP (trickle / 10, 1, DP_TEST_CHUNK_SIZE);
    }

  /* A stall or a reset hits only the first response per path and range
   * start, so that a retry gets further. */
  if ((stall < len || reset < len) && first_time (self, cut_key))
    {
      get->limit = MIN (stall, reset);
      get->stop = stall <= reset ? DP_TEST_STOP_STALL : DP_TEST_STOP_RESET;
    }

  /* dieevery=B: every attempt dies, however often it is retried. */
  if (die < len && die < get->limit)
    {
      get->limit = die;
      get->stop = DP_TEST_STOP_RESET;
    }

  _dp_test_get_stream (get);
}

/* unknowntotal=1 hides the total of every 206; unknowntotal=probe only
 * for ranges from byte 0, the requests a client probes a server with. */
static gboolean
hide_total (GHashTable *query,
            const char *range)
{
  const char *mode = query_str (query, "unknowntotal");
  gint64 first, last;

  if (g_strcmp0 (mode, "probe") == 0)
    return _dp_test_parse_single_range (range, &first, &last) && first == 0;
  return g_strcmp0 (mode, "1") == 0;
}

static GBytes *
bytes_printf (const char *format,
              ...) G_GNUC_PRINTF (1, 2);

static GBytes *
bytes_printf (const char *format,
              ...)
{
  va_list args;
  char *s;

  va_start (args, format);
  s = g_strdup_vprintf (format, args);
  va_end (args);
  return g_bytes_new_take (s, strlen (s));
}

static void
serve_file (DpTestServer      *self,
            DpTestGet         *get,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            const char        *range)
{
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gboolean is_head = get == NULL;
  guint64 size = query_u64 (query, "size", 0);
  guint64 seed = query_u64 (query, "seed", 1);
  const char *type = query_str (query, "type");
  const char *etag = query_str (query, "etag");
  const char *disposition = query_str (query, "disposition");
  const char *last_modified = query_str (query, "lastmod");
  const char *head_size = query_str (query, "headsize");
  /* encoding=rangegzip: only answers to a request with Range are the
   * gzip representation; a plain GET gets the plain file. */
  gboolean gzip = g_strcmp0 (query_str (query, "encoding"), "gzip") == 0 ||
                  (g_strcmp0 (query_str (query, "encoding"), "rangegzip") == 0 && range != NULL);
  gboolean weak = query_flag (query, "weaketag");
  gboolean norange = query_flag (query, "norange");
  /* liar=1: advertise ranges, then ignore them like norange. */
  gboolean honour_ranges = !norange && !query_flag (query, "liar");
  gboolean advertise = !norange && !query_flag (query, "noaccept");
  guint64 change_after = query_u64 (query, "changeafter", 0);
  guint64 stale = query_u64 (query, "stale", 0);
  guint64 ignore_range = query_u64 (query, "ignorerange", 0);
  guint64 ranges_after = query_u64 (query, "rangesafter", 0);
  gsize garbage = (gsize) MIN (query_u64 (query, "longgarbage", 0), LONG_GARBAGE_MAX);
  guint64 damage = query_u64 (query, "damage", G_MAXUINT64);
  const char *repr_mode = query_str (query, "reprdigest");
  const char *legacy_mode = query_str (query, "legacydigest");
  g_autofree char *repr_digest = NULL;
  g_autofree char *legacy_digest = NULL;
  g_autofree char *etag_buf = NULL;
  g_autofree char *quoted_etag = NULL;
  g_autofree char *content_range = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) prefix = NULL;
  g_autoptr(GBytes) suffix = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  RangeResult result = RANGE_NONE;
  guint64 start = 0, end = 0, asked_start = 0;
  guint64 body_start = 0, data_len, framing = 0;

  if (type == NULL)
    type = "application/octet-stream";

  /* changeafter=K: from the K+1st request on, the file is another version
   * (seed + 1, ETag "E-2", and newsize=N if given). With newlastmod=D the
   * new version is told apart by its Last-Modified D instead, and has an
   * ETag only if the old one had: a server with dates only. */
  if (change_after > 0 && bump_count (self, "requests", path) > change_after)
    {
      const char *new_modified = query_str (query, "newlastmod");

      seed += 1;
      size = query_u64 (query, "newsize", size);
      if (new_modified != NULL)
        last_modified = new_modified;
      if (new_modified == NULL || etag != NULL)
        etag = etag_buf = g_strdup_printf ("%s-2", etag != NULL ? etag : "v");
    }

  /* stale=K: every K-th GET lands on a node of the load balancer that
   * still has an older copy, with an ETag of its own. */
  if (!is_head && stale > 0 && bump_count (self, "stale", path) % stale == 0)
    {
      g_autofree char *old = etag != NULL ? g_strdup_printf ("%s-old", etag) : g_strdup ("old");

      seed += 100;
      size = query_u64 (query, "stalesize", size);
      g_free (etag_buf);
      etag = etag_buf = g_steal_pointer (&old);
    }

  /* ignorerange=K: every K-th range GET lands on a node that knows
   * nothing of ranges. */
  if (!is_head && range != NULL && ignore_range > 0 &&
      bump_count (self, "ignorerange", path) % ignore_range == 0)
    {
      honour_ranges = FALSE;
      advertise = FALSE;
    }

  /* rangesafter=K: ranges work for the first K range GETs only. */
  if (!is_head && range != NULL && ranges_after > 0 &&
      bump_count (self, "rangesafter", path) > ranges_after)
    {
      honour_ranges = FALSE;
      advertise = FALSE;
    }

  /* A HEAD answered by a different layer than the GETs. */
  if (is_head)
    {
      if (query_str (query, "headetag") != NULL)
        etag = query_str (query, "headetag");
      if (query_flag (query, "headnoranges"))
        advertise = FALSE;
    }

  /* reprdigest=A, legacydigest=A: digests of the whole content of the
   * version served, whatever the encoding or damage= do to its bytes. */
  if (repr_mode != NULL || legacy_mode != NULL)
    {
      gboolean known = (repr_mode != NULL && g_strv_contains (repr_modes, repr_mode)) ||
                       (legacy_mode != NULL && g_strv_contains (legacy_modes, legacy_mode));

      if (known && size > DIGEST_MAX_SIZE)
        {
          respond_html (msg, query, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                        "Digests are limited to 512 MiB.");
          return;
        }
      repr_digest = repr_digest_value (self, repr_mode, seed, size);
      legacy_digest = legacy_digest_value (self, legacy_mode, seed, size);
    }

  /* encoding=gzip: the representation is the compressed content, and
   * every offset and length counts compressed bytes. */
  if (gzip)
    {
      if (size > GZIP_MAX_SIZE)
        {
          respond_html (msg, query, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                        "encoding=gzip is limited to 64 MiB.");
          return;
        }
      data = gzip_cached (self, seed, size);
      size = g_bytes_get_size (data);
    }
  data_len = size;

  soup_message_headers_set_content_type (headers, type, NULL);
  if (advertise)
    soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (etag != NULL)
    {
      g_autofree char *sent = NULL;

      quoted_etag = g_strdup_printf ("\"%s\"", etag);
      sent = g_strdup_printf ("%s%s", weak ? "W/" : "", quoted_etag);
      soup_message_headers_replace (headers, "ETag", sent);
    }
  if (disposition != NULL)
    soup_message_headers_replace (headers, "Content-Disposition", disposition);
  /* labelgzip=1 labels plain bytes as compressed: a lie. */
  if (gzip || query_flag (query, "labelgzip"))
    soup_message_headers_replace (headers, "Content-Encoding", "gzip");
  if (last_modified != NULL)
    {
      g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

      /* Whether Last-Modified is strong depends on the Date sent with
       * it, so the Date must be the one the decision used. */
      soup_message_headers_replace (headers, "Date", date);
      soup_message_headers_replace (headers, "Last-Modified", last_modified);
    }

  if (honour_ranges && range != NULL)
    {
      const char *if_range = soup_message_headers_get_one (req_headers, "If-Range");

      /* An If-Range that does not match asks for the whole entity. */
      if (if_range == NULL || if_range_matches (if_range, quoted_etag, weak, last_modified, now))
        result = parse_range (range, size, &start, &end);
    }

  if (result == RANGE_UNSATISFIABLE)
    {
      content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
      soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      soup_message_headers_set_content_length (headers, 0);
      maybe_retry_after (msg, query, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
      return;
    }

  if (repr_digest != NULL)
    soup_message_headers_replace (headers, "Repr-Digest", repr_digest);
  if (legacy_digest != NULL)
    soup_message_headers_replace (headers, "Digest", legacy_digest);

  if (result == RANGE_OK)
    {
      guint64 short_len = query_u64 (query, "short", 0);
      guint64 below = query_u64 (query, "below", 0);
      g_autofree char *total = hide_total (query, range)
                               ? g_strdup ("*")
                               : g_strdup_printf ("%" G_GUINT64_FORMAT, size);

      asked_start = start;
      /* below=K: the answer starts early, and says so. */
      start -= MIN (below, start);
      if (short_len > 0 && end - start + 1 > short_len)
        end = start + short_len - 1;
      if (query_flag (query, "wrongstart") && start + 1 < size)
        {
          start++;
          end = MAX (end, start);
        }

      content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%s",
                                       start, end, total);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      _dp_test_server_count_partial (self);
      body_start = start;
      data_len = end - start + 1;

      if (query_flag (query, "multipart"))
        {
          /* multipart=1: one range, framed as multipart/byteranges
           * (RFC 9110 §14.6); the range is only in the part's header. */
          g_autofree char *outer = g_strdup_printf ("multipart/byteranges; boundary=%s", BOUNDARY);

          prefix = bytes_printf ("--%s\r\nContent-Type: %s\r\nContent-Range: %s\r\n\r\n",
                                 BOUNDARY, type, content_range);
          suffix = bytes_printf ("\r\n--%s--\r\n", BOUNDARY);
          framing = g_bytes_get_size (prefix) + g_bytes_get_size (suffix);
          soup_message_headers_replace (headers, "Content-Type", outer);
        }
      else
        {
          soup_message_headers_replace (headers, "Content-Range", content_range);
        }
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }

  if (is_head)
    {
      guint64 claimed;

      /* HEAD: the headers a GET would get, minus the body, unless the
       * HEAD is told to say something else. */
      if (query_flag (query, "headnolength"))
        soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
      else if (head_size != NULL && g_ascii_string_to_unsigned (head_size, 10, 0, G_MAXINT64,
                                                                &claimed, NULL))
        soup_message_headers_set_content_length (headers, claimed);
      else
        soup_message_headers_set_content_length (headers, data_len + framing);
      return;
    }

  if (result == RANGE_OK && garbage > 0)
    {
      /* longgarbage=K: K bytes that are not the file after the range
       * (after a multipart answer's closing boundary), so a client that
       * keeps them writes wrong bytes, not the next ones of the file. */
      guint8 *junk = g_malloc (garbage);
      GByteArray *tail = g_byte_array_new ();

      memset (junk, LONG_GARBAGE_BYTE, garbage);
      if (suffix != NULL)
        g_byte_array_append (tail, g_bytes_get_data (suffix, NULL), g_bytes_get_size (suffix));
      g_byte_array_append (tail, junk, garbage);
      g_free (junk);
      g_clear_pointer (&suffix, g_bytes_unref);
      suffix = g_byte_array_free_to_bytes (tail);
      framing += garbage;
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
      soup_message_headers_replace (headers, "Connection", "close");
    }
  else if (result == RANGE_OK && query_u64 (query, "long", 0) > 0)
    {
      /* No length is announced, so the extra bytes are simply part of a
       * body that ends when the connection does. */
      data_len += query_u64 (query, "long", 0);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
      soup_message_headers_replace (headers, "Connection", "close");
    }
  else if (query_flag (query, "nolength") || query_flag (query, "chunked"))
    {
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
    }
  else
    {
      soup_message_headers_set_content_length (headers, data_len + framing);
    }

  /* damage=K: a mirror whose copy has a bad stretch. Offsets are the
   * file's, so every range that covers the stretch shows it; the plain
   * content only, never a gzip representation. */
  if (damage < size && query_str (query, "encoding") == NULL)
    {
      get->damage_start = damage;
      get->damage_end = size - damage > DAMAGE_LEN ? damage + DAMAGE_LEN : size;
    }

  get->seed = seed;
  get->offset = body_start;
  get->data = g_steal_pointer (&data);
  get->prefix = g_steal_pointer (&prefix);
  get->suffix = g_steal_pointer (&suffix);
  get->body_len = data_len + framing;
  stream_body (self, get, path, query, asked_start);
}

/* ---- documents -------------------------------------------------------- */

/* A document of dp_test_server_add_document(): 200 with the whole of it,
 * or 206 with the first range asked for, whatever the query says. */
static void
serve_document (DpTestServer      *self,
                DpTestGet         *get,
                SoupServerMessage *msg,
                GBytes            *data,
                const char        *type,
                const char        *range)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  guint64 size = g_bytes_get_size (data);
  guint64 start = 0, end = 0, len = size;
  RangeResult result = RANGE_NONE;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_html (msg, NULL, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET and HEAD.");
      return;
    }

  /* As given, parameters and all. */
  soup_message_headers_replace (headers, "Content-Type", type);
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (range != NULL)
    result = parse_range (range, size, &start, &end);

  if (result == RANGE_UNSATISFIABLE)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);

      soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      soup_message_headers_set_content_length (headers, 0);
      return;
    }

  if (result == RANGE_OK)
    {
      g_autofree char *content_range = NULL;

      content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                       "/%" G_GUINT64_FORMAT, start, end, size);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      _dp_test_server_count_partial (self);
      len = end - start + 1;
    }
  else
    {
      start = 0;
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }

  soup_message_headers_set_content_length (headers, len);
  if (get == NULL)
    return;

  /* Streamed like a file, so that its bytes are counted too. */
  get->data = g_bytes_ref (data);
  get->offset = start;
  get->body_len = len;
  get->limit = G_MAXUINT64;
  _dp_test_get_stream (get);
}

/* ---- the handler ------------------------------------------------------ */

void
_dp_test_server_handle (DpTestServer      *self,
                        DpTestGet         *get,
                        SoupServerMessage *msg,
                        const char        *path,
                        GHashTable        *query,
                        const char        *range)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  gboolean is_get = strcmp (method, "GET") == 0;
  gboolean is_head = strcmp (method, "HEAD") == 0;
  const char *redirect_to = query_str (query, "redirectto");
  const char *credentials = query_str (query, "auth");
  guint64 hops = query_u64 (query, "redirect", 0);
  guint64 status = query_u64 (query, "status", 0);
  guint64 range_status = query_u64 (query, "rangestatus", 0);
  guint64 signed_ms = query_u64 (query, "signed", 0);
  guint64 gone_after = query_u64 (query, "goneafter", G_MAXUINT64);
  g_autofree char *signed_target = NULL;
  g_autofree char *doc_type = NULL;
  g_autoptr(GBytes) doc = _dp_test_server_dup_document (self, path, &doc_type);

  /* A document is what it is, whatever the query asks for. */
  if (doc != NULL)
    {
      serve_document (self, get, msg, doc, doc_type, range);
      return;
    }

  /* goneafter=K: after K GETs to this path the server is gone, and every
   * later request to it, HEAD included, only sees its connection close.
   * A signed link counts under the /file/ path it stands for. */
  if (gone_after != G_MAXUINT64)
    {
      g_autofree char *target = g_str_has_prefix (path, "/signed/") ? signed_link_target (path) : NULL;
      const char *counted = target != NULL ? target : path;

      if (get_count (self, "goneafter", counted) >= gone_after)
        {
          _dp_test_server_drop (self, get, msg);
          return;
        }
      if (is_get)
        bump_count (self, "goneafter", counted);
    }

  add_padding (headers, query_u64 (query, "bigheaders", 0));
  if (query_str (query, "setcookie") != NULL)
    soup_message_headers_append (headers, "Set-Cookie", query_str (query, "setcookie"));
  add_duplicates (headers, query_str (query, "duplicate"));

  if (g_str_has_prefix (path, "/signed/"))
    {
      /* Served like the /file/ it stands for, counted under that path
       * too, until it expires. */
      signed_target = signed_link_target (path);
      if (signed_target == NULL)
        {
          respond_html (msg, query, SOUP_STATUS_FORBIDDEN,
                        "AccessDenied: Request has expired.");
          return;
        }
      path = signed_target;
      signed_ms = 0;
    }
  else if (g_str_has_prefix (path, "/page/"))
    {
      serve_page (msg, path, query);
      return;
    }
  else if (!g_str_has_prefix (path, "/file/"))
    {
      respond_html (msg, query, SOUP_STATUS_NOT_FOUND, "No such file.");
      return;
    }

  if (!is_get && !is_head)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_html (msg, query, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET and HEAD.");
      return;
    }

  if (credentials != NULL && !authorized (msg, credentials))
    {
      soup_message_headers_replace (headers, "WWW-Authenticate", "Basic realm=\"test\"");
      respond_html (msg, query, SOUP_STATUS_UNAUTHORIZED, "Log in first.");
      return;
    }
  if (query_str (query, "digest") != NULL && !digest_authorized (msg, query_str (query, "digest")))
    {
      soup_message_headers_replace (headers, "WWW-Authenticate",
                                    "Digest realm=\"test\", nonce=\"" DIGEST_NONCE "\", "
                                    "qop=\"auth\", algorithm=MD5");
      respond_html (msg, query, SOUP_STATUS_UNAUTHORIZED, "Log in first.");
      return;
    }
  if (query_str (query, "needcookie") != NULL && !has_cookies (msg, query_str (query, "needcookie")))
    {
      respond_html (msg, query, SOUP_STATUS_FORBIDDEN, "No session cookie.");
      return;
    }
  if (query_str (query, "needreferer") != NULL &&
      g_strcmp0 (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                               "Referer"),
                 query_str (query, "needreferer")) != 0)
    {
      respond_html (msg, query, SOUP_STATUS_FORBIDDEN, "Hotlinking is not allowed.");
      return;
    }
  if (query_str (query, "needheader") != NULL && !has_header (msg, query_str (query, "needheader")))
    {
      respond_html (msg, query, SOUP_STATUS_FORBIDDEN, "Missing header.");
      return;
    }

  if (signed_ms > 0)
    {
      issue_signed_link (self, msg, path, signed_ms);
      return;
    }

  if (redirect_to != NULL)
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, redirect_to);
      return;
    }

  if (hops > 0)
    {
      g_autofree char *location = redirect_location (self, msg, hops);

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
      return;
    }

  /* A 1xx is not a final answer: libsoup would send it and then wait
   * for one, so those are not accepted. */
  if (status >= 200 && status <= 999)
    {
      respond_html (msg, query, (guint) status, "Status forced by the test.");
      return;
    }

  if (is_head && query_flag (query, "nohead"))
    {
      soup_message_headers_replace (headers, "Allow", "GET");
      respond_html (msg, query, SOUP_STATUS_METHOD_NOT_ALLOWED, "HEAD is not allowed here.");
      return;
    }

  /* maxconn=K: a mirror that bans greed. This request is counted. */
  if (is_get && query_u64 (query, "maxconn", 0) > 0 &&
      _dp_test_server_get_in_flight (self) > query_u64 (query, "maxconn", 0))
    {
      respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Too many connections.");
      return;
    }

  if (is_get && get_count (self, "failfirst", path) < query_u64 (query, "failfirst", 0))
    {
      bump_count (self, "failfirst", path);
      respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Try again later.");
      return;
    }

  /* failat=K: one hiccup, in the middle of a download. */
  if (is_get && query_u64 (query, "failat", 0) > 0 &&
      bump_count (self, "failat", path) == query_u64 (query, "failat", 0))
    {
      respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Try again later.");
      return;
    }

  /* failafter=K: the server goes down for good after K GETs. */
  if (is_get && query_u64 (query, "failafter", 0) > 0 &&
      bump_count (self, "failafter", path) > query_u64 (query, "failafter", 0))
    {
      respond_html (msg, query, SOUP_STATUS_SERVICE_UNAVAILABLE, "Down for maintenance.");
      return;
    }

  if (range != NULL && range_status >= 200 && range_status <= 999)
    {
      respond_html (msg, query, (guint) range_status, "No ranges for you.");
      return;
    }

  if (range != NULL && query_flag (query, "html"))
    {
      respond_html (msg, query, SOUP_STATUS_OK, "This download link has expired.");
      return;
    }

  /* htmlafter=K: the link expires after K GETs, in the middle of a
   * download: from then on a range gets the web page. */
  if (is_get && query_u64 (query, "htmlafter", 0) > 0 &&
      bump_count (self, "htmlafter", path) > query_u64 (query, "htmlafter", 0) &&
      range != NULL)
    {
      respond_html (msg, query, SOUP_STATUS_OK, "This download link has expired.");
      return;
    }

  serve_file (self, get, msg, path, query, range);
}
