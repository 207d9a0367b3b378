#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Downpour and starts it: with arguments, downpour-cli downloads
# them (for example a URL); the arguments are passed on as they are.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}

"$top/build-aux/deps.sh"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
meson compile -C "$build" >/dev/null
exec "$build/src/cli/downpour-cli" "$@"
