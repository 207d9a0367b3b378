/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "dp-error.h"
#include "dp-http.h"
#include "dp-transfer-private.h"

/*
 * The addresses of one file: the one the probe answered from, and its
 * mirrors (given with the download, or named by the server with
 * `Link: rel=duplicate`). Each mirror has its own connections, its own
 * idea of "too many", its own validators, and its own record of
 * failures, slowness and damaged pieces; a worker takes the address
 * where a connection is likeliest to help. Ranges move between
 * addresses as they move between connections: any worker may take any
 * range.
 *
 * Metalink pieces are checked here too: once every byte of a piece is
 * on disk, it is read back and hashed; a bad one is fetched again and
 * the addresses that wrote into it are trusted less.
 */

void
dp_transfer_sources_init (DpTransfer *self)
{
  self->sources = g_new0 (Source, MAX_SOURCES);
  self->n_sources = 0;
  dp_transfer_add_source_locked (self, self->config.uri, FALSE);
  if (self->config.mirrors != NULL)
    for (guint i = 0; i < self->config.mirrors->len; i++)
      dp_transfer_add_source_locked (self, g_ptr_array_index (self->config.mirrors, i), FALSE);

  if (self->config.pieces != NULL && self->config.pieces->len > 0 && self->config.piece_length > 0)
    {
      self->n_pieces = self->config.pieces->len;
      self->piece_ok = g_new0 (gboolean, self->n_pieces);
      self->piece_sources = g_new0 (guint64, self->n_pieces);
    }
}

void
dp_transfer_sources_clear (DpTransfer *self)
{
  for (guint i = 0; i < self->n_sources; i++)
    {
      Source *source = &self->sources[i];

      g_clear_pointer (&source->uri, g_uri_unref);
      g_clear_pointer (&source->final_uri, g_uri_unref);
      g_clear_pointer (&source->etag, g_free);
      g_clear_pointer (&source->last_modified, g_free);
      g_clear_pointer (&source->validator, g_free);
      g_clear_pointer (&source->why, g_free);
    }
  g_clear_pointer (&self->sources, g_free);
  self->n_sources = 0;
  g_clear_pointer (&self->piece_ok, g_free);
  g_clear_pointer (&self->piece_sources, g_free);
}

static gboolean
is_strong_etag (const char *etag)
{
  return etag != NULL && etag[0] == '"';
}

void
dp_transfer_sources_resume (DpTransfer    *self,
                            const DpState *state)
{
  g_mutex_lock (&self->mutex);
  for (guint i = 1; i < self->n_sources; i++)
    {
      Source *source = &self->sources[i];
      g_autofree char *url = g_uri_to_string (source->uri);
      g_autofree char *bare = dp_state_strip_credentials (url);
      const DpStateMirror *mirror = dp_state_find_mirror (state, url);
      const char *etag, *last_modified;

      if (mirror != NULL)
        {
          etag = mirror->etag;
          last_modified = mirror->last_modified;
        }
      else if (state->url != NULL && strcmp (state->url, bare) == 0)
        {
          /* The user's address, answering after a mirror did last time. */
          etag = state->etag;
          last_modified = state->last_modified;
        }
      else
        continue;
      if (etag == NULL && last_modified == NULL)
        continue;
      source->answered = TRUE;
      source->etag = g_strdup (etag);
      source->last_modified = g_strdup (last_modified);
      source->validator = is_strong_etag (etag) ? g_strdup (etag) : NULL;
    }
  g_mutex_unlock (&self->mutex);
}

void
dp_transfer_sources_record (DpTransfer *self,
                            DpState    *state)
{
  for (guint i = 1; i < self->n_sources; i++)
    {
      const Source *source = &self->sources[i];
      g_autofree char *url = NULL;

      /* Dropped ones too: a copy that changed must be noticed again. */
      if (!source->answered)
        continue;
      url = g_uri_to_string (source->uri);
      dp_state_add_mirror (state, url, is_strong_etag (source->etag) ? source->etag : NULL,
                           source->last_modified);
    }
}

/* Adds another address of the file, unless it is known already or there
 * are MAX_SOURCES. */
gboolean
dp_transfer_add_source_locked (DpTransfer *self,
                               GUri       *uri,
                               gboolean    from_link)
{
  Source *source;

  if (self->n_sources >= MAX_SOURCES)
    return FALSE;
  for (guint i = 0; i < self->n_sources; i++)
    if (soup_uri_equal (self->sources[i].uri, uri) ||
        (self->sources[i].final_uri != NULL && soup_uri_equal (self->sources[i].final_uri, uri)))
      return FALSE;

  source = &self->sources[self->n_sources++];
  source->uri = g_uri_ref (uri);
  source->ceiling = G_MAXUINT;
  source->from_link = from_link;
  return TRUE;
}

/* Whether a failure is the server's, so that another address may do
 * better: not the disk's, the user's or a cancellation. A changed file
 * and a refused login count only once the download is @under_way;
 * before that they are what the address itself answers (an earlier
 * attempt that may not be continued, a login to give). */
gboolean
dp_transfer_is_source_failure (const GError *error,
                               gboolean      under_way)
{
  if (error == NULL || error->domain != DP_ERROR)
    return FALSE;
  switch (error->code)
    {
    case DP_ERROR_NOT_FOUND:
    case DP_ERROR_FORBIDDEN:
    case DP_ERROR_HTTP:
    case DP_ERROR_NETWORK:
    case DP_ERROR_TLS:
    case DP_ERROR_BAD_RESPONSE:
    case DP_ERROR_TOO_MANY_REDIRECTS:
    case DP_ERROR_INSECURE_REDIRECT:
      return TRUE;
    case DP_ERROR_CHANGED:
    case DP_ERROR_LOGIN:
      return under_way;
    default:
      return FALSE;
    }
}

gboolean
dp_transfer_source_usable_locked (DpTransfer *self,
                                  guint       source)
{
  return source < self->n_sources && !self->sources[source].gone;
}

guint
dp_transfer_n_usable_sources_locked (DpTransfer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->n_sources; i++)
    if (!self->sources[i].gone)
      n++;
  return n;
}

/* Connections on @source, not counting @except nor those on their way
 * out. */
guint
dp_transfer_source_active_locked (DpTransfer   *self,
                                  guint         source,
                                  const Worker *except)
{
  guint n = 0;

  for (guint i = 0; i < self->n_workers; i++)
    {
      const Worker *worker = &self->workers[i];

      if (worker != except && worker->running && !worker->retire && worker->source == source)
        n++;
    }
  return n;
}

/* How much a new connection on @source is likely to help: fewer
 * connections there, fewer failures, slow connections and bad pieces
 * are better. Lower is better. */
static double
source_cost (DpTransfer *self,
             guint       index)
{
  const Source *source = &self->sources[index];
  guint active = dp_transfer_source_active_locked (self, index, NULL);

  return (double) (active + 1) *
         (1.0 + source->slow_drops + 2.0 * source->failures + 4.0 * source->bad_pieces +
          source->suspicions);
}

/* The address a new or moving connection should use: one with room
 * (below the connections it took before refusing one) at the lowest
 * cost, earlier addresses first among equals. @avoid is taken only when
 * nothing else has room. Returns -1 when no address has room. */
int
dp_transfer_pick_source_locked (DpTransfer *self,
                                int         avoid)
{
  int best = -1;
  double best_cost = 0;

  for (int pass = 0; pass < 2 && best < 0; pass++)
    for (guint i = 0; i < self->n_sources; i++)
      {
        const Source *source = &self->sources[i];
        double cost;

        if (source->gone || (pass == 0 && (int) i == avoid))
          continue;
        if (dp_transfer_source_active_locked (self, i, NULL) >= source->ceiling)
          continue;
        cost = source_cost (self, i);
        if (best < 0 || cost < best_cost)
          {
            best = (int) i;
            best_cost = cost;
          }
      }
  return best;
}

/* With mirrors, the download takes as many connections as its addresses
 * took together, once each of them refused one. */
void
dp_transfer_update_ceiling_locked (DpTransfer *self)
{
  guint sum = 0;

  if (self->n_sources < 2)
    return;
  for (guint i = 0; i < self->n_sources; i++)
    {
      const Source *source = &self->sources[i];

      if (source->gone)
        continue;
      if (source->ceiling == G_MAXUINT)
        {
          self->ceiling = G_MAXUINT;
          return;
        }
      sum += source->ceiling;
    }
  self->ceiling = MAX (sum, 1);
  if (!self->refused)
    {
      self->refused = TRUE;
      dp_auto_refused (&self->autoc);
      g_debug ("the mirrors take %u connections together", self->ceiling);
    }
}

void
dp_transfer_drop_source_locked (DpTransfer *self,
                                guint       index,
                                const char *why)
{
  Source *source = &self->sources[index];
  g_autofree char *shown = NULL;

  if (source->gone)
    return;
  source->gone = TRUE;
  g_free (source->why);
  source->why = g_strdup (why);
  shown = dp_http_uri_to_display (source->final_uri != NULL ? source->final_uri : source->uri);
  g_debug ("source %u (%s) dropped: %s", index, shown, why);
  if (dp_transfer_n_usable_sources_locked (self) > 0)
    {
      /* TRANSLATORS: the first %s is an address, the second why. */
      g_ptr_array_add (self->notices, g_strdup_printf (_("Stopped using %s: %s"), shown, why));
      if (self->context != NULL)
        dp_transfer_queue_progress (self);
    }
  dp_transfer_update_ceiling_locked (self);
  g_cond_broadcast (&self->cond);
}

void
dp_transfer_mark_written_locked (DpTransfer *self,
                                 guint       source,
                                 gint64      offset,
                                 gint64      n)
{
  guint64 bit = (guint64) 1 << MIN (source, 63u);

  if (n <= 0)
    return;
  if (source < self->n_sources)
    self->sources[source].received += n;
  if (self->n_pieces == 0)
    return;
  for (gint64 i = offset / self->config.piece_length;
       i <= (offset + n - 1) / self->config.piece_length && i < (gint64) self->n_pieces; i++)
    self->piece_sources[i] |= bit;
}

/* Whether [start, end) lies within the written ranges @done. */
static gboolean
is_written (const GArray *done,
            gint64        start,
            gint64        end)
{
  for (guint i = 0; i < done->len; i++)
    {
      const DpRange *range = &g_array_index (done, DpRange, i);

      if (range->start <= start && range->end >= end)
        return TRUE;
      if (range->start > start)
        break;
    }
  return FALSE;
}

static char *
hash_range (GChecksumType  type,
            int            fd,
            gint64         start,
            gint64         end,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  g_autofree guint8 *buffer = g_malloc (256 * 1024);

  while (start < end)
    {
      ssize_t n = pread (fd, buffer, (size_t) MIN (end - start, (gint64) 256 * 1024), start);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          g_set_error (error, DP_ERROR, DP_ERROR_IO,
                       _("Could not read back the partial file: %s"),
                       n < 0 ? g_strerror (saved) : _("it is shorter than expected"));
          return NULL;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      g_checksum_update (checksum, buffer, (gsize) n);
      start += n;
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* A piece failed its check: the addresses that wrote into it are
 * trusted less. A sole writer is caught; where several wrote, each is
 * only suspected (the piece, fetched again by one connection, will tell).
 * Returns whether an address that is still used wrote into it. Called
 * with the mutex held. */
static gboolean
blame_locked (DpTransfer *self,
              guint64     writers)
{
  guint n_writers = 0;
  gboolean any_usable = FALSE;

  for (guint s = 0; s < self->n_sources; s++)
    if (writers & ((guint64) 1 << MIN (s, 63u)))
      n_writers++;
  for (guint s = 0; s < self->n_sources; s++)
    {
      Source *source = &self->sources[s];

      if (!(writers & ((guint64) 1 << MIN (s, 63u))))
        continue;
      if (!source->gone)
        any_usable = TRUE;
      if (n_writers > 1)
        {
          source->suspicions++;
          continue;
        }
      source->bad_pieces++;
      if (source->bad_pieces >= SOURCE_BAD_PIECE_LIMIT &&
          dp_transfer_n_usable_sources_locked (self) > 1)
        dp_transfer_drop_source_locked (self, s, _("it sent damaged data twice"));
    }
  return any_usable || writers == 0;
}

gboolean
dp_transfer_check_pieces (DpTransfer  *self,
                          gboolean     final,
                          GError     **error)
{
  g_autoptr(GArray) done = NULL;
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (guint));
  gint64 length = self->config.piece_length;
  gint64 size;
  guint generation;
  Mode mode;

  if (self->n_pieces == 0 || self->file == NULL)
    return TRUE;

  g_mutex_lock (&self->mutex);
  size = self->size;
  mode = self->mode;
  generation = self->generation;
  if (self->scheduler != NULL && size > 0)
    {
      done = dp_scheduler_dup_done (self->scheduler);
      for (guint i = 0; i < self->n_pieces; i++)
        if (!self->piece_ok[i] &&
            is_written (done, (gint64) i * length, MIN ((gint64) (i + 1) * length, size)))
          g_array_append_val (todo, i);
    }
  g_mutex_unlock (&self->mutex);
  /* One stream cannot fetch a piece again: its pieces are checked once
   * it ended. */
  if (mode != MODE_RANGES && !final)
    return TRUE;

  for (guint k = 0; k < todo->len; k++)
    {
      guint i = g_array_index (todo, guint, k);
      gint64 start = (gint64) i * length;
      gint64 end = MIN (start + length, size);
      g_autofree char *got = hash_range (self->config.piece_type, dp_part_file_get_fd (self->file),
                                         start, end, self->cancellable, error);
      gboolean counted;

      if (got == NULL)
        return FALSE;

      g_mutex_lock (&self->mutex);
      if (g_ascii_strcasecmp (got, g_ptr_array_index (self->config.pieces, i)) == 0)
        {
          self->piece_ok[i] = TRUE;
          g_mutex_unlock (&self->mutex);
          continue;
        }
      g_debug ("piece %u (%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ") failed its check",
               i, start, end - 1);
      if (final || self->mode != MODE_RANGES || self->generation != generation ||
          !dp_scheduler_reopen (self->scheduler, start, end))
        {
          /* Nothing can fetch it again now: the file is not the one the
           * Metalink describes. */
          g_mutex_unlock (&self->mutex);
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CHECKSUM,
                               _("Part of the downloaded file does not match the Metalink "
                                 "file’s hashes, so it was deleted."));
          return FALSE;
        }
      counted = blame_locked (self, self->piece_sources[i]);
      self->piece_sources[i] = 0;
      /* Pieces from addresses already dropped do not count against the
       * others. */
      if (counted && ++self->bad_pieces > 8 + 4 * self->n_sources)
        {
          g_mutex_unlock (&self->mutex);
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CHECKSUM,
                               _("Parts of the file kept failing their check against the "
                                 "Metalink file’s hashes."));
          return FALSE;
        }
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
    }
  return TRUE;
}
