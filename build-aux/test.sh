#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Downpour and runs the whole test suite, then prints the totals
# of every test case as one line: "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}

"$top/build-aux/deps.sh" || exit 1
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >/dev/null || exit 1
fi
meson compile -C "$build" || exit 1

meson test -C "$build" --print-errorlogs "$@"
status=$?
python3 "$top/build-aux/test-totals.py" "$build/meson-logs/testlog.json"
exit $status
