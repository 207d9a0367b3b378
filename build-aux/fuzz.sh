#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer harnesses of tests/fuzz with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for a set time:
#
#   build-aux/fuzz.sh [SECONDS] [NAME…]     (default 600 s, every harness)
#
# Inputs found along the way go to _build-fuzz/corpus/NAME; a crash or a
# broken property leaves crash-* files in _build-fuzz/findings/NAME. Fix
# the cause, then copy the input to tests/fuzz/regressions/NAME/ so that
# the normal test suite replays it from then on.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$top/_build-fuzz}
seconds=${1:-600}
shift || true

command -v clang >/dev/null || { echo "fuzz.sh needs clang (apt-get install clang)" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
else
  # A harness added since the folder was set up is a target meson does
  # not know of until it reads meson.build again.
  meson setup --reconfigure "$build" "$top" >/dev/null
fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$top"/tests/fuzz/fuzz-*.c; do
    n=$(basename "$f" .c); n=${n#fuzz-}
    [ "$n" = main ] || [ "$n" = common ] || names+=("$n")
  done
fi

meson compile -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${names[@]}") >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for n in "${names[@]}"; do
  corpus=$build/corpus/$n
  findings=$build/findings/$n
  mkdir -p "$corpus" "$findings"
  seeds=("$top/tests/fuzz/corpus/$n")
  [ -d "$top/tests/fuzz/regressions/$n" ] && seeds+=("$top/tests/fuzz/regressions/$n")
  echo "fuzz-$n: ${seconds} s"
  if ! "$build/tests/fuzz/fuzz-$n" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
       -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "${seeds[@]}" \
       >"$build/fuzz-$n.log" 2>&1; then
    echo "fuzz-$n: FINDING, see $build/fuzz-$n.log and $findings" >&2
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz-$n.log" | tr '\n' ' '
  echo
done
exit $status
