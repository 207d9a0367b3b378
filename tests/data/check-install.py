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


def main():
    parser = argparse.ArgumentParser()
    for opt in ('--meson', '--build-root', '--source-root', '--prefix', '--bindir',
                '--datadir', '--localedir', '--app-id'):
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
