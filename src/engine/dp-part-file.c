/* SPDX-License-Identifier: GPL-3.0-or-later */
/* renameat2(), O_TMPFILE, linkat()'s flags. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-part-file.h"
#include "dp-part-file-private.h"

/* How often a partial file that is already locked is tried again before
 * it counts as busy, and how long apart: a download that only looks at a
 * partial file (to see whether it can continue it) holds the lock for a
 * moment, and must not make a real owner give up. */
#define LOCK_TRIES 5
#define LOCK_RETRY_US (20 * 1000)

/* How often the name is opened again when the file at it changed between
 * opening and locking (its owner renamed or deleted it meanwhile). */
#define REOPEN_TRIES 10

struct _DpPartFile
{
  char *path;
  int fd;                 /* holds the lock; -1 once closed */
  int sync_errno;         /* atomic: the first failed sync, 0 if none */
  int fault;              /* atomic: errno for the next sync (tests only) */
  int written;            /* atomic: a byte was written */
};

/* Handed to the next file opened: tests only. */
static int global_fault;

GError *
dp_part_file_error_new (int         saved_errno,
                        const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  switch (saved_errno)
    {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
      return g_error_new (DP_ERROR, DP_ERROR_NO_SPACE,
                          _("There is not enough space on the disk for “%s”. "
                            "Free some space or choose another folder."),
                          display);
    case EFBIG:
      return g_error_new (DP_ERROR, DP_ERROR_NO_SPACE,
                          _("The file “%s” is larger than this disk allows. "
                            "Choose a folder on another file system."),
                          display);
    case EACCES:
    case EPERM:
    case EROFS:
      return g_error_new (DP_ERROR, DP_ERROR_IO,
                          _("Downpour may not write “%s”: %s. Choose another folder."),
                          display, g_strerror (saved_errno));
    case ENOENT:
    case ENOTDIR:
      return g_error_new (DP_ERROR, DP_ERROR_EXISTS,
                          _("The folder for “%s” does not exist."), display);
    case EEXIST:
      return g_error_new (DP_ERROR, DP_ERROR_EXISTS,
                          _("“%s” already exists."), display);
    default:
      return g_error_new (DP_ERROR, DP_ERROR_IO,
                          _("Could not write “%s”: %s."),
                          display, g_strerror (saved_errno));
    }
}

static GError *
busy_error_new (const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  return g_error_new (DP_ERROR, DP_ERROR_BUSY,
                      _("Another download is already saving to “%s”."), display);
}

/* The error for a failed open(2) of @path. */
static GError *
open_error_new (int         saved_errno,
                const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  if (saved_errno == ELOOP)
    return g_error_new (DP_ERROR, DP_ERROR_EXISTS,
                        _("“%s” is a symbolic link; Downpour does not write through links."),
                        display);
  return dp_part_file_error_new (saved_errno, path);
}

/* Takes the lock that marks @fd as some download's partial file.
 * Returns 0, or EWOULDBLOCK while someone else holds it, or another
 * errno. */
static int
lock_fd (int      fd,
         gboolean patient)
{
  for (guint attempt = 0;; attempt++)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
      if (errno == EINTR)
        continue;
      if (errno != EWOULDBLOCK)
        return errno;
      if (!patient || attempt + 1 >= LOCK_TRIES)
        return EWOULDBLOCK;
      g_usleep (LOCK_RETRY_US);
    }
}

/* Whether @fd is still the file at @path: its owner may have renamed or
 * deleted it between our open() and our flock(). */
static gboolean
is_at_path (int         fd,
            const char *path)
{
  struct stat at_fd, at_path;

  return fstat (fd, &at_fd) == 0 && lstat (path, &at_path) == 0 &&
         at_fd.st_dev == at_path.st_dev && at_fd.st_ino == at_path.st_ino;
}

/* Creates @path already locked, so that no other download can take it
 * between its creation and our lock: an unnamed file, locked, then given
 * its name. Returns the descriptor, or -1 with errno set; EEXIST means
 * the name is taken, ENOTSUP that the file system (or a missing /proc)
 * cannot do it this way. */
static int
create_locked (const char *path)
{
#if defined(O_TMPFILE) && defined(AT_SYMLINK_FOLLOW)
  g_autofree char *directory = g_path_get_dirname (path);
  char proc_path[64];
  int saved_errno;
  int fd;

  do
    fd = open (directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      errno = ENOTSUP;
      return -1;
    }

  /* Nobody else can reach the file yet: this cannot be refused. */
  lock_fd (fd, FALSE);
  g_snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
  /* Like O_EXCL: fails on any existing name, a dangling link included. */
  if (linkat (AT_FDCWD, proc_path, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
    return fd;

  saved_errno = errno;
  close (fd);
  errno = saved_errno == EEXIST ? EEXIST : ENOTSUP;
  return -1;
#else
  errno = ENOTSUP;
  return -1;
#endif
}

DpPartFile *
dp_part_file_open (const char       *path,
                   DpPartFileFlags   flags,
                   GError          **error)
{
  DpPartFile *self;
  int fd = -1;

  g_return_val_if_fail (path != NULL, NULL);

  if (flags & DP_PART_FILE_EXCLUSIVE)
    {
      fd = create_locked (path);
      if (fd < 0 && errno != ENOTSUP)
        {
          g_propagate_error (error, open_error_new (errno, path));
          return NULL;
        }
    }

  for (guint attempt = 0; fd < 0; attempt++)
    {
      /* O_NOFOLLOW: a symbolic link planted at the partial name must not
       * redirect the download to another place. Never O_TRUNC: the file
       * may be another download's, which only the lock tells. */
      int open_flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;  /* read back to verify */
      gboolean created = (flags & DP_PART_FILE_EXCLUSIVE) != 0;
      int ret;

      if (flags & DP_PART_FILE_EXCLUSIVE)
        open_flags |= O_CREAT | O_EXCL;
      else if (flags & DP_PART_FILE_CREATE)
        open_flags |= O_CREAT;

      do
        fd = open (path, open_flags, 0666);
      while (fd < 0 && errno == EINTR);
      if (fd < 0)
        {
          g_propagate_error (error, open_error_new (errno, path));
          return NULL;
        }

      /* A file somebody else just opened may be held a moment by a
       * download that only looks at it; one we created is not. */
      ret = lock_fd (fd, !created);
      if (ret == EWOULDBLOCK)
        {
          /* Whoever holds it owns it, even one we just created. */
          close (fd);
          g_propagate_error (error, busy_error_new (path));
          return NULL;
        }
      if (ret != 0)
        g_debug ("cannot lock %s (%s); going on without", path, g_strerror (ret));

      if (is_at_path (fd, path))
        break;

      /* The owner renamed or deleted it before we got the lock: that
       * file is not at this name any more. */
      close (fd);
      fd = -1;
      if (attempt + 1 >= REOPEN_TRIES || (flags & DP_PART_FILE_EXCLUSIVE))
        {
          g_propagate_error (error, busy_error_new (path));
          return NULL;
        }
    }

  self = g_new0 (DpPartFile, 1);
  self->path = g_strdup (path);
  self->fd = fd;
  self->fault = g_atomic_int_exchange (&global_fault, 0);

  if ((flags & DP_PART_FILE_TRUNCATE) && !dp_part_file_truncate (self, 0, error))
    {
      dp_part_file_free (self);
      return NULL;
    }
  return self;
}

gboolean
dp_part_file_check_room (const char  *path,
                         gint64       size,
                         gint64       already,
                         GError     **error)
{
  g_autofree char *directory = g_path_get_dirname (path);
  struct statvfs vfs;
  long bits;

  g_return_val_if_fail (size >= 0 && already >= 0, FALSE);

  /* The largest offset the file system can hold. */
  errno = 0;
  bits = pathconf (directory, _PC_FILESIZEBITS);
  if (bits > 0 && bits < 64 && (guint64) size > (G_GUINT64_CONSTANT (1) << (bits - 1)))
    {
      g_propagate_error (error, dp_part_file_error_new (EFBIG, path));
      return FALSE;
    }

  if (size > already && statvfs (directory, &vfs) == 0 &&
      (guint64) (size - already) / MAX (vfs.f_frsize, 1) > (guint64) vfs.f_bavail)
    {
      g_propagate_error (error, dp_part_file_error_new (ENOSPC, path));
      return FALSE;
    }
  return TRUE;
}

gboolean
dp_part_file_preallocate (DpPartFile  *self,
                          gint64       size,
                          GError     **error)
{
  struct statvfs vfs;
  struct stat st;
  int ret;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (size >= 0, FALSE);

  if (size == 0)
    return TRUE;

  if (fstat (self->fd, &st) == 0 && st.st_size >= size)
    return TRUE;

#ifdef HAVE_POSIX_FALLOCATE
  /* posix_fallocate() returns the error instead of setting errno. On
   * file systems without fallocate, glibc emulates it by writing a byte
   * per block, which is slow for big files but still correct. */
  do
    ret = posix_fallocate (self->fd, 0, size);
  while (ret == EINTR);

  if (ret == 0)
    return TRUE;
  if (ret != EOPNOTSUPP && ret != EINVAL && ret != ENOSYS)
    {
      g_propagate_error (error, dp_part_file_error_new (ret, self->path));
      return FALSE;
    }
#endif

  /* No way to reserve: at least refuse what cannot fit, then set the
   * length (a sparse file). */
  if (fstatvfs (self->fd, &vfs) == 0 &&
      (guint64) vfs.f_bavail * (guint64) vfs.f_frsize < (guint64) size)
    {
      g_propagate_error (error, dp_part_file_error_new (ENOSPC, self->path));
      return FALSE;
    }

  return dp_part_file_truncate (self, size, error);
}

gboolean
dp_part_file_write (DpPartFile  *self,
                    gint64       offset,
                    const void  *buf,
                    gsize        len,
                    GError     **error)
{
  const guint8 *p = buf;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (offset >= 0, FALSE);

  while (len > 0)
    {
      ssize_t n = pwrite (self->fd, p, len, (off_t) offset);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_propagate_error (error, dp_part_file_error_new (errno, self->path));
          return FALSE;
        }
      if (n == 0)
        {
          g_propagate_error (error, dp_part_file_error_new (ENOSPC, self->path));
          return FALSE;
        }

      g_atomic_int_set (&self->written, 1);
      p += n;
      len -= (gsize) n;
      offset += n;
    }

  return TRUE;
}

static GError *
sync_error_new (int         saved_errno,
                const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  return g_error_new (DP_ERROR, DP_ERROR_IO,
                      _("The disk did not confirm that “%s” was saved (%s). "
                        "Check the disk, then download again."),
                      display, g_strerror (saved_errno));
}

/* Linux reports a failed writeback once, to the next fsync(), and then
 * marks the pages clean: a second fsync() would succeed although the
 * bytes are lost. So the first failure is kept and every later sync
 * fails with it. */
static gboolean
sync_fd (DpPartFile  *self,
         gboolean     data_only,
         GError     **error)
{
  int saved_errno = g_atomic_int_get (&self->sync_errno);

  if (saved_errno == 0)
    {
      int fault = g_atomic_int_exchange (&self->fault, 0);
      int ret;

      if (fault != 0)
        {
          errno = fault;
          ret = -1;
        }
      else
        {
          do
            ret = data_only ? fdatasync (self->fd) : fsync (self->fd);
          while (ret < 0 && errno == EINTR);
        }

      /* EINVAL, EROFS: the file cannot be synced at all, which is no
       * loss of data. */
      if (ret < 0 && errno != EINVAL && errno != EROFS)
        {
          g_atomic_int_compare_and_exchange (&self->sync_errno, 0, errno);
          saved_errno = g_atomic_int_get (&self->sync_errno);
        }
    }

  if (saved_errno != 0)
    {
      g_propagate_error (error, sync_error_new (saved_errno, self->path));
      return FALSE;
    }
  return TRUE;
}

void
dp_part_file_start_writeback (DpPartFile *self)
{
  g_return_if_fail (self != NULL);

  if (self->fd < 0)
    return;
#ifdef SYNC_FILE_RANGE_WRITE
  /* Only starts writeback: it neither waits nor consumes an error that
   * fdatasync() must still report. */
  (void) sync_file_range (self->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
}

gboolean
dp_part_file_sync (DpPartFile  *self,
                   GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->fd >= 0, FALSE);

  return sync_fd (self, TRUE, error);
}

gboolean
dp_part_file_truncate (DpPartFile  *self,
                       gint64       size,
                       GError     **error)
{
  int ret;

  do
    ret = ftruncate (self->fd, (off_t) size);
  while (ret < 0 && errno == EINTR);

  if (ret < 0)
    {
      g_propagate_error (error, dp_part_file_error_new (errno, self->path));
      return FALSE;
    }
  return TRUE;
}

static void
sync_parent_folder (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* Best effort: the rename is atomic either way, this only makes it
   * durable before we report success. */
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/* rename(2) that fails with EEXIST instead of replacing @to. */
static int
rename_no_replace (const char *from,
                   const char *to)
{
  struct stat st;

#ifdef HAVE_RENAMEAT2
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP && errno != EOPNOTSUPP)
    return -1;
#endif

  /* Older kernels and some file systems: link() never replaces either. */
  if (link (from, to) == 0)
    {
      if (unlink (from) < 0)
        g_debug ("could not remove %s after linking it: %s", from, g_strerror (errno));
      return 0;
    }
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
    return -1;

  /* No hard links (FAT, exFAT): look before renaming. A file created in
   * between would be replaced, which nothing better can prevent here. */
  if (lstat (to, &st) == 0)
    {
      errno = EEXIST;
      return -1;
    }
  return rename (from, to);
}

gboolean
dp_part_file_commit (DpPartFile        *self,
                     const char        *final_path,
                     DpPartFileCommit   how,
                     GError           **error)
{
  int ret;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->fd >= 0, FALSE);
  g_return_val_if_fail (final_path != NULL, FALSE);

  if (!sync_fd (self, FALSE, error))
    return FALSE;

  /* Renamed while the lock is held: a download that opened the partial
   * name before the rename finds, once it has the lock, that the file is
   * no longer there (see dp_part_file_open()). */
  if (how == DP_PART_FILE_NO_REPLACE)
    ret = rename_no_replace (self->path, final_path);
  else
    ret = g_rename (self->path, final_path);
  if (ret < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST || saved_errno == ENOTEMPTY)
        {
          g_autofree char *display = g_filename_display_name (final_path);
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS, _("“%s” already exists."), display);
        }
      else
        g_propagate_error (error, dp_part_file_error_new (saved_errno, final_path));
      return FALSE;
    }

  sync_parent_folder (final_path);

  /* The data is on disk already; a late error from close() changes
   * nothing about it. */
  if (close (self->fd) < 0)
    g_debug ("closing %s: %s", final_path, g_strerror (errno));
  self->fd = -1;
  return TRUE;
}

const char *
dp_part_file_get_path (DpPartFile *self)
{
  return self->path;
}

int
dp_part_file_get_fd (DpPartFile *self)
{
  return self->fd;
}

gboolean
dp_part_file_has_data (DpPartFile *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return g_atomic_int_get (&self->written) != 0;
}

void
dp_part_file_discard (DpPartFile *self)
{
  if (self->fd < 0)
    return;
  /* Deleted while the lock is held, and only if the name still means our
   * file: the name must never lose a file another download owns. */
  if (is_at_path (self->fd, self->path))
    g_unlink (self->path);
  close (self->fd);
  self->fd = -1;
}

static gboolean
unlink_quietly (const char  *path,
                GError     **error)
{
  if (g_unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  g_propagate_error (error, dp_part_file_error_new (errno, path));
  return FALSE;
}

gboolean
dp_part_file_delete (const char  *path,
                     const char  *state_path,
                     GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint attempt = 0;; attempt++)
    {
      struct stat st;
      gboolean ok;
      int ret;
      int fd;

      /* Read-only is enough to lock, and works on a read-only file;
       * O_NONBLOCK so that a FIFO planted at the name cannot hang us. */
      do
        fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      while (fd < 0 && errno == EINTR);
      if (fd < 0 && errno == ENOENT)
        /* No partial file, so nobody writes one: a record left alone
         * would only mislead a later download. */
        return state_path == NULL || unlink_quietly (state_path, error);
      if (fd < 0)
        {
          g_propagate_error (error, open_error_new (errno, path));
          return FALSE;
        }
      if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_autofree char *display = g_filename_display_name (path);

          close (fd);
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("“%s” is not a partial download."), display);
          return FALSE;
        }

      /* Patient: a download that only looks at it lets go at once. */
      ret = lock_fd (fd, TRUE);
      if (ret == EWOULDBLOCK)
        {
          close (fd);
          g_propagate_error (error, busy_error_new (path));
          return FALSE;
        }
      if (ret != 0)
        g_debug ("cannot lock %s (%s); deleting without", path, g_strerror (ret));

      if (!is_at_path (fd, path))
        {
          /* Renamed, deleted or replaced before we got the lock: the
           * name holds another file, or none, by now. */
          close (fd);
          if (attempt + 1 >= REOPEN_TRIES)
            {
              g_propagate_error (error, busy_error_new (path));
              return FALSE;
            }
          continue;
        }

      /* The record first: a partial file without one is never taken
       * for progress it does not hold. */
      ok = state_path == NULL || unlink_quietly (state_path, error);
      ok = ok && unlink_quietly (path, error);
      close (fd);
      return ok;
    }
}

void
dp_part_file_free (DpPartFile *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  g_free (self);
}

void
dp_part_file_set_fault_for_testing (DpPartFile *self,
                                    int         errno_for_next_sync)
{
  g_atomic_int_set (&self->fault, errno_for_next_sync);
}

void
dp_part_file_set_next_open_fault_for_testing (int errno_for_first_sync)
{
  g_atomic_int_set (&global_fault, errno_for_first_sync);
}
