/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "dp-cli-options.h"
#include "dp-download.h"
#include "dp-error.h"
#include "dp-http.h"

typedef struct _Cli Cli;

/* One address of the run, from start to end. */
typedef struct
{
  Cli *cli;
  DpDownload *download;
  char *shown;          /* the address for messages, without a login */
} Job;

struct _Cli
{
  GMainLoop *loop;
  DpCliOptions *options;
  const char *directory;
  GPtrArray *urls;      /* every address of the run */
  GPtrArray *metalinks; /* for each address, the Metalink file it is the
                         * first address of, or NULL */
  guint next;           /* the first one not started yet */
  GPtrArray *running;   /* of Job */
  guint saved;
  guint failed;
  gboolean several;
  gboolean show_progress;
  gboolean progress_drawn;
  gboolean interrupted;
  gboolean quiet;
};

static void G_GNUC_PRINTF (1, 2)
print_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Exactly one line, whatever the message holds. */
  g_strdelimit (message, "\r\n", ' ');
  fprintf (stderr, "downpour-cli: %s\n", message);
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("--:--");
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

static void
clear_progress (Cli *cli)
{
  if (cli->progress_drawn)
    fputs ("\r\033[K", stderr);
}

static void
draw_progress (Cli *cli)
{
  gint64 size = 0, received = 0;
  double speed = 0;
  guint connections = 0;
  gboolean sizes_known = cli->running->len > 0;
  g_autofree char *done = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *counts = NULL;

  /* The downloads running now, together. */
  for (guint i = 0; i < cli->running->len; i++)
    {
      Job *job = g_ptr_array_index (cli->running, i);

      if (dp_download_get_size (job->download) > 0)
        size += dp_download_get_size (job->download);
      else
        sizes_known = FALSE;
      received += dp_download_get_received (job->download);
      speed += dp_download_get_speed (job->download);
      connections += dp_download_get_connections (job->download);
    }
  done = g_format_size ((guint64) received);
  rate = g_format_size ((guint64) speed);
  if (cli->several)
    counts = g_strdup_printf ("[%u/%u] ", cli->saved + cli->failed + 1, cli->urls->len);

  if (sizes_known && size > 0)
    {
      g_autofree char *total = g_format_size ((guint64) size);
      g_autofree char *eta = format_duration (speed >= 1 ? (gint64) ((size - received) / speed) : -1);

      if (cli->running->len == 1)
        {
          g_free (eta);
          eta = format_duration (dp_download_get_eta (((Job *) g_ptr_array_index (cli->running, 0))->download));
        }
      fprintf (stderr, "\r\033[K%s%3d%%  %s of %s  %s/s  %s left  %u connections",
               counts != NULL ? counts : "", (int) (received * 100 / size), done, total, rate,
               eta, connections);
    }
  else
    fprintf (stderr, "\r\033[K%s%s  %s/s  %u connections", counts != NULL ? counts : "", done,
             rate, connections);
  fflush (stderr);
  cli->progress_drawn = TRUE;
}

static void
on_progress (DpDownload *download,
             Job        *job)
{
  if (job->cli->show_progress && dp_download_get_state (download) == DP_DOWNLOAD_STATE_DOWNLOADING)
    draw_progress (job->cli);
}

static void
on_notice (DpDownload *download,
           const char *message,
           Job        *job)
{
  if (job->cli->quiet)
    return;
  clear_progress (job->cli);
  if (job->cli->several)
    print_error ("%s: %s", job->shown, message);
  else
    print_error ("%s", message);
}

static void
job_free (Job *job)
{
  g_signal_handlers_disconnect_by_data (job->download, job);
  g_object_unref (job->download);
  g_free (job->shown);
  g_free (job);
}

/* A refusal's way around is named on the same line: one error, one
 * line. */
static void
print_failure (Cli        *cli,
               Job        *job,
               GError     *error)
{
  const char *hint = NULL;

  if (g_error_matches (error, DP_ERROR, DP_ERROR_TLS))
    hint = _("If you trust this server and the network, --no-check-certificate "
             "downloads it anyway.");
  else if (g_error_matches (error, DP_ERROR, DP_ERROR_INSECURE_REDIRECT))
    hint = _("--allow-http-redirect follows such redirects.");
  else if (g_error_matches (error, DP_ERROR, DP_ERROR_LOGIN) &&
           cli->options->user == NULL)
    hint = _("--user gives a login.");

  clear_progress (cli);
  cli->progress_drawn = FALSE;
  if (cli->several)
    print_error ("%s: %s%s%s", job->shown, error->message, hint ? " " : "", hint ? hint : "");
  else
    print_error ("%s%s%s", error->message, hint ? " " : "", hint ? hint : "");
}

static void start_next (Cli *cli);

static void
on_finished (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  Cli *cli = job->cli;
  g_autoptr(GError) error = NULL;

  if (dp_download_start_finish (DP_DOWNLOAD (source), result, &error))
    {
      cli->saved++;
      if (cli->progress_drawn && !cli->several)
        {
          draw_progress (cli);
          fputc ('\n', stderr);
          cli->progress_drawn = FALSE;
        }
      else
        clear_progress (cli);
      if (!cli->quiet)
        {
          printf ("%s\n", dp_download_get_path (job->download));
          fflush (stdout);
        }
    }
  else
    {
      cli->failed++;
      if (!(cli->several && cli->interrupted))
        print_failure (cli, job, error);
    }

  g_ptr_array_remove (cli->running, job);
  start_next (cli);
}

/* Starts addresses until --jobs run at once; quits when all ended. */
static void
start_next (Cli *cli)
{
  while (!cli->interrupted && cli->next < cli->urls->len &&
         cli->running->len < cli->options->jobs)
    {
      const DpMetalinkFile *file = g_ptr_array_index (cli->metalinks, cli->next);
      const char *url = g_ptr_array_index (cli->urls, cli->next++);
      Job *job = g_new0 (Job, 1);
      DpDownload *download = file != NULL ? dp_download_new_from_metalink (file)
                                          : dp_download_new (url);

      job->cli = cli;
      job->download = download;
      job->shown = dp_http_redact_address (url);
      dp_download_set_output (download, cli->options->output);
      dp_download_set_directory (download, cli->directory);
      dp_download_set_segments (download, cli->options->segments);
      dp_download_set_rate_limit (download, cli->options->rate_limit);
      dp_download_set_checksum (download, cli->options->checksum);
      dp_download_set_accept_invalid_certificates (download, cli->options->no_check_certificate);
      dp_download_set_allow_insecure_redirects (download, cli->options->allow_http_redirect);
      dp_download_set_read_metalink (download, !cli->options->no_metalink);
      dp_download_set_use_server_mirrors (download, !cli->options->no_server_mirrors);
      for (guint i = 0; cli->options->mirrors != NULL && cli->options->mirrors[i] != NULL; i++)
        {
          g_autoptr(GError) error = NULL;

          /* Each was checked as an address; one given twice, or the
           * download's own, is said and skipped. */
          if (!dp_download_add_mirror (download, cli->options->mirrors[i], &error))
            print_error ("%s", error->message);
        }
      if (!dp_request_is_empty (cli->options->request))
        dp_download_set_request (download, cli->options->request);
      g_signal_connect (download, "progress", G_CALLBACK (on_progress), job);
      g_signal_connect (download, "notice", G_CALLBACK (on_notice), job);
      g_ptr_array_add (cli->running, job);
      dp_download_start_async (download, NULL, on_finished, job);
    }

  if (cli->running->len == 0)
    g_main_loop_quit (cli->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Cli *cli = user_data;

  cli->interrupted = TRUE;
  for (guint i = 0; i < cli->running->len; i++)
    dp_download_cancel (((Job *) g_ptr_array_index (cli->running, i))->download);
  return G_SOURCE_CONTINUE;
}

/* --input-file: every address in it, or "-" for standard input. */
static gboolean
read_address_list (const char  *path,
                   GPtrArray   *urls,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *display = NULL;
  gsize length = 0;

  if (strcmp (path, "-") == 0)
    {
      GString *text = g_string_new (NULL);
      char buf[65536];
      ssize_t n;

      display = g_strdup (_("standard input"));
      while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0)
        {
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 || text->len > DP_CLI_MAX_LIST_SIZE)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_IO, _("Could not read addresses from %s: %s"),
                           display, n < 0 ? g_strerror (errno) : _("it is too large"));
              g_string_free (text, TRUE);
              return FALSE;
            }
          g_string_append_len (text, buf, n);
        }
      length = text->len;
      contents = g_string_free (text, FALSE);
    }
  else
    {
      g_autofree char *shown = g_filename_display_name (path);

      display = g_strdup_printf ("“%s”", shown);
      if (!g_file_get_contents (path, &contents, &length, &local_error))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_IO, _("Could not read addresses from %s: %s"),
                       display, local_error->message);
          return FALSE;
        }
    }
  if (length > DP_CLI_MAX_LIST_SIZE)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_IO, _("Could not read addresses from %s: %s"),
                   display, _("it is too large"));
      return FALSE;
    }
  return dp_cli_parse_address_list (contents, length, display, urls, error);
}

/* Metalink files named on the command line: each file they describe
 * becomes a download, in place of the file's name. */
static gboolean
expand_metalinks (GPtrArray  *urls,
                  GPtrArray  *metalinks,
                  GError    **error)
{
  g_autoptr(GPtrArray) out_urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) out_files = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_metalink_file_free);

  for (guint i = 0; i < urls->len; i++)
    {
      const char *argument = g_ptr_array_index (urls, i);
      g_autofree char *contents = NULL;
      g_autofree char *shown = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GPtrArray) files = NULL;
      gsize length = 0;
      GStatBuf st;

      if (!dp_cli_is_metalink_path (argument))
        {
          g_ptr_array_add (out_urls, g_strdup (argument));
          g_ptr_array_add (out_files, NULL);
          continue;
        }
      shown = g_filename_display_name (argument);
      if (g_stat (argument, &st) == 0 && st.st_size > DP_METALINK_MAX_SIZE)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("Could not read the Metalink file “%s”: %s"), shown, _("it is too large"));
          return FALSE;
        }
      if (!g_file_get_contents (argument, &contents, &length, &local_error))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("Could not read the Metalink file “%s”: %s"), shown, local_error->message);
          return FALSE;
        }
      files = dp_metalink_parse (contents, (gssize) length, &local_error);
      if (files == NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("“%s” cannot be used: %s"), shown, local_error->message);
          return FALSE;
        }
      for (guint k = 0; k < files->len; k++)
        {
          DpMetalinkFile *file = g_ptr_array_index (files, k);

          g_ptr_array_add (out_urls, g_strdup (((DpMetalinkUrl *) g_ptr_array_index (file->urls, 0))->url));
          g_ptr_array_add (out_files, file);
          g_ptr_array_index (files, k) = NULL;
        }
    }

  g_ptr_array_set_size (urls, 0);
  g_ptr_array_extend_and_steal (urls, g_steal_pointer (&out_urls));
  g_ptr_array_set_size (metalinks, 0);
  g_ptr_array_extend_and_steal (metalinks, g_steal_pointer (&out_files));
  return TRUE;
}

/* The terminal as it was before the password prompt turned echo off,
 * for a signal that ends the program meanwhile. */
static int prompt_tty = -1;
static struct termios prompt_saved;

static void
restore_terminal_and_die (int signal_number)
{
  /* tcsetattr() and raise() are async-signal-safe. */
  if (prompt_tty >= 0)
    tcsetattr (prompt_tty, TCSAFLUSH, &prompt_saved);
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

/* Asks for @user's password on the controlling terminal, without
 * echoing it, as ssh and curl do; standard input may be a pipe. Ctrl+C
 * or a hang-up meanwhile leaves the terminal as it was. */
static char *
ask_password (const char  *user,
              GError     **error)
{
  g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), user);
  GString *password = g_string_new (NULL);
  static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
  struct sigaction handler = { 0 }, previous[G_N_ELEMENTS (signals)];
  struct termios quiet;
  gboolean restore;
  int tty = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  char c;

  if (tty < 0)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("--user=%s gives no password, and there is no terminal to ask for one. "
                     "Use --user=USER:PASSWORD."), user);
      g_string_free (password, TRUE);
      return NULL;
    }
  restore = tcgetattr (tty, &prompt_saved) == 0;
  if (restore)
    {
      prompt_tty = tty;
      handler.sa_handler = restore_terminal_and_die;
      sigemptyset (&handler.sa_mask);
      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        sigaction (signals[i], &handler, &previous[i]);
      quiet = prompt_saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      tcsetattr (tty, TCSAFLUSH, &quiet);
    }
  if (write (tty, prompt, strlen (prompt)) < 0)
    { /* The answer may still come. */ }
  while (read (tty, &c, 1) == 1 && c != '\n')
    g_string_append_c (password, c);
  if (restore)
    {
      tcsetattr (tty, TCSAFLUSH, &prompt_saved);
      prompt_tty = -1;
      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        sigaction (signals[i], &previous[i], NULL);
    }
  close (tty);
  return g_string_free (password, FALSE);
}

/* A password on the command line is visible to every user in
 * /proc/PID/cmdline; it is blanked there once read, as curl does. */
static void
hide_password_in (int    argc,
                  char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      char *login = NULL;
      char *colon;

      if (strcmp (argv[i], "--") == 0)
        break;
      if ((strcmp (argv[i], "--user") == 0 || strcmp (argv[i], "-u") == 0) && i + 1 < argc)
        login = argv[++i];
      else if (g_str_has_prefix (argv[i], "--user="))
        login = argv[i] + strlen ("--user=");
      else if (g_str_has_prefix (argv[i], "-u") && argv[i][2] != '\0' && argv[i][1] != '-')
        login = argv[i] + 2;
      if (login != NULL && (colon = strchr (login, ':')) != NULL)
        memset (colon + 1, '*', strlen (colon + 1));
    }
}

/* Reads the cookie files and asks for a missing password: what the
 * command line named but parsing it could not do. */
static gboolean
complete_request (DpCliOptions  *options,
                  GError       **error)
{
  for (guint i = 0; options->cookie_files != NULL && options->cookie_files[i] != NULL; i++)
    {
      guint n = 0;

      if (!dp_request_load_cookie_file (options->request, options->cookie_files[i], &n, error))
        return FALSE;
      if (n == 0 && !options->quiet)
        {
          g_autofree char *shown = g_filename_display_name (options->cookie_files[i]);

          print_error (_("“%s” has no cookies that have not expired."), shown);
        }
    }

  if (options->user != NULL)
    {
      if (options->password == NULL)
        options->password = ask_password (options->user, error);
      if (options->password == NULL)
        return FALSE;
      dp_request_set_login (options->request, options->user, options->password);
    }
  return TRUE;
}

static char *
default_directory (void)
{
  const char *xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (xdg != NULL)
    return g_strdup (xdg);
  return g_build_filename (g_get_home_dir (), "Downloads", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) metalinks = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_metalink_file_free);
  g_autoptr(GPtrArray) running = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  g_autofree char *directory = NULL;
  DpCliOptions options;
  Cli cli = { 0 };
  guint sigint_id, sigterm_id;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!dp_cli_options_parse (&options, g_strdupv (argv), TRUE, &error))
    {
      hide_password_in (argc, argv);
      print_error ("%s", error->message);
      dp_cli_options_clear (&options);
      return DP_CLI_EXIT_USAGE;
    }
  hide_password_in (argc, argv);

  if (options.version)
    {
      printf ("downpour-cli %s\n", PACKAGE_VERSION);
      dp_cli_options_clear (&options);
      return DP_CLI_EXIT_OK;
    }

  for (guint i = 0; options.urls[i] != NULL; i++)
    g_ptr_array_add (urls, g_strdup (options.urls[i]));
  if ((options.input_file != NULL && !read_address_list (options.input_file, urls, &error)) ||
      !expand_metalinks (urls, metalinks, &error) ||
      !dp_cli_options_check_addresses (&options, urls->len, &error) ||
      !complete_request (&options, &error))
    {
      print_error ("%s", error->message);
      dp_cli_options_clear (&options);
      return DP_CLI_EXIT_USAGE;
    }

  directory = g_strdup (options.directory);
  if (options.output == NULL && directory == NULL)
    {
      directory = default_directory ();
      /* The usual download folder may simply not exist yet. */
      if (g_mkdir_with_parents (directory, 0755) != 0)
        {
          print_error (_("Could not create the folder “%s”: %s"), directory, g_strerror (errno));
          dp_cli_options_clear (&options);
          return DP_CLI_EXIT_FAILED;
        }
    }

  loop = g_main_loop_new (NULL, FALSE);
  cli.loop = loop;
  cli.options = &options;
  cli.directory = directory;
  cli.urls = urls;
  cli.metalinks = metalinks;
  cli.running = running;
  cli.several = urls->len > 1;
  cli.quiet = options.quiet;
  cli.show_progress = !cli.quiet && isatty (STDERR_FILENO);
  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, &cli);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, &cli);

  start_next (&cli);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  clear_progress (&cli);

  if (cli.several && cli.failed > 0)
    {
      /* What did not arrive, on one line, after each one's own. */
      if (cli.interrupted)
        print_error (ngettext ("Stopped: %u of %u downloads saved.",
                               "Stopped: %u of %u downloads saved.", urls->len),
                     cli.saved, urls->len);
      else
        print_error (ngettext ("%u of %u download failed.", "%u of %u downloads failed.",
                               urls->len),
                     cli.failed, urls->len);
    }
  status = cli.saved == urls->len ? DP_CLI_EXIT_OK : DP_CLI_EXIT_FAILED;
  dp_cli_options_clear (&options);
  return status;
}
