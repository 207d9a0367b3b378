/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/resource.h>

#include "dp-engine-private.h"

/* Descriptors kept out of the budget: the files being written, state
 * files, the main loop's and the threads' wake-up descriptors, and
 * whatever the front end opens. */
#define RESERVED_FILES 96
/* Each connection costs its socket and its thread's wake-up descriptor
 * (libsoup's synchronous sends run a main context per thread): 20
 * downloads at a budget of 80 peaked at about 200 descriptors in all
 * (tests/test-budget.c). A connection whose worker ended may also stay
 * idle in its session a while. */
#define FILES_PER_CONNECTION 2
#define MIN_BUDGET 16
#define MAX_BUDGET 1024
/* Never raise the limit beyond this: some libraries still walk every
 * possible descriptor before they exec a program. */
#define MAX_OPEN_FILES 65536

struct _DpEngineClient
{
  DpEngine *engine;     /* strong reference */
  char *host;
  guint wanted;
  guint held;
  guint share;
};

struct _DpEngine
{
  GObject parent_instance;

  DpRateLimiter *limiter;

  GMutex mutex;
  /* Guarded by the mutex. */
  guint max_connections;
  guint max_per_host;
  guint in_use;
  GPtrArray *clients;   /* of DpEngineClient, not owned */
};

G_DEFINE_FINAL_TYPE (DpEngine, dp_engine, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_MAX_CONNECTIONS,
  PROP_MAX_CONNECTIONS_PER_HOST,
  PROP_RATE_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

guint
dp_engine_budget_for_files (guint64 open_files)
{
  guint64 budget;

  if (open_files <= RESERVED_FILES + MIN_BUDGET * FILES_PER_CONNECTION)
    return MIN_BUDGET;
  budget = (open_files - RESERVED_FILES) / FILES_PER_CONNECTION;
  return (guint) MIN (budget, MAX_BUDGET);
}

/* Raises the soft limit of open files as far as the hard limit allows,
 * once per process, and returns it. */
static guint64
raise_open_files_limit (void)
{
  static gsize limit = 0;

  if (g_once_init_enter (&limit))
    {
      struct rlimit rl;
      gsize value = 1024;

      if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
        {
          rlim_t wanted = rl.rlim_max == RLIM_INFINITY ? MAX_OPEN_FILES
                                                       : MIN (rl.rlim_max, (rlim_t) MAX_OPEN_FILES);

          if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted)
            {
              struct rlimit raised = { wanted, rl.rlim_max };

              if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
                rl.rlim_cur = wanted;
              else
                g_debug ("could not raise the limit of open files: %s", g_strerror (errno));
            }
          value = rl.rlim_cur == RLIM_INFINITY ? MAX_OPEN_FILES : (gsize) rl.rlim_cur;
        }
      g_debug ("open files allowed: %" G_GSIZE_FORMAT, value);
      g_once_init_leave (&limit, value);
    }
  return limit;
}

/* Shares @cap between @n wants so that none gets more than it wants and
 * the rest is split evenly ("water filling"). @order holds the indices
 * of @wants sorted by want, smallest first. */
static void
fill (const guint *wants,
      const guint *order,
      guint        n,
      guint        cap,
      guint       *shares)
{
  guint left = cap;

  for (guint i = 0; i < n; i++)
    {
      guint k = order[i];
      guint fair = left / (n - i);
      guint give = MIN (wants[k], fair);

      shares[k] = give;
      left -= give;
    }
}

static int
compare_wants (gconstpointer a,
               gconstpointer b,
               gpointer      data)
{
  const guint *wants = data;
  guint wa = wants[*(const guint *) a];
  guint wb = wants[*(const guint *) b];

  return wa < wb ? -1 : wa > wb;
}

static void
sort_by_want (const guint *wants,
              guint       *order,
              guint        n)
{
  for (guint i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, (gint) n, sizeof (guint), compare_wants, (gpointer) wants);
}

/* Every client's share: first the per-host budget within each host,
 * then the total between all. */
static void
share_locked (DpEngine *self)
{
  guint n = self->clients->len;
  g_autofree guint *wants = g_new (guint, MAX (n, 1));
  g_autofree guint *host_shares = g_new (guint, MAX (n, 1));
  g_autofree guint *shares = g_new (guint, MAX (n, 1));
  g_autofree guint *order = g_new (guint, MAX (n, 1));
  g_autofree gboolean *done = g_new0 (gboolean, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      DpEngineClient *ci = g_ptr_array_index (self->clients, i);
      guint n_host = 0;
      g_autofree guint *members = NULL;
      g_autofree guint *member_wants = NULL;
      g_autofree guint *member_order = NULL;
      g_autofree guint *member_shares = NULL;

      if (done[i])
        continue;
      members = g_new (guint, n);
      for (guint j = i; j < n; j++)
        {
          DpEngineClient *cj = g_ptr_array_index (self->clients, j);

          if (!done[j] && g_strcmp0 (ci->host, cj->host) == 0)
            {
              members[n_host++] = j;
              done[j] = TRUE;
            }
        }
      member_wants = g_new (guint, n_host);
      member_order = g_new (guint, n_host);
      member_shares = g_new (guint, n_host);
      for (guint m = 0; m < n_host; m++)
        member_wants[m] = ((DpEngineClient *) g_ptr_array_index (self->clients, members[m]))->wanted;
      sort_by_want (member_wants, member_order, n_host);
      fill (member_wants, member_order, n_host, self->max_per_host, member_shares);
      /* A host with more downloads than its budget still gives each
       * its one connection; the total must count it, or it would be
       * promised twice. */
      for (guint m = 0; m < n_host; m++)
        host_shares[members[m]] = MAX (member_shares[m], 1);
    }

  for (guint i = 0; i < n; i++)
    wants[i] = host_shares[i];
  sort_by_want (wants, order, n);
  fill (wants, order, n, self->max_connections, shares);
  for (guint i = 0; i < n; i++)
    {
      DpEngineClient *client = g_ptr_array_index (self->clients, i);

      client->share = MAX (shares[i], 1);
    }
}

DpEngineClient *
dp_engine_join (DpEngine   *self,
                const char *host,
                guint       wanted)
{
  DpEngineClient *client = g_new0 (DpEngineClient, 1);

  g_return_val_if_fail (DP_IS_ENGINE (self), NULL);

  client->engine = g_object_ref (self);
  client->host = g_strdup (host);
  client->wanted = MAX (wanted, 1);
  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->clients, client);
  share_locked (self);
  g_mutex_unlock (&self->mutex);
  return client;
}

void
dp_engine_leave (DpEngineClient *client)
{
  DpEngine *self;

  if (client == NULL)
    return;
  self = client->engine;
  g_mutex_lock (&self->mutex);
  self->in_use -= client->held;
  g_ptr_array_remove_fast (self->clients, client);
  share_locked (self);
  g_mutex_unlock (&self->mutex);
  g_free (client->host);
  g_free (client);
  g_object_unref (self);
}

void
dp_engine_client_set_wanted (DpEngineClient *client,
                             guint           wanted)
{
  DpEngine *self = client->engine;

  g_mutex_lock (&self->mutex);
  if (client->wanted != MAX (wanted, 1))
    {
      client->wanted = MAX (wanted, 1);
      share_locked (self);
    }
  g_mutex_unlock (&self->mutex);
}

guint
dp_engine_client_get_share (DpEngineClient *client)
{
  guint share;

  g_mutex_lock (&client->engine->mutex);
  share = client->share;
  g_mutex_unlock (&client->engine->mutex);
  return share;
}

guint
dp_engine_client_get_held (DpEngineClient *client)
{
  guint held;

  g_mutex_lock (&client->engine->mutex);
  held = client->held;
  g_mutex_unlock (&client->engine->mutex);
  return held;
}

/* Connections all clients of @host hold. */
static guint
host_in_use_locked (DpEngine   *self,
                    const char *host)
{
  guint n = 0;

  for (guint i = 0; i < self->clients->len; i++)
    {
      DpEngineClient *client = g_ptr_array_index (self->clients, i);

      if (g_strcmp0 (client->host, host) == 0)
        n += client->held;
    }
  return n;
}

gboolean
dp_engine_client_try_take (DpEngineClient *client)
{
  DpEngine *self = client->engine;
  gboolean ok;

  g_mutex_lock (&self->mutex);
  /* The first connection of a download is always allowed: the budget
   * shares out speed, it does not make downloads wait for each other.
   * The host's budget is checked like the total: a share that just
   * came down is only given back when its download next looks, and
   * until then the others' new shares would not fit. */
  ok = client->held == 0 ||
       (client->held < client->share && self->in_use < self->max_connections &&
        host_in_use_locked (self, client->host) < self->max_per_host);
  if (ok)
    {
      client->held++;
      self->in_use++;
    }
  g_mutex_unlock (&self->mutex);
  return ok;
}

void
dp_engine_client_put (DpEngineClient *client)
{
  DpEngine *self = client->engine;

  g_mutex_lock (&self->mutex);
  if (client->held == 0)
    {
      g_mutex_unlock (&self->mutex);
      g_critical ("a connection slot was given back twice");
      return;
    }
  client->held--;
  self->in_use--;
  g_mutex_unlock (&self->mutex);
}

DpRateLimiter *
dp_engine_get_limiter (DpEngine *self)
{
  g_return_val_if_fail (DP_IS_ENGINE (self), NULL);
  return self->limiter;
}

static void
dp_engine_finalize (GObject *object)
{
  DpEngine *self = DP_ENGINE (object);

  g_assert (self->clients->len == 0);
  g_ptr_array_unref (self->clients);
  dp_rate_limiter_unref (self->limiter);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (dp_engine_parent_class)->finalize (object);
}

static void
dp_engine_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DpEngine *self = DP_ENGINE (object);

  switch (prop_id)
    {
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, dp_engine_get_max_connections (self));
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      g_value_set_uint (value, dp_engine_get_max_connections_per_host (self));
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint64 (value, dp_engine_get_rate_limit (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_engine_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  DpEngine *self = DP_ENGINE (object);

  switch (prop_id)
    {
    case PROP_MAX_CONNECTIONS:
      dp_engine_set_max_connections (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      dp_engine_set_max_connections_per_host (self, g_value_get_uint (value));
      break;
    case PROP_RATE_LIMIT:
      dp_engine_set_rate_limit (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_engine_class_init (DpEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_engine_finalize;
  object_class->get_property = dp_engine_get_property;
  object_class->set_property = dp_engine_set_property;

  /**
   * DpEngine:max-connections:
   *
   * Connections all downloads may hold together. Derived from the
   * limit of open files when the engine is made.
   */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 1, G_MAXUINT, MIN_BUDGET,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_CONNECTIONS_PER_HOST] =
    g_param_spec_uint ("max-connections-per-host", NULL, NULL, 1, G_MAXUINT,
                       DP_ENGINE_DEFAULT_MAX_PER_HOST,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * DpEngine:rate-limit:
   *
   * Bytes per second for all downloads together, 0 for no limit.
   */
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint64 ("rate-limit", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_engine_init (DpEngine *self)
{
  g_mutex_init (&self->mutex);
  self->clients = g_ptr_array_new ();
  self->limiter = dp_rate_limiter_new (0);
  self->max_connections = dp_engine_budget_for_files (raise_open_files_limit ());
  self->max_per_host = DP_ENGINE_DEFAULT_MAX_PER_HOST;
}

/**
 * dp_engine_new:
 *
 * Returns: (transfer full): a new engine with the budget the process's
 *   limit of open files allows and no speed limit
 */
DpEngine *
dp_engine_new (void)
{
  return g_object_new (DP_TYPE_ENGINE, NULL);
}

DpEngine *
dp_engine_get_default (void)
{
  static gsize engine = 0;

  if (g_once_init_enter (&engine))
    g_once_init_leave (&engine, (gsize) dp_engine_new ());
  return (DpEngine *) engine;
}

guint
dp_engine_get_max_connections (DpEngine *self)
{
  guint max;

  g_return_val_if_fail (DP_IS_ENGINE (self), 0);
  g_mutex_lock (&self->mutex);
  max = self->max_connections;
  g_mutex_unlock (&self->mutex);
  return max;
}

void
dp_engine_set_max_connections (DpEngine *self,
                               guint     max)
{
  gboolean changed;

  g_return_if_fail (DP_IS_ENGINE (self));
  max = MAX (max, 1);
  g_mutex_lock (&self->mutex);
  changed = self->max_connections != max;
  self->max_connections = max;
  share_locked (self);
  g_mutex_unlock (&self->mutex);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS]);
}

guint
dp_engine_get_max_connections_per_host (DpEngine *self)
{
  guint max;

  g_return_val_if_fail (DP_IS_ENGINE (self), 0);
  g_mutex_lock (&self->mutex);
  max = self->max_per_host;
  g_mutex_unlock (&self->mutex);
  return max;
}

void
dp_engine_set_max_connections_per_host (DpEngine *self,
                                        guint     max)
{
  gboolean changed;

  g_return_if_fail (DP_IS_ENGINE (self));
  max = MAX (max, 1);
  g_mutex_lock (&self->mutex);
  changed = self->max_per_host != max;
  self->max_per_host = max;
  share_locked (self);
  g_mutex_unlock (&self->mutex);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS_PER_HOST]);
}

guint64
dp_engine_get_rate_limit (DpEngine *self)
{
  g_return_val_if_fail (DP_IS_ENGINE (self), 0);
  return dp_rate_limiter_get_rate (self->limiter);
}

void
dp_engine_set_rate_limit (DpEngine *self,
                          guint64   rate)
{
  g_return_if_fail (DP_IS_ENGINE (self));
  if (dp_rate_limiter_get_rate (self->limiter) == rate)
    return;
  dp_rate_limiter_set_rate (self->limiter, rate);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE_LIMIT]);
}

guint
dp_engine_get_connections (DpEngine *self)
{
  guint n;

  g_return_val_if_fail (DP_IS_ENGINE (self), 0);
  g_mutex_lock (&self->mutex);
  n = self->in_use;
  g_mutex_unlock (&self->mutex);
  return n;
}
