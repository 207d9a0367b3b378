// SPDX-License-Identifier: GPL-3.0-or-later
const api = globalThis.browser ?? globalThis.chrome;

// Also in background.js.
const DEFAULTS = {
  capture: true,
  minSizeMiB: 16,
  types: "iso img zip 7z rar tar gz tgz xz bz2 zst dmg exe msi deb rpm appimage flatpak " +
         "mp4 mkv webm avi mov mp3 flac",
};

async function load () {
  const options = Object.assign ({}, DEFAULTS, await api.storage.local.get (DEFAULTS));
  document.getElementById ("capture").checked = options.capture;
  document.getElementById ("minSizeMiB").value = options.minSizeMiB;
  document.getElementById ("types").value = options.types;
}

function save () {
  const size = Number (document.getElementById ("minSizeMiB").value);
  api.storage.local.set ({
    capture: document.getElementById ("capture").checked,
    minSizeMiB: Number.isFinite (size) && size >= 0 ? size : DEFAULTS.minSizeMiB,
    types: document.getElementById ("types").value,
  });
}

document.addEventListener ("DOMContentLoaded", load);
for (const id of ["capture", "minSizeMiB", "types"])
  document.getElementById (id).addEventListener ("change", save);
