/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "dp-checksum.h"
#include "dp-error.h"

/* Large enough that the system call overhead vanishes next to hashing,
 * small enough that cancelling takes effect within milliseconds. */
#define CHUNK_SIZE (1024 * 1024)

/* User text is echoed in error messages; a pasted megabyte of garbage
 * must not turn into a megabyte of message. */
#define MESSAGE_MAX_CHARS 32

/* Only this many digits are shown on a mismatch: enough to compare
 * with a web page by eye, short enough for a notification. */
#define SHORT_DIGEST_DIGITS 12

struct _DpChecksum
{
  GChecksumType type;
  char *expected;  /* lowercase hex, g_checksum_type_get_length () * 2 digits */
};

typedef struct
{
  const char *spelling;
  GChecksumType type;
} Spelling;

/* The spellings people copy from web pages and tools: "sha256" from
 * sha256sum, "SHA-256" from specifications and download pages. */
static const Spelling spellings[] = {
  { "sha256", G_CHECKSUM_SHA256 },
  { "sha-256", G_CHECKSUM_SHA256 },
  { "sha512", G_CHECKSUM_SHA512 },
  { "sha-512", G_CHECKSUM_SHA512 },
  { "sha1", G_CHECKSUM_SHA1 },
  { "sha-1", G_CHECKSUM_SHA1 },
  { "md5", G_CHECKSUM_MD5 },
};

static const char *
type_name (GChecksumType type)
{
  switch (type)
    {
    case G_CHECKSUM_MD5:
      return "md5";
    case G_CHECKSUM_SHA1:
      return "sha1";
    case G_CHECKSUM_SHA256:
      return "sha256";
    case G_CHECKSUM_SHA512:
      return "sha512";
    case G_CHECKSUM_SHA384:
    default:
      return "unknown";
    }
}

static size_t
type_digits (GChecksumType type)
{
  return (size_t) g_checksum_type_get_length (type) * 2;
}

static gboolean
lookup_type (const char    *name,
             size_t         len,
             GChecksumType *type)
{
  for (size_t i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      if (strlen (spellings[i].spelling) == len
          && g_ascii_strncasecmp (spellings[i].spelling, name, len) == 0)
        {
          *type = spellings[i].type;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
type_for_length (size_t         len,
                 GChecksumType *type)
{
  static const GChecksumType bare_types[] = {
    G_CHECKSUM_MD5, G_CHECKSUM_SHA1, G_CHECKSUM_SHA256, G_CHECKSUM_SHA512,
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bare_types); i++)
    {
      if (type_digits (bare_types[i]) == len)
        {
          *type = bare_types[i];
          return TRUE;
        }
    }
  return FALSE;
}

static void
trim (const char **start,
      const char **end)
{
  while (*start < *end && g_ascii_isspace (**start))
    (*start)++;
  while (*end > *start && g_ascii_isspace ((*end)[-1]))
    (*end)--;
}

static const char *
find_non_hex (const char *start,
              const char *end)
{
  for (const char *p = start; p < end; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return p;
    }
  return NULL;
}

/* A short, valid, printable rendering of user text for a message:
 * control characters could otherwise garble a terminal. */
static char *
quote_for_message (const char *start,
                   size_t      len)
{
  g_autofree char *valid = NULL;
  GString *out = g_string_new (NULL);
  int count = 0;

  /* MESSAGE_MAX_CHARS characters take at most 4 bytes each; cutting
   * the input first keeps huge input cheap. */
  valid = g_utf8_make_valid (start, MIN (len, (size_t) MESSAGE_MAX_CHARS * 4 + 4));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (count == MESSAGE_MAX_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, g_unichar_isprint (c) ? c : 0xFFFD);
      count++;
    }
  return g_string_free (out, FALSE);
}

static void
set_non_hex_error (const char *bad,
                   const char *end,
                   GError    **error)
{
  gunichar c = g_utf8_get_char_validated (bad, end - bad);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("The checksum contains bytes that are not valid text; "
                             "use only the hexadecimal digits 0–9 and a–f."));
    }
  else if (g_unichar_isgraph (c))
    {
      char utf8[7] = { 0 };

      g_unichar_to_utf8 (c, utf8);
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("The checksum contains “%s”, which is not a hexadecimal digit; "
                     "use only 0–9 and a–f."),
                   utf8);
    }
  else
    {
      /* Spaces and control characters would be invisible in quotes. */
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("The checksum contains the character U+%04X, which is not a "
                     "hexadecimal digit; use only 0–9 and a–f."),
                   (unsigned int) c);
    }
}

static void
set_no_digits_error (GChecksumType type,
                     GError      **error)
{
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
               _("The %s checksum has no digits; write it as %s: followed by "
                 "%d hexadecimal digits."),
               type_name (type), type_name (type), (int) type_digits (type));
}

static DpChecksum *
checksum_new (GChecksumType type,
              const char   *digits,
              size_t        len)
{
  DpChecksum *self = g_new0 (DpChecksum, 1);

  self->type = type;
  self->expected = g_ascii_strdown (digits, len);
  return self;
}

static DpChecksum *
parse_digits (GChecksumType type,
              const char   *start,
              const char   *end,
              GError      **error)
{
  size_t len = end - start;
  const char *bad = NULL;

  if (len == 0)
    {
      set_no_digits_error (type, error);
      return NULL;
    }

  /* A stray character is the more specific mistake, and it usually
   * makes the length wrong too. */
  bad = find_non_hex (start, end);
  if (bad != NULL)
    {
      set_non_hex_error (bad, end, error);
      return NULL;
    }

  if (len != type_digits (type))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A %s checksum has %d hexadecimal digits; this one has %zu.",
                                "A %s checksum has %d hexadecimal digits; this one has %zu.",
                                len),
                   type_name (type), (int) type_digits (type), len);
      return NULL;
    }

  return checksum_new (type, start, len);
}

static DpChecksum *
parse_bare (const char *start,
            const char *end,
            GError    **error)
{
  size_t len = end - start;
  GChecksumType type;
  const char *bad = NULL;

  /* "sha256" alone: the user forgot the digits, not the type. */
  if (lookup_type (start, len, &type))
    {
      set_no_digits_error (type, error);
      return NULL;
    }

  bad = find_non_hex (start, end);
  if (bad != NULL)
    {
      g_autofree char *quoted = NULL;

      /* With the right length it is a digest with a typo; otherwise
       * it is probably something else entirely. */
      if (type_for_length (len, &type))
        {
          set_non_hex_error (bad, end, error);
          return NULL;
        }
      quoted = quote_for_message (start, len);
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a checksum; write it as TYPE:DIGITS with type "
                     "sha256, sha512, sha1 or md5, or give the hexadecimal digits alone."),
                   quoted);
      return NULL;
    }

  if (!type_for_length (len, &type))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A checksum without a type must have 32 (md5), 40 (sha1), "
                                "64 (sha256) or 128 (sha512) hexadecimal digits; this one has "
                                "%zu. Write it as TYPE:DIGITS to name its type.",
                                "A checksum without a type must have 32 (md5), 40 (sha1), "
                                "64 (sha256) or 128 (sha512) hexadecimal digits; this one has "
                                "%zu. Write it as TYPE:DIGITS to name its type.",
                                len),
                   len);
      return NULL;
    }

  return checksum_new (type, start, len);
}

gboolean
dp_checksum_type_from_name (const char    *name,
                            gssize         length,
                            GChecksumType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);

  if (name == NULL)
    return FALSE;
  return lookup_type (name, length < 0 ? strlen (name) : (size_t) length, type);
}

DpChecksum *
dp_checksum_new (GChecksumType  type,
                 const char    *hex,
                 gssize         length)
{
  DpChecksum *self;
  size_t len;

  if (hex == NULL || strcmp (type_name (type), "unknown") == 0)
    return NULL;
  len = length < 0 ? strlen (hex) : (size_t) length;
  if (len != type_digits (type) || find_non_hex (hex, hex + len) != NULL)
    return NULL;
  self = g_new0 (DpChecksum, 1);
  self->type = type;
  self->expected = g_ascii_strdown (hex, (gssize) len);
  return self;
}

DpChecksum *
dp_checksum_new_from_bytes (GChecksumType  type,
                            const guint8  *digest,
                            gsize          length)
{
  static const char hex_digits[] = "0123456789abcdef";
  g_autofree char *hex = NULL;

  if (digest == NULL || length * 2 != type_digits (type))
    return NULL;
  hex = g_malloc (length * 2 + 1);
  for (gsize i = 0; i < length; i++)
    {
      hex[2 * i] = hex_digits[digest[i] >> 4];
      hex[2 * i + 1] = hex_digits[digest[i] & 0x0f];
    }
  hex[length * 2] = '\0';
  return dp_checksum_new (type, hex, (gssize) (length * 2));
}

DpChecksum *
dp_checksum_parse (const char *text,
                   GError    **error)
{
  const char *start = NULL;
  const char *end = NULL;
  const char *colon = NULL;
  const char *name_end = NULL;
  const char *digits = NULL;
  GChecksumType type;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* A missing option value is a user mistake like any other, so it
   * gets a message rather than a critical warning. */
  if (text == NULL)
    text = "";

  start = text;
  end = text + strlen (text);
  trim (&start, &end);

  if (start == end)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("The checksum is empty; write it as TYPE:DIGITS with type "
                             "sha256, sha512, sha1 or md5."));
      return NULL;
    }

  colon = memchr (start, ':', end - start);
  if (colon == NULL)
    return parse_bare (start, end, error);

  /* "sha256: ab12…" is how some pages print it; forgive the space. */
  name_end = colon;
  digits = colon + 1;
  trim (&start, &name_end);
  trim (&digits, &end);

  if (start == name_end)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("The checksum type is missing before “:”; use sha256, "
                             "sha512, sha1 or md5."));
      return NULL;
    }

  if (!lookup_type (start, name_end - start, &type))
    {
      g_autofree char *quoted = quote_for_message (start, name_end - start);

      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a known checksum type; use sha256, sha512, sha1 or md5."),
                   quoted);
      return NULL;
    }

  return parse_digits (type, digits, end, error);
}

DpChecksum *
dp_checksum_copy (const DpChecksum *self)
{
  if (self == NULL)
    return NULL;
  return checksum_new (self->type, self->expected, strlen (self->expected));
}

void
dp_checksum_free (DpChecksum *self)
{
  if (self == NULL)
    return;
  g_free (self->expected);
  g_free (self);
}

GChecksumType
dp_checksum_get_algorithm (const DpChecksum *self)
{
  g_return_val_if_fail (self != NULL, G_CHECKSUM_SHA256);

  return self->type;
}

const char *
dp_checksum_get_name (const DpChecksum *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return type_name (self->type);
}

const char *
dp_checksum_get_expected (const DpChecksum *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->expected;
}

char *
dp_checksum_to_string (const DpChecksum *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strconcat (type_name (self->type), ":", self->expected, NULL);
}

char *
dp_checksum_compute_fd (GChecksumType type,
                        int           fd,
                        const char   *display_name,
                        GCancellable *cancellable,
                        GError      **error)
{
  g_autoptr(GChecksum) checksum = NULL;
  g_autofree guint8 *buffer = NULL;
  off_t offset = 0;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  checksum = g_checksum_new (type);
  g_return_val_if_fail (checksum != NULL, NULL);

  /* Errors must name something even if the caller had no name. */
  if (display_name == NULL)
    display_name = _("the downloaded file");

  buffer = g_malloc (CHUNK_SIZE);

  for (;;)
    {
      ssize_t n;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CANCELLED,
                       _("Checking “%s” was cancelled."), display_name);
          return NULL;
        }

      /* pread() leaves the file position alone, so the caller's fd
       * (perhaps still used for writing) is undisturbed. */
      n = pread (fd, buffer, CHUNK_SIZE, offset);
      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, DP_ERROR, DP_ERROR_IO,
                       _("Could not read “%s” to verify it: %s"),
                       display_name, g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;

      g_checksum_update (checksum, buffer, n);
      offset += n;
    }

  return g_strdup (g_checksum_get_string (checksum));
}

static char *
short_digest (const char *digest)
{
  g_autofree char *head = g_strndup (digest, SHORT_DIGEST_DIGITS);

  return g_strconcat (head, "…", NULL);
}

gboolean
dp_checksum_verify_fd (const DpChecksum *self,
                       int               fd,
                       const char       *display_name,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_autofree char *actual = NULL;
  g_autofree char *short_expected = NULL;
  g_autofree char *short_actual = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  actual = dp_checksum_compute_fd (self->type, fd, display_name, cancellable, error);
  if (actual == NULL)
    return FALSE;

  /* Both sides are lowercase hex of the same length, so a plain
   * comparison is exact. */
  if (strcmp (actual, self->expected) == 0)
    return TRUE;

  short_expected = short_digest (self->expected);
  short_actual = short_digest (actual);
  g_set_error (error, DP_ERROR, DP_ERROR_CHECKSUM,
               _("The downloaded file does not match its %s checksum "
                 "(expected %s, got %s). It was not saved."),
               type_name (self->type), short_expected, short_actual);
  return FALSE;
}
