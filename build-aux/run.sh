#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Downpour and starts the app from the build tree (settings schema
# and all). Addresses given as arguments are added and started:
#   build-aux/run.sh [URL…]
# With --cli, runs downpour-cli instead: build-aux/run.sh --cli -d . URL
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}

"$top/build-aux/deps.sh"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
meson compile -C "$build" >/dev/null

if [ "${1:-}" = --cli ]; then
  shift
  exec "$build/src/cli/downpour-cli" "$@"
fi
# The compiled schema lives in the build tree until Downpour is installed.
export GSETTINGS_SCHEMA_DIR="$build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$build/src/app/downpour" "$@"
