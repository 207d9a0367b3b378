#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: downpour-cli against aria2c, axel and curl on a local nginx
# "mirror" with per-connection speed caps. Every result is checked by
# SHA-256. Needs nginx (and whichever of aria2, axel, curl you want to
# compare: apt-get install nginx aria2 axel curl).
#
#   tests/bench/bench.sh [build-dir]
#
# Environment: SCENARIOS ("fast capped mixed limited norange"), TOOLS
# ("downpour aria2c axel curl"), SEGMENTS (16, for aria2c and axel),
# DOWNPOUR_SEGMENTS ("auto", its default; a number to compare fixed
# counts), SIZE_MIB (256), REPEAT (3), PORT (18090), WORK
# (/tmp/downpour-bench-own).
#
# Scenarios, all on 127.0.0.1:
#   fast     no cap: the disk is the limit
#   capped   4 MiB/s per connection
#   mixed    4 MiB/s, but one connection in five crawls at 512 KiB/s
#   limited  4 MiB/s, at most 6 connections per client, then 503
#   norange  4 MiB/s and Range ignored (size/8 file)
#   mirrors  (not in the default list) one file from two mirrors, on
#            PORT+1 and PORT+2: each 4 MiB/s per connection and at most
#            6 connections per client, then 503; downpour gets the second
#            with --mirror, aria2c and axel get both addresses, curl the
#            first
# The median wall time, throughput, CPU time and peak memory of each tool
# are printed, then downpour's time divided by the fastest other tool's.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/_build}
cli=$build/src/cli/downpour-cli
SCENARIOS=${SCENARIOS:-"fast capped mixed limited norange"}
TOOLS=${TOOLS:-"downpour aria2c axel curl"}
SEGMENTS=${SEGMENTS:-16}
DOWNPOUR_SEGMENTS=${DOWNPOUR_SEGMENTS:-auto}
SIZE_MIB=${SIZE_MIB:-256}
REPEAT=${REPEAT:-3}
PORT=${PORT:-18090}
WORK=${WORK:-/tmp/downpour-bench-own}

[ -x "$cli" ] || { echo "bench.sh: build first ($cli missing)" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench.sh: needs nginx (apt-get install nginx)" >&2; exit 1; }

mkdir -p "$WORK/www" "$WORK/out" "$WORK/nginx/logs"
big=$WORK/www/big.bin
small=$WORK/www/small.bin
[ "$(stat -c %s "$big" 2>/dev/null)" = $((SIZE_MIB << 20)) ] || head -c $((SIZE_MIB << 20)) /dev/urandom >"$big"
[ "$(stat -c %s "$small" 2>/dev/null)" = $((SIZE_MIB << 17)) ] || head -c $((SIZE_MIB << 17)) /dev/urandom >"$small"

conf=$WORK/nginx/nginx.conf
cat >"$conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 2;
daemon on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 10000;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  map \$connection \$slow_one_in_five { "~[05]\$" 512k; default 4m; }
  log_format refused '\$status';
  map \$status \$is_refused { 503 1; default 0; }
  limit_conn_zone \$binary_remote_addr zone=client:1m;
  limit_conn_zone \$binary_remote_addr zone=mirror1:1m;
  limit_conn_zone \$binary_remote_addr zone=mirror2:1m;
  server {
    listen 127.0.0.1:$((PORT + 1));
    location /m/ { alias $WORK/www/; limit_rate 4m; limit_conn mirror1 6; limit_conn_status 503;
                   access_log $WORK/nginx/logs/refused.log refused if=\$is_refused; }
  }
  server {
    listen 127.0.0.1:$((PORT + 2));
    location /m/ { alias $WORK/www/; limit_rate 4m; limit_conn mirror2 6; limit_conn_status 503;
                   access_log $WORK/nginx/logs/refused.log refused if=\$is_refused; }
  }
  server {
    listen 127.0.0.1:$PORT;
    location /fast/    { alias $WORK/www/; }
    location /capped/  { alias $WORK/www/; limit_rate 4m; }
    location /mixed/   { alias $WORK/www/; limit_rate \$slow_one_in_five; }
    location /limited/ { alias $WORK/www/; limit_rate 4m; limit_conn client 6; limit_conn_status 503;
                         access_log $WORK/nginx/logs/refused.log refused if=\$is_refused; }
    location /norange/ { alias $WORK/www/; limit_rate 4m; max_ranges 0; }
  }
}
CONF
"$nginx" -p "$WORK/nginx" -c "$conf" || exit 1
trap '"$nginx" -p "$WORK/nginx" -c "$conf" -s stop 2>/dev/null' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

# Prints the command line of TOOL fetching URL (and the mirror URL2, if
# given) into OUT, one word a line.
command_for() {
  local tool=$1 url=$2 out=$3 url2=${4:-}
  local mirror=() both=("$url")
  if [ -n "$url2" ]; then mirror=(--mirror "$url2"); both=("$url" "$url2"); fi
  case $tool in
  downpour) printf '%s\n' "$cli" -q -s "$DOWNPOUR_SEGMENTS" -o "$out" "${mirror[@]}" "$url" ;;
  aria2c) printf '%s\n' aria2c -q -x "$SEGMENTS" -s "$SEGMENTS" -k 1M --file-allocation=falloc \
            --allow-overwrite=true -d "$(dirname "$out")" -o "$(basename "$out")" "${both[@]}" ;;
  axel) printf '%s\n' axel -q -n "$SEGMENTS" -o "$out" "${both[@]}" ;;
  curl) printf '%s\n' curl -sf -o "$out" "$url" ;;
  esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# A tool refused more often than this (503s from /limited/) got its
# speed by hammering a server that said no: it is not a fair yardstick.
MAX_REFUSED=32
refused_log=$WORK/nginx/logs/refused.log

declare -A best refusals
failed=0
printf '%-9s %-9s %8s %8s %7s %8s %7s %s\n' scenario tool wall_s MiB/s cpu_s rss_MiB refused result
for sc in $SCENARIOS; do
  if [ "$sc" = norange ]; then file=$small; mib=$((SIZE_MIB / 8)); else file=$big; mib=$SIZE_MIB; fi
  want=$(sha256sum "$file" | cut -d' ' -f1)
  for tool in $TOOLS; do
    if [ "$tool" != downpour ] && ! command -v "$tool" >/dev/null; then
      printf '%-9s %-9s not installed\n' "$sc" "$tool"; continue
    fi
    walls=(); cpus=(); rsss=(); refs=(); verdict=ok
    for _ in $(seq "$REPEAT"); do
      out=$WORK/out/$tool.bin
      rm -f "$out" "$out".*
      if [ "$sc" = mirrors ]; then
        mapfile -t cmd < <(command_for "$tool" "http://127.0.0.1:$((PORT + 1))/m/$(basename "$file")" "$out" \
                             "http://127.0.0.1:$((PORT + 2))/m/$(basename "$file")")
      else
        mapfile -t cmd < <(command_for "$tool" "http://127.0.0.1:$PORT/$sc/$(basename "$file")" "$out")
      fi
      : >"$refused_log"
      /usr/bin/time -o "$WORK/time" -f '%e %U %S %M' "${cmd[@]}" >/dev/null 2>&1
      refs+=("$(wc -l <"$refused_log")")
      read -r wall user sys rss < <(tail -n1 "$WORK/time")
      if [ "$(sha256sum "$out" 2>/dev/null | cut -d' ' -f1)" != "$want" ]; then verdict=WRONG; failed=1; fi
      walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)"); rsss+=("$rss")
      rm -f "$out"
    done
    w=$(printf '%s\n' "${walls[@]}" | median)
    r=$(printf '%s\n' "${refs[@]}" | median)
    printf '%-9s %-9s %8.2f %8.1f %7.2f %8.1f %7.0f %s\n' "$sc" "$tool" "$w" "$(echo "$mib / $w" | bc -l)" \
      "$(printf '%s\n' "${cpus[@]}" | median)" "$(echo "$(printf '%s\n' "${rsss[@]}" | median) / 1024" | bc -l)" \
      "$r" "$verdict"
    best[$sc,$tool]=$w
    refusals[$sc,$tool]=$r
  done
done

echo
echo "downpour time / fastest other tool's time (below 1.00: downpour was faster);"
echo "tools refused more than $MAX_REFUSED times do not count"
for sc in $SCENARIOS; do
  d=${best[$sc,downpour]:-}; [ -n "$d" ] || continue
  fastest=""; name=""
  for tool in $TOOLS; do
    [ "$tool" = downpour ] && continue
    o=${best[$sc,$tool]:-}; [ -n "$o" ] || continue
    [ "$(echo "${refusals[$sc,$tool]:-0} > $MAX_REFUSED" | bc)" = 1 ] && continue
    if [ -z "$fastest" ] || [ "$(echo "$o < $fastest" | bc)" = 1 ]; then fastest=$o; name=$tool; fi
  done
  [ -n "$fastest" ] && printf '%-9s %.2f (vs %s)\n' "$sc" "$(echo "$d / $fastest" | bc -l)" "$name"
done
exit $failed
