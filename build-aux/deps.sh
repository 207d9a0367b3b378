#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Downpour needs to build and test, if
# any are missing. Uses sudo when not run as root.
set -euo pipefail

packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libsoup-3.0-dev glib-networking
  libcmocka-dev valgrind
  libgtk-4-dev libadwaita-1-dev libportal-gtk4-dev
  xvfb xauth xdotool dbus-daemon
  chromium
  desktop-file-utils appstream
  python3
  nginx
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
