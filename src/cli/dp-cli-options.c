/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "dp-checksum.h"
#include "dp-cli-options.h"
#include "dp-download.h"
#include "dp-error.h"
#include "dp-http.h"
#include "dp-metalink.h"
#include "dp-rate-limiter.h"

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

static gboolean
parse_rate_limit (const char  *text,
                  guint64     *rate,
                  GError     **error)
{
  if (!dp_parse_rate (text, rate))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("--limit-rate must be a speed such as “16M”, “500K” or a number of bytes, "
                     "not “%s”."), text);
      return FALSE;
    }
  return TRUE;
}

gboolean
dp_cli_options_parse (DpCliOptions  *options,
                      GStrv          args,
                      gboolean       help_enabled,
                      GError       **error)
{
  g_auto(GStrv) argv = args;
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *segments_text = NULL;
  g_autofree char *rate_text = NULL;
  g_auto(GStrv) urls = NULL;
  g_auto(GStrv) headers = NULL;
  g_auto(GStrv) cookies = NULL;
  g_autofree char *user_agent = NULL;
  g_autofree char *referrer = NULL;
  g_autofree char *login = NULL;
  g_autofree char *jobs_text = NULL;
  g_auto(GStrv) mirrors = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options->output,
      N_("Save to FILE"), N_("FILE") },
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &options->directory,
      N_("Save into DIR under the server's or the address's name "
         "(default: the download folder)"), N_("DIR") },
    { "segments", 's', 0, G_OPTION_ARG_STRING, &segments_text,
      N_("Parallel connections, 1–64, or “auto” to choose them while downloading "
         "(the default)"), N_("N") },
    { "limit-rate", 0, 0, G_OPTION_ARG_STRING, &rate_text,
      N_("Limit the speed to RATE bytes per second; suffixes K, M, G (1024-based), "
         "as in curl and wget"), N_("RATE") },
    { "checksum", 0, 0, G_OPTION_ARG_STRING, &options->checksum,
      N_("Verify the file before saving it (sha256, sha512, sha1 or md5)"), N_("ALGO:HEX") },
    { "no-check-certificate", 0, 0, G_OPTION_ARG_NONE, &options->no_check_certificate,
      N_("Accept a server certificate that cannot be verified (unsafe: anyone on the "
         "way could change the file)"), NULL },
    { "allow-http-redirect", 0, 0, G_OPTION_ARG_NONE, &options->allow_http_redirect,
      N_("Follow redirects from https:// to unencrypted http:// addresses (unsafe)"), NULL },
    { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &headers,
      N_("Send this header with every request to the address's server (repeatable)"),
      N_("'NAME: VALUE'") },
    { "user-agent", 0, 0, G_OPTION_ARG_STRING, &user_agent,
      N_("Identify as AGENT instead of Downpour"), N_("AGENT") },
    { "referer", 0, 0, G_OPTION_ARG_STRING, &referrer,
      N_("Send URL as the page the link was on"), N_("URL") },
    { "cookie", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cookies,
      N_("Send these cookies to the address's host (repeatable)"), N_("'NAME=VALUE; …'") },
    { "load-cookies", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->cookie_files,
      N_("Send the cookies of a cookies.txt file (Netscape format) where they apply"),
      N_("FILE") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &login,
      N_("Log in as USER when the server asks; without a password it is asked for"),
      N_("USER[:PASSWORD]") },
    { "input-file", 'i', 0, G_OPTION_ARG_FILENAME, &options->input_file,
      N_("Download the addresses in FILE, one per line (“-”: standard input)"), N_("FILE") },
    { "jobs", 'j', 0, G_OPTION_ARG_STRING, &jobs_text,
      N_("With several addresses, download N at once (default 1)"), N_("N") },
    { "mirror", 0, 0, G_OPTION_ARG_STRING_ARRAY, &mirrors,
      N_("Another address of the same file, fetched from at the same time (repeatable)"),
      N_("URL") },
    { "no-metalink", 0, 0, G_OPTION_ARG_NONE, &options->no_metalink,
      N_("Save a Metalink file as it is instead of downloading the file it describes"), NULL },
    { "no-server-mirrors", 0, 0, G_OPTION_ARG_NONE, &options->no_server_mirrors,
      N_("Use only the given addresses, not the mirrors a server names"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options->quiet,
      N_("No progress output"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls, NULL, NULL },
    { NULL }
  };

  memset (options, 0, sizeof *options);
  options->segments = DP_DOWNLOAD_DEFAULT_SEGMENTS;
  options->jobs = 1;

  context = g_option_context_new (_("URL…"));
  g_option_context_set_summary (context,
                                _("Download files over several parallel connections, "
                                  "each into one preallocated file."));
  g_option_context_set_description (context,
                                    _("Exit status: 0 when every file was saved, 1 when a "
                                      "download failed, 2 on bad usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (context, help_enabled);

  if (!g_option_context_parse_strv (context, &argv, error))
    return FALSE;

  if (options->version)
    return TRUE;

  if (options->output != NULL && options->directory != NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--output and --dir cannot be used together."));
      return FALSE;
    }
  if (options->output != NULL && *options->output == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--output needs a file name."));
      return FALSE;
    }
  if (segments_text != NULL && !parse_segments (segments_text, &options->segments, error))
    return FALSE;
  if (rate_text != NULL && !parse_rate_limit (rate_text, &options->rate_limit, error))
    return FALSE;
  if (options->checksum != NULL)
    {
      g_autoptr(DpChecksum) checksum = dp_checksum_parse (options->checksum, error);

      if (checksum == NULL)
        return FALSE;
    }

  options->request = dp_request_new ();
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    if (!dp_request_add_header (options->request, headers[i], error))
      return FALSE;
  if (user_agent != NULL && !dp_request_set_user_agent (options->request, user_agent, error))
    return FALSE;
  if (referrer != NULL && !dp_request_set_referrer (options->request, referrer, error))
    return FALSE;
  for (guint i = 0; cookies != NULL && cookies[i] != NULL; i++)
    if (!dp_request_add_cookies (options->request, cookies[i], error))
      return FALSE;
  for (guint i = 0; options->cookie_files != NULL && options->cookie_files[i] != NULL; i++)
    if (*options->cookie_files[i] == '\0')
      {
        g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                             _("--load-cookies needs a file name."));
        return FALSE;
      }
  if (login != NULL)
    {
      /* Split at the first colon: a password may hold more. */
      const char *colon = strchr (login, ':');

      options->user = colon != NULL ? g_strndup (login, (gsize) (colon - login)) : g_strdup (login);
      options->password = colon != NULL ? g_strdup (colon + 1) : NULL;
      explicit_bzero (login, strlen (login));
      if (*options->user == '\0')
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                               _("--user needs a user name: --user=USER or --user=USER:PASSWORD."));
          return FALSE;
        }
    }

  if (jobs_text != NULL)
    {
      guint64 jobs;

      if (!g_ascii_string_to_unsigned (jobs_text, 10, 1, DP_CLI_MAX_JOBS, &jobs, NULL))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("--jobs must be a number from 1 to %d, not “%s”."), DP_CLI_MAX_JOBS,
                       jobs_text);
          return FALSE;
        }
      options->jobs = (guint) jobs;
    }
  if (options->input_file != NULL && *options->input_file == '\0')
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--input-file needs a file name, or “-” for standard input."));
      return FALSE;
    }

  for (guint i = 0; mirrors != NULL && mirrors[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GUri) uri = dp_http_parse_url (mirrors[i], &local_error);

      if (uri == NULL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT, _("--mirror: %s"),
                       local_error->message);
          return FALSE;
        }
      if (i >= DP_CLI_MAX_MIRRORS)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                       _("At most %d mirrors can be given."), DP_CLI_MAX_MIRRORS);
          return FALSE;
        }
    }
  options->mirrors = g_steal_pointer (&mirrors);

  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      g_autoptr(GUri) uri = NULL;

      /* A Metalink file on disk is read once the options are sound. */
      if (dp_cli_is_metalink_path (urls[i]))
        continue;
      uri = dp_http_parse_url (urls[i], error);
      if (uri == NULL)
        return FALSE;
    }
  options->urls = urls != NULL ? g_steal_pointer (&urls) : g_new0 (char *, 1);

  /* Without a list to read, the command line is the whole list. */
  if (options->input_file == NULL &&
      !dp_cli_options_check_addresses (options, g_strv_length (options->urls), error))
    return FALSE;
  return TRUE;
}

gboolean
dp_cli_is_metalink_path (const char *argument)
{
  g_autofree char *scheme = g_uri_parse_scheme (argument);

  /* Anything with a scheme is an address (and checked as one). */
  return scheme == NULL && dp_metalink_is_name (argument);
}

gboolean
dp_cli_options_check_addresses (const DpCliOptions  *options,
                                guint                n_addresses,
                                GError             **error)
{
  if (n_addresses == 0 && options->input_file != NULL && g_strv_length (options->urls) == 0)
    {
      g_autofree char *shown = g_filename_display_name (options->input_file);

      if (strcmp (options->input_file, "-") == 0)
        g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                             _("There is no address on standard input."));
      else
        g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                     _("There is no address in “%s”."), shown);
      return FALSE;
    }
  if (n_addresses == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("No address given. Usage: downpour-cli [OPTION…] URL…"));
      return FALSE;
    }
  if (n_addresses > DP_CLI_MAX_ADDRESSES)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("At most %d addresses can be downloaded in one run."), DP_CLI_MAX_ADDRESSES);
      return FALSE;
    }
  if (n_addresses > 1 && options->output != NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--output names one file; give --dir for several addresses."));
      return FALSE;
    }
  if (n_addresses > 1 && options->mirrors != NULL && options->mirrors[0] != NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--mirror is another address of one file; give one address with it."));
      return FALSE;
    }
  if (n_addresses > 1 && options->checksum != NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("--checksum is the checksum of one file; give one address with it."));
      return FALSE;
    }
  return TRUE;
}

gboolean
dp_cli_parse_address_list (const char  *text,
                           gsize        length,
                           const char  *display,
                           GPtrArray   *urls,
                           GError     **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *contents = g_strndup (text != NULL ? text : "", length);
  char *line = contents;
  guint number = 0;

  if (strlen (contents) != length || !g_utf8_validate (contents, -1, NULL))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                   _("%s is not a list of addresses: it is not text."), display);
      return FALSE;
    }

  while (line != NULL)
    {
      char *next = strchr (line, '\n');
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GUri) uri = NULL;

      if (next != NULL)
        *next++ = '\0';
      number++;
      g_strstrip (line);
      if (*line != '\0' && *line != '#')
        {
          uri = dp_http_parse_url (line, &local_error);
          if (uri == NULL)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT, _("Line %u of %s: %s"),
                           number, display, local_error->message);
              return FALSE;
            }
          if (found->len + urls->len >= DP_CLI_MAX_ADDRESSES)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT,
                           _("At most %d addresses can be downloaded in one run."),
                           DP_CLI_MAX_ADDRESSES);
              return FALSE;
            }
          g_ptr_array_add (found, g_strdup (line));
        }
      line = next;
    }

  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (urls, g_strdup (g_ptr_array_index (found, i)));
  return TRUE;
}

void
dp_cli_options_clear (DpCliOptions *options)
{
  g_clear_pointer (&options->urls, g_strfreev);
  g_clear_pointer (&options->input_file, g_free);
  g_clear_pointer (&options->output, g_free);
  g_clear_pointer (&options->directory, g_free);
  g_clear_pointer (&options->checksum, g_free);
  g_clear_pointer (&options->mirrors, g_strfreev);
  g_clear_pointer (&options->request, dp_request_free);
  g_clear_pointer (&options->cookie_files, g_strfreev);
  g_clear_pointer (&options->user, g_free);
  if (options->password != NULL)
    explicit_bzero (options->password, strlen (options->password));
  g_clear_pointer (&options->password, g_free);
}
