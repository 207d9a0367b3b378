/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>

#include "dp-app-format.h"

/* g_format_size() puts a no-break space before the unit; the
 * expectations read better with plain ones. */
static void
check (char       *got,
       const char *expected)
{
  g_auto(GStrv) parts = g_strsplit (got, "\u00a0", -1);
  g_autofree char *plain = g_strjoinv (" ", parts);

  assert_string_equal (plain, expected);
  g_free (got);
}

static void
test_status (void **state)
{
  check (dp_app_format_status (DP_APP_ITEM_QUEUED, NULL), "Queued");
  check (dp_app_format_status (DP_APP_ITEM_PAUSED, NULL), "Paused");
  check (dp_app_format_status (DP_APP_ITEM_CONNECTING, NULL), "Connecting…");
  check (dp_app_format_status (DP_APP_ITEM_DOWNLOADING, NULL), "Downloading");
  check (dp_app_format_status (DP_APP_ITEM_FINISHING, NULL), "Finishing…");
  check (dp_app_format_status (DP_APP_ITEM_FINISHED, NULL), "Finished");
  check (dp_app_format_status (DP_APP_ITEM_CANCELLED, NULL), "Cancelled");
  check (dp_app_format_status (DP_APP_ITEM_FAILED, NULL), "Failed");
  check (dp_app_format_status (DP_APP_ITEM_FAILED, "The disk is full."),
         "Failed: The disk is full.");
}

static void
test_progress (void **state)
{
  check (dp_app_format_progress (1000000, 5000000), "1.0 MB of 5.0 MB");
  check (dp_app_format_progress (5000000, 5000000), "5.0 MB");
  check (dp_app_format_progress (1500, -1), "1.5 kB");
  check (dp_app_format_progress (-3, 10), "0 bytes of 10 bytes");
}

static void
test_speed (void **state)
{
  check (dp_app_format_speed (3200000), "3.2 MB/s");
  check (dp_app_format_speed (0), "0 bytes/s");
}

/* The boxes take MB/s as the list shows them: 1 MB is 10^6 bytes. */
static void
test_speed_limit (void **state)
{
  check (dp_app_format_speed_limit (2000000), "limited to 2.0 MB/s");
  assert_int_equal (dp_app_speed_from_megabytes (2.5), 2500000);
  /* 4.1 × 10^6 is 4099999.9999999995 in a double. */
  assert_int_equal (dp_app_speed_from_megabytes (4.1), 4100000);
  assert_int_equal (dp_app_speed_from_megabytes (0), 0);
  assert_int_equal (dp_app_speed_from_megabytes (-1), 0);
  assert_true (dp_app_speed_to_megabytes (1500000) == 1.5);
}

static void
test_time_left (void **state)
{
  assert_null (dp_app_format_time_left (-1));
  check (dp_app_format_time_left (0), "0 seconds left");
  check (dp_app_format_time_left (1), "1 second left");
  check (dp_app_format_time_left (59), "59 seconds left");
  check (dp_app_format_time_left (60), "1 minute left");
  check (dp_app_format_time_left (89), "1 minute left");
  check (dp_app_format_time_left (90), "2 minutes left");
  check (dp_app_format_time_left (3599), "1 hour left");
  check (dp_app_format_time_left (5 * 3600), "5 hours left");
  check (dp_app_format_time_left (72 * 3600), "3 days left");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_status),
    cmocka_unit_test (test_progress),
    cmocka_unit_test (test_speed),
    cmocka_unit_test (test_speed_limit),
    cmocka_unit_test (test_time_left),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
