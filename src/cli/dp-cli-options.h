/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-request.h"

G_BEGIN_DECLS

/* Exit codes: part of the command-line contract. */
enum {
  DP_CLI_EXIT_OK = 0,
  DP_CLI_EXIT_FAILED = 1,
  DP_CLI_EXIT_USAGE = 2,
};

typedef struct
{
  char **urls;                    /* the addresses on the command line, as
                                   * given and checked; may be empty with
                                   * --input-file */
  char *input_file;               /* --input-file, not read yet; "-" is
                                   * standard input */
  guint jobs;                     /* --jobs: downloads at once, 1–16 */
  char *output;                   /* --output, or NULL */
  char *directory;                /* --dir, or NULL */
  char *checksum;                 /* --checksum, checked, or NULL */
  guint segments;                 /* --segments; 0 is "auto" */
  guint64 rate_limit;             /* --limit-rate in bytes per second; 0 is none */
  gboolean quiet;
  gboolean version;
  gboolean no_check_certificate;
  gboolean allow_http_redirect;
  DpRequest *request;             /* --header, --user-agent, --referer and
                                   * --cookie, checked */
  char **cookie_files;            /* --load-cookies, not read yet, or NULL */
  char *user;                     /* --user's name, or NULL */
  char *password;                 /* --user's password; NULL when it is to be
                                   * asked on the terminal */
  char **mirrors;                 /* --mirror, checked, or NULL */
  gboolean no_metalink;           /* --no-metalink */
  gboolean no_server_mirrors;     /* --no-server-mirrors */
} DpCliOptions;

/*
 * dp_cli_options_parse:
 * @options: filled in; clear it with dp_cli_options_clear() whatever the result
 * @args: (transfer full): the command line, program name first; consumed
 * @help_enabled: whether --help may print and exit the process
 *
 * Parses and checks downpour-cli's command line without touching the
 * network or the disk. On bad usage returns %FALSE with a message meant
 * for the user in @error.
 */
gboolean dp_cli_options_parse (DpCliOptions  *options,
                               GStrv          args,
                               gboolean       help_enabled,
                               GError       **error);

void     dp_cli_options_clear (DpCliOptions *options);

/* The bounds of --jobs. */
#define DP_CLI_MAX_JOBS 16
/* The most addresses one run takes. */
#define DP_CLI_MAX_ADDRESSES 100000
/* The largest --input-file read. */
#define DP_CLI_MAX_MIRRORS 63
/* Whether a command-line argument is a Metalink file on disk rather
 * than an address. */
gboolean dp_cli_is_metalink_path (const char *argument);

#define DP_CLI_MAX_LIST_SIZE (64 * 1024 * 1024)

/*
 * dp_cli_parse_address_list:
 * @text: the contents of an --input-file: one address per line; blank
 *   lines and lines starting with "#" are skipped, white space around
 *   an address is ignored, and CRLF line ends are fine
 * @display: the file's name for messages
 * @urls: (element-type utf8): addresses are appended here
 *
 * Returns: %FALSE with a message naming the line when one is not an
 *   address Downpour can download; @urls is then unchanged
 */
gboolean dp_cli_parse_address_list (const char  *text,
                                    gsize        length,
                                    const char  *display,
                                    GPtrArray   *urls,
                                    GError     **error);

/*
 * dp_cli_options_check_addresses:
 * @n_addresses: how many addresses the run has, command line and
 *   --input-file together
 *
 * The checks that need the whole list: there is at least one address,
 * and --output and --checksum, which name one file, come with one.
 */
gboolean dp_cli_options_check_addresses (const DpCliOptions  *options,
                                         guint                n_addresses,
                                         GError             **error);

G_END_DECLS
