/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "dp-cli-options.h"
#include "dp-download.h"
#include "dp-error.h"
#include "dp-http.h"

typedef struct
{
  GMainLoop *loop;
  DpDownload *download;
  GError *error;
  gboolean show_progress;
  gboolean progress_drawn;
  gboolean interrupted;
  gboolean quiet;
} Cli;

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
draw_progress (Cli *cli)
{
  DpDownload *download = cli->download;
  gint64 size = dp_download_get_size (download);
  gint64 received = dp_download_get_received (download);
  g_autofree char *done = g_format_size ((guint64) received);
  g_autofree char *speed = g_format_size ((guint64) dp_download_get_speed (download));
  g_autofree char *eta = format_duration (dp_download_get_eta (download));

  if (size > 0)
    {
      g_autofree char *total = g_format_size ((guint64) size);
      fprintf (stderr, "\r\033[K%3d%%  %s of %s  %s/s  %s left  %u connections",
               (int) (received * 100 / size), done, total, speed, eta,
               dp_download_get_connections (download));
    }
  else
    fprintf (stderr, "\r\033[K%s  %s/s  %u connections", done, speed,
             dp_download_get_connections (download));
  fflush (stderr);
  cli->progress_drawn = TRUE;
}

static void
on_progress (DpDownload *download,
             Cli        *cli)
{
  if (cli->show_progress && dp_download_get_state (download) == DP_DOWNLOAD_STATE_DOWNLOADING)
    draw_progress (cli);
}

static void
on_notice (DpDownload *download,
           const char *message,
           Cli        *cli)
{
  if (cli->quiet)
    return;
  if (cli->progress_drawn)
    fputs ("\r\033[K", stderr);
  print_error ("%s", message);
}

static void
on_finished (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Cli *cli = user_data;

  dp_download_start_finish (DP_DOWNLOAD (source), result, &cli->error);
  g_main_loop_quit (cli->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Cli *cli = user_data;

  cli->interrupted = TRUE;
  dp_download_cancel (cli->download);
  return G_SOURCE_CONTINUE;
}

/* Asks for @user's password on the controlling terminal, without
 * echoing it, as ssh and curl do; standard input may be a pipe. */
static char *
ask_password (const char  *user,
              GError     **error)
{
  g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), user);
  GString *password = g_string_new (NULL);
  struct termios saved, quiet;
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
  restore = tcgetattr (tty, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      tcsetattr (tty, TCSAFLUSH, &quiet);
    }
  if (write (tty, prompt, strlen (prompt)) < 0)
    { /* The answer may still come. */ }
  while (read (tty, &c, 1) == 1 && c != '\n')
    g_string_append_c (password, c);
  if (restore)
    tcsetattr (tty, TCSAFLUSH, &saved);
  close (tty);
  return g_string_free (password, FALSE);
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
  g_autoptr(DpDownload) download = NULL;
  g_autofree char *directory = NULL;
  DpCliOptions options;
  Cli cli = { 0 };
  guint sigint_id, sigterm_id;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!dp_cli_options_parse (&options, g_strdupv (argv), TRUE, &error))
    {
      print_error ("%s", error->message);
      dp_cli_options_clear (&options);
      return DP_CLI_EXIT_USAGE;
    }

  if (options.version)
    {
      printf ("downpour-cli %s\n", PACKAGE_VERSION);
      dp_cli_options_clear (&options);
      return DP_CLI_EXIT_OK;
    }

  if (!complete_request (&options, &error))
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

  download = dp_download_new (options.url);
  dp_download_set_output (download, options.output);
  dp_download_set_directory (download, directory);
  dp_download_set_segments (download, options.segments);
  dp_download_set_rate_limit (download, options.rate_limit);
  dp_download_set_checksum (download, options.checksum);
  dp_download_set_accept_invalid_certificates (download, options.no_check_certificate);
  dp_download_set_allow_insecure_redirects (download, options.allow_http_redirect);
  if (!dp_request_is_empty (options.request))
    dp_download_set_request (download, options.request);
  cli.quiet = options.quiet;
  dp_cli_options_clear (&options);

  loop = g_main_loop_new (NULL, FALSE);
  cli.loop = loop;
  cli.download = download;
  cli.show_progress = !cli.quiet && isatty (STDERR_FILENO);
  g_signal_connect (download, "progress", G_CALLBACK (on_progress), &cli);
  g_signal_connect (download, "notice", G_CALLBACK (on_notice), &cli);
  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, &cli);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, &cli);

  dp_download_start_async (download, NULL, on_finished, &cli);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (cli.progress_drawn)
    {
      if (cli.error == NULL)
        draw_progress (&cli);
      fputc ('\n', stderr);
    }

  if (cli.error != NULL)
    {
      /* The way around a security refusal is named on the same line:
       * one error, one line. */
      if (g_error_matches (cli.error, DP_ERROR, DP_ERROR_TLS))
        print_error ("%s %s", cli.error->message,
                     _("If you trust this server and the network, --no-check-certificate "
                       "downloads it anyway."));
      else if (g_error_matches (cli.error, DP_ERROR, DP_ERROR_INSECURE_REDIRECT))
        print_error ("%s %s", cli.error->message,
                     _("--allow-http-redirect follows such redirects."));
      else
        print_error ("%s", cli.error->message);
      g_clear_error (&cli.error);
      return DP_CLI_EXIT_FAILED;
    }

  if (!cli.quiet)
    printf ("%s\n", dp_download_get_path (download));
  return DP_CLI_EXIT_OK;
}
