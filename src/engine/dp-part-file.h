/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The partial file a download writes into: one descriptor shared by all
 * workers, written with pwrite(2) at absolute offsets, so there is no
 * shared file position and no merge step. Every function may be called
 * from any thread; dp_part_file_write() from several at once.
 */
typedef struct _DpPartFile DpPartFile;

/**
 * dp_part_file_open:
 * @path: where the partial file lives, normally "NAME.part"
 * @exclusive: fail with %DP_ERROR_EXISTS if @path exists
 * @truncate: drop existing contents (no resume)
 * @error: return location for a %DP_ERROR error
 *
 * Returns: (transfer full) (nullable): the open file
 */
DpPartFile *dp_part_file_open        (const char  *path,
                                      gboolean     exclusive,
                                      gboolean     truncate,
                                      GError     **error);

/* Fails with %DP_ERROR_NO_SPACE, before anything is written, when a
 * file of @size bytes at @path cannot fit: beyond the file system's
 * largest file, or more than the free space plus the @already bytes a
 * partial file there holds. */
gboolean    dp_part_file_check_room  (const char  *path,
                                      gint64       size,
                                      gint64       already,
                                      GError     **error);

/* Reserves @size bytes on disk so that a full disk shows now, not after
 * an hour of transfer. Where the file system cannot reserve space, checks
 * the free space and sets the length instead. */
gboolean    dp_part_file_preallocate (DpPartFile  *self,
                                      gint64       size,
                                      GError     **error);

/* Writes all of @buf at @offset, whatever the other threads do. */
gboolean    dp_part_file_write       (DpPartFile  *self,
                                      gint64       offset,
                                      const void  *buf,
                                      gsize        len,
                                      GError     **error);

/* Waits until [offset, offset + len) is on disk. Keeping the bytes that
 * are not yet on disk bounded this way costs nothing while the network
 * is slower than the disk, and keeps the final fsync() short. */
void        dp_part_file_wait_writeback  (DpPartFile *self,
                                          gint64      offset,
                                          gint64      len);

/* Makes every byte written so far durable (fdatasync). */
gboolean    dp_part_file_sync            (DpPartFile  *self,
                                          GError     **error);

/* Sets the final length (for streams whose size was unknown). */
gboolean    dp_part_file_truncate    (DpPartFile  *self,
                                      gint64       size,
                                      GError     **error);

/* Flushes to disk, closes, renames to @final_path and flushes the
 * folder, so that @final_path only ever holds a complete file. */
gboolean    dp_part_file_commit      (DpPartFile  *self,
                                      const char  *final_path,
                                      GError     **error);

const char *dp_part_file_get_path    (DpPartFile  *self);
int         dp_part_file_get_fd      (DpPartFile  *self);
/* Closes and deletes the partial file: its contents are known bad. */
void        dp_part_file_discard     (DpPartFile  *self);

/* Closes the descriptor; the partial file stays for a later resume. */
void        dp_part_file_free        (DpPartFile  *self);

/* A %DP_ERROR error that says what errno @saved_errno means for @path. */
GError     *dp_part_file_error_new   (int          saved_errno,
                                      const char  *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpPartFile, dp_part_file_free)

G_END_DECLS
