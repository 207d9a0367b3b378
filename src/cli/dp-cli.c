/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "dp-checksum.h"
#include "dp-download.h"
#include "dp-error.h"
#include "dp-http.h"

/* Exit codes: part of the command-line contract. */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

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

static char *
default_directory (void)
{
  const char *xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (xdg != NULL)
    return g_strdup (xdg);
  return g_build_filename (g_get_home_dir (), "Downloads", NULL);
}

static gboolean
parse_segments (const char  *text,
                guint       *segments,
                GError     **error)
{
  guint64 value;

  if (g_ascii_strcasecmp (text, "auto") == 0)
    {
      *segments = DP_DOWNLOAD_SEGMENTS_AUTO;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, DP_DOWNLOAD_MIN_SEGMENTS, DP_DOWNLOAD_MAX_SEGMENTS,
                                   &value, NULL))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("--segments must be “auto” or a number from %d to %d, not “%s”."),
                   DP_DOWNLOAD_MIN_SEGMENTS, DP_DOWNLOAD_MAX_SEGMENTS, text);
      return FALSE;
    }
  *segments = (guint) value;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(DpDownload) download = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *output = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *segments_text = NULL;
  g_autofree char *checksum_text = NULL;
  g_auto(GStrv) urls = NULL;
  gboolean quiet = FALSE;
  gboolean version = FALSE;
  guint segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
  Cli cli = { 0 };
  guint sigint_id, sigterm_id;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Save to FILE"), N_("FILE") },
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &directory,
      N_("Save into DIR under the server's or the address's name "
         "(default: the download folder)"), N_("DIR") },
    { "segments", 's', 0, G_OPTION_ARG_STRING, &segments_text,
      N_("Parallel connections, 1–64, or “auto” to add connections while it helps "
         "(default 8)"), N_("N") },
    { "checksum", 0, 0, G_OPTION_ARG_STRING, &checksum_text,
      N_("Verify the file before saving it (sha256, sha512, sha1 or md5)"), N_("ALGO:HEX") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_("No progress output"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls, NULL, NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("URL"));
  g_option_context_set_summary (context,
                                _("Download one file over several parallel connections "
                                  "into one preallocated file."));
  g_option_context_set_description (context,
                                    _("Exit status: 0 when the file was saved, 1 when the "
                                      "download failed, 2 on bad usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }

  if (version)
    {
      printf ("downpour-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  if (output != NULL && directory != NULL)
    {
      print_error ("%s", _("--output and --dir cannot be used together."));
      return EXIT_USAGE;
    }
  if (output != NULL && *output == '\0')
    {
      print_error ("%s", _("--output needs a file name."));
      return EXIT_USAGE;
    }
  if (segments_text != NULL && !parse_segments (segments_text, &segments, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (checksum_text != NULL)
    {
      g_autoptr(DpChecksum) checksum = dp_checksum_parse (checksum_text, &error);

      if (checksum == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
    }

  if (urls == NULL || urls[0] == NULL)
    {
      print_error ("%s", _("No address given. Usage: downpour-cli [OPTION…] URL"));
      return EXIT_USAGE;
    }
  if (urls[1] != NULL)
    {
      print_error ("%s", _("Give exactly one address."));
      return EXIT_USAGE;
    }

  uri = dp_http_parse_url (urls[0], &error);
  if (uri == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }

  if (output == NULL && directory == NULL)
    {
      directory = default_directory ();
      /* The usual download folder may simply not exist yet. */
      if (g_mkdir_with_parents (directory, 0755) != 0)
        {
          print_error (_("Could not create the folder “%s”: %s"), directory, g_strerror (errno));
          return EXIT_FAILED;
        }
    }

  download = dp_download_new (urls[0]);
  dp_download_set_output (download, output);
  dp_download_set_directory (download, directory);
  dp_download_set_segments (download, segments);
  dp_download_set_checksum (download, checksum_text);

  loop = g_main_loop_new (NULL, FALSE);
  cli.loop = loop;
  cli.download = download;
  cli.show_progress = !quiet && isatty (STDERR_FILENO);

  cli.quiet = quiet;
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
      print_error ("%s", cli.error->message);
      g_clear_error (&cli.error);
      return EXIT_FAILED;
    }

  if (!quiet)
    printf ("%s\n", dp_download_get_path (download));
  return EXIT_OK;
}
