/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-part-file.h"

struct _DpPartFile
{
  char *path;
  int fd;
};

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

DpPartFile *
dp_part_file_open (const char  *path,
                   gboolean     exclusive,
                   gboolean     truncate,
                   GError     **error)
{
  DpPartFile *self;
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;  /* read back to verify */
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  /* O_NOFOLLOW: a symbolic link planted at the partial name must not
   * redirect the download to another place. */
  if (exclusive)
    flags |= O_EXCL;
  if (truncate)
    flags |= O_TRUNC;

  do
    fd = open (path, flags, 0666);
  while (fd < 0 && errno == EINTR);

  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ELOOP)
        {
          g_autofree char *display = g_filename_display_name (path);
          g_set_error (error, DP_ERROR, DP_ERROR_EXISTS,
                       _("“%s” is a symbolic link; Downpour does not write through links."),
                       display);
        }
      else
        g_propagate_error (error, dp_part_file_error_new (saved_errno, path));
      return NULL;
    }

  self = g_new0 (DpPartFile, 1);
  self->path = g_strdup (path);
  self->fd = fd;
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

      p += n;
      len -= (gsize) n;
      offset += n;
    }

  return TRUE;
}

gboolean
dp_part_file_sync (DpPartFile  *self,
                   GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (fdatasync (self->fd) < 0 && errno != EINVAL && errno != EROFS)
    {
      g_propagate_error (error, dp_part_file_error_new (errno, self->path));
      return FALSE;
    }
  return TRUE;
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

gboolean
dp_part_file_commit (DpPartFile  *self,
                     const char  *final_path,
                     GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (final_path != NULL, FALSE);

  if (fsync (self->fd) < 0 && errno != EINVAL && errno != EROFS)
    {
      g_propagate_error (error, dp_part_file_error_new (errno, self->path));
      return FALSE;
    }

  if (close (self->fd) < 0 && errno != EINTR)
    {
      self->fd = -1;
      g_propagate_error (error, dp_part_file_error_new (errno, self->path));
      return FALSE;
    }
  self->fd = -1;

  if (g_rename (self->path, final_path) < 0)
    {
      g_propagate_error (error, dp_part_file_error_new (errno, final_path));
      return FALSE;
    }

  sync_parent_folder (final_path);
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

void
dp_part_file_discard (DpPartFile *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  g_unlink (self->path);
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
