#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Downpour and runs the whole test suite twice: in the normal
# build, then in a second build with AddressSanitizer and
# UndefinedBehaviorSanitizer, where any leak, memory error or undefined
# behaviour fails the test that hit it. Ends with the totals of every
# test case of both runs as one line: "N passed, N failed".
#
# Extra arguments go to both `meson test` runs. SANITIZE=0 skips the
# second build (quicker while working; CI always runs both).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
asan_build=${ASAN_BUILD_DIR:-$top/_build-sanitize}

"$top/build-aux/deps.sh" || exit 1

logs=()
status=0

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >/dev/null || exit 1
fi
meson compile -C "$build" || exit 1
meson test -C "$build" --print-errorlogs "$@" || status=1
logs+=("$build/meson-logs/testlog.json")

if [ "${SANITIZE:-1}" != 0 ]; then
  if [ ! -f "$asan_build/build.ninja" ]; then
    meson setup "$asan_build" "$top" -Db_sanitize=address,undefined >/dev/null || exit 1
  fi
  meson compile -C "$asan_build" || exit 1
  # Full stacks (the system libraries have no frame pointers) so that
  # the few documented library leaks in tests/lsan.supp match. GTK draws
  # with cairo here: Mesa's GL drivers keep allocations LeakSanitizer
  # cannot attribute. intercept_tls_get_addr=0: GCC 12's runtime takes a
  # dynamic TLS block that happens to start at a certain page offset for
  # one with a glibc 2.19 header, and its exit-time leak check then
  # crashes reading it ("Tracer caught signal 11"), now and then, after
  # all tests passed. Such blocks (GnuTLS's, once an HTTPS test loaded
  # GIO's TLS module) are then not scanned for pointers.
  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1:intercept_tls_get_addr=0 \
  LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
  GSK_RENDERER=cairo GDK_DEBUG=gl-disable \
    meson test -C "$asan_build" --print-errorlogs --timeout-multiplier 3 "$@" || status=1
  logs+=("$asan_build/meson-logs/testlog.json")
fi

python3 "$top/build-aux/test-totals.py" "${logs[@]}"
exit $status
