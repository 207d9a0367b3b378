/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/resource.h>

#include "dp-engine-private.h"

/*
 * The connection budget as logic: shares, slots and the properties,
 * through the engine's internal API, with no download running.
 */

/* The soft limit of open files main() leaves for the first engine to
 * raise, when the hard limit allows more. */
#define LOWERED_OPEN_FILES 512

static rlim_t hard_open_files = RLIM_INFINITY;

/* A client's want and host, for building a table of clients. */
typedef struct
{
  const char *host;
  guint wanted;
} Want;

static DpEngine *
new_engine (guint max_connections,
            guint max_per_host)
{
  DpEngine *engine = dp_engine_new ();

  dp_engine_set_max_connections (engine, max_connections);
  dp_engine_set_max_connections_per_host (engine, max_per_host);
  return engine;
}

static guint
sum_shares (DpEngineClient **clients,
            guint            n)
{
  guint sum = 0;

  for (guint i = 0; i < n; i++)
    sum += dp_engine_client_get_share (clients[i]);
  return sum;
}

/* What every sharing must satisfy, whatever the order of ties: nobody
 * below one or above its want, no host above its budget and no total
 * above the engine's (beyond the one connection each may always have),
 * nobody short while its host and the total still have room, and
 * nobody short by more than one of another who competes for the same
 * room. */
static void
assert_fair (DpEngine        *engine,
             DpEngineClient **clients,
             const Want      *wants,
             guint            n)
{
  guint max = dp_engine_get_max_connections (engine);
  guint per_host = dp_engine_get_max_connections_per_host (engine);
  guint total = sum_shares (clients, n);

  if (total > MAX (max, n))
    fail_msg ("%u clients share %u connections of %u", n, total, max);
  for (guint i = 0; i < n; i++)
    {
      guint share = dp_engine_client_get_share (clients[i]);
      guint host_sum = 0, host_n = 0;
      gboolean host_full, total_full = total >= max;

      if (share < 1 || share > MAX (wants[i].wanted, 1))
        fail_msg ("client %u (%s, wants %u) has a share of %u", i, wants[i].host,
                  wants[i].wanted, share);
      for (guint j = 0; j < n; j++)
        if (g_str_equal (wants[i].host, wants[j].host))
          {
            host_sum += dp_engine_client_get_share (clients[j]);
            host_n++;
          }
      if (host_sum > MAX (per_host, host_n))
        fail_msg ("host %s has %u connections of %u", wants[i].host, host_sum, per_host);
      host_full = host_sum >= per_host;

      if (share >= wants[i].wanted)
        continue;
      /* Short of its want: something must be used up. */
      if (!host_full && !total_full)
        fail_msg ("client %u (%s) has %u of the %u it wants while its host has %u of %u "
                  "and the total is %u of %u", i, wants[i].host, share, wants[i].wanted,
                  host_sum, per_host, total, max);
      for (guint j = 0; j < n; j++)
        {
          guint other = dp_engine_client_get_share (clients[j]);

          /* A client of the same host competes for the host's budget;
           * one of another host only for the total, and only when this
           * host's budget is not what holds this client back. */
          if (!g_str_equal (wants[i].host, wants[j].host) && host_full)
            continue;
          if (other > share + 1)
            fail_msg ("client %u (%s) has %u while client %u (%s) has %u of the %u it wants",
                      j, wants[j].host, other, i, wants[i].host, share, wants[i].wanted);
        }
    }
}

static DpEngineClient **
join_all (DpEngine   *engine,
          const Want *wants,
          guint       n)
{
  DpEngineClient **clients = g_new0 (DpEngineClient *, n);

  for (guint i = 0; i < n; i++)
    clients[i] = dp_engine_join (engine, wants[i].host, wants[i].wanted);
  return clients;
}

static void
leave_all (DpEngineClient **clients,
           guint            n)
{
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&clients[i], dp_engine_leave);
  g_free (clients);
}

/* One host: 64 and 64 split what the one that wants 2 leaves. */
static void
test_share_one_host (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (1000, 64);
  const Want wants[] = { { "http://a:80", 64 }, { "http://a:80", 64 }, { "http://a:80", 2 } };
  DpEngineClient **clients = join_all (engine, wants, G_N_ELEMENTS (wants));

  assert_int_equal (dp_engine_client_get_share (clients[0]), 31);
  assert_int_equal (dp_engine_client_get_share (clients[1]), 31);
  assert_int_equal (dp_engine_client_get_share (clients[2]), 2);
  assert_fair (engine, clients, wants, G_N_ELEMENTS (wants));
  leave_all (clients, G_N_ELEMENTS (wants));
}

/* A lone client gets what it wants, up to the host's budget. */
static void
test_share_alone (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (1000, 64);
  DpEngineClient *client = dp_engine_join (engine, "http://a:80", 16);

  assert_int_equal (dp_engine_client_get_share (client), 16);
  dp_engine_client_set_wanted (client, 100);
  assert_int_equal (dp_engine_client_get_share (client), 64);
  /* Wanting nothing still counts as wanting one. */
  dp_engine_client_set_wanted (client, 0);
  assert_int_equal (dp_engine_client_get_share (client), 1);
  dp_engine_leave (client);
}

/* Several hosts whose budgets add up to more than the total: the total
 * is split evenly among those that want more, after each host's budget
 * was split among its own downloads. */
static void
test_share_hosts_and_total (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (20, 16);
  const Want wants[] = {
    { "http://a:80", 10 }, { "http://a:80", 10 },  /* 8 and 8 of a's 16 */
    { "http://b:80", 64 },                         /* 16, b's budget */
    { "https://c:443", 3 },                        /* 3, its want */
  };
  DpEngineClient **clients = join_all (engine, wants, G_N_ELEMENTS (wants));
  guint a0 = dp_engine_client_get_share (clients[0]);
  guint a1 = dp_engine_client_get_share (clients[1]);

  /* 20 for 8 + 8 + 16 + 3: c's 3, then 17 over three, as 5, 6, 6. */
  assert_int_equal (dp_engine_client_get_share (clients[3]), 3);
  assert_int_equal (dp_engine_client_get_share (clients[2]), 6);
  assert_int_equal (a0 + a1, 11);
  assert_true (a0 >= 5 && a1 >= 5);
  assert_int_equal (sum_shares (clients, G_N_ELEMENTS (wants)), 20);
  assert_fair (engine, clients, wants, G_N_ELEMENTS (wants));

  /* With room for all, each host's budget is what binds. */
  dp_engine_set_max_connections (engine, 1000);
  assert_int_equal (dp_engine_client_get_share (clients[0]), 8);
  assert_int_equal (dp_engine_client_get_share (clients[1]), 8);
  assert_int_equal (dp_engine_client_get_share (clients[2]), 16);
  assert_int_equal (dp_engine_client_get_share (clients[3]), 3);
  assert_fair (engine, clients, wants, G_N_ELEMENTS (wants));
  leave_all (clients, G_N_ELEMENTS (wants));
}

/* More downloads than the budget has connections: each still has one. */
static void
test_share_at_least_one (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (4, 2);
  const Want wants[] = {
    { "http://a:80", 8 }, { "http://a:80", 8 }, { "http://a:80", 8 },
    { "http://b:80", 8 }, { "http://b:80", 8 }, { "http://c:80", 8 },
  };
  DpEngineClient **clients = join_all (engine, wants, G_N_ELEMENTS (wants));

  for (guint i = 0; i < G_N_ELEMENTS (wants); i++)
    assert_int_equal (dp_engine_client_get_share (clients[i]), 1);
  assert_fair (engine, clients, wants, G_N_ELEMENTS (wants));
  leave_all (clients, G_N_ELEMENTS (wants));
}

/* Random hosts, wants and budgets, against the invariants. */
static void
test_share_random (void **state)
{
  static const char *hosts[] = { "http://a:80", "http://b:80", "http://b:8080", "https://c:443" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(DpEngine) engine = new_engine ((guint) g_rand_int_range (rand, 1, 200),
                                               (guint) g_rand_int_range (rand, 1, 80));
      guint n = (guint) g_rand_int_range (rand, 1, 24);
      g_autofree Want *wants = g_new0 (Want, n);
      DpEngineClient **clients;

      for (guint i = 0; i < n; i++)
        {
          wants[i].host = hosts[g_rand_int_range (rand, 0, G_N_ELEMENTS (hosts))];
          wants[i].wanted = (guint) g_rand_int_range (rand, 1, 100);
        }
      clients = join_all (engine, wants, n);
      assert_fair (engine, clients, wants, n);

      /* Whatever changes, the sharing is redone. */
      wants[0].wanted = (guint) g_rand_int_range (rand, 1, 100);
      dp_engine_client_set_wanted (clients[0], wants[0].wanted);
      assert_fair (engine, clients, wants, n);
      dp_engine_set_max_connections (engine, (guint) g_rand_int_range (rand, 1, 200));
      assert_fair (engine, clients, wants, n);
      dp_engine_set_max_connections_per_host (engine, (guint) g_rand_int_range (rand, 1, 80));
      assert_fair (engine, clients, wants, n);
      if (n > 1)
        {
          g_clear_pointer (&clients[n - 1], dp_engine_leave);
          assert_fair (engine, clients, wants, n - 1);
        }
      leave_all (clients, n);
    }
}

/* A download that ends gives its share to the others; one that wants
 * less leaves the rest to the others, one that wants more takes it. */
static void
test_share_follows_leave_and_want (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (1000, 64);
  DpEngineClient *a = dp_engine_join (engine, "http://a:80", 64);
  DpEngineClient *b = dp_engine_join (engine, "http://a:80", 64);
  DpEngineClient *c = dp_engine_join (engine, "http://a:80", 64);

  assert_int_equal (dp_engine_client_get_share (a) + dp_engine_client_get_share (b) +
                    dp_engine_client_get_share (c), 64);
  assert_true (dp_engine_client_get_share (a) >= 21);
  assert_true (dp_engine_client_get_share (a) <= 22);

  dp_engine_leave (c);
  assert_int_equal (dp_engine_client_get_share (a), 32);
  assert_int_equal (dp_engine_client_get_share (b), 32);

  dp_engine_client_set_wanted (b, 4);
  assert_int_equal (dp_engine_client_get_share (a), 60);
  assert_int_equal (dp_engine_client_get_share (b), 4);

  dp_engine_client_set_wanted (b, 64);
  assert_int_equal (dp_engine_client_get_share (a), 32);
  assert_int_equal (dp_engine_client_get_share (b), 32);

  dp_engine_leave (b);
  assert_int_equal (dp_engine_client_get_share (a), 64);
  dp_engine_leave (a);
}

/* Slots: the share and the total refuse, the first is always granted,
 * and put() and leave() give slots back. */
static void
test_take_and_put (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (4, 64);
  DpEngineClient *a = dp_engine_join (engine, "http://a:80", 3);
  DpEngineClient *b;

  /* Refused beyond the share, with the total to spare. */
  for (guint i = 0; i < 3; i++)
    assert_true (dp_engine_client_try_take (a));
  assert_false (dp_engine_client_try_take (a));
  assert_int_equal (dp_engine_client_get_held (a), 3);
  assert_int_equal (dp_engine_get_connections (engine), 3);

  /* Refused beyond the total, with the share to spare. */
  dp_engine_client_set_wanted (a, 10);
  assert_int_equal (dp_engine_client_get_share (a), 4);
  assert_true (dp_engine_client_try_take (a));
  assert_int_equal (dp_engine_get_connections (engine), 4);
  b = dp_engine_join (engine, "http://b:80", 10);
  assert_int_equal (dp_engine_client_get_share (a), 2);
  assert_int_equal (dp_engine_client_get_share (b), 2);
  assert_false (dp_engine_client_try_take (a));
  /* The first one is granted although the total is used up... */
  assert_true (dp_engine_client_try_take (b));
  assert_int_equal (dp_engine_get_connections (engine), 5);
  /* ...but not a second, although the share would allow it. */
  assert_false (dp_engine_client_try_take (b));
  assert_int_equal (dp_engine_client_get_held (b), 1);

  /* a comes down to its share; each put frees one slot. */
  dp_engine_client_put (a);
  assert_int_equal (dp_engine_get_connections (engine), 4);
  assert_false (dp_engine_client_try_take (b));
  dp_engine_client_put (a);
  assert_int_equal (dp_engine_get_connections (engine), 3);
  assert_true (dp_engine_client_try_take (b));
  assert_int_equal (dp_engine_get_connections (engine), 4);
  assert_false (dp_engine_client_try_take (b));
  assert_int_equal (dp_engine_client_get_held (a), 2);
  assert_int_equal (dp_engine_client_get_held (b), 2);

  /* Leaving gives back all that a client held. */
  dp_engine_leave (a);
  assert_int_equal (dp_engine_get_connections (engine), 2);
  assert_int_equal (dp_engine_client_get_share (b), 4);
  assert_true (dp_engine_client_try_take (b));
  assert_true (dp_engine_client_try_take (b));
  assert_false (dp_engine_client_try_take (b));
  assert_int_equal (dp_engine_get_connections (engine), 4);
  for (guint i = 0; i < 4; i++)
    dp_engine_client_put (b);
  assert_int_equal (dp_engine_get_connections (engine), 0);
  dp_engine_leave (b);
  assert_int_equal (dp_engine_get_connections (engine), 0);
}

/* The host's budget is kept before a socket opens, also while a
 * download that came first still holds more than its new share: a
 * newcomer has its first connection, and more only once the first has
 * given back what it holds beyond its share. */
static void
test_take_keeps_host_budget (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (1000, 4);
  DpEngineClient *a = dp_engine_join (engine, "http://a:80", 8);
  DpEngineClient *b;

  for (guint i = 0; i < 4; i++)
    assert_true (dp_engine_client_try_take (a));
  assert_false (dp_engine_client_try_take (a));

  b = dp_engine_join (engine, "http://a:80", 8);
  assert_int_equal (dp_engine_client_get_share (a), 2);
  assert_int_equal (dp_engine_client_get_share (b), 2);
  assert_true (dp_engine_client_try_take (b));
  /* Five to the host already, one of them b's minimum. */
  assert_false (dp_engine_client_try_take (b));

  dp_engine_client_put (a);
  assert_false (dp_engine_client_try_take (b));
  dp_engine_client_put (a);
  assert_true (dp_engine_client_try_take (b));
  assert_false (dp_engine_client_try_take (b));
  assert_false (dp_engine_client_try_take (a));
  assert_int_equal (dp_engine_get_connections (engine), 4);

  /* Another host is not held back by this one's budget. */
  {
    DpEngineClient *c = dp_engine_join (engine, "http://c:80", 2);

    assert_true (dp_engine_client_try_take (c));
    assert_true (dp_engine_client_try_take (c));
    assert_int_equal (dp_engine_get_connections (engine), 6);
    dp_engine_leave (c);
  }
  dp_engine_leave (a);
  dp_engine_leave (b);
  assert_int_equal (dp_engine_get_connections (engine), 0);
}

/* Connections that many threads take and give back at once are all
 * counted, and never more than the budget allows. */
typedef struct
{
  DpEngine *engine;
  DpEngineClient *client;
  guint max_seen;
} Taker;

/* Takes all it can, then gives it back, many times over. */
static gpointer
taker_thread (gpointer data)
{
  Taker *taker = data;

  for (guint i = 0; i < 5000; i++)
    {
      guint taken = 0;

      while (dp_engine_client_try_take (taker->client))
        {
          taken++;
          taker->max_seen = MAX (taker->max_seen, dp_engine_get_connections (taker->engine));
        }
      while (taken-- > 0)
        dp_engine_client_put (taker->client);
    }
  return NULL;
}

static void
test_take_from_threads (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (6, 64);
  Taker takers[8];
  GThread *threads[8];

  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    {
      const char *host = i % 2 ? "http://a:80" : "http://b:80";

      takers[i] = (Taker) { engine, dp_engine_join (engine, host, 4), 0 };
      /* Each holds its first connection, as a download's probe does. */
      assert_true (dp_engine_client_try_take (takers[i].client));
    }
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    threads[i] = g_thread_new ("taker", taker_thread, &takers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    g_thread_join (threads[i]);
  /* Eight minimums use up a total of six: nobody got a second. */
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    assert_int_equal (takers[i].max_seen, 0);
  assert_int_equal (dp_engine_get_connections (engine), 8);

  /* Now with room: each may go up to its share, and the total holds. */
  dp_engine_set_max_connections (engine, 20);
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    threads[i] = g_thread_new ("taker", taker_thread, &takers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    {
      assert_true (takers[i].max_seen >= 9);
      assert_true (takers[i].max_seen <= 20);
    }
  assert_int_equal (dp_engine_get_connections (engine), 8);
  for (guint i = 0; i < G_N_ELEMENTS (takers); i++)
    {
      assert_int_equal (dp_engine_client_get_held (takers[i].client), 1);
      dp_engine_leave (takers[i].client);
    }
  assert_int_equal (dp_engine_get_connections (engine), 0);
}

/* The budget a limit of open files allows: never below a few
 * connections, never absurd, and with room for two descriptors per
 * connection (its socket, and what its worker holds besides: an
 * eventfd, as tests/test-budget.c finds) and for the files and the rest
 * of the process. */
static void
test_budget_for_files (void **state)
{
  const guint64 reserve = 64;
  guint last = 0;

  for (guint64 files = 0; files <= 200000; files += files < 4096 ? 1 : 97)
    {
      guint budget = dp_engine_budget_for_files (files);

      if (budget < last)
        fail_msg ("%u connections for %" G_GUINT64_FORMAT " files, %u for fewer", budget, files,
                  last);
      if (budget < 16 || budget > 1024)
        fail_msg ("%u connections for %" G_GUINT64_FORMAT " files", budget, files);
      if (files >= 128 && (guint64) budget * 2 + reserve > files)
        fail_msg ("%u connections for %" G_GUINT64_FORMAT " files leave no room", budget, files);
      last = budget;
    }
  assert_true ((guint64) dp_engine_budget_for_files (1024) * 2 + reserve <= 1024);
  assert_true ((guint64) dp_engine_budget_for_files (256) * 2 + reserve <= 256);
  /* ...without wasting it: Debian's soft limit of 1024 is worth a few
   * hundred connections. */
  assert_true (dp_engine_budget_for_files (1024) >= 256);
  assert_int_equal (dp_engine_budget_for_files (65536), 1024);
  assert_int_equal (dp_engine_budget_for_files (G_MAXUINT64), 1024);
  assert_int_equal (dp_engine_budget_for_files (0), 16);
}

/* The first engine raised the soft limit that main() lowered, as far
 * as the hard limit allows, and took its budget from it. */
static void
test_engine_raises_open_files (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  struct rlimit rl;
  rlim_t expected;

  assert_int_equal (getrlimit (RLIMIT_NOFILE, &rl), 0);
  expected = hard_open_files == RLIM_INFINITY ? 65536 : MIN (hard_open_files, (rlim_t) 65536);
  if (expected > LOWERED_OPEN_FILES)
    assert_int_equal (rl.rlim_cur, expected);
  assert_int_equal (dp_engine_get_max_connections (engine),
                    dp_engine_budget_for_files (rl.rlim_cur));
  assert_int_equal (dp_engine_get_max_connections_per_host (engine),
                    DP_ENGINE_DEFAULT_MAX_PER_HOST);
  /* The default engine is one, and made the same way. */
  assert_ptr_equal (dp_engine_get_default (), dp_engine_get_default ());
  assert_int_equal (dp_engine_get_max_connections (dp_engine_get_default ()),
                    dp_engine_budget_for_files (rl.rlim_cur));
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* Both budgets as properties: each change notifies once and shares
 * again at once; a value set again notifies nothing. */
static void
test_budget_properties (void **state)
{
  g_autoptr(DpEngine) engine = new_engine (100, 64);
  DpEngineClient *a = dp_engine_join (engine, "http://a:80", 64);
  DpEngineClient *b = dp_engine_join (engine, "http://b:80", 64);
  guint max_notified = 0, per_host_notified = 0;
  guint value = 0;

  g_signal_connect (engine, "notify::max-connections", G_CALLBACK (count_notify), &max_notified);
  g_signal_connect (engine, "notify::max-connections-per-host", G_CALLBACK (count_notify),
                    &per_host_notified);
  assert_int_equal (dp_engine_client_get_share (a), 50);

  g_object_set (engine, "max-connections", 40, NULL);
  assert_int_equal (max_notified, 1);
  assert_int_equal (dp_engine_get_max_connections (engine), 40);
  g_object_get (engine, "max-connections", &value, NULL);
  assert_int_equal (value, 40);
  assert_int_equal (dp_engine_client_get_share (a), 20);
  assert_int_equal (dp_engine_client_get_share (b), 20);
  dp_engine_set_max_connections (engine, 40);
  assert_int_equal (max_notified, 1);

  g_object_set (engine, "max-connections-per-host", 8, NULL);
  assert_int_equal (per_host_notified, 1);
  assert_int_equal (max_notified, 1);
  g_object_get (engine, "max-connections-per-host", &value, NULL);
  assert_int_equal (value, 8);
  assert_int_equal (dp_engine_client_get_share (a), 8);
  assert_int_equal (dp_engine_client_get_share (b), 8);
  dp_engine_set_max_connections_per_host (engine, 8);
  assert_int_equal (per_host_notified, 1);

  /* 0 would stop everything: it means one. */
  dp_engine_set_max_connections_per_host (engine, 0);
  assert_int_equal (dp_engine_get_max_connections_per_host (engine), 1);
  assert_int_equal (per_host_notified, 2);
  dp_engine_set_max_connections (engine, 0);
  assert_int_equal (dp_engine_get_max_connections (engine), 1);
  assert_int_equal (max_notified, 2);
  assert_int_equal (dp_engine_client_get_share (a), 1);

  dp_engine_leave (a);
  dp_engine_leave (b);
}

/* The speed limit for all downloads is the limiter's rate. */
static void
test_rate_limit (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  DpRateLimiter *limiter = dp_engine_get_limiter (engine);
  guint notified = 0;
  guint64 value = 1;

  assert_non_null (limiter);
  assert_int_equal (dp_engine_get_rate_limit (engine), 0);
  assert_int_equal (dp_rate_limiter_get_rate (limiter), 0);
  g_signal_connect (engine, "notify::rate-limit", G_CALLBACK (count_notify), &notified);

  dp_engine_set_rate_limit (engine, 1000000);
  assert_int_equal (dp_engine_get_rate_limit (engine), 1000000);
  assert_int_equal (dp_rate_limiter_get_rate (limiter), 1000000);
  assert_int_equal (notified, 1);
  dp_engine_set_rate_limit (engine, 1000000);
  assert_int_equal (notified, 1);

  g_object_set (engine, "rate-limit", G_GUINT64_CONSTANT (5000000000), NULL);
  assert_int_equal (notified, 2);
  assert_ptr_equal (dp_engine_get_limiter (engine), limiter);
  assert_int_equal (dp_rate_limiter_get_rate (limiter), G_GUINT64_CONSTANT (5000000000));
  g_object_get (engine, "rate-limit", &value, NULL);
  assert_int_equal (value, G_GUINT64_CONSTANT (5000000000));

  g_object_set (engine, "rate-limit", G_GUINT64_CONSTANT (0), NULL);
  assert_int_equal (dp_rate_limiter_get_rate (limiter), 0);
  assert_int_equal (notified, 3);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    /* First: the first engine of the process raises the limit. */
    cmocka_unit_test (test_engine_raises_open_files),
    cmocka_unit_test (test_share_one_host),
    cmocka_unit_test (test_share_alone),
    cmocka_unit_test (test_share_hosts_and_total),
    cmocka_unit_test (test_share_at_least_one),
    cmocka_unit_test (test_share_random),
    cmocka_unit_test (test_share_follows_leave_and_want),
    cmocka_unit_test (test_take_and_put),
    cmocka_unit_test (test_take_keeps_host_budget),
    cmocka_unit_test (test_take_from_threads),
    cmocka_unit_test (test_budget_for_files),
    cmocka_unit_test (test_budget_properties),
    cmocka_unit_test (test_rate_limit),
  };
  struct rlimit rl;

  /* Lower the soft limit of open files before any engine exists, so
   * that the first one has something to raise. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      hard_open_files = rl.rlim_max;
      if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > LOWERED_OPEN_FILES)
        {
          rl.rlim_cur = LOWERED_OPEN_FILES;
          if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
            hard_open_files = 0;  /* nothing to check then */
        }
    }

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  return cmocka_run_group_tests (tests, NULL, NULL);
}
