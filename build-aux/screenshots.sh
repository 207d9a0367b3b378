#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Takes the screenshots in data/screenshots/ of the real app, built from
# this tree, under Xvfb:
#   empty.png       the window with no downloads
#   downloads.png   several downloads from a throttled loopback server:
#                   finished, running, failed and queued
#   add-dialog.png  the add dialog with one line that is not a link
#   details.png                  the details of a running download
#   downloads-narrow.png         the same downloads at 360 x 720, a phone
#   downloads-dark.png           dark style
#   downloads-high-contrast.png  high contrast
#
#   build-aux/screenshots.sh [OUTPUT_DIR]     (default data/screenshots)
#
# Needs xvfb-run, ImageMagick's import, xdotool and python3. Settings are
# in memory, so the window has its default size (760 x 600).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
out=$(realpath -m "${1:-$top/data/screenshots}")

if [ -z "${DP_SCREENSHOTS_INNER:-}" ]; then
  for tool in xvfb-run import xdotool python3; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
  done
  [ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
  meson compile -C "$build" downpour gsettings-compile-data >/dev/null
  mkdir -p "$out"
  exec xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" \
    env DP_SCREENSHOTS_INNER=1 BUILD_DIR="$build" "$0" "$out"
fi

app=$build/src/app/downpour
tmp=$(mktemp -d "${TMPDIR:-/tmp}/downpour-shots.XXXXXX")
app_pid=
server_pid=

cleanup() {
  [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

export GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR=$build/data
export GDK_BACKEND=x11
export GSK_RENDERER=${GSK_RENDERER:-cairo}
export NO_AT_BRIDGE=1
export LC_ALL=C.UTF-8
export LANGUAGE=C
export GIO_USE_VFS=local
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
export XDG_CACHE_HOME=$tmp/cache

# A loopback server for the downloads: any size, Range requests, each
# connection throttled so that the downloads are still running when the
# picture is taken; unknown names are 404.
cat >"$tmp/server.py" <<'EOF'
import http.server, re, sys, time

SIZES = {
    "report.pdf": 2_148_213,
    "debian-12.8.0-amd64-netinst.iso": 659_554_304,
    "gnome-nightly.flatpak": 125_829_120,
    "holiday-photos-2024.zip": 94_371_840,
    "linux-6.12.tar.xz": 147_787_216,
}
RATE = int(sys.argv[2])  # bytes per second and connection
CHUNK = 16384

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body):
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        size = SIZES.get(name)
        if size is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = 0, size - 1
        m = re.match(r"bytes=(\d*)-(\d*)$", self.headers.get("Range", ""))
        if m and m.group(1):
            start = int(m.group(1))
            if m.group(2):
                end = min(int(m.group(2)), size - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if not body:
            return
        left = end - start + 1
        zeros = bytes(CHUNK)
        try:
            while left > 0:
                n = min(CHUNK, left)
                self.wfile.write(zeros[:n])
                left -= n
                time.sleep(n / RATE)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_HEAD(self):
        self.answer(False)

    def do_GET(self):
        self.answer(True)

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
EOF
python3 "$tmp/server.py" "$tmp/port" 400000 &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$tmp/port")"

# Keep the pointer away from the window: no hover highlights, no tooltips.
xdotool mousemove 1279 899

# start_app NAME [URL…]: the app in a home of its own, waits for its window.
start_app() {
  local home=$tmp/$1
  shift
  mkdir -p "$home/data" "$home/config" "$home/Downloads"
  printf 'XDG_DOWNLOAD_DIR="%s"\n' "$home/Downloads" >"$home/config/user-dirs.dirs"
  HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config \
    "$app" "$@" 2>>"$tmp/app.log" &
  app_pid=$!
  window=$(xdotool search --sync --onlyvisible --name '^Downpour$' | head -n 1)
}

stop_app() {
  kill "$app_pid"
  wait "$app_pid" || true
  app_pid=
}

# shoot WINDOW FILE: the window alone, as it is on screen.
shoot() {
  import -window "$1" "$tmp/shot.png"
  # No alpha channel, no metadata that changes every time.
  convert "$tmp/shot.png" -alpha off -strip "$2"
  echo "$2: $(identify -format '%wx%h' "$2")"
}

# The empty window.
start_app empty
sleep 2
shoot "$window" "$out/empty.png"
stop_app

# Downloads in every state: three at a time (the default), so that the
# one after the failed one waits.
downloads=(
  "$base/files/report.pdf"
  "$base/pub/debian-cd/12.8.0/amd64/iso-cd/debian-12.8.0-amd64-netinst.iso"
  "$base/nightly/gnome-nightly.flatpak"
  "$base/talks/conference-talk-recording.webm"
  "$base/photos/holiday-photos-2024.zip"
  "$base/pub/linux/kernel/v6.x/linux-6.12.tar.xz"
)
start_app downloads "${downloads[@]}"
sleep 8
shoot "$window" "$out/downloads.png"
stop_app

# The details of the ISO: its row's menu (the pointer on the row's last
# button), then the menu's first item, Details.
start_app details "${downloads[@]}"
sleep 6
xdotool windowfocus --sync "$window"
xdotool mousemove --window "$window" 707 170 click 1
sleep 1
xdotool key Return
details=$(xdotool search --sync --onlyvisible --name '^Download Details$' | head -n 1)
xdotool mousemove 1279 899
sleep 2
shoot "$details" "$out/details.png"
stop_app

# A phone: 360 pixels wide. There is no window manager to ask, so the
# window is resized directly.
start_app narrow "${downloads[@]}"
xdotool windowsize --sync "$window" 360 720
sleep 8
shoot "$window" "$out/downloads-narrow.png"
stop_app

# libadwaita's own switches for the style, as the desktop would set it.
ADW_DEBUG_COLOR_SCHEME=prefer-dark start_app dark "${downloads[@]}"
sleep 8
shoot "$window" "$out/downloads-dark.png"
stop_app

ADW_DEBUG_HIGH_CONTRAST=1 start_app high-contrast "${downloads[@]}"
sleep 8
shoot "$window" "$out/downloads-high-contrast.png"
stop_app

# The add dialog, opened with Ctrl+N and typed into, one line wrong.
start_app add
xdotool windowfocus --sync "$window"
sleep 1
xdotool key ctrl+n
xdotool keyup Control_L
dialog=$(xdotool search --sync --onlyvisible --name '^Add Downloads$' | head -n 1)
xdotool windowfocus --sync "$dialog"
sleep 0.5
# Into the links box (the dialog is at the top left: there is no window
# manager), then the pointer out of the way again.
xdotool mousemove --window "$dialog" 280 180 click 1
xdotool mousemove 1279 899
first=1
for line in \
  https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-12.8.0-amd64-netinst.iso \
  https://download.gnome.org/sources/gtk/4.8/gtk-4.8.3.tar.xz \
  ftp.example.com/old-release.zip; do
  [ -n "$first" ] || xdotool key Return
  first=
  xdotool type --delay 5 "$line"
done
sleep 1.5
shoot "$dialog" "$out/add-dialog.png"
stop_app

if grep -v "Unable to acquire session bus" "$tmp/app.log" | grep -q .; then
  echo "The app said:" >&2
  grep -v "Unable to acquire session bus" "$tmp/app.log" >&2
fi
