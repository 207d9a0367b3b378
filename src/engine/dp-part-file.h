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
 * DpPartFileFlags:
 * @DP_PART_FILE_OPEN_EXISTING: open the file that is there; fail if
 *   there is none
 * @DP_PART_FILE_CREATE: create the file if there is none
 * @DP_PART_FILE_EXCLUSIVE: create the file; fail with %DP_ERROR_EXISTS
 *   if the name is taken
 * @DP_PART_FILE_TRUNCATE: drop the contents (no resume), once the file
 *   is locked
 */
typedef enum
{
  DP_PART_FILE_OPEN_EXISTING = 0,
  DP_PART_FILE_CREATE = 1 << 0,
  DP_PART_FILE_EXCLUSIVE = 1 << 1,
  DP_PART_FILE_TRUNCATE = 1 << 2,
} DpPartFileFlags;

/**
 * dp_part_file_open:
 * @path: where the partial file lives, normally "NAME.part"
 * @flags: how to open it
 * @error: return location for a %DP_ERROR error
 *
 * Opens @path (never through a symbolic link) and locks it (flock(2))
 * for as long as the #DpPartFile lives: a partial file is only ever
 * written by the one download that holds its lock, and a download that
 * merely looks at it is waited for a moment. Nothing is changed before
 * the lock is held. Fails with %DP_ERROR_BUSY when another download
 * holds it; that download's file is left exactly as it was.
 *
 * Returns: (transfer full) (nullable): the open, locked file
 */
DpPartFile *dp_part_file_open        (const char       *path,
                                      DpPartFileFlags   flags,
                                      GError          **error);

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

/* Asks the kernel to start writing what is written so far, without
 * waiting and without the durability of a sync: the final fsync() then
 * has little left to do, although checkpoints come only once a second.
 * Errors are left for the next sync to report. */
void        dp_part_file_start_writeback (DpPartFile *self);

/* Makes every byte written so far durable (fdatasync). Once a sync has
 * failed, every later sync and dp_part_file_commit() fail with that
 * first error: the kernel reports a lost writeback only once. */
gboolean    dp_part_file_sync            (DpPartFile  *self,
                                          GError     **error);

/* Sets the final length (for streams whose size was unknown). */
gboolean    dp_part_file_truncate    (DpPartFile  *self,
                                      gint64       size,
                                      GError     **error);

/**
 * DpPartFileCommit:
 * @DP_PART_FILE_REPLACE: a file at the final name is replaced (the
 *   user named that very file)
 * @DP_PART_FILE_NO_REPLACE: a file at the final name is kept, and the
 *   commit fails with %DP_ERROR_EXISTS
 */
typedef enum
{
  DP_PART_FILE_REPLACE,
  DP_PART_FILE_NO_REPLACE,
} DpPartFileCommit;

/* Flushes to disk, renames to @final_path (the lock still held), flushes
 * the folder and closes, so that @final_path only ever holds a complete
 * file. On failure the file stays open and locked: with
 * %DP_PART_FILE_NO_REPLACE and %DP_ERROR_EXISTS the caller may try
 * another name. */
gboolean    dp_part_file_commit      (DpPartFile        *self,
                                      const char        *final_path,
                                      DpPartFileCommit   how,
                                      GError           **error);

const char *dp_part_file_get_path    (DpPartFile  *self);
int         dp_part_file_get_fd      (DpPartFile  *self);
/* Whether any byte was written to the file through this object. */
gboolean    dp_part_file_has_data    (DpPartFile  *self);
/* Deletes the partial file (while still holding its lock), then closes
 * it: its contents are known bad, or nothing worth keeping. */
void        dp_part_file_discard     (DpPartFile  *self);

/**
 * dp_part_file_delete:
 * @path: a partial file, normally "NAME.part"
 * @state_path: (nullable): the record of its progress kept beside it
 * @error: return location for a %DP_ERROR error
 *
 * Deletes partial data that no download writes any more: opens @path
 * (never through a symbolic link), takes the lock a download holds on
 * it, and only under that lock deletes @state_path, then @path. While
 * another download holds the lock, nothing is deleted and this fails
 * with %DP_ERROR_BUSY: that download continues the file. A missing
 * @path is no error (@state_path is deleted all the same); anything but
 * a regular file at @path is left alone, and fails with
 * %DP_ERROR_EXISTS. Blocks: call it from a worker thread.
 *
 * Returns: whether nothing of the partial data is left
 */
gboolean    dp_part_file_delete      (const char  *path,
                                      const char  *state_path,
                                      GError     **error);

/* Closes the descriptor, releasing the lock; the partial file stays for
 * a later resume. */
void        dp_part_file_free        (DpPartFile  *self);

/* A %DP_ERROR error that says what errno @saved_errno means for @path. */
GError     *dp_part_file_error_new   (int          saved_errno,
                                      const char  *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpPartFile, dp_part_file_free)

G_END_DECLS
