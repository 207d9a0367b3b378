// SPDX-License-Identifier: GPL-3.0-or-later
//
// Downpour's browser extension: takes over the downloads the user wants
// Downpour to make (by size and type, or "Download with Downpour" on a
// link), and hands each to downpour-browser-host with what the browser
// would have sent: the page as referrer, the cookies for the address,
// the user agent and the file name. One source for Firefox and
// Chromium-based browsers (Manifest V3).

const HOST = "io.github.downpour.downpour";
const MENU_ID = "downpour-download-link";
const MIB = 1024 * 1024;
const api = globalThis.browser ?? globalThis.chrome;

// Also in options.js.
const DEFAULTS = {
  capture: true,
  minSizeMiB: 16,
  types: "iso img zip 7z rar tar gz tgz xz bz2 zst dmg exe msi deb rpm appimage flatpak " +
         "mp4 mkv webm avi mov mp3 flac",
};

// The options, kept at hand: a decision on a download is made at once,
// before another event about it can arrive.
let options = Object.assign ({}, DEFAULTS);
api.storage.local.get (DEFAULTS).then ((stored) => {
  options = Object.assign ({}, DEFAULTS, stored);
});
api.storage.onChanged.addListener ((changes, area) => {
  if (area !== "local")
    return;
  for (const [key, change] of Object.entries (changes))
    if (key in DEFAULTS)
      options[key] = change.newValue ?? DEFAULTS[key];
});

// The Cookie header the browser would send to @url, from the cookie
// store of the download's container (Firefox) when it has one.
async function cookiesFor (url, storeId) {
  try {
    const query = storeId ? { url, storeId } : { url };
    const cookies = await api.cookies.getAll (query);
    // A cookie without a name is sent as its value alone: not a pair.
    return cookies.filter ((c) => c.name).map ((c) => `${c.name}=${c.value}`).join ("; ");
  } catch (error) {
    return "";
  }
}

function isWebAddress (url) {
  return typeof url === "string" && /^https?:\/\//i.test (url);
}

// The last part of a path on either system, or of an address's path.
function baseName (path) {
  if (!path)
    return "";
  let name = path.split (/[\\/]/).pop ();
  try {
    name = decodeURIComponent (name);
  } catch (error) {
    // Left as it is.
  }
  return name;
}

// The name the browser chose, once it has; until then the address's
// last part, which only serves to decide by type.
function nameOf (item) {
  if (item.filename)
    return baseName (item.filename);
  try {
    return baseName (new URL (item.finalUrl || item.url).pathname);
  } catch (error) {
    return "";
  }
}

async function handOver (url, referrer, filename, storeId) {
  const message = {
    url,
    referrer: isWebAddress (referrer) ? referrer : null,
    cookies: (await cookiesFor (url, storeId)) || null,
    userAgent: navigator.userAgent,
    filename: filename || null,
  };
  const answer = await api.runtime.sendNativeMessage (HOST, message);
  if (!answer || answer.ok !== true)
    throw new Error ((answer && answer.error) || "Downpour did not answer.");
}

// ---- the link's context menu ---------------------------------------------

function createMenu () {
  api.contextMenus.removeAll (() => {
    api.contextMenus.create ({
      id: MENU_ID,
      title: api.i18n.getMessage ("downloadWithDownpour") || "Download with Downpour",
      contexts: ["link"],
    });
  });
}

api.runtime.onInstalled.addListener (createMenu);
api.runtime.onStartup.addListener (createMenu);

api.contextMenus.onClicked.addListener ((info, tab) => {
  if (info.menuItemId !== MENU_ID || !isWebAddress (info.linkUrl))
    return;
  // Private windows' downloads stay in the browser: Downpour's list
  // outlives them.
  if (tab && tab.incognito)
    return;
  // No name: the server's, or the address's, as Downpour finds it.
  handOver (info.linkUrl, info.pageUrl || (tab && tab.url), null, tab && tab.cookieStoreId)
    .catch ((error) => console.warn ("Downpour:", error.message));
});

// ---- downloads the browser started ---------------------------------------

// Decides on a download: true to take it, false to leave it, null when
// its size and name are not known yet.
function wanted (item) {
  if (!options.capture || item.incognito || !isWebAddress (item.finalUrl || item.url))
    return false;
  const size = item.totalBytes > 0 ? item.totalBytes : (item.fileSize > 0 ? item.fileSize : -1);
  const name = nameOf (item);
  const dot = name.lastIndexOf (".");
  const type = dot > 0 ? name.slice (dot + 1).toLowerCase () : "";
  const types = options.types.toLowerCase ().split (/[\s,;]+/).filter ((t) => t);

  if (size >= 0 && size >= options.minSizeMiB * MIB)
    return true;
  if (type && types.includes (type))
    return true;
  if (size < 0 || !item.filename)
    return null;
  return false;
}

// Downloads waiting for their size or name, and those taken over.
const undecided = new Set ();
const taken = new Set ();

async function takeOver (item) {
  // The address the page gave, which Downpour can ask again when a link
  // it redirects to expires; the final one where that is not an
  // address Downpour can fetch.
  const url = isWebAddress (item.url) ? item.url : item.finalUrl;
  // Paused first, so that nothing is lost if Downpour cannot take it.
  try {
    await api.downloads.pause (item.id);
  } catch (error) {
    // Not resumable, or already over: cancelling below still holds.
  }
  try {
    await handOver (url, item.referrer, item.filename ? baseName (item.filename) : null,
                    item.cookieStoreId);
  } catch (error) {
    console.warn ("Downpour could not take the download:", error.message);
    try {
      await api.downloads.resume (item.id);
    } catch (resumeError) {
      // It could not be paused either.
    }
    return;
  }
  try {
    await api.downloads.cancel (item.id);
    await api.downloads.erase ({ id: item.id });
  } catch (error) {
    // Already gone.
  }
}

// Decides at once, with no await before the decision is recorded, so
// that two events about one download never hand it over twice.
function consider (item) {
  if (taken.has (item.id))
    return;
  const decision = wanted (item);
  if (decision === null) {
    undecided.add (item.id);
    return;
  }
  undecided.delete (item.id);
  if (decision === true) {
    taken.add (item.id);
    takeOver (item).catch ((error) => console.warn ("Downpour:", error.message));
  }
}

api.downloads.onCreated.addListener (consider);

api.downloads.onChanged.addListener (async (delta) => {
  if (!undecided.has (delta.id))
    return;
  if (delta.state && delta.state.current !== "in_progress") {
    undecided.delete (delta.id);
    return;
  }
  if (!delta.totalBytes && !delta.filename && !delta.fileSize)
    return;
  const [item] = await api.downloads.search ({ id: delta.id });
  if (item && item.state === "in_progress" && undecided.has (item.id))
    consider (item);
});

// ---- readiness ------------------------------------------------------------

// Pages that the manifest's "externally_connectable" names may ask
// whether the extension is listening; the shipped manifest names none.
// Downpour's browser test adds its loopback page, so that the page
// starts its download only once the extension can see it.
if (api.runtime.onMessageExternal) {
  api.runtime.onMessageExternal.addListener ((message, sender, reply) => {
    if (message === "downpour-ready?")
      reply ("ready");
  });
}
