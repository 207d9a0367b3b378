/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How responsive the app stays: runs the real application (the app
 * library, DpAppApplication and all) in this process and measures
 *
 *   --mode=stall        the lateness of a 1 ms main-loop timeout while
 *                       downloads run at full loopback speed from the
 *                       in-process test server: worst case and 99th
 *                       percentile, in milliseconds, and the most CPU
 *                       time the main thread itself used between two
 *                       ticks
 *   --mode=first-frame  the time from main() to the first frame the main
 *                       window paints; when the saved list has items, also
 *                       to the first frame that shows them
 *   --write-list=N      writes a saved list of N finished downloads where
 *                       the app looks for it ($XDG_DATA_HOME), and exits
 *
 * Each figure is printed as one key=value line on stdout. Not a test:
 * tests/bench/app-bench.sh runs it under Xvfb with memory settings and
 * temporary XDG folders, several times, and prints the medians.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "dp-app-application.h"
#include "dp-app-window.h"
#include "dp-test-server.h"

#define MIB (1024 * 1024)

static char *opt_mode = NULL;
static int opt_write_list = -1;
static int opt_files = 4;
static int opt_segments = 16;
static int opt_size_mib = 256;
static int opt_idle_ms = 1000;
static int opt_timeout_s = 600;
static char *opt_dir = NULL;
static gboolean opt_verbose = FALSE;

static const GOptionEntry options[] = {
  { "mode", 'm', 0, G_OPTION_ARG_STRING, &opt_mode,
    "What to measure: stall or first-frame", "MODE" },
  { "write-list", 0, 0, G_OPTION_ARG_INT, &opt_write_list,
    "Write a saved list of N finished downloads and exit", "N" },
  { "files", 0, 0, G_OPTION_ARG_INT, &opt_files, "stall: downloads at once (4)", "N" },
  { "segments", 0, 0, G_OPTION_ARG_INT, &opt_segments, "stall: connections per file (16)", "N" },
  { "size-mib", 0, 0, G_OPTION_ARG_INT, &opt_size_mib, "stall: size of each file (256)", "MIB" },
  { "idle-ms", 0, 0, G_OPTION_ARG_INT, &opt_idle_ms,
    "stall: how long to measure the idle window first (1000)", "MS" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout_s, "Give up after S seconds (600)", "S" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
    "stall: where to download (default: a new temporary folder)", "DIR" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Print every stall over 16 ms", NULL },
  G_OPTION_ENTRY_NULL
};

typedef struct
{
  DpAppApplication *app;
  GtkWindow *window;
  gint64 t_main;
  gint64 t_run;
  int status;

  /* first-frame */
  gint64 t_window;
  gint64 t_map;
  gint64 t_first_frame;
  gint64 t_loaded;
  gint64 t_whole_list_frame;  /* the first frame with every item in the view */
  gint64 t_list_frame;
  gulong after_paint_id;
  GdkFrameClock *frame_clock;

  /* stall */
  DpTestServer *server;
  char *download_dir;
  gboolean own_dir;
  guint tick_id;
  gint64 prev_source_time;
  GArray *lateness;          /* gint64, microseconds */
  GArray *idle_lateness;
  gboolean measuring_idle;
  guint n_done;
  guint n_failed;
  gint64 t_downloads_start;
  gint64 t_downloads_end;
  guint64 stalls_over_16;
  /* What the main thread did between two ticks: ran (its own work,
   * which the app answers for), or waited for a CPU behind other
   * threads and processes (which it cannot help). */
  gint64 prev_cpu;
  gint64 prev_queued;
  gint64 busy_max;
  /* Verbose: the main thread's CPU time at the start of the frame being
   * drawn and at the end of its layout, to split a frame's cost. */
  gint64 frame_cpu_start;
  gint64 frame_cpu_layout;
} Bench;

static double
ms (gint64 us)
{
  return (double) us / 1000.0;
}

/* ---- the saved list ---------------------------------------------------- */

static const char *const name_stems[] = {
  "debian-12.8.0-amd64-netinst", "holiday-photos", "report", "podcast-episode",
  "conference-talk", "linux", "gnome-nightly", "dataset", "invoice", "wallpaper",
};
static const char *const name_exts[] = {
  ".iso", ".zip", ".pdf", ".mp3", ".webm", ".tar.xz", ".flatpak", ".csv", ".odt", ".png",
};

static GVariant *
make_list (gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);
  GVariantBuilder builder;
  g_autofree char *folder = g_build_filename (g_get_home_dir (), "Downloads", NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < n; i++)
    {
      GVariantBuilder dict;
      g_autofree char *name = g_strdup_printf ("%s-%04u%s",
                                               name_stems[i % G_N_ELEMENTS (name_stems)], i,
                                               name_exts[(i / 3) % G_N_ELEMENTS (name_exts)]);
      g_autofree char *url = g_strdup_printf ("https://downloads.example.org/pub/%u/%s",
                                              i % 97, name);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      gint64 size = 1000 + (gint64) g_str_hash (name) % (2000 * (gint64) MIB);

      /* The keys dp_app_item_serialize() writes for a finished download. */
      g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&dict, "{sv}", "url", g_variant_new_string (url));
      g_variant_builder_add (&dict, "{sv}", "directory", g_variant_new_string (folder));
      g_variant_builder_add (&dict, "{sv}", "segments", g_variant_new_uint32 (8));
      g_variant_builder_add (&dict, "{sv}", "status", g_variant_new_string ("finished"));
      g_variant_builder_add (&dict, "{sv}", "size", g_variant_new_int64 (size));
      g_variant_builder_add (&dict, "{sv}", "received", g_variant_new_int64 (size));
      g_variant_builder_add (&dict, "{sv}", "added", g_variant_new_int64 (now - (gint64) (n - i) * 600));
      g_variant_builder_add (&dict, "{sv}", "path", g_variant_new_string (path));
      g_variant_builder_add_value (&builder, g_variant_builder_end (&dict));
    }
  return g_variant_builder_end (&builder);
}

/* Writes the list with the app's own store, so that the format is the
 * one the app reads. */
static int
write_list (guint n)
{
  g_autofree char *path = dp_app_store_dup_default_path ();
  g_autoptr(DpAppStore) store = dp_app_store_new (path);
  g_autoptr(GError) error = NULL;

  dp_app_store_set_snapshot_func (store, make_list, GUINT_TO_POINTER (n));
  if (!dp_app_store_flush (store, &error))
    {
      g_printerr ("Could not write %s: %s\n", path, error->message);
      return 1;
    }
  g_printerr ("wrote %u finished downloads to %s\n", n, path);
  return 0;
}

/* ---- first frame ------------------------------------------------------- */

static void start_stall_bench (Bench *b);

static gboolean
list_is_shown (Bench *b)
{
  DpAppManager *manager = dp_app_application_get_manager (b->app);

  /* The top of a long list shows before the rest is in. */
  return g_list_model_get_n_items (dp_app_manager_get_model (manager)) > 0 &&
         g_strcmp0 (dp_app_window_get_visible_page (DP_APP_WINDOW (b->window)), "list") == 0;
}

/* Whether the list view has every item of the list (the window shows a
 * long list a few rows a frame). */
static gboolean
view_shows_all (Bench *b)
{
  DpAppManager *manager = dp_app_application_get_manager (b->app);
  GtkWidget *list_view = dp_app_window_get_list_view (DP_APP_WINDOW (b->window));
  GListModel *shown = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list_view)));

  return dp_app_manager_get_loaded (manager) &&
         g_list_model_get_n_items (shown) == g_list_model_get_n_items (dp_app_manager_get_model (manager));
}

static gboolean
quit_soon (gpointer data)
{
  Bench *b = data;

  g_application_quit (G_APPLICATION (b->app));
  return G_SOURCE_REMOVE;
}

static void
report_first_frame (Bench *b)
{
  DpAppManager *manager = dp_app_application_get_manager (b->app);
  guint n_items = g_list_model_get_n_items (dp_app_manager_get_model (manager));

  printf ("first_frame_ms=%.1f\n", ms (b->t_first_frame - b->t_main));
  printf ("first_frame_from_run_ms=%.1f\n", ms (b->t_first_frame - b->t_run));
  if (n_items > 0)
    {
      printf ("items=%u\n", n_items);
      printf ("list_loaded_ms=%.1f\n", ms (b->t_loaded - b->t_main));
      printf ("first_list_frame_ms=%.1f\n", ms (b->t_list_frame - b->t_main));
      printf ("whole_list_frame_ms=%.1f\n", ms (b->t_whole_list_frame - b->t_main));
    }
  if (opt_verbose)
    {
      GtkWidget *list_view = dp_app_window_get_list_view (DP_APP_WINDOW (b->window));
      guint n_rows = 0;

      for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        n_rows++;
      g_printerr ("main→run %.1f ms, →window %.1f ms, →map %.1f ms; %u row widgets; "
                  "renderer %s\n",
                  ms (b->t_run - b->t_main), ms (b->t_window - b->t_main),
                  ms (b->t_map - b->t_main), n_rows,
                  G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (b->window))));
    }
  fflush (stdout);
}

static void
on_after_paint (GdkFrameClock *clock,
                Bench         *b)
{
  gint64 now = g_get_monotonic_time ();
  DpAppManager *manager = dp_app_application_get_manager (b->app);

  if (b->t_first_frame == 0)
    b->t_first_frame = now;

  /* Only a list that was saved needs to be waited for. */
  if (b->t_list_frame == 0 && list_is_shown (b))
    b->t_list_frame = now;
  if (b->t_whole_list_frame == 0 && b->t_list_frame != 0 && view_shows_all (b))
    b->t_whole_list_frame = now;
  if (!dp_app_manager_get_loaded (manager) ||
      (g_list_model_get_n_items (dp_app_manager_get_model (manager)) > 0 &&
       (b->t_list_frame == 0 || b->t_whole_list_frame == 0)))
    return;

  g_clear_signal_handler (&b->after_paint_id, clock);
  if (g_strcmp0 (opt_mode, "first-frame") == 0)
    {
      report_first_frame (b);
      g_idle_add (quit_soon, b);
    }
  else
    start_stall_bench (b);
}

static void
on_loaded (DpAppManager *manager,
           GParamSpec   *pspec,
           Bench        *b)
{
  if (b->t_loaded == 0 && dp_app_manager_get_loaded (manager))
    b->t_loaded = g_get_monotonic_time ();
}

static void
on_map (GtkWidget *widget,
        Bench     *b)
{
  if (b->t_map != 0)
    return;
  b->t_map = g_get_monotonic_time ();
  b->frame_clock = gtk_widget_get_frame_clock (widget);
  b->after_paint_id = g_signal_connect (b->frame_clock, "after-paint",
                                        G_CALLBACK (on_after_paint), b);
}

static void
on_window_added (GtkApplication *application,
                 GtkWindow      *window,
                 Bench          *b)
{
  if (b->window != NULL || !DP_APP_IS_WINDOW (window))
    return;
  b->t_window = g_get_monotonic_time ();
  b->window = window;
  g_signal_connect (window, "map", G_CALLBACK (on_map), b);
}

static void
on_startup (GApplication *application,
            Bench        *b)
{
  DpAppManager *manager = dp_app_application_get_manager (b->app);

  /* Connected after the application's own startup handler, which made
   * the manager and started reading the list. */
  g_signal_connect (manager, "notify::loaded", G_CALLBACK (on_loaded), b);
  on_loaded (manager, NULL, b);
}

/* ---- stalls ------------------------------------------------------------ */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
summarize (GArray *samples,
           gint64 *max,
           gint64 *p99,
           gint64 *p50)
{
  guint n = samples->len;

  *max = *p99 = *p50 = 0;
  if (n == 0)
    return;
  g_array_sort (samples, compare_gint64);
  *max = g_array_index (samples, gint64, n - 1);
  *p99 = g_array_index (samples, gint64, MIN (n - 1, (guint) ((n * 99 + 99) / 100) - 1));
  *p50 = g_array_index (samples, gint64, n / 2);
}

/* CPU time of the calling thread, in microseconds. */
static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* How long the calling thread has been runnable but waiting for a CPU,
 * in microseconds (Linux's schedstat; 0 where there is none). */
static gint64
thread_queue_time (void)
{
  g_autofree char *text = NULL;
  char *end;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL))
    return 0;
  g_ascii_strtoull (text, &end, 10);
  return (gint64) (g_ascii_strtoull (end, NULL, 10) / 1000);
}

/* A 1 ms timeout: GLib sets its next expiry to the time of the
 * iteration that dispatched it plus 1 ms, so how much later than that
 * it runs is how long something else held the main loop. */
static gboolean
on_tick (gpointer data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();
  GSource *source = g_main_current_source ();
  gint64 cpu = thread_cpu_time ();
  gint64 queued = opt_verbose ? thread_queue_time () : 0;

  if (b->prev_source_time != 0)
    {
      gint64 late = MAX (0, now - (b->prev_source_time + 1000));

      g_array_append_val (b->measuring_idle ? b->idle_lateness : b->lateness, late);
      if (!b->measuring_idle)
        b->busy_max = MAX (b->busy_max, cpu - b->prev_cpu);
      if (late > 16000)
        b->stalls_over_16++;
      /* Verbose: every stall, and every tick the main thread was busy
       * for more than 4 ms, whatever it cost in lateness. */
      if (opt_verbose && (late > 16000 || (!b->measuring_idle && cpu - b->prev_cpu > 4000)))
        g_printerr ("stall %.1f ms at t=%.3f s: main thread on a CPU %.1f ms, "
                    "waiting for one %.1f ms\n", ms (late),
                    (double) (now - b->t_downloads_start) / G_USEC_PER_SEC,
                    ms (cpu - b->prev_cpu), ms (queued - b->prev_queued));
    }
  b->prev_source_time = g_source_get_time (source);
  b->prev_cpu = cpu;
  b->prev_queued = queued;
  return G_SOURCE_CONTINUE;
}

static void
remove_downloads (Bench *b)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (b->download_dir == NULL)
    return;
  dir = g_dir_open (b->download_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "bench-"))
      {
        g_autofree char *path = g_build_filename (b->download_dir, name, NULL);
        g_unlink (path);
      }
  if (b->own_dir)
    g_rmdir (b->download_dir);
}

static void
report_stalls (Bench *b)
{
  gint64 max, p99, p50, idle_max, idle_p99, idle_p50;
  double seconds = (double) (b->t_downloads_end - b->t_downloads_start) / G_USEC_PER_SEC;
  double total_mib = (double) opt_files * opt_size_mib;
  DpAppManager *manager = dp_app_application_get_manager (b->app);

  summarize (b->lateness, &max, &p99, &p50);
  summarize (b->idle_lateness, &idle_max, &idle_p99, &idle_p50);

  printf ("stall_max_ms=%.1f\n", ms (max));
  printf ("stall_p99_ms=%.1f\n", ms (p99));
  printf ("stall_p50_ms=%.2f\n", ms (p50));
  printf ("stalls_over_16ms=%" G_GUINT64_FORMAT "\n", b->stalls_over_16);
  printf ("stall_busy_max_ms=%.1f\n", ms (b->busy_max));
  printf ("ticks=%u\n", b->lateness->len);
  printf ("idle_stall_max_ms=%.1f\n", ms (idle_max));
  printf ("idle_stall_p99_ms=%.1f\n", ms (idle_p99));
  printf ("list_items=%u\n", g_list_model_get_n_items (dp_app_manager_get_model (manager)));
  printf ("download_s=%.2f\n", seconds);
  printf ("download_mib_s=%.0f\n", seconds > 0 ? total_mib / seconds : 0);
  fflush (stdout);
}

static void
on_item_done (DpAppManager *manager,
              DpAppItem    *item,
              Bench        *b)
{
  if (dp_app_item_get_status (item) != DP_APP_ITEM_FINISHED)
    {
      g_printerr ("%s failed: %s\n", dp_app_item_get_display_name (item),
                  dp_app_item_get_error (item));
      b->n_failed++;
    }
  if (++b->n_done < (guint) opt_files)
    return;

  b->t_downloads_end = g_get_monotonic_time ();
  g_clear_handle_id (&b->tick_id, g_source_remove);
  if (b->n_failed > 0)
    b->status = 1;
  else
    report_stalls (b);
  g_idle_add (quit_soon, b);
}

static gboolean
add_downloads (gpointer data)
{
  Bench *b = data;
  DpAppManager *manager = dp_app_application_get_manager (b->app);

  b->measuring_idle = FALSE;
  b->t_downloads_start = g_get_monotonic_time ();
  if (opt_verbose)
    g_printerr ("downloads start at monotonic %.6f s\n", (double) b->t_downloads_start / G_USEC_PER_SEC);
  g_signal_connect (manager, "item-done", G_CALLBACK (on_item_done), b);
  for (int i = 0; i < opt_files; i++)
    {
      g_autofree char *path = g_strdup_printf ("/file/bench-%d.bin?size=%" G_GINT64_FORMAT
                                               "&seed=%d",
                                               i, (gint64) opt_size_mib * MIB, i + 1);
      g_autofree char *url = dp_test_server_url (b->server, path);

      dp_app_manager_add (manager, url, b->download_dir, (guint) opt_segments, NULL, TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
on_frame_before_paint (GdkFrameClock *clock,
                       Bench         *b)
{
  b->frame_cpu_start = thread_cpu_time ();
  /* A frame may have nothing to lay out. */
  b->frame_cpu_layout = b->frame_cpu_start;
}

/* Connected after the window's own handlers: what they did is done. */
static void
on_frame_layout (GdkFrameClock *clock,
                 Bench         *b)
{
  b->frame_cpu_layout = thread_cpu_time ();
}

static void
on_frame_after_paint (GdkFrameClock *clock,
                      Bench         *b)
{
  gint64 cpu = thread_cpu_time ();

  if (b->t_downloads_start != 0 && cpu - b->frame_cpu_start > 4000)
    g_printerr ("frame at t=%.3f s: CPU %.1f ms, of which layout %.1f ms, drawing %.1f ms\n",
                (double) (g_get_monotonic_time () - b->t_downloads_start) / G_USEC_PER_SEC,
                ms (cpu - b->frame_cpu_start), ms (b->frame_cpu_layout - b->frame_cpu_start),
                ms (cpu - b->frame_cpu_layout));
}

static void
start_stall_bench (Bench *b)
{
  if (opt_verbose)
    {
      g_signal_connect (b->frame_clock, "before-paint", G_CALLBACK (on_frame_before_paint), b);
      g_signal_connect (b->frame_clock, "layout", G_CALLBACK (on_frame_layout), b);
      g_signal_connect (b->frame_clock, "after-paint", G_CALLBACK (on_frame_after_paint), b);
    }

  /* The idle window first, for comparison; then the downloads. */
  b->measuring_idle = TRUE;
  b->tick_id = g_timeout_add_full (G_PRIORITY_DEFAULT, 1, on_tick, b, NULL);
  g_timeout_add (MAX (opt_idle_ms, 1), add_downloads, b);
}

static gboolean
on_give_up (gpointer data)
{
  Bench *b = data;

  g_printerr ("gave up after %d s\n", opt_timeout_s);
  b->status = 1;
  g_application_quit (G_APPLICATION (b->app));
  return G_SOURCE_REMOVE;
}

/* ---- main -------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  Bench b = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  char *app_argv[] = { argv[0], NULL };
  int status;

  b.t_main = g_get_monotonic_time ();

  /* Never the user's settings, whatever the environment says. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  context = g_option_context_new ("- how responsive the Downpour window stays");
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (opt_write_list >= 0)
    return write_list ((guint) opt_write_list);

  if (g_strcmp0 (opt_mode, "stall") != 0 && g_strcmp0 (opt_mode, "first-frame") != 0)
    {
      g_printerr ("--mode=stall or --mode=first-frame, or --write-list=N\n");
      return 2;
    }
  if (opt_files < 1 || opt_segments < 1 || opt_size_mib < 1)
    {
      g_printerr ("--files, --segments and --size-mib must be positive\n");
      return 2;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("No display: run under xvfb-run (tests/bench/app-bench.sh does)\n");
      return 2;
    }

  b.app = dp_app_application_new ();
  /* Never a remote call to a Downpour the user is running. */
  g_application_set_flags (G_APPLICATION (b.app),
                           g_application_get_flags (G_APPLICATION (b.app)) |
                           G_APPLICATION_NON_UNIQUE);
  g_signal_connect (b.app, "window-added", G_CALLBACK (on_window_added), &b);
  g_signal_connect_after (b.app, "startup", G_CALLBACK (on_startup), &b);
  g_timeout_add_seconds ((guint) MAX (opt_timeout_s, 1), on_give_up, &b);

  if (g_strcmp0 (opt_mode, "stall") == 0)
    {
      settings = g_settings_new (APP_ID);
      g_settings_set_uint (settings, "max-active-downloads", (guint) MIN (opt_files, 20));
      g_settings_set_boolean (settings, "notify-on-completion", FALSE);

      b.server = dp_test_server_new ();
      b.lateness = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1 << 16);
      b.idle_lateness = g_array_new (FALSE, FALSE, sizeof (gint64));
      if (opt_dir != NULL)
        b.download_dir = g_strdup (opt_dir);
      else
        {
          b.download_dir = g_dir_make_tmp ("downpour-bench-XXXXXX", &error);
          b.own_dir = TRUE;
          if (b.download_dir == NULL)
            {
              g_printerr ("%s\n", error->message);
              return 1;
            }
        }
    }

  b.t_run = g_get_monotonic_time ();
  status = g_application_run (G_APPLICATION (b.app), 1, app_argv);

  if (g_strcmp0 (opt_mode, "first-frame") == 0 && b.t_first_frame == 0)
    b.status = 1;
  if (b.server != NULL)
    {
      remove_downloads (&b);
      dp_test_server_free (b.server);
    }
  g_clear_pointer (&b.lateness, g_array_unref);
  g_clear_pointer (&b.idle_lateness, g_array_unref);
  g_free (b.download_dir);
  g_object_unref (b.app);
  return status != 0 ? status : b.status;
}
