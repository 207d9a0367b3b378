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
  char *url;                      /* the one address, as given */
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

G_END_DECLS
