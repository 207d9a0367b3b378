/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "dp-error.h"
#include "dp-http.h"
#include "dp-request-private.h"

struct _DpRequest
{
  GPtrArray *headers;       /* "Name: value" */
  char *user_agent;
  char *referrer;
  GPtrArray *cookies;       /* "name=value", given as text */
  GPtrArray *file_cookies;  /* of SoupCookie, from cookies.txt files */
  char *user;
  char *password;
};

G_DEFINE_BOXED_TYPE (DpRequest, dp_request, dp_request_copy, dp_request_free)

DpRequest *
dp_request_new (void)
{
  DpRequest *self = g_new0 (DpRequest, 1);

  self->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->headers, NULL);
  self->cookies = g_ptr_array_new_with_free_func (g_free);
  self->file_cookies = g_ptr_array_new_with_free_func ((GDestroyNotify) soup_cookie_free);
  return self;
}

DpRequest *
dp_request_copy (const DpRequest *self)
{
  DpRequest *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = dp_request_new ();
  for (guint i = 0; i + 1 < self->headers->len; i++)
    g_ptr_array_insert (copy->headers, (int) copy->headers->len - 1,
                        g_strdup (g_ptr_array_index (self->headers, i)));
  copy->user_agent = g_strdup (self->user_agent);
  copy->referrer = g_strdup (self->referrer);
  for (guint i = 0; i < self->cookies->len; i++)
    g_ptr_array_add (copy->cookies, g_strdup (g_ptr_array_index (self->cookies, i)));
  for (guint i = 0; i < self->file_cookies->len; i++)
    g_ptr_array_add (copy->file_cookies, soup_cookie_copy (g_ptr_array_index (self->file_cookies, i)));
  copy->user = g_strdup (self->user);
  copy->password = g_strdup (self->password);
  return copy;
}

void
dp_request_free (DpRequest *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->headers);
  g_free (self->user_agent);
  g_free (self->referrer);
  g_ptr_array_unref (self->cookies);
  g_ptr_array_unref (self->file_cookies);
  g_free (self->user);
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self);
}

gboolean
dp_request_is_empty (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->headers->len == 1 && self->user_agent == NULL && self->referrer == NULL &&
         self->cookies->len == 0 && self->file_cookies->len == 0 && self->user == NULL;
}

/* ---- checking what the user gave ------------------------------------- */

/* RFC 9110 §5.6.2: the characters of a token. */
static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token (const char *text,
          gsize       length)
{
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!is_token_char (text[i]))
      return FALSE;
  return TRUE;
}

/* No control characters but tab: a line break would start another
 * header, or end the request early. */
static gboolean
is_field_value (const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      return FALSE;
  return g_utf8_validate (text, -1, NULL);
}

static char *
trimmed (const char *text,
         gsize       length)
{
  while (length > 0 && (*text == ' ' || *text == '\t'))
    {
      text++;
      length--;
    }
  while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
    length--;
  return g_strndup (text, length);
}

/* What Downpour sets itself, because the file's bytes depend on it or
 * the connection would break. */
static const char * const reserved_headers[] = {
  "Host", "Range", "If-Range", "Accept-Encoding", "Content-Length", "Content-Encoding",
  "Transfer-Encoding", "TE", "Trailer", "Connection", "Keep-Alive", "Proxy-Connection",
  "Upgrade", "Expect", "If-Match", "If-None-Match", "If-Modified-Since",
  "If-Unmodified-Since", NULL
};

gboolean
dp_request_add_header (DpRequest   *self,
                       const char  *line,
                       GError     **error)
{
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;
  const char *colon;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (!g_utf8_validate (line, -1, NULL))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("A header must be text."));
      return FALSE;
    }
  colon = strchr (line, ':');
  if (colon != NULL)
    name = trimmed (line, (gsize) (colon - line));
  if (colon == NULL || !is_token (name, strlen (name)))
    {
      g_autofree char *valid = g_utf8_make_valid (line, -1);
      g_autofree char *shown = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), 80));

      g_strdelimit (shown, "\r\n", ' ');
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a header. Write it as “Name: value”."), shown);
      return FALSE;
    }
  value = trimmed (colon + 1, strlen (colon + 1));
  if (!is_field_value (value))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("The value of the header “%s” has a line break or another control "
                     "character."), name);
      return FALSE;
    }
  if (strlen (name) + 2 + strlen (value) > DP_REQUEST_MAX_HEADER_LENGTH)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("The header “%s” is longer than %d bytes."), name,
                   DP_REQUEST_MAX_HEADER_LENGTH);
      return FALSE;
    }

  for (guint i = 0; reserved_headers[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, reserved_headers[i]) == 0)
      {
        g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                     _("Downpour sets the header “%s” itself to get the file right; "
                       "it cannot be given."), reserved_headers[i]);
        return FALSE;
      }
  if (g_ascii_strcasecmp (name, "User-Agent") == 0)
    return dp_request_set_user_agent (self, value, error);
  if (g_ascii_strcasecmp (name, "Referer") == 0)
    return dp_request_set_referrer (self, value, error);
  if (g_ascii_strcasecmp (name, "Cookie") == 0)
    return dp_request_add_cookies (self, value, error);

  if (self->headers->len - 1 >= DP_REQUEST_MAX_HEADERS)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("At most %d headers can be given."), DP_REQUEST_MAX_HEADERS);
      return FALSE;
    }
  g_ptr_array_insert (self->headers, (int) self->headers->len - 1,
                      g_strdup_printf ("%s: %s", name, value));
  return TRUE;
}

const char * const *
dp_request_get_headers (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->headers->pdata;
}

gboolean
dp_request_set_user_agent (DpRequest   *self,
                           const char  *user_agent,
                           GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (user_agent != NULL &&
      (!is_field_value (user_agent) || strlen (user_agent) > DP_REQUEST_MAX_HEADER_LENGTH))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("The user agent must be one line of text."));
      return FALSE;
    }
  g_free (self->user_agent);
  self->user_agent = user_agent != NULL && *user_agent != '\0' ? g_strdup (user_agent) : NULL;
  return TRUE;
}

const char *
dp_request_get_user_agent (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->user_agent;
}

gboolean
dp_request_set_referrer (DpRequest   *self,
                         const char  *referrer,
                         GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (referrer == NULL || *referrer == '\0')
    {
      g_clear_pointer (&self->referrer, g_free);
      return TRUE;
    }
  uri = dp_http_parse_url (referrer, &local_error);
  if (uri == NULL || strlen (referrer) > DP_REQUEST_MAX_HEADER_LENGTH)
    {
      g_autofree char *shown = dp_http_redact_address (referrer);

      g_strdelimit (shown, "\r\n", ' ');
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("The referrer “%s” is not an http:// or https:// address."), shown);
      return FALSE;
    }
  g_free (self->referrer);
  /* As browsers send it: never a login, never a fragment. */
  {
    int port = g_uri_get_port (uri);
    g_autoptr(GUri) bare = NULL;

    if (port == (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80))
      port = -1;
    bare = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
                        g_uri_get_host (uri), port, g_uri_get_path (uri),
                        g_uri_get_query (uri), NULL);

    self->referrer = g_uri_to_string (bare);
  }
  return TRUE;
}

const char *
dp_request_get_referrer (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->referrer;
}

/* Browsers send cookie names RFC 6265's token forbids ("cart[1]"):
 * refused is only what would break the pair or the header. */
static gboolean
is_cookie_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    if (*p <= 0x20 || *p == 0x7f || *p == '=' || *p == ';' || *p == ',')
      return FALSE;
  return g_utf8_validate (name, -1, NULL);
}

/* RFC 6265 §4.1.1 is stricter than what browsers send; this refuses
 * only what would break the header or the pair. */
static gboolean
is_cookie_value (const char *value)
{
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    if (*p < 0x20 || *p == 0x7f || *p == ';')
      return FALSE;
  return g_utf8_validate (value, -1, NULL);
}

gboolean
dp_request_add_cookies (DpRequest   *self,
                        const char  *cookies,
                        GError     **error)
{
  g_auto(GStrv) pairs = NULL;
  g_autoptr(GPtrArray) taken = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (cookies != NULL, FALSE);

  pairs = g_strsplit (cookies, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *pair = trimmed (pairs[i], strlen (pairs[i]));
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      const char *equals = strchr (pair, '=');

      if (*pair == '\0')
        continue;
      if (equals != NULL)
        name = trimmed (pair, (gsize) (equals - pair));
      if (equals == NULL || !is_cookie_name (name))
        {
          /* Never the value: only what stands before it. */
          g_autofree char *valid = g_utf8_make_valid (name != NULL ? name : pair, -1);
          g_autofree char *shown = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), 40));

          g_strdelimit (shown, "\r\n", ' ');
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a cookie. Give cookies as “name=value; name2=value2”."),
                       shown);
          return FALSE;
        }
      value = trimmed (equals + 1, strlen (equals + 1));
      if (!is_cookie_value (value) || strlen (value) > DP_REQUEST_MAX_HEADER_LENGTH)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("The value of the cookie “%s” has a control character or is too long."),
                       name);
          return FALSE;
        }
      g_ptr_array_add (taken, g_strdup_printf ("%s=%s", name, value));
    }

  /* All or nothing: a bad pair, or one too many, leaves the request as
   * it was. */
  {
    guint added = 0;

    for (guint i = 0; i < taken->len; i++)
      {
        const char *pair = g_ptr_array_index (taken, i);
        gsize name_length = (gsize) (strchr (pair, '=') - pair);
        gboolean known = FALSE;

        for (guint j = 0; j < self->cookies->len && !known; j++)
          known = strncmp (g_ptr_array_index (self->cookies, j), pair, name_length + 1) == 0;
        for (guint j = 0; j < i && !known; j++)
          known = strncmp (g_ptr_array_index (taken, j), pair, name_length + 1) == 0;
        added += !known;
      }
    if (self->cookies->len + added > DP_REQUEST_MAX_COOKIES)
      {
        g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                     _("At most %d cookies can be given."), DP_REQUEST_MAX_COOKIES);
        return FALSE;
      }
  }
  for (guint i = 0; i < taken->len; i++)
    {
      const char *pair = g_ptr_array_index (taken, i);
      gsize name_length = (gsize) (strchr (pair, '=') - pair);
      gboolean replaced = FALSE;

      for (guint j = 0; j < self->cookies->len && !replaced; j++)
        {
          char **old = (char **) &g_ptr_array_index (self->cookies, j);

          if (strncmp (*old, pair, name_length + 1) == 0)
            {
              g_free (*old);
              *old = g_strdup (pair);
              replaced = TRUE;
            }
        }
      if (!replaced)
        g_ptr_array_add (self->cookies, g_strdup (pair));
    }
  return TRUE;
}

char *
dp_request_dup_cookies (const DpRequest *self)
{
  GString *text;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->cookies->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < self->cookies->len; i++)
    {
      if (i > 0)
        g_string_append (text, "; ");
      g_string_append (text, g_ptr_array_index (self->cookies, i));
    }
  return g_string_free (text, FALSE);
}

/* One line of a cookies.txt file. Returns FALSE for a line that is not
 * a cookie; *@cookie stays NULL for comments, blank and expired lines. */
static gboolean
parse_cookie_line (char        *line,
                   gint64       now,
                   SoupCookie **cookie)
{
  g_auto(GStrv) fields = NULL;
  g_autofree char *domain = NULL;
  gboolean http_only = FALSE;
  gboolean subdomains;
  guint64 expires;
  int max_age;
  gsize length = strlen (line);

  *cookie = NULL;
  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';
  if (g_str_has_prefix (line, "#HttpOnly_"))
    {
      http_only = TRUE;
      line += strlen ("#HttpOnly_");
    }
  else if (*line == '#')
    return TRUE;
  if (*line == '\0' || strspn (line, " \t") == strlen (line))
    return !http_only;

  fields = g_strsplit (line, "\t", -1);
  /* Seven fields; newer writers add more (libsoup: SameSite). */
  if (g_strv_length (fields) < 7 || *fields[0] == '\0' || *fields[2] != '/' ||
      !is_cookie_name (fields[5]) || !is_cookie_value (fields[6]) ||
      !g_ascii_string_to_unsigned (fields[4], 10, 0, G_MAXUINT64, &expires, NULL) ||
      (g_ascii_strcasecmp (fields[1], "TRUE") != 0 && g_ascii_strcasecmp (fields[1], "FALSE") != 0) ||
      (g_ascii_strcasecmp (fields[3], "TRUE") != 0 && g_ascii_strcasecmp (fields[3], "FALSE") != 0))
    return FALSE;

  /* 0 is a session cookie: the browser still has it. */
  if (expires != 0 && (gint64) MIN (expires, (guint64) G_MAXINT64) <= now)
    return TRUE;
  max_age = expires == 0 ? -1 : (int) MIN (expires - (guint64) now, (guint64) G_MAXINT);

  subdomains = g_ascii_strcasecmp (fields[1], "TRUE") == 0;
  if (subdomains && fields[0][0] != '.')
    domain = g_strconcat (".", fields[0], NULL);
  else
    domain = g_strdup (fields[0]);

  *cookie = soup_cookie_new (fields[5], fields[6], domain, fields[2], max_age);
  soup_cookie_set_secure (*cookie, g_ascii_strcasecmp (fields[3], "TRUE") == 0);
  soup_cookie_set_http_only (*cookie, http_only);
  return TRUE;
}

gboolean
dp_request_add_cookie_text (DpRequest   *self,
                            const char  *text,
                            gsize        length,
                            const char  *display,
                            guint       *n_loaded,
                            GError     **error)
{
  g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func ((GDestroyNotify) soup_cookie_free);
  g_autofree char *contents = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *line;
  guint number = 0;

  if (length > DP_REQUEST_MAX_COOKIE_FILE_SIZE)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("“%s” is too large for a cookie file."), display);
      return FALSE;
    }
  contents = g_strndup (text != NULL ? text : "", length);
  if (strlen (contents) != length || !g_utf8_validate (contents, -1, NULL))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a cookies.txt file: it is not text."), display);
      return FALSE;
    }

  line = contents;
  while (line != NULL)
    {
      char *next = strchr (line, '\n');
      SoupCookie *cookie = NULL;

      if (next != NULL)
        *next++ = '\0';
      number++;
      if (!parse_cookie_line (line, now, &cookie))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("Line %u of “%s” is not a cookie. A cookies.txt file has seven "
                         "fields separated by tabs: domain, subdomains (TRUE or FALSE), path, "
                         "secure (TRUE or FALSE), expiry, name and value."),
                       number, display);
          return FALSE;
        }
      if (cookie != NULL)
        {
          if (self->file_cookies->len + loaded->len >= DP_REQUEST_MAX_FILE_COOKIES)
            {
              soup_cookie_free (cookie);
              g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("“%s” has more than %d cookies."), display,
                           DP_REQUEST_MAX_FILE_COOKIES);
              return FALSE;
            }
          g_ptr_array_add (loaded, cookie);
        }
      line = next;
    }

  if (n_loaded != NULL)
    *n_loaded = loaded->len;
  for (guint i = 0; i < loaded->len; i++)
    g_ptr_array_add (self->file_cookies, soup_cookie_copy (g_ptr_array_index (loaded, i)));
  return TRUE;
}

gboolean
dp_request_load_cookie_file (DpRequest   *self,
                             const char  *path,
                             guint       *n_loaded,
                             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  display = g_filename_display_name (path);
  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_IO, _("Could not read cookies from “%s”: %s"),
                   display, local_error->message);
      return FALSE;
    }
  return dp_request_add_cookie_text (self, g_mapped_file_get_contents (file),
                                     g_mapped_file_get_length (file), display, n_loaded, error);
}

guint
dp_request_get_n_file_cookies (const DpRequest *self)
{
  return self->file_cookies->len;
}

void
dp_request_forget_origin_bound (DpRequest *self)
{
  g_return_if_fail (self != NULL);

  g_ptr_array_set_size (self->headers, 0);
  g_ptr_array_add (self->headers, NULL);
  g_ptr_array_set_size (self->cookies, 0);
  dp_request_set_login (self, NULL, NULL);
}

void
dp_request_set_login (DpRequest  *self,
                      const char *user,
                      const char *password)
{
  g_return_if_fail (self != NULL);

  g_free (self->user);
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  self->user = g_strdup (user);
  self->password = user != NULL ? g_strdup (password != NULL ? password : "") : NULL;
}

const char *
dp_request_get_user (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->user;
}

const char *
dp_request_get_password (const DpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->password;
}

/* ---- at work --------------------------------------------------------- */

struct _DpRequestState
{
  DpRequest *request;
  GUri *origin;
  GMutex lock;          /* guards jar */
  SoupCookieJar *jar;
};

#define LOGIN_REFUSED_KEY "dp-login-refused"
/* 1: the message goes to the download's origin, 2: to another one. */
#define LOGIN_ORIGIN_KEY "dp-login-origin"

static int
effective_port (GUri *uri)
{
  if (g_uri_get_port (uri) > 0)
    return g_uri_get_port (uri);
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

gboolean
dp_request_same_origin (GUri *a,
                        GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         effective_port (a) == effective_port (b);
}

DpRequestState *
dp_request_state_new (const DpRequest *request,
                      GUri            *origin)
{
  DpRequestState *self = g_new0 (DpRequestState, 1);

  self->request = request != NULL ? dp_request_copy (request) : dp_request_new ();
  self->origin = g_uri_ref (origin);
  g_mutex_init (&self->lock);
  self->jar = soup_cookie_jar_new ();
  soup_cookie_jar_set_accept_policy (self->jar, SOUP_COOKIE_JAR_ACCEPT_ALWAYS);

  for (guint i = 0; i < self->request->file_cookies->len; i++)
    soup_cookie_jar_add_cookie (self->jar,
                                soup_cookie_copy (g_ptr_array_index (self->request->file_cookies, i)));
  /* Cookies given as text belong to the address's host (host-only, as
   * a browser keeps a cookie set without a Domain). */
  for (guint i = 0; i < self->request->cookies->len; i++)
    {
      const char *pair = g_ptr_array_index (self->request->cookies, i);
      const char *equals = strchr (pair, '=');
      g_autofree char *name = g_strndup (pair, (gsize) (equals - pair));

      soup_cookie_jar_add_cookie (self->jar,
                                  soup_cookie_new (name, equals + 1, g_uri_get_host (origin), "/", -1));
    }
  return self;
}

void
dp_request_state_free (DpRequestState *self)
{
  if (self == NULL)
    return;
  dp_request_free (self->request);
  g_uri_unref (self->origin);
  g_object_unref (self->jar);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
dp_request_state_get_user_agent (DpRequestState *self)
{
  return self->request->user_agent;
}

static gboolean
on_authenticate (SoupMessage    *msg,
                 SoupAuth       *auth,
                 gboolean        retrying,
                 DpRequestState *self)
{
  if (soup_auth_is_for_proxy (auth))
    return FALSE;
  if (retrying)
    {
      /* The login was tried and refused: say so instead of asking for one. */
      g_object_set_data (G_OBJECT (msg), LOGIN_REFUSED_KEY, GINT_TO_POINTER (1));
      return FALSE;
    }
  if (self->request->user == NULL)
    return FALSE;
  soup_auth_authenticate (auth, self->request->user, self->request->password);
  return TRUE;
}

gboolean
dp_request_login_was_refused (SoupMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), LOGIN_REFUSED_KEY) != NULL;
}

/* What a browser sends as Referer to @target (the default policy,
 * strict-origin-when-cross-origin): the whole address to its own
 * origin, only the origin to another, nothing from https to http. */
static char *
referrer_for (const char *referrer,
              GUri       *target)
{
  g_autoptr(GUri) from = g_uri_parse (referrer, G_URI_FLAGS_ENCODED, NULL);

  if (from == NULL)
    return NULL;
  if (dp_request_same_origin (from, target))
    return g_strdup (referrer);
  if (g_ascii_strcasecmp (g_uri_get_scheme (from), "https") == 0 &&
      g_ascii_strcasecmp (g_uri_get_scheme (target), "https") != 0)
    return NULL;
  {
    g_autoptr(GUri) origin = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (from), NULL,
                                          g_uri_get_host (from), g_uri_get_port (from), "/",
                                          NULL, NULL);

    return g_uri_to_string (origin);
  }
}

void
dp_request_state_prepare (DpRequestState *self,
                          SoupMessage    *msg)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  GUri *uri = soup_message_get_uri (msg);
  gboolean own = dp_request_same_origin (uri, self->origin);
  GSList *cookies;

  /* The referrer as given to the address the user chose; elsewhere as
   * a browser would send it. */
  if (self->request->referrer != NULL)
    {
      g_autofree char *referrer = own ? g_strdup (self->request->referrer)
                                      : referrer_for (self->request->referrer, uri);

      if (referrer != NULL)
        soup_message_headers_replace (headers, "Referer", referrer);
      else
        soup_message_headers_remove (headers, "Referer");
    }

  /* A message sent again (a retry) is prepared again: every name is
   * cleared first, so that no header goes out twice. */
  for (guint i = 0; i + 1 < self->request->headers->len; i++)
    {
      const char *line = g_ptr_array_index (self->request->headers, i);
      g_autofree char *name = g_strndup (line, (gsize) (strchr (line, ':') - line));

      soup_message_headers_remove (headers, name);
    }
  if (own)
    for (guint i = 0; i + 1 < self->request->headers->len; i++)
      {
        const char *line = g_ptr_array_index (self->request->headers, i);
        const char *colon = strchr (line, ':');
        g_autofree char *name = g_strndup (line, (gsize) (colon - line));

        soup_message_headers_append (headers, name, colon + 2);
      }

  g_mutex_lock (&self->lock);
  cookies = soup_cookie_jar_get_cookie_list (self->jar, uri, TRUE);
  g_mutex_unlock (&self->lock);
  if (cookies != NULL)
    {
      g_autofree char *header = soup_cookies_to_cookie_header (cookies);

      soup_message_headers_replace (headers, "Cookie", header);
    }
  else
    soup_message_headers_remove (headers, "Cookie");
  g_slist_free_full (cookies, (GDestroyNotify) soup_cookie_free);

  /* Another origin gets no login: the handler is not even there. A 401
   * from it is another server's business (see dp_http_status_to_error). */
  if (g_object_get_data (G_OBJECT (msg), LOGIN_ORIGIN_KEY) == NULL)
    {
      g_object_set_data (G_OBJECT (msg), LOGIN_ORIGIN_KEY, GINT_TO_POINTER (own ? 1 : 2));
      if (own)
        g_signal_connect (msg, "authenticate", G_CALLBACK (on_authenticate), self);
    }
}

gboolean
dp_request_login_is_elsewhere (SoupMessage *msg)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg), LOGIN_ORIGIN_KEY)) == 2;
}

void
dp_request_state_answered (DpRequestState *self,
                           SoupMessage    *msg)
{
  GSList *cookies = soup_cookies_from_response (msg);
  GUri *uri = soup_message_get_uri (msg);

  if (cookies == NULL)
    return;
  g_mutex_lock (&self->lock);
  for (GSList *l = cookies; l != NULL; l = l->next)
    soup_cookie_jar_add_cookie_full (self->jar, l->data, uri, NULL);
  g_mutex_unlock (&self->lock);
  g_slist_free (cookies);
}

gboolean
dp_request_state_sets_header (DpRequestState *self,
                              const char     *name)
{
  if (g_ascii_strcasecmp (name, "Cookie") == 0 || g_ascii_strcasecmp (name, "Referer") == 0)
    return TRUE;
  for (guint i = 0; i + 1 < self->request->headers->len; i++)
    {
      const char *line = g_ptr_array_index (self->request->headers, i);
      gsize length = strlen (name);

      if (g_ascii_strncasecmp (line, name, length) == 0 && line[length] == ':')
        return TRUE;
    }
  return FALSE;
}
