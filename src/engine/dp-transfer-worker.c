/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "dp-answer.h"
#include "dp-error.h"
#include "dp-headers.h"
#include "dp-http.h"
#include "dp-scheduler.h"
#include "dp-transfer-private.h"

/*
 * A worker is one connection. It loops: take a segment from the
 * scheduler (or steal half of one), ask the server for [pos, end), check
 * the answer before writing a byte, and write what arrives at its offset
 * until the segment is done or its end moves below what was asked.
 */

/* Answers in a row that are not the file as probed before the server
 * is taken at its word. */
#define ODD_LIMIT 4
/* A part that starts below what was asked is read through up to this
 * far; further, it is asked again. */
#define MAX_DISCARD ((gint64) 16 << 20)

typedef struct
{
  SoupMessage *msg;
  GInputStream *stream;
  gint64 body_start;    /* file offset of the first body byte */
  gint64 body_end;      /* file offset after the last usable body byte, or -1 */
} Response;

static void
response_clear (Response *r)
{
  if (r->stream != NULL)
    g_input_stream_close (r->stream, NULL, NULL);
  g_clear_object (&r->stream);
  g_clear_object (&r->msg);
}

static gboolean
is_error_page (DpTransfer  *self,
               SoupMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

  /* An expired link often answers with a web page instead of the file;
   * it must never land in the file. A file that is itself a web page
   * was probed as one. */
  return type != NULL && g_ascii_strcasecmp (type, "text/html") == 0 &&
         g_strcmp0 (self->content_type, type) != 0;
}

/* Whether an answer comes from another version of the file than the
 * one probed: a mix of two versions must never be saved. Any difference
 * counts, weak validators included: telling versions apart needs no
 * strong comparison, only claiming that two are the same does. */
static gboolean
validators_differ (DpTransfer     *self,
                   const DpAnswer *answer)
{
  if (self->etag != NULL && answer->etag != NULL)
    return strcmp (self->etag, answer->etag) != 0;
  if (self->last_modified != NULL && answer->last_modified != NULL)
    return strcmp (self->last_modified, answer->last_modified) != 0;
  return FALSE;
}

static GError *
changed_error (gint64 size,
               gint64 new_size)
{
  if (new_size >= 0 && new_size != size)
    {
      g_autofree char *was = g_strdup_printf ("%" G_GINT64_FORMAT, size);
      g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, new_size);

      return g_error_new (DP_ERROR, DP_ERROR_CHANGED,
                          _("The file changed on the server during the download "
                            "(it was %s bytes, now %s)."),
                          was, now);
    }
  return g_error_new_literal (DP_ERROR, DP_ERROR_CHANGED,
                              _("The file changed on the server during the download."));
}

/* The server answered a range request with the whole file: from now on
 * one connection fetches everything from offset 0. Called with the mutex
 * held; returns the cancellables of the other workers, to be cancelled
 * once the mutex is released. */
static GPtrArray *
fall_back_to_single_locked (DpTransfer *self,
                            Worker     *worker,
                            gboolean    keep_segment)
{
  GPtrArray *cancellables = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->mode != MODE_RANGES)
    return cancellables;

  self->generation++;
  if (self->size_unconfirmed)
    {
      /* The size came from "bytes 0-N/ *" answers: only the end of the
       * one stream can tell it now. */
      self->mode = MODE_STREAM;
      self->size = -1;
      self->size_unconfirmed = FALSE;
      dp_scheduler_free (self->scheduler);
      self->scheduler = dp_scheduler_new (G_MAXINT64, 1, G_MAXINT64);
    }
  else
    {
      self->mode = MODE_SINGLE;
      dp_scheduler_reset_single (self->scheduler);
    }
  for (guint i = 0; i < self->n_workers; i++)
    {
      Worker *other = &self->workers[i];

      other->segment = -1;
      if (other != worker && other->fetching)
        g_ptr_array_add (cancellables, g_object_ref (other->cancellable));
      /* One stream needs one connection: the others end, and their
       * slots go back to the budget. */
      if (other != worker && other->running)
        other->retire = TRUE;
    }
  dp_engine_client_set_wanted (self->client, 1);
  if (keep_segment)
    worker->segment = dp_scheduler_acquire (self->scheduler, (int) worker->index);
  g_cond_broadcast (&self->cond);
  return cancellables;
}

static void
cancel_all (GPtrArray *cancellables)
{
  for (guint i = 0; i < cancellables->len; i++)
    g_cancellable_cancel (g_ptr_array_index (cancellables, i));
  g_ptr_array_unref (cancellables);
}

static FetchResult
error_status (DpTransfer  *self,
              SoupMessage *msg,
              gint64      *retry_after,
              GError     **error)
{
  guint status = soup_message_get_status (msg);

  g_propagate_error (error, dp_http_status_to_error (msg));
  if (!dp_http_status_is_transient (status))
    return FETCH_FATAL;

  *retry_after = dp_parse_retry_after (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After"),
                                       g_get_real_time () / G_USEC_PER_SEC);
  /* "Too many connections" in one of its usual forms. */
  if (status == 429 || status == 503)
    return FETCH_RETIRE;
  return FETCH_RETRY;
}

static void account_locked (DpTransfer *self,
                            Worker     *worker,
                            gint64      n);

/* Reads and drops @n bytes of a body: the start of an answer that
 * began below what was asked. They count for the connection's pace: it
 * is delivering, and must not be closed as a slow one meanwhile. */
static gboolean
discard_bytes (DpTransfer   *self,
               Worker       *worker,
               GInputStream *stream,
               gint64        n,
               guint8       *buffer,
               GError      **error)
{
  while (n > 0)
    {
      gssize got = g_input_stream_read (stream, buffer, (gsize) MIN (n, (gint64) worker->buffer_size),
                                        worker->cancellable, error);

      if (got < 0)
        return FALSE;
      if (got == 0)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_NETWORK,
                               _("The server closed the connection early."));
          return FALSE;
        }
      g_mutex_lock (&self->mutex);
      account_locked (self, worker, got);
      g_mutex_unlock (&self->mutex);
      n -= got;
    }
  return TRUE;
}

/* An answer that is not the file as probed: a load balancer's node that
 * ignores Range or keeps an older copy, a part that starts elsewhere, a
 * content coding nobody asked for. It is asked again; ODD_LIMIT such
 * answers in a row, with no good one between, are the server's real
 * answer: ranges that do not work fall back to one stream (@fallback),
 * anything else fails with @reason. */
static FetchResult
odd_answer (DpTransfer *self,
            Worker     *worker,
            guint      *generation,
            gboolean    fallback,
            GError     *reason,
            GError    **error)
{
  g_autoptr(GPtrArray) others = NULL;
  guint streak;
  Mode mode;

  g_mutex_lock (&self->mutex);
  streak = ++self->odd_streak;
  mode = self->mode;
  g_mutex_unlock (&self->mutex);
  g_debug ("worker %u: odd answer %u in a row: %s", worker->index, streak, reason->message);

  if (streak < ODD_LIMIT || mode != MODE_RANGES)
    {
      g_propagate_error (error, reason);
      return streak < ODD_LIMIT ? FETCH_RETRY : FETCH_FATAL;
    }
  if (!fallback)
    {
      g_propagate_error (error, reason);
      return FETCH_FATAL;
    }

  /* A server this confused about ranges gets one plain stream. */
  g_error_free (reason);
  g_rw_lock_writer_lock (&self->plan_lock);
  g_mutex_lock (&self->mutex);
  if (self->generation == *generation)
    others = fall_back_to_single_locked (self, worker, FALSE);
  self->odd_streak = 0;
  g_mutex_unlock (&self->mutex);
  g_rw_lock_writer_unlock (&self->plan_lock);
  if (others != NULL)
    cancel_all (g_steal_pointer (&others));
  return FETCH_RESTART;
}

static void
good_answer (DpTransfer *self,
             GUri       *used,
             gboolean    partial)
{
  g_mutex_lock (&self->mutex);
  self->odd_streak = 0;
  /* An answer still in flight over an expired link proves nothing
   * about its replacement. */
  if (used == self->final_uri)
    self->link_proven = TRUE;
  if (partial)
    self->ranges_seen = TRUE;
  g_mutex_unlock (&self->mutex);
}

/* Whether an answer is in another content coding than the probe's. */
static GError *
encoding_error (DpTransfer     *self,
                const DpAnswer *answer)
{
  if (g_strcmp0 (answer->encoding, self->encoding) == 0 ||
      (self->decode && answer->encoding == NULL))
    return NULL;
  if (answer->encoding != NULL)
    return g_error_new (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                        _("The server sent the file compressed (“%s”) although Downpour "
                          "asked for it as it is."), answer->encoding);
  return g_error_new_literal (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                              _("The server sent the file uncompressed after sending it "
                                "compressed."));
}

/* Whether a status may mean that a signed link expired: the link the
 * user gave then leads to a fresh one. */
static gboolean
status_may_be_expiry (guint status)
{
  return status == 401 || status == 403 || status == 404 || status == 410;
}

/* The address the user gave redirected to a link that stopped working
 * (a signed, expiring address: S3, release downloads, most CDNs). Asks
 * the user's address again and takes the new link if it leads to the
 * same file: same size and the same validators. Returns FETCH_RESTART
 * to ask again at once, or FETCH_FATAL with @failure (or why the new
 * link is not usable). */
static FetchResult
refresh_link (DpTransfer *self,
              Worker     *worker,
              GUri       *used,
              GError     *failure,
              GError    **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) owned_failure = failure;
  FetchResult result = FETCH_FATAL;
  DpAnswer answer = { 0 };
  gboolean same = FALSE;
  gboolean proven;

  g_mutex_lock (&self->refresh_mutex);

  /* Another connection may have refreshed it meanwhile. */
  g_mutex_lock (&self->mutex);
  if (self->final_uri != used)
    {
      g_mutex_unlock (&self->mutex);
      g_mutex_unlock (&self->refresh_mutex);
      return FETCH_RESTART;
    }
  proven = self->link_proven;
  g_mutex_unlock (&self->mutex);

  /* Only a link that worked can have expired: a fresh one that fails
   * before carrying a single answer is refused for another reason, and
   * the address is not asked again and again. */
  if (soup_uri_equal (used, self->probe_uri) || !proven)
    {
      g_mutex_unlock (&self->refresh_mutex);
      g_propagate_error (error, g_steal_pointer (&owned_failure));
      return FETCH_FATAL;
    }

  g_debug ("worker %u: the link expired; asking the address again", worker->index);
  msg = dp_http_message_new ("GET", self->probe_uri, 0, 0, NULL);
  stream = dp_http_send (self->session, &msg, self->config.allow_downgrade,
                         worker->cancellable, &local_error);
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      /* Closed for being slow, or the plan changed: not an answer. */
      g_mutex_unlock (&self->refresh_mutex);
      return FETCH_RESTART;
    }
  if (stream != NULL && dp_answer_read (&answer, msg, stream, worker->cancellable, &local_error))
    {
      /* Same size and the same validators, or it is another file. */
      same = (answer.kind == DP_ANSWER_PARTIAL || answer.kind == DP_ANSWER_WHOLE) &&
             (answer.total == self->size || (answer.total < 0 && self->size_unconfirmed)) &&
             g_strcmp0 (answer.etag, self->etag) == 0 &&
             g_strcmp0 (answer.last_modified, self->last_modified) == 0 &&
             g_strcmp0 (answer.encoding, self->encoding) == 0;
      dp_http_finish (answer.stream, worker->cancellable);
    }
  dp_answer_clear (&answer);

  if (same)
    {
      g_autofree char *shown = dp_http_uri_to_display (soup_message_get_uri (msg));

      g_debug ("worker %u: continuing from %s", worker->index, shown);
      g_mutex_lock (&self->mutex);
      g_clear_pointer (&self->final_uri, g_uri_unref);
      self->final_uri = g_uri_ref (soup_message_get_uri (msg));
      self->link_proven = FALSE;
      g_mutex_unlock (&self->mutex);
      result = FETCH_RESTART;
    }
  else if (stream != NULL && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                           _("The download link expired, and the address now leads to "
                             "another version of the file."));
    }
  else
    g_propagate_error (error, g_steal_pointer (&owned_failure));

  g_mutex_unlock (&self->refresh_mutex);
  return result;
}

/* Checks a mirror's answer for [pos, …): the same size as the file, the
 * same version as its own first answer, the part asked for. Anything
 * else means the mirror is of no use for this file (FETCH_SWITCH), or,
 * for a status worth retrying, that it is busy. Its first good answer
 * gives the mirror its own validators and link. */
static FetchResult
mirror_answer (DpTransfer     *self,
               Worker         *worker,
               guint           index,
               DpAnswer       *answer,
               gint64          pos,
               Response       *r,
               guint8         *buffer,
               gint64         *retry_after,
               GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  guint status = soup_message_get_status (r->msg);
  Source *source = &self->sources[index];
  gboolean differ = FALSE;

  switch (answer->kind)
    {
    case DP_ANSWER_PARTIAL:
      if (answer->total != self->size)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                               _("it has a file of another size"));
          return FETCH_SWITCH;
        }
      if (is_error_page (self, r->msg))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("it sent a web page instead of the file"));
          return FETCH_SWITCH;
        }
      if (g_strcmp0 (answer->encoding, self->encoding) != 0 || self->decode)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("it sends the file compressed"));
          return FETCH_SWITCH;
        }
      if (answer->start > pos || answer->end <= pos || pos - answer->start > MAX_DISCARD)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                               _("it sent another part of the file than asked"));
          return FETCH_SWITCH;
        }
      g_mutex_lock (&self->mutex);
      if (source->answered)
        {
          if (source->etag != NULL && answer->etag != NULL)
            differ = strcmp (source->etag, answer->etag) != 0;
          else if (source->last_modified != NULL && answer->last_modified != NULL)
            differ = strcmp (source->last_modified, answer->last_modified) != 0;
        }
      else
        {
          /* Its own validators: mirrors' ETags differ from each other's. */
          source->answered = TRUE;
          source->etag = g_strdup (answer->etag);
          source->last_modified = g_strdup (answer->last_modified);
          source->validator = g_strdup (dp_answer_get_strong_validator (answer));
          source->final_uri = g_uri_ref (soup_message_get_uri (r->msg));
        }
      g_mutex_unlock (&self->mutex);
      if (differ)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                               _("its copy of the file changed during the download"));
          return FETCH_SWITCH;
        }
      if (answer->start < pos &&
          !discard_bytes (self, worker, r->stream, pos - answer->start, buffer, &local_error))
        {
          gboolean transient = FALSE;

          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
              !g_cancellable_is_cancelled (self->cancellable))
            return FETCH_RESTART;
          g_propagate_error (error, dp_http_translate_error (g_steal_pointer (&local_error), &transient));
          return transient ? FETCH_RETRY : FETCH_SWITCH;
        }
      r->body_start = pos;
      r->body_end = answer->end;
      return FETCH_DONE;

    case DP_ANSWER_WHOLE:
      g_set_error_literal (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                           _("it does not send parts of the file"));
      return FETCH_SWITCH;

    case DP_ANSWER_EMPTY:
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED, _("it has an empty file"));
      return FETCH_SWITCH;

    case DP_ANSWER_STATUS:
    default:
      if (SOUP_STATUS_IS_SUCCESSFUL (status) || SOUP_STATUS_IS_REDIRECTION (status))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                       _("it answered with an unexpected status (%u %s)"),
                       status, soup_message_get_reason_phrase (r->msg));
          return FETCH_SWITCH;
        }
      {
        FetchResult result = error_status (self, r->msg, retry_after, error);

        return result == FETCH_FATAL ? FETCH_SWITCH : result;
      }
    }
}

/* Sends the request for [pos, end) and checks the answer. On FETCH_DONE
 * @r holds a body to copy. */
static FetchResult
open_response (DpTransfer *self,
               Worker     *worker,
               Mode        mode,
               gint64      pos,
               gint64      end,
               guint      *generation,
               Response   *r,
               guint8     *buffer,
               gint64     *retry_after,
               GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *validator = NULL;
  DpAnswer answer;
  gint64 size = self->size;
  guint index;
  guint status;
  gboolean refused;
  FetchResult result;

  if (worker->pending_stream != NULL)
    {
      /* The probe's GET: its body starts at the first byte missing. */
      r->msg = g_steal_pointer (&worker->pending_msg);
      r->stream = g_steal_pointer (&worker->pending_stream);
      r->body_start = worker->pending_start;
      r->body_end = worker->pending_end;
      if (pos == r->body_start)
        return FETCH_DONE;
      response_clear (r);
    }

  g_mutex_lock (&self->mutex);
  index = worker->source;
  if (index == 0)
    {
      uri = g_uri_ref (self->final_uri);
      validator = g_strdup (self->validator);
    }
  else
    {
      const Source *source = &self->sources[index];

      uri = g_uri_ref (source->final_uri != NULL ? source->final_uri : source->uri);
      validator = g_strdup (source->validator);
    }
  g_mutex_unlock (&self->mutex);

  if (mode == MODE_RANGES)
    r->msg = dp_http_message_new ("GET", uri, pos, end - 1, validator);
  else
    r->msg = dp_http_message_new ("GET", uri, -1, -1, NULL);

  g_debug ("worker %u: GET %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " (%s)",
           worker->index, pos, end - 1, mode == MODE_RANGES ? "range" : "whole");
  r->stream = dp_http_send (self->session, &r->msg, self->config.allow_downgrade,
                            worker->cancellable, &local_error);
  if (r->stream == NULL)
    {
      gboolean transient = FALSE;

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_cancellable_is_cancelled (self->cancellable))
        return FETCH_RESTART;
      /* A server that takes so many connections and refuses the next
       * one says what a 503 says. */
      refused = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
      g_propagate_error (error, dp_http_translate_error (g_steal_pointer (&local_error), &transient));
      if (refused)
        return FETCH_RETIRE;
      return transient ? FETCH_RETRY : index != 0 ? FETCH_SWITCH : FETCH_FATAL;
    }

  status = soup_message_get_status (r->msg);
  g_debug ("worker %u: %u %s", worker->index, status,
           soup_message_headers_get_one (soup_message_get_response_headers (r->msg), "Content-Range"));

  if (!dp_answer_read (&answer, r->msg, r->stream, worker->cancellable, &local_error))
    {
      gboolean transient = FALSE;
      GError *reason;

      dp_answer_clear (&answer);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_cancellable_is_cancelled (self->cancellable))
        return FETCH_RESTART;
      /* A connection that broke in a multipart preamble is a network
       * failure; an answer that cannot be understood is an odd one. */
      reason = dp_http_translate_error (g_steal_pointer (&local_error), &transient);
      if (transient)
        {
          g_propagate_error (error, reason);
          return FETCH_RETRY;
        }
      return odd_answer (self, worker, generation, TRUE, reason, error);
    }
  g_object_unref (r->stream);
  r->stream = g_steal_pointer (&answer.stream);

  if (index != 0)
    {
      result = mirror_answer (self, worker, index, &answer, pos, r, buffer, retry_after, error);
      dp_answer_clear (&answer);
      return result;
    }

  switch (answer.kind)
    {
    case DP_ANSWER_PARTIAL:
      {
        GError *odd = NULL;

        if ((answer.total >= 0 && answer.total != size) || validators_differ (self, &answer))
          odd = changed_error (size, answer.total);
        else if ((odd = encoding_error (self, &answer)) != NULL)
          ;
        else if (answer.start > pos || answer.end <= pos || pos - answer.start > MAX_DISCARD)
          {
            /* Data for another offset: never written anywhere. */
            g_autofree char *sent = g_strdup_printf ("%" G_GINT64_FORMAT, answer.start);
            g_autofree char *asked = g_strdup_printf ("%" G_GINT64_FORMAT, pos);

            result = odd_answer (self, worker, generation, TRUE,
                                 g_error_new (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                              _("The server sent another part of the file than "
                                                "asked (from byte %s instead of %s)."), sent, asked),
                                 error);
            break;
          }

        if (odd != NULL)
          {
            result = odd_answer (self, worker, generation, FALSE, odd, error);
            break;
          }

        /* A part that starts below what was asked, and says so: the
         * bytes before pos are already here. */
        if (answer.start < pos &&
            !discard_bytes (self, worker, r->stream, pos - answer.start, buffer, &local_error))
          {
            gboolean transient = FALSE;

            if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
                !g_cancellable_is_cancelled (self->cancellable))
              {
                result = FETCH_RESTART;
                break;
              }
            g_propagate_error (error, dp_http_translate_error (g_steal_pointer (&local_error), &transient));
            result = transient ? FETCH_RETRY : FETCH_FATAL;
            break;
          }

        good_answer (self, uri, TRUE);
        r->body_start = pos;
        r->body_end = answer.end;
        result = FETCH_DONE;
        break;
      }

    case DP_ANSWER_WHOLE:
      {
        GError *odd = NULL;

        if (is_error_page (self, r->msg))
          {
            GError *page = g_error_new_literal (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                                _("The server sent a web page instead of the file. "
                                                  "The link may have expired; get a fresh one."));
            dp_answer_clear (&answer);
            return refresh_link (self, worker, uri, page, error);
          }
        if ((size >= 0 && answer.total >= 0 && answer.total != size) ||
            validators_differ (self, &answer))
          odd = changed_error (size, answer.total);
        else
          odd = encoding_error (self, &answer);
        if (odd != NULL)
          {
            result = odd_answer (self, worker, generation, FALSE, odd, error);
            break;
          }

        if (mode == MODE_RANGES)
          {
            g_autoptr(GPtrArray) others = NULL;
            gboolean keep = pos == 0;

            gboolean ask_again;

            /* A node of a balanced server that ignores Range now and
             * then is asked again; only a server that keeps doing it
             * gets one stream. */
            g_mutex_lock (&self->mutex);
            ask_again = self->ranges_seen && self->odd_streak + 1 < ODD_LIMIT;
            g_mutex_unlock (&self->mutex);
            if (ask_again)
              {
                result = odd_answer (self, worker, generation, TRUE,
                                     g_error_new_literal (DP_ERROR, DP_ERROR_BAD_RESPONSE,
                                                          _("The server sent the whole file instead "
                                                            "of the part asked for.")),
                                     error);
                break;
              }

            /* The server ignores Range. Its body starts at 0: only a
             * request for offset 0 can use it. */
            g_rw_lock_writer_lock (&self->plan_lock);
            g_mutex_lock (&self->mutex);
            if (self->generation != *generation)
              {
                g_mutex_unlock (&self->mutex);
                g_rw_lock_writer_unlock (&self->plan_lock);
                result = FETCH_RESTART;
                break;
              }
            others = fall_back_to_single_locked (self, worker, keep);
            self->odd_streak = 0;
            size = self->size;
            /* The kept answer belongs to the new plan. */
            *generation = self->generation;
            g_mutex_unlock (&self->mutex);
            g_rw_lock_writer_unlock (&self->plan_lock);
            cancel_all (g_steal_pointer (&others));
            if (!keep)
              {
                result = FETCH_RESTART;
                break;
              }
          }

        good_answer (self, uri, FALSE);
        r->body_start = 0;
        r->body_end = size >= 0 ? size : answer.total;
        if (self->decode && answer.encoding != NULL)
          {
            /* Decoded bytes: their number is known only at the end. */
            GZlibCompressorFormat format = G_ZLIB_COMPRESSOR_FORMAT_GZIP;
            g_autoptr(GZlibDecompressor) decoder = NULL;
            GInputStream *decoded;

            dp_encoding_get_zlib_format (answer.encoding, &format);
            decoder = g_zlib_decompressor_new (format);
            decoded = g_converter_input_stream_new (r->stream, G_CONVERTER (decoder));

            g_object_unref (r->stream);
            r->stream = decoded;
            r->body_end = -1;
          }
        result = FETCH_DONE;
        break;
      }

    case DP_ANSWER_EMPTY:
      result = odd_answer (self, worker, generation, FALSE, changed_error (size, 0), error);
      break;

    case DP_ANSWER_STATUS:
    default:
      if (SOUP_STATUS_IS_SUCCESSFUL (status) || SOUP_STATUS_IS_REDIRECTION (status))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                       _("The server answered with an unexpected status (%u %s)."),
                       status, soup_message_get_reason_phrase (r->msg));
          result = FETCH_FATAL;
          break;
        }
      result = error_status (self, r->msg, retry_after, &local_error);
      if (result == FETCH_FATAL && status_may_be_expiry (status))
        result = refresh_link (self, worker, uri, g_steal_pointer (&local_error), error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      break;
    }

  dp_answer_clear (&answer);
  return result;
}

/* Keeps the connection's pace, and the best pace any connection of the
 * download kept up after the first window of a request (which holds
 * the opening burst of capped mirrors). Called with the mutex held. */
static void
account_locked (DpTransfer *self,
                Worker     *worker,
                gint64      n)
{
  gint64 now = g_get_monotonic_time ();

  if (n > 0)
    worker->started = TRUE;
  worker->window_bytes += n;
  if (now - worker->window_start >= RATE_WINDOW_US)
    {
      worker->rate = (double) worker->window_bytes * G_USEC_PER_SEC / (double) (now - worker->window_start);
      if (worker->window_start > worker->request_start)
        self->best_pace = MAX (self->best_pace, worker->rate);
      worker->window_start = now;
      worker->window_bytes = 0;
    }
}

/* Takes work: a range nobody owns, or a share of the slowest one. */
static int
acquire_locked (DpTransfer *self,
                Worker     *worker)
{
  double *rates = g_newa (double, self->n_workers);
  gint64 now = g_get_monotonic_time ();
  double thief;

  /* 0 tells the scheduler a pace is unknown; a connection known to
   * have sent nothing lately gets the smallest pace instead. */
  for (guint i = 0; i < self->n_workers; i++)
    {
      double pace = dp_transfer_worker_pace_locked (&self->workers[i], now);

      rates[i] = pace < 0 ? 0 : MAX (pace, 1.0);
    }
  thief = worker->rate > 0 ? worker->rate : dp_transfer_median_rate_locked (self, now);

  {
    guint before = dp_scheduler_get_n_segments (self->scheduler);
    int idx = dp_scheduler_acquire_paced (self->scheduler, (int) worker->index,
                                          rates, self->n_workers, thief);

    if (idx >= (int) before)
      {
        const DpSegment *seg = dp_scheduler_get_segment (self->scheduler, (guint) idx);

        g_debug ("worker %u: took %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " (own pace %.0f B/s)",
                 worker->index, seg->start, seg->end, thief);
      }
    return idx;
  }
}

/* All of @r's announced body is in: its connection can carry the next
 * request. */
static FetchResult
finish_body (Worker   *worker,
             Response *r)
{
  dp_http_finish (r->stream, worker->cancellable);
  g_clear_object (&r->stream);
  return FETCH_DONE;
}

/* A stream of unknown length ended cleanly at @offset: now its size is
 * known. */
static void
stream_ended (DpTransfer *self,
              guint       generation,
              gint64      offset)
{
  g_mutex_lock (&self->mutex);
  if (self->generation == generation && self->mode == MODE_STREAM)
    {
      self->size = offset;
      dp_scheduler_set_size (self->scheduler, offset);
      dp_transfer_queue_progress (self);
    }
  g_mutex_unlock (&self->mutex);
}

/* Copies the body of @r into the file until the segment is done, the
 * body ends, or the plan changes. */
static FetchResult
copy_body (DpTransfer *self,
           Worker     *worker,
           guint       generation,
           Response   *r,
           guint8     *buffer,
           gboolean   *progressed,
           GError    **error)
{
  gint64 offset = r->body_start;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gsize want = worker->buffer_size;
      gsize granted = 0;
      gssize n;
      gint64 allowed;
      gboolean done;

      /* Never read more than the answer announced: a server that sends
       * extra bytes does not get them into the file. */
      if (r->body_end >= 0)
        want = (gsize) MIN ((gint64) want, r->body_end - offset);
      if (want == 0)
        {
          /* All it announced: for a stream of unknown length (a whole
           * answer with a length, after a chunked one), that is the end. */
          stream_ended (self, generation, offset);
          return finish_body (worker, r);
        }

      /* Under a speed limit, read only what the limiters allow: what
       * is not read waits in the socket, and the server slows down. */
      if (dp_transfer_limited (self))
        granted = want = dp_rate_limiter_acquire (self->limiters, G_N_ELEMENTS (self->limiters),
                                                  want, worker->cancellable, &local_error);
      n = want == 0 ? -1
                    : g_input_stream_read (r->stream, buffer, want, worker->cancellable, &local_error);
      if (granted > 0 && n < (gssize) granted)
        for (guint i = 0; i < G_N_ELEMENTS (self->limiters); i++)
          if (self->limiters[i] != NULL)
            dp_rate_limiter_give_back (self->limiters[i], granted - (gsize) MAX (n, 0));
      if (n < 0)
        {
          gboolean transient = FALSE;

          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
              !g_cancellable_is_cancelled (self->cancellable))
            return FETCH_RESTART;
          g_propagate_error (error, dp_http_translate_error (g_steal_pointer (&local_error), &transient));
          return transient ? FETCH_RETRY : FETCH_FATAL;
        }

      if (n == 0)
        {
          if (r->body_end >= 0 && offset < r->body_end)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_NETWORK,
                           _("The server closed the connection early."));
              return FETCH_RETRY;
            }

          stream_ended (self, generation, offset);
          return FETCH_DONE;
        }

      g_rw_lock_reader_lock (&self->plan_lock);
      g_mutex_lock (&self->mutex);
      /* The bytes must land where the segment stands: anything else
       * (never expected) asks again from there rather than write. */
      if (self->generation != generation || worker->segment < 0 ||
          dp_scheduler_get_segment (self->scheduler, (guint) worker->segment)->pos != offset)
        {
          g_mutex_unlock (&self->mutex);
          g_rw_lock_reader_unlock (&self->plan_lock);
          return FETCH_RESTART;
        }
      /* Another worker may have taken the upper part of this segment:
       * write only up to the current end. */
      allowed = dp_scheduler_claim (self->scheduler, (guint) worker->segment, n);
      g_mutex_unlock (&self->mutex);

      if (allowed > 0 &&
          !dp_part_file_write (self->file, offset, buffer, (gsize) allowed, error))
        {
          g_rw_lock_reader_unlock (&self->plan_lock);
          return FETCH_FATAL;
        }

      g_mutex_lock (&self->mutex);
      dp_scheduler_advance (self->scheduler, (guint) worker->segment);
      account_locked (self, worker, allowed);
      dp_transfer_mark_written_locked (self, worker->source, offset, allowed);
      {
        const DpSegment *seg = dp_scheduler_get_segment (self->scheduler, (guint) worker->segment);
        done = seg->pos >= seg->end;
      }
      dp_transfer_queue_progress (self);
      g_mutex_unlock (&self->mutex);
      g_rw_lock_reader_unlock (&self->plan_lock);

      *progressed = TRUE;
      offset += allowed;
      if (done && r->body_end >= 0 && offset >= r->body_end)
        return finish_body (worker, r);
      if (done)
        return FETCH_DONE;
    }
}

/* Whether another worker carries the download on: one fetching, or with
 * @delivering, one whose bytes are arriving (a refusal beside it is the
 * server's limit, not a server that is down). A worker on its way out
 * may still count as fetching until it takes the mutex again; it
 * carries nothing on. */
static gboolean
others_fetching_locked (DpTransfer *self,
                        Worker     *worker,
                        gboolean    delivering)
{
  for (guint i = 0; i < self->n_workers; i++)
    {
      const Worker *other = &self->workers[i];

      if (other != worker && other->running && !other->retire && other->fetching &&
          (!delivering || other->window_bytes > 0 || other->rate > 0))
        return TRUE;
    }
  return FALSE;
}

/* Whether another connection on the same address is delivering bytes:
 * a refusal beside it is that mirror's limit. */
static gboolean
source_delivering_locked (DpTransfer *self,
                          Worker     *worker)
{
  for (guint i = 0; i < self->n_workers; i++)
    {
      const Worker *other = &self->workers[i];

      if (other != worker && other->running && !other->retire && other->fetching &&
          other->source == worker->source && (other->window_bytes > 0 || other->rate > 0))
        return TRUE;
    }
  return FALSE;
}

/* The pace of a connection to @index, on average over those that
 * have one now (the ones not yet measured do not count); 0 if none.
 * Called with the mutex held. */
static double
source_pace_locked (DpTransfer   *self,
                    guint         index,
                    const Worker *except,
                    gint64        now)
{
  double sum = 0;
  guint n = 0;

  for (guint i = 0; i < self->n_workers; i++)
    {
      const Worker *other = &self->workers[i];
      double pace;

      if (other == except || !other->running || other->retire || other->source != index)
        continue;
      pace = dp_transfer_worker_pace_locked (other, now);
      if (pace > 0)
        {
          sum += pace;
          n++;
        }
    }
  return n > 0 ? sum / n : 0;
}

/* Moves the worker to another address with room, if there is one.
 * Called with the mutex held. */
static gboolean
move_to_other_source_locked (DpTransfer *self,
                             Worker     *worker)
{
  int next = dp_transfer_pick_source_locked (self, (int) worker->source);

  if (next < 0 || (guint) next == worker->source)
    return FALSE;
  g_debug ("worker %u: moving from address %u to %d", worker->index, worker->source, next);
  worker->source = (guint) next;
  return TRUE;
}

void
dp_transfer_worker_run (gpointer data,
                        gpointer user_data)
{
  DpTransfer *self = user_data;
  Worker *worker = &self->workers[GPOINTER_TO_UINT (data) - 1];
  g_autofree guint8 *buffer = NULL;
  guint attempts = 0;

  /* Allocated before the first request; an earlier thread of this entry
   * took its buffer with it. */
  worker->buffer_size = 0;


  g_mutex_lock (&self->mutex);
  while (!self->stopping && !worker->retire)
    {
      Response r = { NULL, NULL, 0, -1 };
      g_autoptr(GError) error = NULL;
      FetchResult result;
      const DpSegment *seg;
      gboolean progressed = FALSE;
      gint64 retry_after = -1;
      gint64 pos, end;
      guint generation;
      Mode mode;

      if (g_cancellable_is_cancelled (worker->cancellable))
        {
          g_object_unref (worker->cancellable);
          worker->cancellable = g_cancellable_new ();
        }

      /* Its address was dropped: another one, or the end of this
       * connection when the others have no room. */
      if (!dp_transfer_source_usable_locked (self, worker->source) &&
          !move_to_other_source_locked (self, worker))
        {
          if (worker->segment >= 0)
            {
              dp_scheduler_release (self->scheduler, (guint) worker->segment);
              worker->segment = -1;
            }
          break;
        }

      if (worker->segment < 0)
        {
          if (dp_scheduler_is_complete (self->scheduler))
            break;
          worker->segment = acquire_locked (self, worker);
          if (worker->segment < 0)
            {
              /* Nothing to take now; a segment may be handed back, or a
               * slow one become worth splitting, later. */
              g_cond_wait_until (&self->cond, &self->mutex,
                                 g_get_monotonic_time () + IDLE_RECHECK_US);
              continue;
            }
        }

      seg = dp_scheduler_get_segment (self->scheduler, (guint) worker->segment);
      pos = seg->pos;
      end = seg->end;
      generation = self->generation;
      mode = self->mode;
      /* Without ranges every answer starts at byte 0: so does the file. */
      if (mode != MODE_RANGES && worker->pending_stream == NULL && pos != 0)
        {
          dp_scheduler_set_progress (self->scheduler, (guint) worker->segment, 0);
          pos = 0;
        }
      /* A long segment goes in a few requests, each sized to the
       * connection (the probe's answer, already open, runs as it is). */
      if (mode == MODE_RANGES && worker->pending_stream == NULL)
        end = dp_request_end (pos, end, worker->last_pace, worker->last_rtt);
      worker->fetching = TRUE;
      /* A new request may mean a new connection: measure it afresh. */
      worker->request_start = worker->window_start = g_get_monotonic_time ();
      worker->window_bytes = 0;
      worker->rate = 0;
      worker->slow_since = 0;
      {
        /* A few connections may carry a fast path alone and read in
         * large pieces; dozens share a path, and keep memory small. */
        gsize size = self->n_running <= LARGE_BUFFER_WORKERS ? BUFFER_SIZE : SMALL_BUFFER_SIZE;

        g_mutex_unlock (&self->mutex);
        if (size != worker->buffer_size)
          {
            g_free (buffer);
            buffer = g_malloc (size);
            worker->buffer_size = size;
          }
      }

      worker->headers_in = FALSE;
      result = open_response (self, worker, mode, pos, end, &generation, &r, buffer, &retry_after, &error);
      if (result == FETCH_DONE)
        {
          worker->headers_in = TRUE;
          worker->last_rtt = g_get_monotonic_time () - worker->request_start;
          result = copy_body (self, worker, generation, &r, buffer, &progressed, &error);
        }
      response_clear (&r);

      g_mutex_lock (&self->mutex);
      worker->fetching = FALSE;
      if (progressed)
        attempts = 0;
      /* A request that went through: whatever failed before on its
       * address was passing. */
      if (progressed && result == FETCH_DONE)
        self->sources[worker->source].failures = 0;
      if (result == FETCH_DONE && self->generation == generation && worker->segment >= 0)
        {
          gint64 got = dp_scheduler_get_segment (self->scheduler, (guint) worker->segment)->pos - pos;
          gint64 took = g_get_monotonic_time () - worker->request_start;

          worker->last_pace = got > 0 ? (double) got * G_USEC_PER_SEC / (double) MAX (took, 1) : 0;
        }
      else if (result != FETCH_DONE)
        worker->last_pace = 0;

      if (self->generation != generation && result != FETCH_FATAL)
        continue;

      /* With other addresses, a server that fails for good is only one
       * of them. */
      if (result == FETCH_FATAL && dp_transfer_is_source_failure (error, TRUE) && self->mode == MODE_RANGES &&
          dp_transfer_n_usable_sources_locked (self) > 1 &&
          /* The file itself changed: only a digest that covers the whole
           * file (the user's or the Metalink's) may let the mirrors
           * finish it; otherwise the download starts over. */
          !(worker->source == 0 && g_error_matches (error, DP_ERROR, DP_ERROR_CHANGED) &&
            self->verify_origin != DP_DIGEST_ORIGIN_USER &&
            self->verify_origin != DP_DIGEST_ORIGIN_METALINK))
        result = FETCH_SWITCH;

      if (worker->dropped)
        {
          /* Closed for being slow: let whoever is free take the range. */
          worker->dropped = FALSE;
          if (result == FETCH_RESTART && worker->segment >= 0 && !worker->retire &&
              self->n_sources > 1)
            {
              Source *source = &self->sources[worker->source];

              /* Slow mirrors get fewer connections, and finally none. */
              source->slow_drops++;
              /* One that sent nothing at all has stopped: that is a
               * failure, and a mirror that keeps doing it went away. */
              if (worker->headers_in && worker->window_bytes == 0 && worker->rate == 0 &&
                  ++source->failures >= SOURCE_FAILURE_LIMIT &&
                  dp_transfer_n_usable_sources_locked (self) > 1)
                dp_transfer_drop_source_locked (self, worker->source, _("it stopped sending"));
              /* Closing slow connections is routine where many share
               * one path; only a mirror whose connections keep far
               * below another mirror's (a third of its pace) is given
               * up. */
              if (source->slow_drops >= SOURCE_SLOW_LIMIT &&
                  dp_transfer_n_usable_sources_locked (self) > 1)
                {
                  gint64 now = g_get_monotonic_time ();
                  double own = source_pace_locked (self, worker->source, worker, now);
                  double best = 0;

                  for (guint i = 0; i < self->n_sources; i++)
                    if (i != worker->source && !self->sources[i].gone)
                      best = MAX (best, source_pace_locked (self, i, worker, now));
                  if (best > 0 && own * SLOW_FACTOR < best)
                    dp_transfer_drop_source_locked (self, worker->source,
                                                    _("it was much slower than the others"));
                }
              move_to_other_source_locked (self, worker);
            }
          if (result == FETCH_RESTART && worker->segment >= 0)
            {
              g_debug ("worker %u: dropped for being slow", worker->index);
              dp_scheduler_release (self->scheduler, (guint) worker->segment);
              worker->segment = -1;
              g_cond_broadcast (&self->cond);
              continue;
            }
        }

      switch (result)
        {
        case FETCH_DONE:
          seg = dp_scheduler_get_segment (self->scheduler, (guint) worker->segment);
          if (seg->pos >= seg->end)
            {
              g_debug ("worker %u: segment %d done at %" G_GINT64_FORMAT,
                       worker->index, worker->segment, seg->end);
              dp_scheduler_release (self->scheduler, (guint) worker->segment);
              worker->segment = -1;
              g_cond_broadcast (&self->cond);
            }
          /* Otherwise the request covered part of the segment, or the
           * server sent less than asked: ask for the rest. */
          break;

        case FETCH_RESTART:
          break;

        case FETCH_SWITCH:
          {
            guint index = worker->source;

            if (worker->segment >= 0)
              {
                dp_scheduler_release (self->scheduler, (guint) worker->segment);
                worker->segment = -1;
              }
            if (!dp_transfer_source_usable_locked (self, index))
              break;
            if (dp_transfer_n_usable_sources_locked (self) <= 1)
              {
                /* The last address that worked: its failure is the
                 * download's. */
                const Source *source = &self->sources[index];
                g_autofree char *shown = dp_http_uri_to_display (source->final_uri != NULL
                                                                 ? source->final_uri : source->uri);
                GError *last = g_error_new (DP_ERROR, error->code,
                                            _("No address of the file can be used any more. "
                                              "The last one, %s: %s."),
                                            shown, error->message);

                g_mutex_unlock (&self->mutex);
                dp_transfer_abort (self, last);
                g_mutex_lock (&self->mutex);
                goto out;
              }
            dp_transfer_drop_source_locked (self, index, error->message);
            g_cond_broadcast (&self->cond);
            break;
          }

        case FETCH_RETIRE:
        case FETCH_RETRY:
          g_debug ("worker %u: %s: %s", worker->index,
                   result == FETCH_RETIRE ? "refused" : "failed", error->message);
          /* Without ranges, a broken stream can only start over. */
          if (self->mode != MODE_RANGES)
            dp_scheduler_set_progress (self->scheduler, (guint) worker->segment, 0);

          /* Hand the segment back so that a working connection can take
           * it while this one waits. */
          dp_scheduler_release (self->scheduler, (guint) worker->segment);
          worker->segment = -1;
          g_cond_broadcast (&self->cond);

          if (self->n_sources > 1 && dp_transfer_source_usable_locked (self, worker->source))
            {
              guint index = worker->source;
              Source *source = &self->sources[index];

              if (result == FETCH_RETIRE && source_delivering_locked (self, worker))
                {
                  /* That mirror has enough of us; another may have room.
                   * Below a limit it kept to before, one refusal may be
                   * a connection it has not yet noticed closing: only a
                   * second one lowers the limit. */
                  guint others = MAX (dp_transfer_source_active_locked (self, index, worker), 1);

                  if (others < source->ceiling &&
                      (source->ceiling == G_MAXUINT || ++source->strikes >= 2))
                    {
                      source->ceiling = others;
                      source->strikes = 0;
                      g_debug ("worker %u: address %u takes %u connections", worker->index, index,
                               source->ceiling);
                      dp_transfer_update_ceiling_locked (self);
                    }
                  if (move_to_other_source_locked (self, worker))
                    continue;
                  goto out;
                }
              /* A failure of its own while the download goes on
               * elsewhere counts against the mirror. */
              if (others_fetching_locked (self, worker, TRUE))
                {
                  source->failures++;
                  /* One that never answered (refused, unreachable) is
                   * not waited for; one that worked gets a few tries. */
                  if ((!source->answered || source->failures >= SOURCE_FAILURE_LIMIT) &&
                      dp_transfer_n_usable_sources_locked (self) > 1)
                    dp_transfer_drop_source_locked (self, index, error->message);
                  if (move_to_other_source_locked (self, worker))
                    {
                      /* Not at once: addresses that all fail must not be
                       * asked in a tight loop. */
                      gint64 deadline = g_get_monotonic_time () +
                                        (gint64) dp_transfer_backoff_ms (self, MIN (source->failures, 6u), retry_after) * 1000 / 4;

                      while (!self->stopping && !worker->retire &&
                             g_cond_wait_until (&self->cond, &self->mutex, deadline))
                        ;
                      continue;
                    }
                }
            }

          if (result == FETCH_RETIRE && others_fetching_locked (self, worker, TRUE))
            {
              /* The server has enough of us: one connection fewer, and
               * never more than it took again. */
              guint others = dp_transfer_count_active_locked (self) - (worker->retire ? 0 : 1);

              self->refused = TRUE;
              self->ceiling = MIN (self->ceiling, MAX (others, 1));
              dp_auto_refused (&self->autoc);
              g_debug ("worker %u: the server takes %u connections", worker->index, self->ceiling);
              goto out;
            }
          if (result == FETCH_RETIRE)
            self->refused = TRUE;

          if (++attempts >= self->config.max_attempts)
            {
              if (others_fetching_locked (self, worker, FALSE))
                goto out;
              g_mutex_unlock (&self->mutex);
              dp_transfer_abort (self, g_steal_pointer (&error));
              g_mutex_lock (&self->mutex);
              goto out;
            }
          {
            /* A worker asked to end meanwhile ends now, not after its
             * back-off: its slot may be another download's. */
            gint64 deadline = g_get_monotonic_time () +
                              (gint64) dp_transfer_backoff_ms (self, attempts - 1, retry_after) * 1000;

            while (!self->stopping && !worker->retire &&
                   g_cond_wait_until (&self->cond, &self->mutex, deadline))
              ;
          }
          break;

        case FETCH_FATAL:
        default:
          g_mutex_unlock (&self->mutex);
          dp_transfer_abort (self, g_steal_pointer (&error));
          g_mutex_lock (&self->mutex);
          goto out;
        }
    }

out:
  if (worker->segment >= 0)
    {
      dp_scheduler_release (self->scheduler, (guint) worker->segment);
      worker->segment = -1;
    }
  worker->running = FALSE;
  worker->retire = FALSE;
  dp_engine_client_put (self->client);
  self->n_running--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}
