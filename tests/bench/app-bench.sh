#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Measures how responsive the app stays (tests/bench/app-responsiveness.c)
# under Xvfb, in temporary XDG folders with in-memory settings, several
# times, and prints the median of each figure as one key=value line:
#
#   stall_max_ms         worst lateness of a 1 ms main-loop timeout while
#                        4 downloads x 16 connections run from loopback
#   stall_p99_ms         its 99th percentile
#   stall_busy_max_ms    the most CPU time the main thread itself used
#                        between two ticks: the app's own share of a stall
#                        (the rest is waiting for a CPU, or for the X
#                        server and the renderer's threads)
#   first_frame_ms       main() to the first frame of the window
#   first_frame_2000_ms  the same with 2,000 finished downloads in the
#                        saved list, to the first frame that shows them
#   list_loaded_2000_ms  main() to the moment all 2,000 are in the list
#   whole_list_2000_ms   main() to the first frame whose list view has
#                        them all (the window adds rows a few a frame)
#
#   tests/bench/app-bench.sh [RUNS]        (default 3)
#
# Environment: BUILD_DIR (default _build), BENCH_FILES (4),
# BENCH_SEGMENTS (16), BENCH_SIZE_MIB (256), BENCH_ITEMS (2000),
# GSK_RENDERER (GTK's choice unless set; under Xvfb GTK picks GL, which
# Mesa runs on the CPU with llvmpipe). BENCH_VERBOSE=1 shows each stall,
# split into the main thread's own CPU time and its wait for a CPU.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/_build}
runs=${1:-3}
bench=$build/tests/bench/app-responsiveness

if [ -z "${DP_BENCH_INNER:-}" ]; then
  command -v xvfb-run >/dev/null || { echo "xvfb-run is needed (apt-get install xvfb xauth)" >&2; exit 1; }
  [ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
  meson compile -C "$build" app-responsiveness gsettings-compile-data >/dev/null
  # One X server for every run.
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    env DP_BENCH_INNER=1 BUILD_DIR="$build" "$0" "$runs"
fi

files=${BENCH_FILES:-4}
segments=${BENCH_SEGMENTS:-16}
size=${BENCH_SIZE_MIB:-256}
items=${BENCH_ITEMS:-2000}
verbose=()
[ -n "${BENCH_VERBOSE:-}" ] && verbose=(--verbose)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/downpour-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR=$build/data
export GDK_BACKEND=x11
export NO_AT_BRIDGE=1
export LC_ALL=C.UTF-8
export GIO_USE_VFS=local
# No session bus: no remote instance, no accessibility bus, nothing of
# the user's. (GTK says once per run that it has none; that goes to the log.)
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
# Caches (fonts, Mesa's shaders) are shared by the runs, as they are
# between two starts of the app; everything else is new for each run.
export XDG_CACHE_HOME=$tmp/cache
mkdir -p "$XDG_CACHE_HOME"

log=$tmp/log
n=0

# new_home: fresh XDG data and config folders, and a download folder.
new_home() {
  n=$((n + 1))
  home=$tmp/home$n
  mkdir -p "$home/data" "$home/config" "$home/Downloads"
  export HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config
  printf 'XDG_DOWNLOAD_DIR="%s"\n' "$home/Downloads" >"$home/config/user-dirs.dirs"
}

# run ARGS…: runs the bench, prints its key=value lines on stdout.
run() {
  if ! "$bench" "$@" "${verbose[@]}" 2>>"$log"; then
    echo "app-responsiveness $* failed:" >&2
    grep -v "Unable to acquire session bus" "$log" >&2 || true
    exit 1
  fi
  [ ${#verbose[@]} -eq 0 ] || { grep -v "Unable to acquire session bus" "$log" >&2 || true; }
  : >"$log"
}

# value KEY TEXT: the value of KEY=… in TEXT.
value() {
  printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1
}

declare -A samples=()
add() {
  samples[$1]="${samples[$1]:-} $2"
}

# Warm-up, not counted: the first start after boot reads every library,
# font and icon from disk, and the first rows of running downloads make
# Mesa compile its shaders into the cache (a user's cache has them after
# the first download).
new_home
run --mode=first-frame >/dev/null
new_home
run --mode=stall --files=1 --segments=4 --size-mib=16 --dir="$home/Downloads" >/dev/null

for ((r = 1; r <= runs; r++)); do
  new_home
  out=$(run --mode=stall --files="$files" --segments="$segments" --size-mib="$size" \
        --dir="$home/Downloads")
  add stall_max_ms "$(value stall_max_ms "$out")"
  add stall_p99_ms "$(value stall_p99_ms "$out")"
  add stall_busy_max_ms "$(value stall_busy_max_ms "$out")"
  add download_mib_s "$(value download_mib_s "$out")"
  echo "# run $r stall: $(printf '%s' "$out" | tr '\n' ' ')" >&2

  new_home
  out=$(run --mode=first-frame)
  add first_frame_ms "$(value first_frame_ms "$out")"
  echo "# run $r first frame: $(printf '%s' "$out" | tr '\n' ' ')" >&2

  new_home
  run --write-list="$items" >/dev/null
  out=$(run --mode=first-frame)
  add "first_frame_${items}_ms" "$(value first_list_frame_ms "$out")"
  add "list_loaded_${items}_ms" "$(value list_loaded_ms "$out")"
  add "whole_list_${items}_ms" "$(value whole_list_frame_ms "$out")"
  echo "# run $r first frame, $items saved: $(printf '%s' "$out" | tr '\n' ' ')" >&2
done

median() {
  # shellcheck disable=SC2086 # one value per word
  printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "# medians of $runs runs; renderer: ${GSK_RENDERER:-GTK default}" >&2
for key in stall_max_ms stall_p99_ms stall_busy_max_ms first_frame_ms "first_frame_${items}_ms" \
           "list_loaded_${items}_ms" "whole_list_${items}_ms" download_mib_s; do
  echo "$key=$(median "${samples[$key]}")"
done
