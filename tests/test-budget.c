/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp-download.h"
#include "dp-engine-private.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * The connection budget of one engine, with many downloads at once.
 *
 * main() lowers the limit of open files to OPEN_FILES, soft and hard, so
 * that the engine cannot raise it: the budget it derives from the limit
 * must keep the process below it, whatever the downloads ask for. The
 * test servers run in a child process made before that, so that the
 * descriptors counted here are the downloads' alone, as they are with a
 * real server.
 */

#define OPEN_FILES 256
/* Descriptors that must stay free however many downloads run: a state
 * file, a folder to sync, the resolver's socket must still open. (The
 * budget's own reserve is larger: it holds the partial files too.) */
#define OPEN_FILES_MARGIN 16
#define N_SERVERS 2
#define MIB (1024 * 1024)

/* ---- the servers, in a child process ---------------------------------- */

static struct
{
  GPid pid;
  int commands;     /* to the child */
  int answers;      /* from the child */
  char *base[N_SERVERS];
} servers = { 0, -1, -1, { NULL } };

static gboolean
read_all (int    fd,
          void  *buf,
          gsize  len)
{
  guint8 *p = buf;

  while (len > 0)
    {
      ssize_t n = read (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_all (int         fd,
           const void *buf,
           gsize       len)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* The child: runs the servers and answers questions about them, two
 * bytes each (what, which server), until the parent goes away. */
G_GNUC_NORETURN static void
serve (int commands,
       int answers)
{
  DpTestServer *server[N_SERVERS];
  guint8 command[2];

  for (guint i = 0; i < N_SERVERS; i++)
    {
      g_autofree char *base = NULL;
      guint32 len;

      server[i] = dp_test_server_new ();
      base = dp_test_server_url (server[i], "");
      len = (guint32) strlen (base);
      if (!write_all (answers, &len, sizeof len) || !write_all (answers, base, len))
        _exit (1);
    }
  while (read_all (commands, command, sizeof command) && command[1] < N_SERVERS)
    {
      guint32 answer = 0;

      if (command[0] == 'm')
        answer = dp_test_server_get_max_concurrent (server[command[1]]);
      else if (command[0] == 'r')
        {
          /* A request whose connection the client closed counts until
           * the server notices, and a reset keeps counting what is in
           * flight: a run starts once the last one's are gone (or
           * after 10 s, and fails). */
          DpTestServer *s = server[command[1]];

          dp_test_server_reset_counters (s);
          for (guint i = 0; i < 1000 && dp_test_server_get_max_concurrent (s) > 0; i++)
            {
              g_usleep (10 * 1000);
              dp_test_server_reset_counters (s);
            }
        }
      if (!write_all (answers, &answer, sizeof answer))
        break;
    }
  for (guint i = 0; i < N_SERVERS; i++)
    dp_test_server_free (server[i]);
  /* Not exit(): the parent's atexit handlers and leak check are not
   * this process's business. */
  _exit (0);
}

static void
start_servers (void)
{
  int commands[2], answers[2];
  pid_t pid;

  if (pipe (commands) != 0 || pipe (answers) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      close (commands[1]);
      close (answers[0]);
      serve (commands[0], answers[1]);
    }
  close (commands[0]);
  close (answers[1]);
  servers.pid = pid;
  servers.commands = commands[1];
  servers.answers = answers[0];
  for (guint i = 0; i < N_SERVERS; i++)
    {
      guint32 len;

      if (!read_all (servers.answers, &len, sizeof len) || len == 0 || len > 4096)
        g_error ("the test servers did not start");
      servers.base[i] = g_malloc0 (len + 1);
      if (!read_all (servers.answers, servers.base[i], len))
        g_error ("the test servers did not start");
    }
}

static void
stop_servers (void)
{
  int status;

  close (servers.commands);
  close (servers.answers);
  waitpid (servers.pid, &status, 0);
  for (guint i = 0; i < N_SERVERS; i++)
    g_clear_pointer (&servers.base[i], g_free);
}

static guint
ask_server (char  what,
            guint index)
{
  guint8 command[2] = { (guint8) what, (guint8) index };
  guint32 answer;

  if (!write_all (servers.commands, command, sizeof command) ||
      !read_all (servers.answers, &answer, sizeof answer))
    g_error ("the test servers went away");
  return answer;
}

/* The largest number of GET requests server @index had in flight at
 * once since its counters were last reset. */
static guint
server_max_concurrent (guint index)
{
  return ask_server ('m', index);
}

/* ---- downloads, and what the process holds while they run ------------ */

static guint
count_open_files (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  /* Not even this folder could be opened: the limit is reached. */
  if (dir == NULL)
    return OPEN_FILES;
  while (g_dir_read_name (dir) != NULL)
    n++;
  /* Without the folder's own descriptor. */
  return n - 1;
}

typedef struct _Run Run;

typedef struct
{
  Run *run;
  DpDownload *download;
  guint64 seed;
  guint64 size;
  gboolean ended;
  GError *error;
  guint max_connections;   /* the most it reported at once */
  /* While the others of the run still had most of their bytes to come:
   * the most it reported at once. */
  guint max_connections_shared;
} Item;

struct _Run
{
  DpEngine *engine;
  char *dir;
  GPtrArray *items;        /* of Item */
  guint n_ended;
  guint max_engine;        /* the most the engine held at once */
  guint max_files;         /* the most descriptors the process had open */
  guint first_files;       /* descriptors open before the run */
  gboolean near_limit;     /* the run was stopped near the limit */
  GMainContext *context;
};

static void
sample (Run *run)
{
  guint files = count_open_files ();

  run->max_engine = MAX (run->max_engine, dp_engine_get_connections (run->engine));
  run->max_files = MAX (run->max_files, files);
  /* Stop before GLib aborts the process for want of a descriptor, so
   * that the test can say what happened. */
  if (files >= OPEN_FILES - OPEN_FILES_MARGIN && !run->near_limit)
    {
      run->near_limit = TRUE;
      for (guint i = 0; i < run->items->len; i++)
        dp_download_cancel (((Item *) g_ptr_array_index (run->items, i))->download);
    }
}

/* Whether every other download of the run still has at least a fifth of
 * its bytes to come: then none of them can have left the engine, even
 * though what this thread knows of them lags what their workers did. */
static gboolean
others_well_before_end (Run  *run,
                        Item *item)
{
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *other = g_ptr_array_index (run->items, i);

      if (other == item || other->download == NULL)
        continue;
      if (dp_download_get_state (other->download) != DP_DOWNLOAD_STATE_DOWNLOADING ||
          dp_download_get_received (other->download) > (gint64) (other->size * 4 / 5))
        return FALSE;
    }
  return TRUE;
}

static void
on_progress (DpDownload *download,
             Item       *item)
{
  Run *run = item->run;
  guint connections = dp_download_get_connections (download);

  sample (run);
  item->max_connections = MAX (item->max_connections, connections);
  if (others_well_before_end (run, item))
    item->max_connections_shared = MAX (item->max_connections_shared, connections);
}

static gboolean
sample_cb (gpointer data)
{
  sample (data);
  return G_SOURCE_CONTINUE;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Item *item = user_data;

  dp_download_start_finish (DP_DOWNLOAD (source), result, &item->error);
  item->ended = TRUE;
  item->run->n_ended++;
  sample (item->run);
}

static void
item_free (Item *item)
{
  g_clear_object (&item->download);
  g_clear_error (&item->error);
  g_free (item);
}

static Run *
run_new (DpEngine *engine)
{
  Run *run = g_new0 (Run, 1);

  run->engine = g_object_ref (engine);
  run->dir = dp_test_mkdtemp ();
  run->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  run->context = g_main_context_new ();
  for (guint i = 0; i < N_SERVERS; i++)
    ask_server ('r', i);
  return run;
}

static void
run_free (Run *run)
{
  /* The downloads' last reports, before what they report to goes. */
  while (g_main_context_iteration (run->context, FALSE))
    ;
  g_ptr_array_unref (run->items);
  dp_test_rmdir (run->dir);
  g_free (run->dir);
  g_main_context_unref (run->context);
  g_object_unref (run->engine);
  g_free (run);
}

/* A download of @size bytes from server @server, on the run's engine. */
static Item *
run_add (Run        *run,
         guint       server,
         const char *name,
         guint64     seed,
         guint64     size,
         const char *query,
         guint       segments)
{
  Item *item = g_new0 (Item, 1);
  g_autofree char *url = g_strdup_printf ("%s/file/%s?size=%" G_GUINT64_FORMAT "&seed=%"
                                          G_GUINT64_FORMAT "&%s", servers.base[server], name,
                                          size, seed, query);

  item->run = run;
  item->seed = seed;
  item->size = size;
  item->download = dp_download_new (url);
  dp_download_set_directory (item->download, run->dir);
  dp_download_set_segments (item->download, segments);
  dp_download_set_engine (item->download, run->engine);
  dp_download_set_stall_timeout (item->download, 10);
  g_signal_connect (item->download, "progress", G_CALLBACK (on_progress), item);
  g_ptr_array_add (run->items, item);
  return item;
}

static void
run_start (Run  *run,
           Item *item)
{
  g_main_context_push_thread_default (run->context);
  dp_download_start_async (item->download, NULL, on_done, item);
  g_main_context_pop_thread_default (run->context);
}

/* Starts every download added so far. */
static void
run_start_all (Run *run)
{
  for (guint i = 0; i < run->items->len; i++)
    run_start (run, g_ptr_array_index (run->items, i));
}

/* Iterates the run's context until @done says so; fails the test after
 * @timeout_s (a download that hangs, not a measurement). */
static void
run_until (Run      *run,
           gboolean (*done) (Run *run),
           guint     timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  GSource *ticker = g_timeout_source_new (2);

  g_source_set_callback (ticker, sample_cb, run, NULL);
  g_source_attach (ticker, run->context);
  g_main_context_push_thread_default (run->context);
  while (!done (run) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (run->context, TRUE);
  g_main_context_pop_thread_default (run->context);
  g_source_destroy (ticker);
  g_source_unref (ticker);
  if (!done (run))
    fail_msg ("the downloads did not end within %u s", timeout_s);
}

static gboolean
all_ended (Run *run)
{
  return run->n_ended == run->items->len;
}

/* Every download finished with the right bytes, and gave back its
 * connections. */
static void
assert_all_finished (Run *run)
{
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *item = g_ptr_array_index (run->items, i);
      g_autofree char *expected = dp_test_content_sha256 (item->seed, item->size);
      g_autofree char *actual = NULL;

      if (item->error != NULL)
        fail_msg ("download %u failed: %s", i, item->error->message);
      assert_int_equal (dp_download_get_state (item->download), DP_DOWNLOAD_STATE_FINISHED);
      actual = dp_test_file_sha256 (dp_download_get_path (item->download));
      assert_non_null (actual);
      assert_string_equal (actual, expected);
      /* It held a connection, and finished with the first. */
      assert_true (item->max_connections >= 1);
    }
  assert_int_equal (dp_engine_get_connections (run->engine), 0);
}

/* Twenty downloads that would each use dozens of connections, from two
 * hosts: together they would want far more connections than the limit
 * of open files has room for. The engine's budget keeps the process
 * below that limit, and every download still finishes. */
static void
test_many_downloads_keep_to_the_budget (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  Run *run = run_new (engine);
  guint max, per_host;
  gint64 started = g_get_monotonic_time ();

  max = dp_engine_get_max_connections (engine);
  per_host = dp_engine_get_max_connections_per_host (engine);
  /* The budget comes from the lowered limit, which nothing could raise,
   * and the two hosts' budgets together are more: the total is what
   * binds. */
  assert_int_equal (max, dp_engine_budget_for_files (OPEN_FILES));
  assert_true (max < N_SERVERS * per_host);

  run->first_files = count_open_files ();
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("many-%u.bin", i);

      run_add (run, i % N_SERVERS, name, 100 + i, 8 * MIB, "rate=1048576", 64);
    }
  run_start_all (run);
  run_until (run, all_ended, 120);

  g_printerr ("# %.1f s; at most %u connections of %u, %u and %u per host of %u, "
              "%u descriptors (%u before) of %u\n",
              (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC,
              run->max_engine, max, server_max_concurrent (0), server_max_concurrent (1),
              per_host, run->max_files, run->first_files, OPEN_FILES);
  if (run->max_files >= OPEN_FILES - OPEN_FILES_MARGIN)
    fail_msg ("%u descriptors open at once, with a limit of %u", run->max_files, OPEN_FILES);
  if (run->max_engine > max)
    fail_msg ("%u connections at once, with a budget of %u", run->max_engine, max);
  assert_all_finished (run);
  for (guint i = 0; i < N_SERVERS; i++)
    if (server_max_concurrent (i) > per_host)
      fail_msg ("server %u had %u requests at once, with %u per host", i,
                server_max_concurrent (i), per_host);
  run_free (run);
}

/* Each probe is refused once and asked again after this long, so that
 * all downloads started together have joined the engine before the
 * first of them plans its connections: one that planned alone would
 * take the whole host, and the others' first connections would come on
 * top until it gives back what is beyond its new share. */
#define JOIN_TOGETHER "failfirst=1"
#define JOIN_DELAY_MS 200

/* Adds @count downloads of 16 connections from server 0, named
 * PREFIX-N.bin with seeds from @seed, served at @rate bytes per second
 * per connection, that join the engine together. */
static void
run_add_joined (Run        *run,
                const char *prefix,
                guint       count,
                guint64     seed,
                guint64     size,
                guint64     rate)
{
  g_autofree char *query = g_strdup_printf ("rate=%" G_GUINT64_FORMAT "&" JOIN_TOGETHER, rate);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u.bin", prefix, i);
      Item *item = run_add (run, 0, name, seed + i, size, query, 16);

      dp_download_set_retry_delay (item->download, JOIN_DELAY_MS);
    }
}

/* A small budget per host, shared by four downloads that want more:
 * the server never sees more requests at once than the budget, and
 * every download has connections while the others run. */
static void
test_host_budget (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  Run *run = run_new (engine);

  dp_engine_set_max_connections_per_host (engine, 8);
  run_add_joined (run, "host", 4, 200, 4 * MIB, 2097152);
  run_start_all (run);
  run_until (run, all_ended, 120);

  g_printerr ("# at most %u connections, %u requests at once\n", run->max_engine,
              server_max_concurrent (0));
  assert_all_finished (run);
  if (server_max_concurrent (0) > 8)
    fail_msg ("%u requests at once, with 8 per host", server_max_concurrent (0));
  assert_true (run->max_engine <= 8);
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *item = g_ptr_array_index (run->items, i);

      /* None waited for the others to end. */
      if (item->max_connections_shared < 1)
        fail_msg ("download %u had no connection while the others ran", i);
    }
  run_free (run);
}

/* Two downloads of one host that both want more than half of its
 * budget: while both run, neither has more than half, and each gets
 * its half. */
static void
test_fair_share (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  Run *run = run_new (engine);

  dp_engine_set_max_connections_per_host (engine, 16);
  run_add_joined (run, "fair", 2, 300, 10 * MIB, 1048576);
  run_start_all (run);
  run_until (run, all_ended, 120);

  assert_all_finished (run);
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *item = g_ptr_array_index (run->items, i);

      g_printerr ("# download %u: at most %u connections, %u while both ran\n", i,
                  item->max_connections, item->max_connections_shared);
      if (item->max_connections_shared > 8 || item->max_connections_shared < 6)
        fail_msg ("download %u had %u connections while the other ran, of a share of 8", i,
                  item->max_connections_shared);
    }
  assert_true (run->max_engine <= 16);
  assert_true (server_max_concurrent (0) <= 16);
  run_free (run);
}

static gboolean
first_has_all (Run *run)
{
  Item *first = g_ptr_array_index (run->items, 0);

  return first->max_connections >= 12 || first->ended;
}

typedef struct
{
  Item *first;
  Item *second;
  gboolean handed_over;
} HandOver;

/* Records whether the first download came down to its new share while
 * the second took its own, both still well before their ends. */
static void
on_progress_hand_over (DpDownload *download,
                       HandOver   *hand_over)
{
  Run *run = hand_over->first->run;

  if (others_well_before_end (run, hand_over->first) &&
      others_well_before_end (run, hand_over->second) &&
      dp_download_get_connections (hand_over->first->download) <= 6 &&
      dp_download_get_connections (hand_over->second->download) >= 5)
    hand_over->handed_over = TRUE;
}

/* A download that comes while another holds the whole host: it has its
 * first connection at once, more only as the first gives back what is
 * beyond its new share, and in the end half of the host. The engine's
 * count is checked here, not the server's: a connection that the first
 * download closes in the middle of an answer counts at the server until
 * its next write fails. */
static void
test_late_download_gets_its_share (void **state)
{
  g_autoptr(DpEngine) engine = dp_engine_new ();
  Run *run = run_new (engine);
  HandOver hand_over = { NULL, NULL, FALSE };

  dp_engine_set_max_connections_per_host (engine, 12);
  hand_over.first = run_add (run, 0, "late-0.bin", 400, 12 * MIB, "rate=1048576", 12);
  hand_over.second = run_add (run, 0, "late-1.bin", 401, 12 * MIB, "rate=1048576", 12);
  g_signal_connect (hand_over.first->download, "progress", G_CALLBACK (on_progress_hand_over),
                    &hand_over);
  g_signal_connect (hand_over.second->download, "progress", G_CALLBACK (on_progress_hand_over),
                    &hand_over);

  run_start (run, hand_over.first);
  run_until (run, first_has_all, 60);
  assert_int_equal (hand_over.first->max_connections, 12);
  assert_false (hand_over.first->ended);
  run_start (run, hand_over.second);
  run_until (run, all_ended, 120);

  g_printerr ("# at most %u connections (%u requests at once); %u and %u while both ran\n",
              run->max_engine, server_max_concurrent (0),
              hand_over.first->max_connections_shared, hand_over.second->max_connections_shared);
  assert_all_finished (run);
  /* The second's first connection may come on top of the twelve. */
  if (run->max_engine > 12 + 1)
    fail_msg ("%u connections at once, with 12 per host", run->max_engine);
  assert_true (hand_over.handed_over);
  run_free (run);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_many_downloads_keep_to_the_budget),
    cmocka_unit_test (test_host_budget),
    cmocka_unit_test (test_fair_share),
    cmocka_unit_test (test_late_download_gets_its_share),
  };
  struct rlimit rl;
  int failed;

  /* The servers first: their process keeps the limit it was given. */
  start_servers ();
  /* Then a limit of open files that no engine can raise. */
  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    g_error ("getrlimit: %s", g_strerror (errno));
  rl.rlim_cur = rl.rlim_max = MIN (rl.rlim_max, (rlim_t) OPEN_FILES);
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
    g_error ("setrlimit: %s", g_strerror (errno));

  /* DP_TEST_FILTER=test_name runs one test (a glob pattern). */
  if (g_getenv ("DP_TEST_FILTER") != NULL)
    cmocka_set_test_filter (g_getenv ("DP_TEST_FILTER"));
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  stop_servers ();
  dp_test_quiesce_threads ();
  return failed;
}
