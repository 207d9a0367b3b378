/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "dp-scheduler.h"

G_BEGIN_DECLS

/*
 * The resume state kept next to a partial download: NAME.part holds the
 * bytes, NAME.part.state says which of them are valid and which version
 * of the remote file they belong to. The state file is read back as
 * untrusted input: anything damaged or foreign is rejected, and the
 * download starts over rather than trusting it.
 */

#define DP_STATE_VERSION 1

/* Another address of the file and what its server said about it (its
 * own ETag: mirrors' differ), so that a mirror whose copy changed since
 * is noticed when the download continues. */
typedef struct
{
  char *url;            /* without user:password */
  char *etag;           /* nullable */
  char *last_modified;  /* nullable */
} DpStateMirror;

/* The most mirrors a state file records. */
#define DP_STATE_MAX_MIRRORS 64

typedef struct
{
  char *url;            /* the address as given, without user:password */
  gint64 size;          /* total size, >= 0 */
  char *etag;           /* nullable */
  char *last_modified;  /* nullable */
  GArray *done;         /* of DpRange: half-open byte ranges known to be on disk */
  GPtrArray *mirrors;   /* of DpStateMirror *: the file's other addresses */
} DpState;

void      dp_state_add_mirror         (DpState    *state,
                                       const char *url,
                                       const char *etag,
                                       const char *last_modified);
/* The record of @url among the mirrors, or NULL. */
const DpStateMirror *dp_state_find_mirror (const DpState *state,
                                           const char    *url);

/* Returns a state with no url, size 0, no validators and no ranges. */
DpState  *dp_state_new                (void);
void      dp_state_free               (DpState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpState, dp_state_free)

/* Sorts, merges adjacent/overlapping ranges, drops empty ones. */
void      dp_state_normalize          (DpState *state);

/* Sum of the lengths of the done ranges (expects a normalized state). */
gint64    dp_state_get_done_bytes     (const DpState *state);

/**
 * dp_state_to_data:
 * @state: a state with a url
 * @length: (out) (optional): length of the result
 *
 * Serialises @state as GKeyFile text: group "[Downpour]" with the keys
 * version, url, size, etag, last-modified (both left out when NULL) and
 * done ("a-b,c-d", half-open decimal ranges, normalized). Credentials in
 * the url are removed.
 *
 * Returns: (transfer full): the text
 */
char     *dp_state_to_data            (const DpState *state,
                                       gsize         *length);

/**
 * dp_state_parse:
 * @data: untrusted file contents, not necessarily nul-terminated
 * @length: length of @data
 * @display_name: the file's name for error messages
 * @error: return location for a %DP_ERROR_IO error
 *
 * Parses what dp_state_to_data() wrote. Anything else is rejected: a
 * wrong group, another version, a missing url or size, a negative or
 * non-numeric size, malformed, empty, reversed, unsorted, overlapping or
 * out-of-range byte ranges, more than 100000 ranges, numbers that
 * overflow, more than 1 MiB of data, invalid UTF-8.
 *
 * Returns: (transfer full) (nullable): a normalized state
 */
DpState  *dp_state_parse              (const char  *data,
                                       gsize        length,
                                       const char  *display_name,
                                       GError     **error);

/* Writes crash-safely (a new file renamed over the old one, synced),
 * readable only by the user. */
gboolean  dp_state_save               (const DpState  *state,
                                       const char     *path,
                                       GError        **error);

/* Reads and parses @path. A missing file gives G_FILE_ERROR_NOENT; a
 * symbolic link, a non-regular file, a file over 1 MiB or damaged
 * contents give %DP_ERROR_IO. */
DpState  *dp_state_load               (const char  *path,
                                       GError     **error);

/* Whether @state can resume a download of @url with this @size and
 * these validators: same url (credentials aside), same size, and when
 * the state has an etag the same etag, else when it has a last-modified
 * date the same date; a state with neither can resume only if the
 * server sends neither either. */
gboolean  dp_state_matches            (const DpState *state,
                                       const char    *url,
                                       gint64         size,
                                       const char    *etag,
                                       const char    *last_modified);

/* Whether @url is the state's address (logins aside). */
gboolean  dp_state_has_address        (const DpState *state,
                                       const char    *url);

typedef enum
{
  DP_STATE_SAME_FILE,        /* same size and strong validators */
  DP_STATE_OTHER_SIZE,
  DP_STATE_OTHER_VERSION,    /* another ETag or date */
  DP_STATE_UNPROVABLE,       /* no validator to compare on one side */
} DpStateIdentity;

/* Whether a server at another address has the file the state describes:
 * @etag and @last_modified are the strong validators it sent (NULL for
 * none, or for a weak one). Without a strong validator on both sides
 * that agrees, the bytes on disk cannot be trusted to be that file. */
DpStateIdentity dp_state_identify     (const DpState *state,
                                       gint64         size,
                                       const char    *etag,
                                       const char    *last_modified);

/* Returns @url without "user:password@", whether or not it parses. */
char     *dp_state_strip_credentials  (const char *url);

G_END_DECLS
