/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dp-app-format.h"

/* The words the list uses for sizes, speeds and states; kept apart from
 * the widgets so that the tests can read them. */

/**
 * dp_app_format_status:
 * @status: the status
 * @error: (nullable): why it failed, for %DP_APP_ITEM_FAILED
 *
 * Returns: (transfer full): what to show, for example "Paused"
 */
char *
dp_app_format_status (DpAppItemStatus  status,
                      const char      *error)
{
  switch (status)
    {
    case DP_APP_ITEM_QUEUED:
      return g_strdup (_("Queued"));
    case DP_APP_ITEM_PAUSED:
      return g_strdup (_("Paused"));
    case DP_APP_ITEM_CONNECTING:
      return g_strdup (_("Connecting…"));
    case DP_APP_ITEM_DOWNLOADING:
      return g_strdup (_("Downloading"));
    case DP_APP_ITEM_FINISHING:
      return g_strdup (_("Finishing…"));
    case DP_APP_ITEM_FINISHED:
      return g_strdup (_("Finished"));
    case DP_APP_ITEM_CANCELLED:
      return g_strdup (_("Cancelled"));
    case DP_APP_ITEM_FAILED:
      if (error != NULL && *error != '\0')
        /* Translators: %s is the reason, a full sentence. */
        return g_strdup_printf (_("Failed: %s"), error);
      return g_strdup (_("Failed"));
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

/**
 * dp_app_format_progress:
 * @received: bytes so far
 * @size: the whole size, or -1 when unknown
 *
 * Returns: (transfer full): for example "1.2 MB of 5.0 MB"
 */
char *
dp_app_format_progress (gint64 received,
                        gint64 size)
{
  g_autofree char *done = g_format_size ((guint64) MAX (received, 0));
  g_autofree char *total = NULL;

  if (size < 0)
    return g_steal_pointer (&done);

  total = g_format_size ((guint64) size);
  if (received >= size)
    return g_steal_pointer (&total);
  /* Translators: the first %s is what arrived, the second the size. */
  return g_strdup_printf (_("%s of %s"), done, total);
}

/* Returns: (transfer full): for example "3.2 MB/s" */
char *
dp_app_format_speed (double bytes_per_second)
{
  g_autofree char *size = g_format_size ((guint64) MAX (bytes_per_second, 0));

  /* Translators: a speed; %s is a size such as "3.2 MB". */
  return g_strdup_printf (_("%s/s"), size);
}

/* Returns: (transfer full): for example "limited to 2.0 MB/s", to follow
 * a download's status */
char *
dp_app_format_speed_limit (guint64 bytes_per_second)
{
  g_autofree char *speed = dp_app_format_speed ((double) bytes_per_second);

  /* Translators: %s is a speed such as "2.0 MB/s"; shown after the
   * status of a download, as in "Downloading · limited to 2.0 MB/s". */
  return g_strdup_printf (_("limited to %s"), speed);
}

/*
 * Speed limits are typed in MB/s, the unit g_format_size() shows speeds
 * in: 1 MB is 1,000,000 bytes, so that "2.0" in the box reads back as
 * "2.0 MB/s" in the list.
 */
double
dp_app_speed_to_megabytes (guint64 bytes_per_second)
{
  return (double) bytes_per_second / 1e6;
}

guint64
dp_app_speed_from_megabytes (double megabytes_per_second)
{
  if (megabytes_per_second <= 0)
    return 0;
  /* Rounded, so that 4.1 is 4100000 rather than 4099999. */
  return (guint64) (megabytes_per_second * 1e6 + 0.5);
}

/**
 * dp_app_format_time_left:
 * @seconds: the time left, or -1 when unknown
 *
 * Rounded the way people say it: precise when little is left, coarse
 * when much is.
 *
 * Returns: (transfer full) (nullable): for example "3 minutes left",
 *   or %NULL when unknown
 */
char *
dp_app_format_time_left (gint64 seconds)
{
  gint64 minutes, hours, days;

  if (seconds < 0)
    return NULL;

  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d second left", "%d seconds left",
                                         seconds),
                            (int) seconds);

  minutes = (seconds + 30) / 60;
  if (minutes < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute left", "%d minutes left",
                                         minutes),
                            (int) minutes);

  hours = (minutes + 30) / 60;
  if (hours < 48)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour left", "%d hours left", hours),
                            (int) hours);

  days = (hours + 12) / 24;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day left", "%d days left", days),
                          (int) MIN (days, G_MAXINT));
}
