#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install the build into a temporary folder and check what arrives.

Runs `meson install --destdir` into a fresh temporary folder of its own
(so that it can run beside other tests, or twice at once), then checks:

  - the binaries, desktop file, metainfo, schema, icons, D-Bus service
    and one .mo per language in po/LINGUAS are installed;
  - the desktop file and metainfo carry the translations;
  - the installed downpour-cli prints its --help in each language, with
    LANGUAGE set. A preloaded shim (dp-textdomain-shim.c) points the
    binary's text domain at the temporary folder, since the binary looks
    in the LOCALEDIR of the real prefix.

Usage: check-install.py --meson MESON --build-root DIR --source-root DIR
         --prefix P --bindir D --datadir D --localedir D --app-id ID
         [--shim LIB] [--keep]
"""

import argparse
import base64
import hashlib
import json
import configparser
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile


def po_strings(po_path):
    """msgid -> msgstr for the plain (no context, no plural) messages."""
    text = po_path.read_text(encoding='utf-8')
    pairs = {}
    for block in text.split('\n\n'):
        if 'msgctxt' in block or 'msgid_plural' in block:
            continue
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if not m:
            continue

        def join(s):
            raw = ''.join(re.findall(r'"((?:\\.|[^"\\])*)"', s))
            return re.sub(r'\\(.)', lambda e: {'n': '\n', 't': '\t'}.get(e.group(1), e.group(1)), raw)

        msgid, msgstr = join(m.group(1)), join(m.group(2))
        if msgid and msgstr:
            pairs[msgid] = msgstr
    return pairs


def under(destdir, prefix, directory):
    """Where meson puts DIRECTORY (absolute, or relative to PREFIX) in DESTDIR."""
    full = directory if os.path.isabs(directory) else os.path.join(prefix, directory)
    return destdir / full.lstrip('/')


class Checker:
    def __init__(self):
        self.problems = []

    def fail(self, message):
        self.problems.append(message)
        print(f'not ok: {message}')

    def ok(self, message):
        print(f'ok: {message}')

    def file(self, path, root):
        rel = path.relative_to(root)
        if path.is_file() and path.stat().st_size > 0:
            self.ok(f'{rel}')
            return True
        self.fail(f'{rel} is not installed')
        return False


def check_tree(c, args, destdir, langs):
    bindir = under(destdir, args.prefix, args.bindir)
    datadir = under(destdir, args.prefix, args.datadir)
    localedir = under(destdir, args.prefix, args.localedir)
    app_id = args.app_id

    for exe in ('downpour', 'downpour-cli'):
        path = bindir / exe
        if c.file(path, destdir) and not os.access(path, os.X_OK):
            c.fail(f'{path.relative_to(destdir)} is not executable')

    desktop = datadir / 'applications' / f'{app_id}.desktop'
    metainfo = datadir / 'metainfo' / f'{app_id}.metainfo.xml'
    expected = [
        desktop,
        metainfo,
        datadir / 'glib-2.0' / 'schemas' / f'{app_id}.gschema.xml',
        datadir / 'icons' / 'hicolor' / 'scalable' / 'apps' / f'{app_id}.svg',
        datadir / 'icons' / 'hicolor' / 'symbolic' / 'apps' / f'{app_id}-symbolic.svg',
        datadir / 'dbus-1' / 'services' / f'{app_id}.service',
    ]
    expected += [localedir / lang / 'LC_MESSAGES' / 'downpour.mo' for lang in langs]
    for path in expected:
        c.file(path, destdir)

    check_browser_host(c, args, destdir, datadir)

    service = datadir / 'dbus-1' / 'services' / f'{app_id}.service'
    if service.is_file():
        text = service.read_text(encoding='utf-8')
        exec_path = os.path.join(args.prefix, args.bindir, 'downpour')
        if f'Name={app_id}' not in text or f'Exec={exec_path} ' not in text:
            c.fail(f'the D-Bus service does not start {exec_path} as {app_id}:\n{text}')

    if desktop.is_file():
        entry = configparser.RawConfigParser(interpolation=None, strict=False)
        entry.optionxform = str
        entry.read(desktop, encoding='utf-8')
        section = entry['Desktop Entry'] if entry.has_section('Desktop Entry') else {}
        for lang in langs:
            for key in ('Name', 'Comment', 'Keywords'):
                value = section.get(f'{key}[{lang}]')
                if not value:
                    c.fail(f'the desktop file has no {key}[{lang}]')
            if section.get(f'Comment[{lang}]') not in (None, section.get('Comment')):
                c.ok(f'desktop file translated into {lang}')

    if metainfo.is_file():
        text = metainfo.read_text(encoding='utf-8')
        for lang in langs:
            if re.search(rf'<summary xml:lang="{re.escape(lang)}">', text):
                c.ok(f'metainfo translated into {lang}')
            else:
                c.fail(f'the metainfo has no summary in {lang}')


def check_cli_translations(c, args, destdir, langs):
    cli = under(destdir, args.prefix, args.bindir) / 'downpour-cli'
    localedir = under(destdir, args.prefix, args.localedir)
    if not cli.is_file():
        return
    if not args.shim:
        print('# no shim: the installed binaries are not run')
        return

    base_env = dict(os.environ)
    for var in ('LANGUAGE', 'LANG', 'LC_MESSAGES'):
        base_env.pop(var, None)
    base_env.update({
        'LD_PRELOAD': args.shim,
        'DP_TEST_TEXTDOMAIN': 'downpour',
        'DP_TEST_LOCALEDIR': str(localedir),
    })

    def run(env):
        return subprocess.run([str(cli), '--help'], capture_output=True,
                              text=True, env=env, timeout=60)

    english = run(dict(base_env, LC_ALL='C.UTF-8'))
    if english.returncode != 0:
        c.fail(f'downpour-cli --help failed: {english.stderr}')
        return

    for lang in langs:
        strings = po_strings(pathlib.Path(args.source_root) / 'po' / f'{lang}.po')
        # LANGUAGE only counts in a locale other than C. Debian's C.UTF-8
        # honours it; elsewhere the language's own locale may be needed.
        result = None
        for locale in ('C.UTF-8', f'{lang}_{lang.upper()}.UTF-8'):
            attempt = run(dict(base_env, LC_ALL=locale, LANGUAGE=lang))
            if attempt.returncode == 0 and attempt.stdout != english.stdout:
                result = attempt
                break
        if result is None:
            c.fail(f'downpour-cli --help is not translated into {lang} '
                   f'(output unchanged with LANGUAGE={lang})')
            continue
        found = sorted((msgid for msgid, msgstr in strings.items()
                        if msgstr != msgid and len(msgstr) > 12 and msgstr in result.stdout),
                       key=lambda msgid: -len(strings[msgid]))
        if found:
            c.ok(f'downpour-cli --help in {lang}: {len(found)} translated strings, '
                 f'e.g. “{strings[found[0]]}”')
        else:
            c.fail(f'downpour-cli --help with LANGUAGE={lang} shows none of the '
                   f'strings of po/{lang}.po:\n{result.stdout}')


def chromium_id(key):
    """An extension's ID from the public key in its manifest: the first
    32 hex digits of the key's SHA-256, each mapped 0-f to a-p."""
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return ''.join(chr(ord('a') + int(d, 16)) for d in digest)


def check_browser_host(c, args, destdir, datadir):
    """The native-messaging host, the extension, and the manifests that
    tell each browser where the host is and who may call it."""
    prefix = pathlib.Path(args.prefix)
    host_path = os.path.join(args.prefix, args.libexecdir, 'downpour-browser-host')
    host = under(destdir, args.prefix, args.libexecdir) / 'downpour-browser-host'
    if c.file(host, destdir) and not os.access(host, os.X_OK):
        c.fail(f'{host.relative_to(destdir)} is not executable')

    extension = datadir / 'downpour' / 'browser-extension' / 'manifest.json'
    if not c.file(extension, destdir):
        return
    for name in ('background.js', 'options.html', 'options.js'):
        c.file(extension.parent / name, destdir)
    manifest = json.loads(extension.read_text(encoding='utf-8'))
    if manifest.get('manifest_version') != 3:
        c.fail('the extension is not Manifest V3')
    if manifest.get('version') != args.version:
        c.fail(f'the extension is version {manifest.get("version")}, Downpour {args.version}')
    for permission in ('nativeMessaging', 'downloads', 'cookies', 'contextMenus'):
        if permission not in manifest.get('permissions', []):
            c.fail(f'the extension lacks the {permission} permission')
    origin = f'chrome-extension://{chromium_id(manifest["key"])}/'
    gecko = manifest['browser_specific_settings']['gecko']['id']

    sysconfdir = pathlib.Path(args.sysconfdir)
    if not sysconfdir.is_absolute():
        sysconfdir = prefix / sysconfdir
    folders = {
        'Chromium': sysconfdir / 'chromium' / 'native-messaging-hosts',
        'Chrome': sysconfdir / 'opt' / 'chrome' / 'native-messaging-hosts',
        'Firefox': prefix / 'lib' / 'mozilla' / 'native-messaging-hosts',
    }
    for browser, folder in folders.items():
        path = destdir / folder.relative_to('/') / 'io.github.downpour.downpour.json'
        if not c.file(path, destdir):
            continue
        host_manifest = json.loads(path.read_text(encoding='utf-8'))
        if host_manifest.get('name') != 'io.github.downpour.downpour':
            c.fail(f'{browser}: the host is named {host_manifest.get("name")}')
        if host_manifest.get('path') != host_path or host_manifest.get('type') != 'stdio':
            c.fail(f'{browser}: the host is not {host_path} over stdio')
        if browser == 'Firefox':
            if host_manifest.get('allowed_extensions') != [gecko]:
                c.fail(f'Firefox: the host does not allow {gecko}')
        elif host_manifest.get('allowed_origins') != [origin]:
            c.fail(f'{browser}: the host allows {host_manifest.get("allowed_origins")}, '
                   f'not the extension ({origin})')
        else:
            c.ok(f'{browser} finds the host and lets the extension call it')


def main():
    parser = argparse.ArgumentParser()
    for opt in ('--meson', '--build-root', '--source-root', '--prefix', '--bindir',
                '--datadir', '--localedir', '--app-id', '--libexecdir', '--sysconfdir',
                '--version'):
        parser.add_argument(opt, required=True)
    parser.add_argument('--shim')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()

    linguas = pathlib.Path(args.source_root) / 'po' / 'LINGUAS'
    langs = []
    for line in linguas.read_text(encoding='utf-8').splitlines():
        langs.extend(line.split('#', 1)[0].split())

    # A folder of its own inside the build folder: no clash with another
    # run, and nothing left in /tmp if the machine stops mid-test.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix='install-', dir=os.getcwd()))
    destdir = tmp / 'root'
    c = Checker()
    try:
        # DESTDIR from the environment would be prepended as well.
        env = dict(os.environ)
        env.pop('DESTDIR', None)
        result = subprocess.run(
            [args.meson, 'install', '-C', args.build_root, '--no-rebuild',
             '--quiet', '--destdir', str(destdir)],
            capture_output=True, text=True, env=env, timeout=300)
        if result.returncode != 0:
            print(result.stdout)
            print(result.stderr, file=sys.stderr)
            c.fail('meson install failed')
        else:
            check_tree(c, args, destdir, langs)
            check_cli_translations(c, args, destdir, langs)
    finally:
        if args.keep:
            print(f'# kept {destdir}')
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if c.problems:
        print(f'{len(c.problems)} problems', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
