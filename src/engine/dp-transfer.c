/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "dp-answer.h"
#include "dp-digest.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-names.h"
#include "dp-state.h"
#include "dp-transfer-private.h"

void
dp_transfer_config_clear (DpTransferConfig *config)
{
  g_clear_pointer (&config->uri, g_uri_unref);
  g_clear_pointer (&config->output, g_free);
  g_clear_pointer (&config->directory, g_free);
  g_clear_pointer (&config->suggested_name, g_free);
  g_clear_pointer (&config->checksum, dp_checksum_free);
  g_clear_object (&config->engine);
  g_clear_pointer (&config->limiter, dp_rate_limiter_unref);
  g_clear_pointer (&config->request, dp_request_free);
  g_clear_pointer (&config->mirrors, g_ptr_array_unref);
  g_clear_pointer (&config->expected, dp_checksum_free);
  g_clear_pointer (&config->pieces, g_ptr_array_unref);
}

DpTransfer *
dp_transfer_new (const DpTransferConfig *config,
                 DpTransferProgressFunc  progress_func,
                 gpointer                progress_data,
                 GDestroyNotify          progress_destroy)
{
  DpTransfer *self = g_new0 (DpTransfer, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->config = *config;
  self->config.uri = g_uri_ref (config->uri);
  self->config.output = g_strdup (config->output);
  self->config.directory = g_strdup (config->directory);
  self->config.suggested_name = g_strdup (config->suggested_name);
  self->config.checksum = config->checksum ? dp_checksum_copy (config->checksum) : NULL;
  self->config.engine = g_object_ref (config->engine != NULL ? config->engine : dp_engine_get_default ());
  self->config.limiter = config->limiter ? dp_rate_limiter_ref (config->limiter) : NULL;
  self->config.request = config->request ? dp_request_copy (config->request) : NULL;
  self->config.mirrors = NULL;
  if (config->mirrors != NULL)
    {
      self->config.mirrors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_uri_unref);
      for (guint i = 0; i < config->mirrors->len; i++)
        g_ptr_array_add (self->config.mirrors, g_uri_ref (g_ptr_array_index (config->mirrors, i)));
    }
  self->config.expected = config->expected ? dp_checksum_copy (config->expected) : NULL;
  self->config.pieces = NULL;
  if (config->pieces != NULL && config->piece_length > 0)
    {
      self->config.pieces = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < config->pieces->len; i++)
        g_ptr_array_add (self->config.pieces, g_strdup (g_ptr_array_index (config->pieces, i)));
    }
  /* The user's checksum wins over the Metalink's, which wins over what
   * the server says (known only once it answered). */
  if (self->config.checksum != NULL)
    {
      self->verify_with = dp_checksum_copy (self->config.checksum);
      self->verify_origin = DP_DIGEST_ORIGIN_USER;
    }
  else if (self->config.expected != NULL)
    {
      self->verify_with = dp_checksum_copy (self->config.expected);
      self->verify_origin = DP_DIGEST_ORIGIN_METALINK;
    }
  dp_transfer_sources_init (self);
  self->progress_func = progress_func;
  self->progress_data = progress_data;
  self->progress_destroy = progress_destroy;
  self->cancellable = g_cancellable_new ();
  self->size = -1;
  self->ceiling = G_MAXUINT;
  dp_auto_init (&self->autoc);
  self->limiters[0] = self->config.limiter;
  self->limiters[1] = dp_engine_get_limiter (self->config.engine);
  self->notices = g_ptr_array_new_with_free_func (g_free);
  g_rw_lock_init (&self->plan_lock);
  g_mutex_init (&self->refresh_mutex);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  return self;
}

DpTransfer *
dp_transfer_ref (DpTransfer *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
dp_transfer_unref (DpTransfer *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->n_running == 0);
  /* Never joined: it ends on its own (this may even be that thread). */
  if (self->thread != NULL)
    g_thread_unref (self->thread);
  for (guint i = 0; i < self->n_allocated; i++)
    {
      g_clear_object (&self->workers[i].cancellable);
      g_clear_object (&self->workers[i].pending_msg);
      g_clear_object (&self->workers[i].pending_stream);
    }
  g_free (self->workers);
  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  dp_transfer_config_clear (&self->config);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->final_uri, g_uri_unref);
  g_clear_pointer (&self->validator, g_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->last_modified, g_free);
  g_clear_pointer (&self->state_path, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->resume_done, g_array_unref);
  g_clear_pointer (&self->notices, g_ptr_array_unref);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->encoding, g_free);
  g_clear_pointer (&self->file, dp_part_file_free);
  g_clear_pointer (&self->scheduler, dp_scheduler_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->verify_with, dp_checksum_free);
  g_clear_pointer (&self->probe_uri, g_uri_unref);
  g_clear_pointer (&self->metalink, g_ptr_array_unref);
  dp_transfer_sources_clear (self);
  g_rw_lock_clear (&self->plan_lock);
  g_mutex_clear (&self->refresh_mutex);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* Records the first fatal error and stops every connection. Must not be
 * called with the mutex held: cancelling runs handlers synchronously. */
void
dp_transfer_abort (DpTransfer *self,
                GError     *error)
{
  g_autoptr(GPtrArray) cancellables = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->mutex);
  if (self->error == NULL && error != NULL)
    self->error = g_steal_pointer (&error);
  self->stopping = TRUE;
  for (guint i = 0; i < self->n_workers; i++)
    g_ptr_array_add (cancellables, g_object_ref (self->workers[i].cancellable));
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  g_clear_error (&error);
  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < cancellables->len; i++)
    g_cancellable_cancel (g_ptr_array_index (cancellables, i));
}

void
dp_transfer_cancel (DpTransfer *self)
{
  dp_transfer_abort (self, g_error_new_literal (DP_ERROR, DP_ERROR_CANCELLED,
                                             _("The download was cancelled.")));
}

/* Sleeps up to @ms, waking early when the transfer stops. Returns FALSE
 * if it stopped. Call with the mutex held. */
gboolean
dp_transfer_wait_locked (DpTransfer *self,
             guint       ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!self->stopping)
    {
      if (!g_cond_wait_until (&self->cond, &self->mutex, deadline))
        break;
    }
  return !self->stopping;
}

guint
dp_transfer_backoff_ms (DpTransfer *self,
            guint       attempt,
            gint64      retry_after_s)
{
  guint64 delay = (guint64) self->config.retry_delay_ms << MIN (attempt, 6);

  /* Honour the server's wish, but never sleep for hours on its word. */
  if (retry_after_s >= 0)
    delay = MAX (delay, (guint64) MIN (retry_after_s, 300) * 1000);
  delay = MIN (delay, 60000);
  /* Jitter, so that connections refused together do not return together. */
  return (guint) (delay + g_random_int_range (0, (int) (delay / 4 + 1)));
}

/* ---------------------------------------------------------------------- */
/* Progress reporting: one coalesced source on the owner's main context. */

static gboolean
progress_dispatch (gpointer data)
{
  DpTransfer *self = data;

  g_atomic_int_set (&self->progress_queued, 0);
  self->last_progress_us = g_get_monotonic_time ();
  if (self->progress_func)
    self->progress_func (self->progress_data);
  return G_SOURCE_REMOVE;
}

/* Needs no lock: the flag is atomic, and the source is attached to the
 * caller's context in a thread-safe way. */
void
dp_transfer_queue_progress (DpTransfer *self)
{
  g_autoptr(GSource) source = NULL;
  gint64 since;

  if (!g_atomic_int_compare_and_exchange (&self->progress_queued, 0, 1))
    return;

  /* last_progress_us belongs to the main thread; a stale read only
   * shifts one report by a few milliseconds. */
  since = g_get_monotonic_time () - self->last_progress_us;
  if (since >= PROGRESS_INTERVAL_US)
    source = g_idle_source_new ();
  else
    source = g_timeout_source_new ((guint) ((PROGRESS_INTERVAL_US - since) / 1000) + 1);

  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (source, progress_dispatch, dp_transfer_ref (self),
                         (GDestroyNotify) dp_transfer_unref);
  g_source_set_static_name (source, "[downpour] progress");
  g_source_attach (source, self->context);
}

static int
compare_segments (gconstpointer a,
                  gconstpointer b)
{
  const DpSegment *sa = a, *sb = b;

  return (sa->start > sb->start) - (sa->start < sb->start);
}

/* The segments still need sorting, outside the mutex. */
static void
fill_snapshot_locked (DpTransfer         *self,
                      DpTransferSnapshot *snapshot)
{
  memset (snapshot, 0, sizeof *snapshot);
  snapshot->segments = g_array_new (FALSE, FALSE, sizeof (DpSegment));
  snapshot->phase = self->phase;
  snapshot->size = self->size;
  snapshot->ranges = self->mode == MODE_RANGES;
  snapshot->path = g_strdup (self->path);
  snapshot->notices = g_steal_pointer (&self->notices);
  snapshot->answered = self->answered;
  snapshot->etag = g_strdup (self->etag);
  snapshot->last_modified = g_strdup (self->last_modified);
  /* Once the plan is made, whether it still uses ranges: a server that
   * offered them and then ignored them has been given up on. */
  snapshot->accepts_ranges = self->scheduler != NULL ? self->mode == MODE_RANGES
                                                     : self->server_ranges;
  self->notices = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i].fetching)
      snapshot->connections++;
  snapshot->verify_origin = self->verify_origin;
  snapshot->verify_name = self->verify_with != NULL ? g_strdup (dp_checksum_get_name (self->verify_with)) : NULL;
  snapshot->sources = g_array_new (FALSE, TRUE, sizeof (DpTransferSourceInfo));
  {
    gint64 now = g_get_monotonic_time ();

    for (guint i = 0; i < self->n_sources; i++)
      {
        const Source *source = &self->sources[i];
        DpTransferSourceInfo info = { 0 };

        info.url = dp_http_uri_to_display (source->uri);
        info.why = g_strdup (source->why);
        info.received = source->received;
        info.bad_pieces = source->bad_pieces;
        info.from_link = source->from_link;
        for (guint w = 0; w < self->n_workers; w++)
          {
            const Worker *worker = &self->workers[w];

            if (worker->running && !worker->retire && worker->source == i && self->pool != NULL)
              {
                double pace = dp_transfer_worker_pace_locked (worker, now);

                info.connections += worker->fetching ? 1 : 0;
                info.speed += MAX (pace, 0);
              }
          }
        if (source->gone)
          info.state = DP_TRANSFER_SOURCE_GONE;
        else if (source->ceiling != G_MAXUINT)
          info.state = DP_TRANSFER_SOURCE_FULL;
        else if (i == 0 ? self->answered : source->answered)
          info.state = DP_TRANSFER_SOURCE_ACTIVE;
        else
          info.state = DP_TRANSFER_SOURCE_WAITING;
        g_array_append_val (snapshot->sources, info);
      }
  }
  if (self->scheduler != NULL)
    {
      guint n = dp_scheduler_get_n_segments (self->scheduler);

      snapshot->received = dp_scheduler_get_done (self->scheduler);
      for (guint i = 0; i < n; i++)
        g_array_append_val (snapshot->segments, *dp_scheduler_get_segment (self->scheduler, i));
    }
}

void
dp_transfer_snapshot (DpTransfer         *self,
                      DpTransferSnapshot *snapshot)
{
  g_mutex_lock (&self->mutex);
  fill_snapshot_locked (self, snapshot);
  g_mutex_unlock (&self->mutex);

  g_array_sort (snapshot->segments, compare_segments);
}

gboolean
dp_transfer_try_snapshot (DpTransfer         *self,
                          DpTransferSnapshot *snapshot)
{
  /* A worker that the system preempted while it held the mutex would
   * hold up the main loop for its whole time slice: report a moment
   * later instead. */
  if (!g_mutex_trylock (&self->mutex))
    {
      memset (snapshot, 0, sizeof *snapshot);
      /* As if the last report were due in a few milliseconds. */
      self->last_progress_us = g_get_monotonic_time () - PROGRESS_INTERVAL_US + 5 * 1000;
      dp_transfer_queue_progress (self);
      return FALSE;
    }

  fill_snapshot_locked (self, snapshot);
  g_mutex_unlock (&self->mutex);

  g_array_sort (snapshot->segments, compare_segments);
  return TRUE;
}

void
dp_transfer_notice (DpTransfer *self,
                    const char *message)
{
  g_debug ("notice: %s", message);
  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->notices, g_strdup (message));
  if (self->context != NULL)
    dp_transfer_queue_progress (self);
  g_mutex_unlock (&self->mutex);
}

/* The validators a resume may trust: only strong ones. */
const char *
dp_transfer_strong_etag (DpTransfer *self)
{
  return dp_etag_is_strong (self->etag) ? self->etag : NULL;
}

const char *
dp_transfer_strong_last_modified (DpTransfer *self)
{
  /* A weak ETag beside it says the date cannot be trusted either. */
  if (self->etag != NULL && !dp_etag_is_strong (self->etag))
    return NULL;
  return self->last_modified_strong ? self->last_modified : NULL;
}

/* Makes what is written durable, then records it in the state file, so
 * that the state never claims a byte that a crash could lose. Fails only
 * when the sync fails: then bytes already counted as written may be
 * lost, and no state is written, now or later. A state file that cannot
 * be written is only a lost convenience. */
gboolean
dp_transfer_checkpoint (DpTransfer  *self,
                        GError     **error)
{
  g_autoptr(DpState) state = NULL;
  g_autoptr(GArray) done = NULL;
  g_autoptr(GError) state_error = NULL;
  g_autofree char *url = NULL;

  g_mutex_lock (&self->mutex);
  if (self->state_path == NULL || self->mode != MODE_RANGES || self->scheduler == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return self->file == NULL || dp_part_file_sync (self->file, error);
    }
  done = dp_scheduler_dup_done (self->scheduler);
  state = dp_state_new ();
  dp_transfer_sources_record (self, state);
  g_mutex_unlock (&self->mutex);

  if (!dp_part_file_sync (self->file, error))
    return FALSE;

  /* The address the file's validators are from: the user's, or the
   * mirror that answered when it did not. */
  url = g_uri_to_string (self->probe_uri != NULL ? self->probe_uri : self->config.uri);
  state->url = dp_state_strip_credentials (url);
  state->size = self->size;
  state->etag = g_strdup (dp_transfer_strong_etag (self));
  state->last_modified = g_strdup (dp_transfer_strong_last_modified (self));
  g_array_append_vals (state->done, done->data, done->len);
  if (!dp_state_save (state, self->state_path, &state_error))
    g_debug ("could not save the resume state: %s", state_error->message);
  return TRUE;
}

void
dp_transfer_snapshot_clear (DpTransferSnapshot *snapshot)
{
  g_clear_pointer (&snapshot->notices, g_ptr_array_unref);
  g_clear_pointer (&snapshot->segments, g_array_unref);
  g_clear_pointer (&snapshot->path, g_free);
  g_clear_pointer (&snapshot->etag, g_free);
  g_clear_pointer (&snapshot->last_modified, g_free);
  g_clear_pointer (&snapshot->verify_name, g_free);
  if (snapshot->sources != NULL)
    {
      for (guint i = 0; i < snapshot->sources->len; i++)
        {
          DpTransferSourceInfo *info = &g_array_index (snapshot->sources, DpTransferSourceInfo, i);

          g_free (info->url);
          g_free (info->why);
        }
      g_clear_pointer (&snapshot->sources, g_array_unref);
    }
}

/* ---------------------------------------------------------------------- */
/* The controller thread. */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The connection's pace, counting the silence since its last window:
 * a capped mirror often sends a burst and then nothing for seconds, and
 * the pace of the burst must not hide that. -1 while the request is too
 * young to tell. */
double
dp_transfer_worker_pace_locked (const Worker *worker,
                                gint64        now)
{
  gint64 open_window = now - worker->window_start;

  if (!worker->fetching || now - worker->request_start < RATE_WINDOW_US)
    return -1;
  if (open_window < RATE_WINDOW_US)
    return worker->rate;
  return MIN (worker->rate, (double) worker->window_bytes * G_USEC_PER_SEC / (double) open_window);
}

double
dp_transfer_median_rate_locked (DpTransfer *self,
                                gint64      now)
{
  double *rates = g_newa (double, self->n_workers + 1);
  guint n = 0;

  for (guint i = 0; i < self->n_workers; i++)
    {
      double pace = dp_transfer_worker_pace_locked (&self->workers[i], now);

      if (pace >= 0)
        rates[n++] = pace;
    }
  if (n == 0)
    return 0;
  qsort (rates, n, sizeof (double), compare_doubles);
  return n % 2 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
}

/* Closes connections that crawl far behind the others, so that their
 * ranges go to a faster one; mirrors often give each connection its own
 * path or cap. A connection is judged by the median of three or more,
 * by the one other when there are two, and alone by the best pace the
 * download kept up before (a connection that slowed to a trickle after
 * a good start): whatever the number of connections, none holds the end
 * of a download for ever. Collects the cancellables to cancel once the
 * mutex is released. */
void
dp_transfer_drop_slow_locked (DpTransfer *self,
                              GPtrArray  *cancellables)
{
  gint64 now = g_get_monotonic_time ();
  double *paces = g_newa (double, self->n_workers + 1);
  guint known = 0;
  double median;

  if (self->mode != MODE_RANGES)
    return;

  for (guint i = 0; i < self->n_workers; i++)
    {
      paces[i] = dp_transfer_worker_pace_locked (&self->workers[i], now);
      if (paces[i] >= 0)
        known++;
    }
  median = dp_transfer_median_rate_locked (self, now);

  for (guint i = 0; i < self->n_workers; i++)
    {
      Worker *worker = &self->workers[i];
      double pace = paces[i];
      double reference = 0;
      const DpSegment *seg;

      if (known >= 3)
        reference = median;
      else if (known == 2)
        for (guint j = 0; j < self->n_workers; j++)
          reference = j != i && paces[j] >= 0 ? paces[j] : reference;
      else
        reference = self->best_pace;

      if (pace < 0 || worker->segment < 0 || reference <= 0 || pace * SLOW_FACTOR >= reference)
        {
          worker->slow_since = 0;
          continue;
        }

      if (worker->slow_since == 0)
        worker->slow_since = now;
      seg = dp_scheduler_get_segment (self->scheduler, (guint) worker->segment);
      /* Not worth a new connection for what it would finish soon anyway. */
      if (now - worker->slow_since < SLOW_GRACE_US ||
          (double) (seg->end - seg->pos) < pace * 1.0)
        continue;

      g_debug ("worker %u: %.0f B/s against %.0f B/s; closing it", worker->index, pace, reference);
      worker->slow_since = 0;
      worker->dropped = TRUE;
      g_ptr_array_add (cancellables, g_object_ref (worker->cancellable));
      /* A lone connection's new one sets the measure afresh: if the whole
       * path slowed down, it is not dropped again for that. */
      if (known < 2)
        self->best_pace = 0;
    }
}

/* Whether either speed limit is on: connections then go at the pace
 * the limiter allows, which says nothing about the path. */
gboolean
dp_transfer_limited (DpTransfer *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->limiters); i++)
    if (self->limiters[i] != NULL && dp_rate_limiter_get_rate (self->limiters[i]) > 0)
      return TRUE;
  return FALSE;
}

/* Starts a worker thread on a free entry, if the engine's budget gives
 * it a slot. Called with the mutex held. */
static gboolean
spawn_locked (DpTransfer *self)
{
  guint index;
  int source = dp_transfer_pick_source_locked (self, -1);

  for (index = 0; index < self->n_allocated; index++)
    if (!self->workers[index].running)
      break;
  if (index == self->n_allocated || source < 0 || !dp_engine_client_try_take (self->client))
    return FALSE;

  self->workers[index].source = (guint) source;
  self->workers[index].running = TRUE;
  self->workers[index].retire = FALSE;
  self->workers[index].dropped = FALSE;
  self->workers[index].started = FALSE;
  /* A new connection: nothing known about its pace yet. */
  self->workers[index].last_pace = 0;
  self->workers[index].last_rtt = 0;
  self->workers[index].rate = 0;
  self->n_workers = MAX (self->n_workers, index + 1);
  self->n_running++;
  g_thread_pool_push (self->pool, GUINT_TO_POINTER (index + 1), NULL);
  return TRUE;
}

/* Connections that run and are not on their way out. */
guint
dp_transfer_count_active_locked (DpTransfer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i].running && !self->workers[i].retire)
      n++;
  return n;
}

/* Automatic connections (dp-auto.h): ramps in short steps, each once
 * every connection of the last one delivered, and trims over whole-second
 * windows. Returns the connections wanted now. Called with the mutex
 * held. */
static guint
auto_target_locked (DpTransfer *self,
                    gint64      now,
                    guint       active,
                    guint       cap)
{
  gint64 done = dp_scheduler_get_done (self->scheduler);
  gint64 left = self->size - done;
  gint64 elapsed = now - self->auto_step_at;
  guint64 limits[2] = { 0, 0 };
  guint next = self->auto_target;
  double rate;

  /* A changed speed limit, or more room in the budget than the count
   * was capped at: what was measured no longer holds. */
  for (guint i = 0; i < G_N_ELEMENTS (self->limiters); i++)
    if (self->limiters[i] != NULL)
      limits[i] = dp_rate_limiter_get_rate (self->limiters[i]);
  if (limits[0] != self->auto_limits[0] || limits[1] != self->auto_limits[1] ||
      (cap > self->auto_share && self->auto_target >= self->auto_share))
    {
      dp_auto_restart (&self->autoc);
      if (self->autoc.phase == DP_AUTO_RAMP)
        {
          g_debug ("auto: conditions changed; ramping again from %u connections", active);
          self->auto_step_at = now;
          self->auto_step_done = done;
          elapsed = 0;
        }
    }
  self->auto_limits[0] = limits[0];
  self->auto_limits[1] = limits[1];
  self->auto_share = cap;

  if (self->autoc.phase == DP_AUTO_STEADY)
    return MIN (self->auto_target, cap);

  /* Near the end connections run out of work: nothing to measure, and
   * no room for more. */
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i].running && !self->workers[i].retire && self->workers[i].segment < 0)
      return MIN (self->auto_target, cap);

  rate = elapsed > 0 ? (double) (done - self->auto_step_done) * G_USEC_PER_SEC / (double) elapsed : 0;
  if (self->autoc.phase == DP_AUTO_RAMP)
    {
      gboolean all_started = TRUE;

      for (guint i = 0; i < self->n_workers; i++)
        if (self->workers[i].running && !self->workers[i].retire && !self->workers[i].started)
          all_started = FALSE;
      if (elapsed < AUTO_RAMP_US || (!all_started && elapsed < AUTO_SETTLE_MAX_US))
        return MIN (self->auto_target, cap);
      /* Under a speed limit it nearly reaches, more connections cannot
       * help. */
      for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
        if (limits[i] > 0 && rate >= (double) limits[i] * 0.8)
          {
            g_debug ("auto: %.0f B/s is the speed limit's; staying at %u", rate, active);
            self->autoc.phase = DP_AUTO_STEADY;
            return MIN (self->auto_target, cap);
          }
      next = dp_auto_ramp (&self->autoc, active, left, rate, cap);
    }
  else
    {
      if (elapsed < AUTO_TRIM_WINDOW_US)
        return MIN (self->auto_target, cap);
      next = dp_auto_trim (&self->autoc, active, rate);
    }

  g_debug ("auto: %.0f B/s with %u connections, %" G_GINT64_FORMAT " bytes left; %u next%s",
           rate, active, left, next, self->autoc.phase == DP_AUTO_STEADY ? ", and stays" : "");
  self->auto_step_at = now;
  self->auto_step_done = done;
  return next;
}

/* Brings the number of connections to what the budget, the server and
 * automatic connections allow. Collects the cancellables of workers to
 * retire, to be cancelled once the mutex is released. Called with the
 * mutex held. */
static void
adjust_connections_locked (DpTransfer *self,
                           gint64      now,
                           GPtrArray  *cancellables)
{
  guint cap = MIN (dp_engine_client_get_share (self->client), self->ceiling);
  guint active = dp_transfer_count_active_locked (self);
  guint target;

  if (self->stopping || self->mode != MODE_RANGES || self->pool == NULL)
    return;

  if (self->config.segments == 0)
    target = self->auto_target = auto_target_locked (self, now, active, MIN (cap, self->n_allocated));
  else
    target = MIN (self->config.segments, cap);
  target = MAX (target, 1);
  /* New connections take their work by splitting others' ranges: no
   * more of them than the rest of the file has room for (a small or
   * nearly done file), but never fewer than run now for that. */
  if (target > active)
    {
      gint64 left = self->size - dp_scheduler_get_done (self->scheduler);
      gint64 room = MAX (left / (MAX (self->config.min_segment, 1) * 2), 1);

      target = MAX (active, (guint) MIN ((gint64) target, room));
    }

  if (active < target && !dp_scheduler_is_complete (self->scheduler))
    {
      guint before = active;

      while (active < target && spawn_locked (self))
        active++;
      if (active != before)
        g_debug ("%u connections, up from %u", active, before);
    }
  /* Fewer: the last ones end now, their ranges go to the others. */
  for (guint i = self->n_workers; i-- > 0 && active > target;)
    {
      Worker *worker = &self->workers[i];

      if (!worker->running || worker->retire)
        continue;
      g_debug ("worker %u: retiring, %u connections wanted", worker->index, target);
      worker->retire = TRUE;
      worker->dropped = TRUE;
      g_ptr_array_add (cancellables, g_object_ref (worker->cancellable));
      active--;
    }
  g_cond_broadcast (&self->cond);
}

/* Segments whose bytes have all arrived. Called with the mutex held. */
static guint
count_finished_locked (DpTransfer *self)
{
  guint n = dp_scheduler_get_n_segments (self->scheduler);
  guint finished = 0;

  for (guint i = 0; i < n; i++)
    {
      const DpSegment *seg = dp_scheduler_get_segment (self->scheduler, i);

      if (seg->pos >= seg->end)
        finished++;
    }
  return finished;
}

/* Waits for the workers, watching their pace, and makes what they wrote
 * durable about once a second and when a segment ends. Called and
 * returns with the mutex held. */
static void
checkpoint_loop_locked (DpTransfer *self)
{
  gint64 synced = 0;
  /* When the last checkpoint took its snapshot, and when it was done. */
  gint64 last_start = g_get_monotonic_time ();
  gint64 last_end = last_start;
  gint64 next_checkpoint = last_start + CHECKPOINT_INTERVAL_US;
  gint64 next_control = last_start + CONTROL_INTERVAL_US;
  guint finished = count_finished_locked (self);
  gint64 next_adjust = last_start;
  gint64 written_back = dp_scheduler_get_done (self->scheduler);

  for (;;)
    {
      /* Any broadcast (a finished segment, a stopping worker) wakes us:
       * the end of a download is when a sync saves the most time. */
      g_autoptr(GPtrArray) slow = g_ptr_array_new_with_free_func (g_object_unref);
      gint64 now;
      gint64 done;
      guint finished_now;

      if (self->n_running == 0 && self->n_pieces > 0 && !self->stopping && self->error == NULL &&
          dp_scheduler_is_complete (self->scheduler))
        {
          g_autoptr(GError) error = NULL;

          /* Every byte is here: the last pieces are checked before the
           * file is, and a bad one is fetched again. */
          g_mutex_unlock (&self->mutex);
          if (!dp_transfer_check_pieces (self, FALSE, &error))
            dp_transfer_abort (self, g_steal_pointer (&error));
          g_mutex_lock (&self->mutex);
        }
      if (self->n_running == 0)
        {
          /* The last workers ended together, each leaving the rest to
           * the other (a retirement that crossed a refusal): one more
           * carries on. A worker that ends for good stops the transfer
           * first. */
          if (self->stopping || self->mode != MODE_RANGES || self->error != NULL ||
              dp_scheduler_is_complete (self->scheduler))
            break;
          adjust_connections_locked (self, g_get_monotonic_time (), slow);
          if (self->n_running == 0)
            break;
          g_debug ("no connection was left; started %u again", self->n_running);
        }

      g_cond_wait_until (&self->cond, &self->mutex,
                         MIN (MIN (next_control, next_checkpoint), next_adjust));
      now = g_get_monotonic_time ();
      if (self->n_running == 0)
        continue;

      /* Automatic connections measure in short windows: their decisions
       * matter most in a download's first second. */
      if (now >= next_adjust)
        {
          adjust_connections_locked (self, now, slow);
          next_adjust = now + (self->config.segments == 0 && self->autoc.phase == DP_AUTO_RAMP
                               ? AUTO_RAMP_US / 4 : AUTO_RAMP_US);
        }
      /* Under a speed limit every connection crawls alike. */
      if (now >= next_control && !dp_transfer_limited (self))
        dp_transfer_drop_slow_locked (self, slow);
      if (slow->len > 0)
        {
          g_mutex_unlock (&self->mutex);
          for (guint i = 0; i < slow->len; i++)
            g_cancellable_cancel (g_ptr_array_index (slow, i));
          g_mutex_lock (&self->mutex);
        }
      /* Checkpoints are a second apart, but the bytes need not wait for
       * them to head for the disk: the end of a download then does not
       * wait for all of them at once. */
      if ((now >= next_control ||
           dp_scheduler_get_done (self->scheduler) - written_back >= WRITEBACK_BYTES) &&
          self->file != NULL)
        {
          written_back = dp_scheduler_get_done (self->scheduler);
          g_mutex_unlock (&self->mutex);
          dp_part_file_start_writeback (self->file);
          g_mutex_lock (&self->mutex);
        }
      if (now >= next_control && self->n_pieces > 0)
        {
          g_autoptr(GError) error = NULL;

          /* Pieces that are complete are read back and checked; a bad
           * one is fetched again. */
          g_mutex_unlock (&self->mutex);
          if (!dp_transfer_check_pieces (self, FALSE, &error))
            dp_transfer_abort (self, g_steal_pointer (&error));
          g_mutex_lock (&self->mutex);
        }
      if (now >= next_control)
        next_control = now + CONTROL_INTERVAL_US;

      /* A segment that ends is worth recording right away (a connection
       * is free, the rest of the file may take long), but not more often
       * than CHECKPOINT_MIN_US. */
      finished_now = count_finished_locked (self);
      if (finished_now != finished)
        {
          finished = finished_now;
          next_checkpoint = MIN (next_checkpoint, last_end + CHECKPOINT_MIN_US);
        }
      if (now < next_checkpoint)
        continue;

      done = dp_scheduler_get_done (self->scheduler);
      if (done == synced)
        {
          /* Nothing new: look again soon, so that the first new bytes
           * are not left out for long. */
          next_checkpoint = now + CONTROL_INTERVAL_US;
          continue;
        }

      {
        g_autoptr(GError) error = NULL;
        gboolean ok;

        g_mutex_unlock (&self->mutex);
        ok = dp_transfer_checkpoint (self, &error);
        /* Bytes the transfer counts as written may be lost, and the
         * final fsync() would not say so: the file cannot be trusted. */
        if (!ok)
          dp_transfer_abort (self, g_steal_pointer (&error));
        g_mutex_lock (&self->mutex);
      }
      synced = done;
      last_start = now;
      last_end = g_get_monotonic_time ();
      /* Spaced from snapshot to snapshot, so that a crash loses about a
       * second at most; a slow disk still gets a breather. */
      next_checkpoint = MAX (last_start + CHECKPOINT_INTERVAL_US, last_end + CHECKPOINT_MIN_US);
    }
}

static gboolean
plan_and_run (DpTransfer  *self,
              DpProbe     *probe,
              GError     **error)
{
  GThreadPool *pool;
  guint n_workers;
  /* Automatic connections start with a few on each address: each mirror
   * is a server of its own, as careful a start for each. */
  guint wanted = self->config.segments > 0
                 ? self->config.segments
                 : AUTO_START * CLAMP (dp_transfer_n_usable_sources_locked (self), 1, AUTO_PLANNED / AUTO_START);
  /* Automatic connections plan more ranges than they start with: the
   * first requests (of a pace nobody knows yet) then stay a sixteenth of
   * the file, and the connections added later find ranges of their own
   * instead of cutting others' requests short. */
  guint planned = self->config.segments > 0 ? self->config.segments : AUTO_PLANNED;

  g_mutex_lock (&self->mutex);
  self->size = probe->size;
  self->size_unconfirmed = probe->size_unconfirmed;
  /* The probe's own answer shows whether the server honours ranges. */
  self->ranges_seen = probe->ranges;
  self->link_proven = TRUE;
  if (probe->size < 0)
    {
      self->mode = MODE_STREAM;
      self->scheduler = dp_scheduler_new (G_MAXINT64, 1, G_MAXINT64);
    }
  else if (!probe->ranges)
    {
      self->mode = MODE_SINGLE;
      self->scheduler = dp_scheduler_new (probe->size, 1, MAX (probe->size, 1));
    }
  else if (self->resume_done != NULL)
    {
      self->mode = MODE_RANGES;
      self->scheduler = dp_scheduler_new_resume (probe->size, planned,
                                                 self->config.min_segment, self->resume_done);
    }
  else
    {
      self->mode = MODE_RANGES;
      self->scheduler = dp_scheduler_new (probe->size, planned,
                                          self->config.min_segment);
    }

  /* One worker per segment that needs work: small files use fewer
   * connections, and a resumed file only what is missing. */
  n_workers = 0;
  for (guint i = 0; i < dp_scheduler_get_n_segments (self->scheduler); i++)
    {
      const DpSegment *seg = dp_scheduler_get_segment (self->scheduler, i);
      if (seg->pos < seg->end)
        n_workers++;
    }
  /* A resumed file may have hundreds of gaps: never more connections
   * than asked for (more threads than the session has connections would
   * wait inside libsoup, where no cancellable reaches them). Workers
   * take the other gaps as they free up. */
  n_workers = CLAMP (n_workers, 1, MAX (wanted, 1));
  if (self->mode != MODE_RANGES)
    self->n_allocated = 1;
  else if (self->config.segments == 0)
    self->n_allocated = MAX (AUTO_MAX, n_workers);
  else
    self->n_allocated = MAX (self->config.segments, n_workers);
  dp_engine_client_set_wanted (self->client, self->n_allocated);
  /* The first connection has the probe's slot; the others take theirs
   * from the budget, which may hold fewer now. The rest come when it
   * has room. */
  for (guint i = 1; i < n_workers; i++)
    if (!dp_engine_client_try_take (self->client))
      {
        g_debug ("the budget allows %u connections for now", i);
        n_workers = i;
        break;
      }
  self->workers = g_new0 (Worker, self->n_allocated);
  self->n_workers = n_workers;
  for (guint i = 0; i < self->n_allocated; i++)
    {
      self->workers[i].index = i;
      self->workers[i].cancellable = g_cancellable_new ();
      self->workers[i].segment = -1;
    }
  self->auto_target = n_workers;
  self->auto_step_at = g_get_monotonic_time ();
  self->auto_step_done = dp_scheduler_get_done (self->scheduler);
  self->auto_share = dp_engine_client_get_share (self->client);
  for (guint i = 0; i < G_N_ELEMENTS (self->limiters); i++)
    if (self->limiters[i] != NULL)
      self->auto_limits[i] = dp_rate_limiter_get_rate (self->limiters[i]);
  for (guint i = 0; i < n_workers; i++)
    {
      /* Initial segment i goes to worker i, so that the probe's open
       * answer (which starts at 0) reaches the worker of segment 0. */
      self->workers[i].segment = dp_scheduler_acquire (self->scheduler, (int) i);
    }
  if (probe->stream != NULL)
    {
      self->workers[0].pending_msg = g_steal_pointer (&probe->msg);
      self->workers[0].pending_stream = g_steal_pointer (&probe->stream);
      self->workers[0].pending_start = probe->body_start;
      self->workers[0].pending_end = probe->body_end;
    }
  self->phase = DP_TRANSFER_PHASE_TRANSFERRING;
  dp_transfer_queue_progress (self);

  if (self->stopping || dp_scheduler_is_complete (self->scheduler))
    {
      /* Nobody reads the probe's answer: it ends in this thread, where
       * it was sent. */
      GInputStream *stream = g_steal_pointer (&self->workers[0].pending_stream);
      SoupMessage *msg = g_steal_pointer (&self->workers[0].pending_msg);

      g_mutex_unlock (&self->mutex);
      if (stream != NULL)
        g_input_stream_close (stream, NULL, NULL);
      g_clear_object (&stream);
      g_clear_object (&msg);
      return TRUE;
    }

  /* A pool of its own, sized to the connections: GTask's shared pool
   * would queue long blocking jobs behind each other (and behind DNS). */
  pool = g_thread_pool_new (dp_transfer_worker_run, self, (int) self->n_allocated, FALSE, error);
  if (pool == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  self->pool = pool;

  self->n_running = n_workers;
  for (guint i = 0; i < n_workers; i++)
    {
      /* The first connection is the probe's; the others spread over the
       * file's addresses. */
      int source = i == 0 ? 0 : dp_transfer_pick_source_locked (self, -1);

      self->workers[i].source = (guint) MAX (source, 0);
      self->workers[i].running = TRUE;
    }
  for (guint i = 0; i < n_workers; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);

  checkpoint_loop_locked (self);
  self->pool = NULL;
  g_mutex_unlock (&self->mutex);

  g_thread_pool_free (pool, FALSE, TRUE);
  return TRUE;
}

/* The server sends its bytes in a content coding nobody asked for. A
 * file that is itself in that coding (a .tar.gz served as "gzip") is
 * saved as it comes; anything else is decoded as it arrives, over one
 * stream, since ranges of compressed bytes cannot be decoded apart. */
static gboolean
choose_encoding (DpTransfer  *self,
                 DpProbe     *probe,
                 GError     **error)
{
  GZlibCompressorFormat format;
  g_autofree char *name = NULL;
  g_autoptr(GZlibDecompressor) decoder = NULL;

  if (self->config.output != NULL)
    name = g_path_get_basename (self->config.output);
  else
    {
      g_autofree char *uri = NULL;

      g_mutex_lock (&self->mutex);
      uri = g_uri_to_string (self->final_uri);
      g_mutex_unlock (&self->mutex);
      name = dp_derive_filename (soup_message_headers_get_one (soup_message_get_response_headers (probe->msg),
                                                               "Content-Disposition"), uri);
    }

  self->encoding = g_strdup (probe->encoding);
  if (dp_encoding_is_the_file (probe->encoding, name))
    return TRUE;

  if (!dp_encoding_get_zlib_format (probe->encoding, &format))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_BAD_RESPONSE,
                   _("The server sent the file compressed as “%s”, which Downpour cannot "
                     "decompress."), probe->encoding);
      return FALSE;
    }

  self->decode = TRUE;
  /* A part of a compressed stream cannot be decoded: only a body that
   * is the whole representation is kept for the first worker. */
  if (probe->stream != NULL && probe->ranges && probe->body_end != probe->size)
    {
      g_input_stream_close (probe->stream, NULL, NULL);
      g_clear_object (&probe->stream);
    }
  probe->size = -1;
  probe->size_unconfirmed = FALSE;
  probe->ranges = FALSE;
  probe->body_end = -1;
  if (probe->stream != NULL)
    {
      GInputStream *decoded;

      decoder = g_zlib_decompressor_new (format);
      decoded = g_converter_input_stream_new (probe->stream, G_CONVERTER (decoder));
      g_object_unref (probe->stream);
      probe->stream = decoded;
    }
  dp_transfer_notice (self, _("The server sends this file compressed. It is decompressed as it "
                              "arrives, over one connection."));
  return TRUE;
}

/* The probe's answer ("bytes 0-N/ *") did not say how long the file
 * is, so the end it implied is checked: asking past it must find
 * nothing (416), or the whole file of that length. Transient failures
 * are asked again like any request; an expired link is asked for
 * through the user's address. */
static gboolean
confirm_end (DpTransfer  *self,
             GError     **error)
{
  for (guint pass = 0;; pass++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GUri) uri = NULL;
      gboolean ok = FALSE;
      gboolean changed = FALSE;
      DpAnswer answer;
      guint status;

      g_mutex_lock (&self->mutex);
      uri = g_uri_ref (pass == 0 ? self->final_uri : self->probe_uri);
      g_mutex_unlock (&self->mutex);

      msg = dp_http_message_new ("GET", uri, self->size, -1, self->validator);
      stream = dp_transfer_send_with_retries (self, &msg, error);
      if (stream == NULL)
        return FALSE;
      if (!dp_answer_read (&answer, msg, stream, self->cancellable, error))
        {
          dp_answer_clear (&answer);
          return FALSE;
        }

      status = soup_message_get_status (msg);
      if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
        {
          const char *range = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Content-Range");
          const char *slash = range != NULL ? strrchr (range, '/') : NULL;
          gint64 total = -1;

          /* "bytes * /N" names the length; it must be ours. */
          ok = slash == NULL ||
               !g_ascii_string_to_signed (slash + 1, 10, 0, G_MAXINT64, &total, NULL) ||
               total == self->size;
          changed = !ok;
        }
      else if (answer.kind == DP_ANSWER_PARTIAL)
        changed = TRUE;
      else if (answer.kind == DP_ANSWER_WHOLE)
        {
          ok = answer.total == self->size;
          changed = answer.total >= 0 && !ok;
        }
      dp_http_finish (answer.stream, self->cancellable);
      dp_answer_clear (&answer);

      if (ok)
        return TRUE;
      if (changed)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_CHANGED,
                               _("The file on the server is no longer the size it had when the "
                                 "download started."));
          return FALSE;
        }
      /* An expired link: the user's address leads to a fresh one. */
      if (pass == 0 && !soup_uri_equal (uri, self->probe_uri) &&
          (status == 401 || status == 403 || status == 404 || status == 410))
        continue;
      g_propagate_error (error, dp_http_status_to_error (msg));
      return FALSE;
    }
}

/* Probes the user's address and, when it does not answer (and only
 * then), its mirrors in turn: the first that answers becomes source 0. */
static gboolean
probe_sources (DpTransfer  *self,
               DpProbe     *probe,
               GError     **error)
{
  g_autoptr(GError) first_error = NULL;

  for (guint i = 0;; i++)
    {
      g_autoptr(GError) local_error = NULL;
      guint n;

      g_mutex_lock (&self->mutex);
      n = self->n_sources;
      g_clear_pointer (&self->probe_uri, g_uri_unref);
      self->probe_uri = g_uri_ref (self->sources[i].uri);
      self->probe_quick = i + 1 < n;
      g_mutex_unlock (&self->mutex);

      if (dp_transfer_probe (self, probe, &local_error))
        {
          self->probe_quick = FALSE;
          g_mutex_lock (&self->mutex);
          self->sources[i].answered = TRUE;
          g_mutex_unlock (&self->mutex);
          if (i != 0)
            {
              Source first;

              /* That mirror is now the download's first address. */
              g_mutex_lock (&self->mutex);
              first = self->sources[0];
              self->sources[0] = self->sources[i];
              self->sources[i] = first;
              g_mutex_unlock (&self->mutex);
            }
          return TRUE;
        }
      self->probe_quick = FALSE;
      dp_probe_clear (probe);
      /* Only a server's failure makes another address worth asking; a
       * Metalink document is an answer. */
      if (self->metalink != NULL || i + 1 >= n || !dp_transfer_is_source_failure (local_error, FALSE) ||
          g_cancellable_is_cancelled (self->cancellable))
        {
          if (first_error != NULL && self->metalink == NULL && i + 1 >= n && dp_transfer_is_source_failure (local_error, FALSE))
            {
              /* Every address failed: the user's own address's failure is
               * the one to show. */
              g_propagate_error (error, g_steal_pointer (&first_error));
              return FALSE;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      {
        g_autofree char *shown = dp_http_uri_to_display (self->sources[i].uri);

        g_debug ("probe: %s failed (%s); asking the next address", shown, local_error->message);
      }
      g_mutex_lock (&self->mutex);
      self->sources[i].gone = TRUE;
      self->sources[i].why = g_strdup (local_error->message);
      g_mutex_unlock (&self->mutex);
      if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
}

/* What the probe's answer says besides the file: mirrors (RFC 6249),
 * and the file's digest (RFC 9530 Repr-Digest, RFC 3230 Digest), which
 * checks the file unless the user or a Metalink gave one. */
static void
learn_from_probe (DpTransfer *self,
                  DpProbe    *probe)
{
  g_autoptr(GPtrArray) links = NULL;
  g_autoptr(DpChecksum) digest = NULL;

  if (probe->msg == NULL)
    return;
  digest = dp_digest_from_headers (soup_message_get_response_headers (probe->msg));
  links = dp_http_dup_duplicate_links (probe->msg);

  g_mutex_lock (&self->mutex);
  /* A digest covers the representation as sent, in its content coding:
   * a file decoded on the way would never match it. */
  if (self->verify_with == NULL && digest != NULL && probe->encoding == NULL)
    {
      self->verify_with = g_steal_pointer (&digest);
      self->verify_origin = DP_DIGEST_ORIGIN_SERVER;
      g_debug ("the server gave the file's %s digest", dp_checksum_get_name (self->verify_with));
    }
  if (!self->config.no_links && probe->ranges)
    for (guint i = 0; i < links->len; i++)
      {
        const DpDuplicateLink *link = g_ptr_array_index (links, i);
        g_autoptr(GUri) uri = g_uri_parse (link->url, SOUP_HTTP_URI_FLAGS, NULL);

        /* Never from https to plain http: a mirror must be as safe as
         * the address it stands in for. */
        if (uri != NULL &&
            !(g_ascii_strcasecmp (g_uri_get_scheme (self->probe_uri), "https") == 0 &&
              g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 &&
              !self->config.allow_downgrade) &&
            dp_transfer_add_source_locked (self, uri, TRUE))
          g_debug ("the server names a mirror: %s", link->url);
      }
  g_mutex_unlock (&self->mutex);
}

GPtrArray *
dp_transfer_take_metalink (DpTransfer *self)
{
  GPtrArray *files;

  g_mutex_lock (&self->mutex);
  files = g_steal_pointer (&self->metalink);
  g_mutex_unlock (&self->mutex);
  return files;
}

static gpointer
controller_thread (gpointer data)
{
  g_autoptr(GTask) task = data;
  DpTransfer *self = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  DpProbe probe = { 0 };
  g_autofree char *path = NULL;
  gboolean ok;

  /* The session is created and configured here, before any worker
   * sends on it (libsoup's rule for using a session from threads). */
  self->session = dp_http_session_new (self->config.segments > 0 ? self->config.segments : AUTO_MAX,
                                       self->config.stall_timeout,
                                       self->config.accept_invalid_certificates,
                                       dp_request_state_new (self->config.request,
                                                             self->config.uri));
  /* The probe's connection is the first of the budget's; the budget
   * never refuses a download its first. */
  {
    g_autofree char *host = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (self->config.uri),
                                             g_uri_get_host (self->config.uri),
                                             g_uri_get_port (self->config.uri));

    self->client = dp_engine_join (self->config.engine, host,
                                   self->config.segments > 0 ? self->config.segments : AUTO_MAX);
    dp_engine_client_try_take (self->client);
  }

  ok = probe_sources (self, &probe, &error);
  if (ok)
    learn_from_probe (self, &probe);
  if (ok && self->config.expected_size > 0 && probe.size >= 0 && probe.size != self->config.expected_size)
    {
      g_autofree char *said = g_strdup_printf ("%" G_GINT64_FORMAT, self->config.expected_size);
      g_autofree char *got = g_strdup_printf ("%" G_GINT64_FORMAT, probe.size);

      g_set_error (&error, DP_ERROR, DP_ERROR_CHANGED,
                   _("The server has a file of %s bytes, but the Metalink file says %s."), got, said);
      ok = FALSE;
    }
  if (ok && dp_http_session_accepted_invalid_certificate (self->session))
    dp_transfer_notice (self, _("The server’s certificate could not be verified. Downloading "
                                "anyway, as asked; the file could have been altered on the way."));
  if (ok && probe.encoding != NULL)
    ok = choose_encoding (self, &probe, &error);
  ok = ok &&
       dp_transfer_open_output (self, &probe, &error) &&
       plan_and_run (self, &probe, &error);
  dp_probe_clear (&probe);

  g_mutex_lock (&self->mutex);
  /* The first error is the cause; later ones (a cancelled probe, say)
   * are its consequences. */
  if (self->error != NULL)
    {
      g_clear_error (&error);
      g_propagate_error (&error, g_steal_pointer (&self->error));
      ok = FALSE;
    }
  if (ok && !dp_scheduler_is_complete (self->scheduler))
    {
      g_set_error_literal (&error, DP_ERROR, DP_ERROR_NETWORK,
                           _("The download stopped before the whole file arrived."));
      ok = FALSE;
    }
  if (ok)
    self->phase = DP_TRANSFER_PHASE_FINISHING;
  path = g_strdup (self->path);
  g_mutex_unlock (&self->mutex);

  if (ok && self->size_unconfirmed && self->mode == MODE_RANGES)
    ok = confirm_end (self, &error);

  if (ok && self->mode == MODE_STREAM)
    ok = dp_part_file_truncate (self->file, self->size, &error);
  /* Pieces not checked yet (a resumed file that was complete, one
   * stream without ranges) are checked now; nothing can fetch them
   * again. */
  if (ok && self->n_pieces > 0 && !dp_transfer_check_pieces (self, TRUE, &error))
    {
      ok = FALSE;
      if (g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM))
        {
          if (self->state_path != NULL)
            g_unlink (self->state_path);
          dp_part_file_discard (self->file);
          g_clear_pointer (&self->file, dp_part_file_free);
        }
    }
  if (ok && self->verify_with != NULL)
    {
      g_autofree char *name = g_path_get_basename (path);

      /* Read back what is on disk: that is what the user gets. */
      ok = dp_checksum_verify_fd (self->verify_with, dp_part_file_get_fd (self->file),
                                  name, self->cancellable, &error);
      if (!ok && g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM) &&
          self->verify_origin != DP_DIGEST_ORIGIN_USER)
        {
          /* Say whose digest it failed. */
          const char *whose = self->verify_origin == DP_DIGEST_ORIGIN_METALINK
                              ? _("The downloaded file does not match the hash in the Metalink file, "
                                  "so it was deleted. A mirror may have a damaged copy.")
                              : _("The downloaded file does not match the digest the server gave "
                                  "for it, so it was deleted. It was damaged on the way, or a "
                                  "mirror has a damaged copy.");

          g_clear_error (&error);
          g_set_error_literal (&error, DP_ERROR, DP_ERROR_CHECKSUM, whose);
        }
      if (!ok && g_error_matches (error, DP_ERROR, DP_ERROR_CHECKSUM))
        {
          /* Known bad: a later attempt must not continue it. Both files
           * go while the lock is still held. */
          if (self->state_path != NULL)
            g_unlink (self->state_path);
          dp_part_file_discard (self->file);
          g_clear_pointer (&self->file, dp_part_file_free);
        }
    }
  if (ok)
    {
      g_debug ("all bytes written; flushing and renaming");
      ok = dp_transfer_commit_output (self, &error);
      g_debug ("committed");
      if (ok && self->state_path != NULL)
        g_unlink (self->state_path);
      g_clear_pointer (&self->file, dp_part_file_free);
      /* The name actually used. */
      g_mutex_lock (&self->mutex);
      g_free (path);
      path = g_strdup (self->path);
      g_mutex_unlock (&self->mutex);
    }
  else if (self->file != NULL && self->resume_done == NULL &&
           !dp_part_file_has_data (self->file))
    {
      /* Not a byte of the file arrived (an error page, a refusal): leave
       * nothing behind. */
      if (self->state_path != NULL)
        g_unlink (self->state_path);
      dp_part_file_discard (self->file);
      g_clear_pointer (&self->file, dp_part_file_free);
    }
  else if (self->file != NULL && g_error_matches (error, DP_ERROR, DP_ERROR_CHANGED))
    {
      /* The bytes here belong to a version the server no longer has: no
       * state may vouch for them, and the next attempt (which starts
       * over into the same file) probes from the start. */
      if (self->state_path != NULL)
        g_unlink (self->state_path);
    }
  else if (self->file != NULL)
    {
      /* Keep what arrived for the next attempt; after a failed sync
       * this writes no state. */
      dp_transfer_checkpoint (self, NULL);
    }
  /* The lock goes with the transfer's end, not with its last reference
   * (a progress source may hold one a while): a new attempt right after
   * must find the partial file free. */
  g_clear_pointer (&self->file, dp_part_file_free);

  /* Connections go before the result does, so that the caller may quit
   * right away. */
  soup_session_abort (self->session);
  g_clear_pointer (&self->client, dp_engine_leave);

  if (!ok && error != NULL && error->domain != DP_ERROR)
    error = dp_http_translate_error (error, NULL);

  if (ok)
    g_task_return_pointer (task, g_steal_pointer (&path), g_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));

  return NULL;
}

void
dp_transfer_run (DpTransfer *self,
                 GTask      *task)
{
  g_return_if_fail (self->context == NULL);

  self->context = g_main_context_ref_thread_default ();
  g_task_set_task_data (task, dp_transfer_ref (self), (GDestroyNotify) dp_transfer_unref);
  self->thread = g_thread_new ("dp-transfer", controller_thread, g_object_ref (task));
}

void
dp_transfer_join (DpTransfer *self)
{
  GThread *thread = g_steal_pointer (&self->thread);

  if (thread != NULL)
    g_thread_join (thread);
}
