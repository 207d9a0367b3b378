/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "dp-answer.h"
#include "dp-error.h"
#include "dp-headers.h"
#include "dp-http.h"
#include "dp-names.h"
#include "dp-scheduler.h"
#include "dp-state.h"
#include "dp-digest.h"
#include "dp-metalink.h"
#include "dp-transfer-private.h"

/* How many numbered names ("x (1).iso", …) to try before giving up. */
#define MAX_NUMBERED_NAMES 9999

void
dp_probe_clear (DpProbe *probe)
{
  g_clear_pointer (&probe->encoding, g_free);
  g_clear_object (&probe->msg);
  if (probe->stream != NULL)
    g_input_stream_close (probe->stream, NULL, NULL);
  g_clear_object (&probe->stream);
}

/* Keeps what later requests check answers against. */
static void
remember_answer (DpTransfer     *self,
                 SoupMessage    *msg,
                 const DpAnswer *answer,
                 gboolean        ranges)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->final_uri, g_uri_unref);
  self->final_uri = g_uri_ref (soup_message_get_uri (msg));
  /* Only this thread writes the validators, and it reads them without
   * the mutex; snapshots copy them under it. */
  g_clear_pointer (&self->etag, g_free);
  self->etag = g_strdup (answer->etag);
  g_clear_pointer (&self->last_modified, g_free);
  self->last_modified = g_strdup (answer->last_modified);
  self->server_ranges = ranges;
  self->answered = TRUE;
  g_mutex_unlock (&self->mutex);

  /* If-Range and "same file" decisions need a strong validator
   * (RFC 9110 §13.1.5): a weak ETag, or a date that may hide two
   * versions within one second, never qualifies. */
  g_clear_pointer (&self->validator, g_free);
  self->validator = g_strdup (dp_answer_get_strong_validator (answer));
  self->last_modified_strong = answer->last_modified_strong;

  g_clear_pointer (&self->content_type, g_free);
  self->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
}

/* One request with retries for transient failures. Returns the stream
 * of an answer (any status but a transient one), or NULL. */
GInputStream *
dp_transfer_send_with_retries (DpTransfer   *self,
                               SoupMessage **msg,
                               GError      **error)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      GInputStream *stream;
      gboolean transient = FALSE;
      gint64 retry_after = -1;
      guint status;

      stream = dp_http_send (self->session, msg, self->config.allow_downgrade,
                             self->cancellable, &local_error);
      if (stream == NULL)
        local_error = dp_http_translate_error (g_steal_pointer (&local_error), &transient);
      else
        {
          status = soup_message_get_status (*msg);
          if (!dp_http_status_is_transient (status))
            return stream;

          retry_after = dp_parse_retry_after (soup_message_headers_get_one (soup_message_get_response_headers (*msg), "Retry-After"),
                                              g_get_real_time () / G_USEC_PER_SEC);
          local_error = dp_http_status_to_error (*msg);
          transient = TRUE;
          dp_http_finish (stream, self->cancellable);
          g_object_unref (stream);
        }

      /* With mirrors, another address is tried instead of waiting. */
      if (!transient || attempt + 1 >= (self->probe_quick ? 2 : self->config.max_attempts))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      /* Same message again: libsoup allows re-sending a message. */
      g_mutex_lock (&self->mutex);
      if (!dp_transfer_wait_locked (self, dp_transfer_backoff_ms (self, attempt, retry_after)))
        {
          g_mutex_unlock (&self->mutex);
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CANCELLED, _("The download was cancelled."));
          return NULL;
        }
      g_mutex_unlock (&self->mutex);
    }
}

/* Whether the answer is a Metalink document (RFC 5854, or the older
 * 3.0 format): by its type, or by its name when the server gives no
 * better type. */
static gboolean
is_metalink (SoupMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  g_autofree char *path = NULL;

  if (type != NULL && dp_metalink_is_content_type (type))
    return TRUE;
  if (type != NULL && g_ascii_strcasecmp (type, "application/octet-stream") != 0 &&
      !g_str_has_suffix (type, "/xml") && !g_str_has_suffix (type, "+xml") &&
      g_ascii_strcasecmp (type, "text/plain") != 0)
    return FALSE;
  path = g_uri_to_string_partial (soup_message_get_uri (msg), G_URI_HIDE_PASSWORD);
  return dp_metalink_is_name (path);
}

/* Reads a Metalink document whole (the probe's answer, or asked again
 * without a range) and keeps the files it describes: the download
 * fetches the file instead. Returns %FALSE with an error either way: the
 * document itself is not saved. */
static gboolean
read_metalink (DpTransfer  *self,
               SoupMessage *msg,
               DpAnswer    *answer,
               GError     **error)
{
  g_autoptr(SoupMessage) whole = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) parse_error = NULL;
  GInputStream *body = answer->stream;
  GPtrArray *files;
  guint8 buffer[16384];

  if (answer->total > DP_METALINK_MAX_SIZE)
    {
      dp_http_finish (answer->stream, self->cancellable);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("The address leads to a Metalink file that is too large to read."));
      return FALSE;
    }
  if (answer->kind == DP_ANSWER_PARTIAL &&
      (answer->start != 0 || answer->total < 0 || answer->end < answer->total))
    {
      /* Only part of it: ask for all of it. */
      dp_http_finish (answer->stream, self->cancellable);
      whole = dp_http_message_new ("GET", soup_message_get_uri (msg), -1, -1, NULL);
      stream = dp_transfer_send_with_retries (self, &whole, error);
      if (stream == NULL)
        return FALSE;
      if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (whole)))
        {
          g_propagate_error (error, dp_http_status_to_error (whole));
          return FALSE;
        }
      body = stream;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (body, buffer, sizeof buffer, self->cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      if (data->len + (gsize) n > DP_METALINK_MAX_SIZE)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("The address leads to a Metalink file that is too large to read."));
          return FALSE;
        }
      g_byte_array_append (data, buffer, (guint) n);
    }

  files = dp_metalink_parse ((const char *) data->data, (gssize) data->len, &parse_error);
  if (files == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                   _("The address leads to a Metalink file that cannot be used: %s"),
                   parse_error->message);
      return FALSE;
    }
  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->metalink, g_ptr_array_unref);
  self->metalink = files;
  g_mutex_unlock (&self->mutex);
  g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                       _("The address leads to a Metalink file."));
  return FALSE;
}

/* Whether the first answer is a web page standing in for the file: an
 * expired or login-only link answers a request for "disk.iso" with a
 * page. A web page is the file only where its name says it may be one
 * (or has no type at all: "/download?id=3"). */
static gboolean
is_page_for_a_file (SoupMessage *msg)
{
  static const char *const page_types[] = {
    "htm", "html", "xhtml", "shtml", "php", "asp", "aspx", "jsp", "cgi", "pl", "cfm", "do", "action",
  };
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  g_autofree char *uri = NULL;
  g_autofree char *name = NULL;
  const char *dot;

  if (type == NULL ||
      (g_ascii_strcasecmp (type, "text/html") != 0 &&
       g_ascii_strcasecmp (type, "application/xhtml+xml") != 0))
    return FALSE;

  uri = g_uri_to_string (soup_message_get_uri (msg));
  name = dp_derive_filename (soup_message_headers_get_one (headers, "Content-Disposition"), uri);
  dot = strrchr (name, '.');
  if (dot == NULL || dot == name || dot[1] == '\0')
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (page_types); i++)
    if (g_ascii_strcasecmp (dot + 1, page_types[i]) == 0)
      return FALSE;
  return TRUE;
}

/* What the probe asks for, in turn, until an answer says enough. */
typedef enum
{
  PROBE_SPAN,   /* "bytes=0-(PROBE_SIZE - 1)": the total, and the first bytes */
  PROBE_OPEN,   /* "bytes=0-": where a total was not given, the end */
  PROBE_PLAIN,  /* no Range: for a server that answers ranges wrongly */
} ProbeKind;

/* The probe's range: small enough that a body nobody needs (the start
 * of a file that is already here) is read through and its connection
 * reused (dp_http_finish() reads up to 64 KiB). */
#define PROBE_SIZE (64 * 1024)

/* Where an earlier attempt into the same -o file stopped, so that the
 * probe asks for bytes that are missing rather than ones on disk. Only
 * a hint: try_resume() decides whether that attempt can go on. */
static gint64
first_missing_byte (DpTransfer *self)
{
  g_autofree char *state_path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  g_autoptr(DpState) state = NULL;
  const DpRange *first;

  if (!self->config.resume || self->config.output == NULL)
    return 0;
  state_path = g_strconcat (self->config.output, ".part.state", NULL);
  state = dp_state_load (state_path, NULL);
  if (state == NULL || state->url == NULL)
    return 0;
  url = g_uri_to_string (self->config.uri);
  ours = dp_state_strip_credentials (url);
  theirs = dp_state_strip_credentials (state->url);
  if (strcmp (ours, theirs) != 0)
    return 0;

  dp_state_normalize (state);
  if (state->done->len == 0)
    return 0;
  first = &g_array_index (state->done, DpRange, 0);
  if (first->start != 0 || first->end >= state->size)
    return 0;
  return first->end;
}

/*
 * The probe is a GET, never a HEAD: a HEAD is a second opinion that
 * servers get wrong in every way (no length, a length of 0, a smaller or
 * larger one, other validators, ranges promised and not kept), while the
 * GET's answer is the file itself. Its body is the start of the file and
 * becomes the start of the first segment, so nothing is fetched twice.
 */
gboolean
dp_transfer_probe (DpTransfer  *self,
                   DpProbe     *probe,
                   GError     **error)
{
  ProbeKind kind = PROBE_SPAN;
  gint64 from = first_missing_byte (self);

  memset (probe, 0, sizeof *probe);
  probe->size = -1;
  probe->body_end = -1;

  for (;;)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GInputStream) stream = NULL;
      DpAnswer answer;
      gboolean ok = TRUE;
      gboolean again = FALSE;

      if (kind == PROBE_SPAN)
        msg = dp_http_message_new ("GET", self->probe_uri, from, from + PROBE_SIZE - 1, NULL);
      else if (kind == PROBE_OPEN)
        msg = dp_http_message_new ("GET", self->probe_uri, 0, -1, NULL);
      else
        msg = dp_http_message_new ("GET", self->probe_uri, -1, -1, NULL);
      /* A server that knows its file's digest may say so (RFC 9530):
       * the file is then checked before it gets its name. */
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Want-Repr-Digest", DP_DIGEST_WANT_REPR);
      stream = dp_transfer_send_with_retries (self, &msg, error);
      if (stream == NULL)
        return FALSE;

      if (!dp_answer_read (&answer, msg, stream, self->cancellable, error))
        {
          dp_answer_clear (&answer);
          return FALSE;
        }

      if ((answer.kind == DP_ANSWER_WHOLE || answer.kind == DP_ANSWER_PARTIAL) &&
          !self->config.no_metalink && is_metalink (msg))
        {
          gboolean got = read_metalink (self, msg, &answer, error);

          dp_answer_clear (&answer);
          return got;
        }

      if ((answer.kind == DP_ANSWER_WHOLE || answer.kind == DP_ANSWER_PARTIAL) &&
          is_page_for_a_file (msg))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("The server sent a web page instead of the file. "
                                 "The link may have expired; get a fresh one."));
          dp_http_finish (answer.stream, self->cancellable);
          dp_answer_clear (&answer);
          return FALSE;
        }

      /* Continuing an earlier attempt needs a part where it stopped, of
       * a known size; anything else is asked again from the start. */
      if (from > 0 && (answer.kind != DP_ANSWER_PARTIAL || answer.start != from || answer.total < 0))
        {
          g_debug ("probe: no part from byte %" G_GINT64_FORMAT "; asking from 0", from);
          from = 0;
          again = TRUE;
        }
      else
        {
          switch (answer.kind)
            {
            case DP_ANSWER_PARTIAL:
              if (answer.start != from || kind == PROBE_PLAIN)
                {
                  /* Another part than asked: such ranges are of no use, but
                   * the file itself may still be. */
                  g_debug ("probe: a part from %" G_GINT64_FORMAT " answered a range from 0",
                           answer.start);
                  if (kind == PROBE_PLAIN)
                    {
                      g_autofree char *start = g_strdup_printf ("%" G_GINT64_FORMAT, answer.start);

                      g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                   _("The server sent a part of the file it was not asked for "
                                     "(from byte %s instead of 0)."), start);
                      ok = FALSE;
                    }
                  kind = PROBE_PLAIN;
                  again = TRUE;
                  break;
                }
              if (answer.total < 0 && kind == PROBE_SPAN && answer.end >= PROBE_SIZE)
                {
                  /* "bytes 0-N/ *" with all that was asked: the total stays
                   * unknown, so ask to the end. */
                  kind = PROBE_OPEN;
                  again = TRUE;
                  break;
                }
              /* Without a total, an answer that stops short of what was
               * asked (or one to the end) holds all there is; that end is
               * checked again once the rest has arrived. */
              probe->size = answer.total >= 0 ? answer.total : answer.end;
              probe->size_unconfirmed = answer.total < 0;
              probe->ranges = probe->size > 0;
              probe->body_start = answer.start;
              probe->body_end = answer.end;
              break;

            case DP_ANSWER_WHOLE:
              probe->size = answer.total;
              probe->ranges = FALSE;
              probe->body_end = probe->size;
              break;

            case DP_ANSWER_EMPTY:
              probe->size = 0;
              probe->ranges = FALSE;
              probe->body_end = 0;
              g_input_stream_close (answer.stream, NULL, NULL);
              g_clear_object (&answer.stream);
              break;

            case DP_ANSWER_STATUS:
            default:
              g_propagate_error (error, dp_http_status_to_error (msg));
              ok = FALSE;
              break;
            }
        }

      /* Worker 0 reads this body in another thread. Over HTTP/1.1 that
       * is a plain read of the body's own connection; libsoup does an
       * HTTP/2 connection's IO in the thread that sent the request, so
       * such a body is closed here and worker 0 asks again. Requests
       * offer only HTTP/1.1 (dp-http.c): this keeps the rule should one
       * not. */
      if (ok && !again && answer.stream != NULL &&
          soup_message_get_http_version (msg) == SOUP_HTTP_2_0)
        {
          g_input_stream_close (answer.stream, NULL, NULL);
          g_clear_object (&answer.stream);
        }

      if (ok && !again)
        {
          remember_answer (self, msg, &answer, probe->ranges);
          probe->encoding = g_steal_pointer (&answer.encoding);
          probe->msg = g_steal_pointer (&msg);
          probe->stream = g_steal_pointer (&answer.stream);
        }
      else if (answer.stream != NULL)
        dp_http_finish (answer.stream, self->cancellable);
      dp_answer_clear (&answer);
      if (!ok || !again)
        return ok;
    }
}

static gboolean
exists (const char *path)
{
  GStatBuf st;

  /* lstat: a dangling symbolic link still occupies the name. */
  return g_lstat (path, &st) == 0;
}

/* Says why an earlier attempt is not continued: a notice, as the
 * download starts over; or, for a download that may only continue
 * (DpDownload:continue-only), an error, and nothing is changed. */
static gboolean
refuse_resume (DpTransfer  *self,
               const char  *why,
               GError     **error)
{
  if (self->config.continue_only)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CHANGED,
                   _("%s The download was left as it was."), why);
      return FALSE;
    }
  {
    g_autofree char *notice = g_strdup_printf (_("%s Starting over."), why);

    dp_transfer_notice (self, notice);
  }
  return FALSE;
}

/* Whether the state was written while another of this download's
 * addresses answered. */
static gboolean
state_names_a_source (DpTransfer    *self,
                      const DpState *state)
{
  gboolean found = FALSE;

  if (state->url == NULL)
    return FALSE;
  g_mutex_lock (&self->mutex);
  for (guint i = 1; i < self->n_sources && !found; i++)
    {
      g_autofree char *url = g_uri_to_string (self->sources[i].uri);

      found = dp_state_has_address (state, url);
    }
  g_mutex_unlock (&self->mutex);
  return found;
}

/* Whether the partial file @file (locked: nobody else writes it, and
 * its state file is not about to change) may be continued: its state
 * file must be sound and describe this very file on the server. Says why
 * not when there is something to say. @error is set only when the
 * download may not start over (continue-only). */
static gboolean
try_resume (DpTransfer  *self,
            DpProbe     *probe,
            DpPartFile  *file,
            const char  *state_path,
            GError     **error)
{
  g_autoptr(GError) load_error = NULL;
  g_autoptr(DpState) state = NULL;
  g_autofree char *url = NULL;
  const DpStateMirror *mirror;
  struct stat st;

  if (!self->config.resume || fstat (dp_part_file_get_fd (file), &st) != 0 ||
      !S_ISREG (st.st_mode))
    return self->config.continue_only
           ? refuse_resume (self, _("There is no earlier attempt to continue."), error)
           : FALSE;

  state = dp_state_load (state_path, &load_error);
  if (state == NULL)
    {
      if (!g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        dp_transfer_notice (self, load_error->message);
      if (self->config.continue_only)
        return refuse_resume (self, _("There is no earlier attempt to continue."), error);
      return FALSE;
    }

  /* The address that answered: the user's, or a mirror when it did
   * not. */
  url = g_uri_to_string (self->probe_uri);
  if (self->validator == NULL && (self->etag != NULL || self->last_modified != NULL))
    {
      /* Only a weak ETag or a recent date: two versions could look the
       * same, and a mix of them must never be saved. */
      return refuse_resume (self, _("The server cannot tell whether its file is the one "
                                    "downloaded before."), error);
    }
  mirror = dp_state_has_address (state, url) ? NULL : dp_state_find_mirror (state, url);
  if (mirror != NULL)
    {
      /* A mirror of the earlier attempt answered this time: its own
       * validators must be the same as then. */
      if (state->size != probe->size ||
          (mirror->etag != NULL ? g_strcmp0 (mirror->etag, dp_transfer_strong_etag (self)) != 0
                                : mirror->last_modified == NULL ||
                                  g_strcmp0 (mirror->last_modified, dp_transfer_strong_last_modified (self)) != 0))
        return refuse_resume (self, _("The file changed on the server since the last attempt."),
                              error);
    }
  else if (!dp_state_has_address (state, url) && state_names_a_source (self, state))
    {
      /* The earlier attempt got the file from another of this
       * download's own addresses (the user's was down, or is now): the
       * same file by the user's word, if it has the same size. That
       * address is held to the validators it had (see
       * dp_transfer_sources_resume()). */
      if (state->size != probe->size)
        return refuse_resume (self, _("The file changed on the server since the last attempt."),
                              error);
    }
  else if (!dp_state_has_address (state, url))
    {
      /* Another address for the file, as when an expired link was
       * replaced: only the same size and the same strong validators show
       * that the bytes on disk belong to what this server sends. */
      switch (dp_state_identify (state, probe->size, dp_transfer_strong_etag (self),
                                 dp_transfer_strong_last_modified (self)))
        {
        case DP_STATE_SAME_FILE:
          break;
        case DP_STATE_OTHER_SIZE:
          return refuse_resume (self, _("The new address has another file than the one "
                                        "downloaded before (another size)."), error);
        case DP_STATE_OTHER_VERSION:
          return refuse_resume (self, _("The new address has another version of the file "
                                        "than the one downloaded before."), error);
        case DP_STATE_UNPROVABLE:
        default:
          return refuse_resume (self, _("The new address's server does not identify its file "
                                        "(no ETag or Last-Modified to compare), so it cannot "
                                        "be shown to be the one downloaded before."), error);
        }
      dp_transfer_notice (self, _("The new address has the same file as the one downloaded "
                                  "before (same size and validators)."));
    }
  else if (!dp_state_matches (state, url, probe->size, dp_transfer_strong_etag (self),
                              dp_transfer_strong_last_modified (self)))
    return refuse_resume (self, _("The file changed on the server since the last attempt."),
                          error);
  if (!probe->ranges)
    return refuse_resume (self, _("The server cannot continue an interrupted download."),
                          error);
  if (st.st_size > probe->size)
    return refuse_resume (self, _("The partial file is larger than the file on the server."),
                          error);

  dp_state_normalize (state);
  self->resume_done = g_array_copy (state->done);
  dp_transfer_sources_resume (self, state);
  if (dp_state_get_done_bytes (state) > 0)
    {
      g_autofree char *have = g_format_size ((guint64) dp_state_get_done_bytes (state));
      g_autofree char *message = g_strdup_printf (_("Continuing an interrupted download (%s already here)."), have);
      dp_transfer_notice (self, message);
    }
  return TRUE;
}

/* An absurd or merely too large size fails here, before the partial
 * file is created or grown. A partial file already at @part counts as
 * room when it is continued or reused. */
static gboolean
check_room (const DpProbe  *probe,
            const char     *part,
            gboolean        reusing,
            GError        **error)
{
  GStatBuf st;
  gint64 already = 0;

  if (probe->size <= 0)
    return TRUE;
  if (reusing && g_lstat (part, &st) == 0 && S_ISREG (st.st_mode))
    already = st.st_size;
  return dp_part_file_check_room (part, probe->size, already, error);
}

/* The partial file of a name in the folder, if it is ours to continue:
 * a regular file, not locked by another download, whose state matches.
 * Anything else is somebody else's and stays exactly as it is. */
static DpPartFile *
adopt_part (DpTransfer *self,
            DpProbe    *probe,
            const char *part,
            const char *state_path)
{
  g_autoptr(DpPartFile) file = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  if (g_lstat (part, &st) != 0 || !S_ISREG (st.st_mode))
    return NULL;
  /* Opening and locking change neither its bytes nor its times. */
  file = dp_part_file_open (part, DP_PART_FILE_OPEN_EXISTING, &error);
  if (file == NULL)
    {
      g_debug ("not continuing %s: %s", part, error->message);
      return NULL;
    }
  if (!try_resume (self, probe, file, state_path, &error))
    return NULL;
  return g_steal_pointer (&file);
}

gboolean
dp_transfer_open_output (DpTransfer  *self,
                         DpProbe     *probe,
                         GError     **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (probe->msg);
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  g_autofree char *name = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *state_path = NULL;
  gboolean resuming = FALSE;
  DpPartFile *file = NULL;

  if (self->config.output != NULL)
    {
      g_autofree char *display = g_filename_display_name (self->config.output);
      g_autofree char *parent = g_path_get_dirname (self->config.output);

      if (g_file_test (self->config.output, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("“%s” is a folder. Give a file name to save to."), display);
          return FALSE;
        }
      if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("The folder for “%s” does not exist."), display);
          return FALSE;
        }

      path = g_strdup (self->config.output);
      part = g_strconcat (path, ".part", NULL);
      state_path = g_strconcat (part, ".state", NULL);
      /* The partial file of the named file belongs to it: continued if
       * its state matches, reused from scratch otherwise. Either way
       * only once it is locked, so another download's stays intact. */
      if (!check_room (probe, part, TRUE, error))
        return FALSE;
      if (self->config.continue_only)
        {
          /* Nothing to continue is nothing to create. */
          g_autoptr(GError) open_error = NULL;

          file = dp_part_file_open (part, DP_PART_FILE_OPEN_EXISTING, &open_error);
          if (file == NULL)
            {
              if (g_error_matches (open_error, DP_ERROR, DP_ERROR_BUSY))
                g_propagate_error (error, g_steal_pointer (&open_error));
              else
                g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                                     _("There is no earlier attempt to continue."));
              return FALSE;
            }
        }
      else
        file = dp_part_file_open (part, DP_PART_FILE_CREATE, error);
      if (file == NULL)
        return FALSE;
      resuming = try_resume (self, probe, file, state_path, error);
      if (!resuming && self->config.continue_only)
        {
          dp_part_file_free (file);
          return FALSE;
        }
      /* The old state goes before the bytes it describes: a state left
       * beside an emptied file would vouch for zeros. */
      if (!resuming)
        g_unlink (state_path);
      if (!resuming && !dp_part_file_truncate (file, 0, error))
        {
          dp_part_file_free (file);
          return FALSE;
        }
    }
  else if (self->config.continue_only)
    {
      /* Only a named file has an earlier attempt to hold on to. */
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                           _("There is no earlier attempt to continue."));
      return FALSE;
    }
  else
    {
      g_autofree char *display = g_filename_display_name (self->config.directory);

      if (!g_file_test (self->config.directory, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("The folder “%s” does not exist."), display);
          return FALSE;
        }

      uri = g_uri_to_string (self->final_uri);
      /* A name the user's browser already settled on wins over the
       * server's; it is made safe the same way. */
      if (self->config.suggested_name != NULL)
        name = dp_sanitize_filename (self->config.suggested_name);
      if (name == NULL)
        name = dp_derive_filename (soup_message_headers_get_one (headers, "Content-Disposition"), uri);

      /* Never overwrite: the first free "name", "name (1)", … whose
       * partial file can be created exclusively, or is ours to continue. */
      for (guint n = 0; n <= MAX_NUMBERED_NAMES && file == NULL; n++)
        {
          g_autofree char *candidate = n == 0 ? g_strdup (name) : dp_numbered_filename (name, n);
          g_autoptr(GError) local_error = NULL;

          g_free (path);
          g_free (part);
          g_free (state_path);
          path = g_build_filename (self->config.directory, candidate, NULL);
          part = g_strconcat (path, ".part", NULL);
          state_path = g_strconcat (part, ".state", NULL);
          if (exists (path))
            continue;
          if (exists (part))
            {
              /* Ours from an earlier attempt, or somebody else's. */
              file = adopt_part (self, probe, part, state_path);
              if (file == NULL)
                continue;
              resuming = TRUE;
              if (!check_room (probe, part, TRUE, error))
                {
                  dp_part_file_free (file);
                  return FALSE;
                }
              break;
            }

          if (!check_room (probe, part, FALSE, error))
            return FALSE;
          file = dp_part_file_open (part, DP_PART_FILE_EXCLUSIVE, &local_error);
          /* Taken meanwhile: by a file, or by another download. */
          if (file == NULL && !g_error_matches (local_error, DP_ERROR, DP_ERROR_EXISTS) &&
              !g_error_matches (local_error, DP_ERROR, DP_ERROR_BUSY))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }

      if (file == NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("Every name for “%s” is taken in “%s”."), name, display);
          return FALSE;
        }
    }

  /* From here on the partial file is locked: only this transfer changes
   * it and its state file. */
  if (probe->size > 0 && !dp_part_file_preallocate (file, probe->size, error))
    {
      if (!resuming)
        dp_part_file_discard (file);
      dp_part_file_free (file);
      return FALSE;
    }

  if (!resuming)
    {
      g_clear_pointer (&self->resume_done, g_array_unref);
      /* A stale state file must not describe the new contents. */
      g_unlink (state_path);
    }
  /* Only downloads with ranges can continue later. */
  if (probe->ranges && probe->size > 0)
    self->state_path = g_steal_pointer (&state_path);

  self->file = file;
  self->name = g_steal_pointer (&name);
  g_mutex_lock (&self->mutex);
  self->path = g_steal_pointer (&path);
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

/* Gives the complete partial file its final name. A name the user gave
 * (-o) is replaced: the file only changes once the new one is complete.
 * A name that was chosen because it was free is never replaced: if a
 * file appeared there during the download, the next free number is
 * used, and the transfer's path says which. */
gboolean
dp_transfer_commit_output (DpTransfer  *self,
                           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *display = NULL;
  g_autofree char *name = NULL;

  g_mutex_lock (&self->mutex);
  path = g_strdup (self->path);
  g_mutex_unlock (&self->mutex);

  if (self->config.output != NULL && !self->config.keep_existing)
    return dp_part_file_commit (self->file, path, DP_PART_FILE_REPLACE, error);

  if (dp_part_file_commit (self->file, path, DP_PART_FILE_NO_REPLACE, &local_error))
    return TRUE;
  if (!g_error_matches (local_error, DP_ERROR, DP_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  directory = g_path_get_dirname (path);
  name = self->name != NULL ? g_strdup (self->name) : g_path_get_basename (path);
  for (guint n = 1; n <= MAX_NUMBERED_NAMES; n++)
    {
      g_autofree char *candidate_name = dp_numbered_filename (name, n);
      g_autofree char *candidate = g_build_filename (directory, candidate_name, NULL);
      g_autofree char *candidate_part = g_strconcat (candidate, ".part", NULL);

      /* A name with a partial file is another download's to finish. */
      if (exists (candidate) || exists (candidate_part))
        continue;

      g_clear_error (&local_error);
      if (dp_part_file_commit (self->file, candidate, DP_PART_FILE_NO_REPLACE, &local_error))
        {
          g_autofree char *was = g_filename_display_basename (path);
          g_autofree char *now = g_filename_display_basename (candidate);
          g_autofree char *message = g_strdup_printf (_("“%s” appeared in the folder during the "
                                                        "download; saved as “%s”."), was, now);

          dp_transfer_notice (self, message);
          g_mutex_lock (&self->mutex);
          g_free (self->path);
          self->path = g_steal_pointer (&candidate);
          g_mutex_unlock (&self->mutex);
          return TRUE;
        }
      if (!g_error_matches (local_error, DP_ERROR, DP_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  display = g_filename_display_name (directory);
  g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
               _("Every name for “%s” is taken in “%s”."), name, display);
  return FALSE;
}
