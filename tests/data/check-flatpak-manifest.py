#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the Flatpak manifest without building it.

The GNOME runtime is not reachable from the machines that run these
tests, so flatpak-builder cannot run here. This reads the manifest and
checks what would otherwise only fail on Flathub:

  - it parses as JSON and names the same application ID as the desktop
    file, the metainfo, the GSettings schema and the D-Bus service;
  - it runs `downpour` from org.gnome.Platform 49 or 50, built with the
    matching org.gnome.Sdk;
  - it asks for the permissions a download manager needs, and not for
    the whole home folder or plain X11;
  - it builds one module, this project, with meson, from the source
    folder it points at, and turns off the tests (cmocka is not in the
    runtime) with an option that exists.

Usage: check-flatpak-manifest.py SOURCE_ROOT MANIFEST
"""

import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

RUNTIME_VERSIONS = ('49', '50')
REQUIRED_FINISH_ARGS = (
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
    '--filesystem=xdg-download',
    # Browser Integration writes the native-messaging host manifests
    # there, and nothing else of those folders is touched.
    '--filesystem=~/.mozilla/native-messaging-hosts:create',
    '--filesystem=~/.config/chromium/NativeMessagingHosts:create',
    '--filesystem=~/.config/google-chrome/NativeMessagingHosts:create',
)
FORBIDDEN_FINISH_ARGS = (
    '--socket=x11',
    '--filesystem=host',
    '--filesystem=home',
    '--device=all',
)
# Built into org.gnome.Platform already; building them again only
# shadows the runtime's copy.
RUNTIME_PROVIDES = ('glib', 'gtk', 'libadwaita', 'libsoup', 'glib-networking')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1]).resolve()
    manifest_path = pathlib.Path(sys.argv[2]).resolve()
    problems = []

    def expect(condition, message):
        if not condition:
            problems.append(message)
        return condition

    try:
        manifest = json.loads(manifest_path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as e:
        print(f'{manifest_path.name} cannot be read: {e}', file=sys.stderr)
        return 1

    app_id = manifest.get('id', manifest.get('app-id'))
    expect(manifest_path.name == f'{app_id}.json',
           f'the manifest of {app_id} should be called {app_id}.json')

    # The application ID, as every other file spells it.
    data = root / 'data'
    desktop_in = data / f'{app_id}.desktop.in'
    if expect(desktop_in.is_file(), f'data/{app_id}.desktop.in does not exist'):
        text = desktop_in.read_text(encoding='utf-8')
        expect(re.search(r'^Exec=downpour(\s|$)', text, re.M),
               'the desktop file does not run downpour')
        expect(re.search(rf'^Icon={re.escape(app_id)}$', text, re.M),
               f'the desktop file does not use the icon {app_id}')
    metainfo_in = data / f'{app_id}.metainfo.xml.in'
    if expect(metainfo_in.is_file(), f'data/{app_id}.metainfo.xml.in does not exist'):
        component = ET.parse(metainfo_in).getroot()
        expect(component.findtext('id') == app_id,
               f'the metainfo <id> is {component.findtext("id")!r}, not {app_id!r}')
        launchable = component.findtext('launchable')
        expect(launchable == f'{app_id}.desktop',
               f'the metainfo launches {launchable!r}, not {app_id}.desktop')
    schema = data / f'{app_id}.gschema.xml'
    if expect(schema.is_file(), f'data/{app_id}.gschema.xml does not exist'):
        ids = [s.get('id') for s in ET.parse(schema).getroot().iter('schema')]
        expect(app_id in ids, f'no schema with the id {app_id} (found {ids})')
    service = data / f'{app_id}.service.in'
    if expect(service.is_file(), f'data/{app_id}.service.in does not exist'):
        expect(f'Name={app_id}\n' in service.read_text(encoding='utf-8'),
               f'the D-Bus service is not called {app_id}')
    root_meson = (root / 'meson.build').read_text(encoding='utf-8')
    expect(re.search(rf"app_id\s*=\s*'{re.escape(app_id)}'", root_meson),
           f'meson.build does not set app_id to {app_id}')

    # Runtime and command.
    expect(manifest.get('runtime') == 'org.gnome.Platform',
           f'runtime is {manifest.get("runtime")!r}, not org.gnome.Platform')
    expect(manifest.get('sdk') == 'org.gnome.Sdk',
           f'sdk is {manifest.get("sdk")!r}, not org.gnome.Sdk')
    expect(str(manifest.get('runtime-version')) in RUNTIME_VERSIONS,
           f'runtime-version is {manifest.get("runtime-version")!r}, '
           f'not one of {", ".join(RUNTIME_VERSIONS)}')
    expect(manifest.get('command') == 'downpour',
           f'command is {manifest.get("command")!r}, not downpour')

    # Permissions.
    finish_args = manifest.get('finish-args', [])
    for arg in REQUIRED_FINISH_ARGS:
        expect(arg in finish_args, f'finish-args lacks {arg}')
    for arg in FORBIDDEN_FINISH_ARGS:
        expect(arg not in finish_args, f'finish-args should not have {arg}')
    expect(len(set(finish_args)) == len(finish_args), 'finish-args has duplicates')

    # Modules: only this project.
    modules = manifest.get('modules', [])
    expect(len(modules) >= 1, 'the manifest builds no module')
    for module in modules:
        name = module.get('name', '') if isinstance(module, dict) else str(module)
        for lib in RUNTIME_PROVIDES:
            expect(not name.startswith(lib),
                   f'module {name} is already in the GNOME runtime; do not build it')
    if modules and isinstance(modules[-1], dict):
        app = modules[-1]
        expect(app.get('name') == 'downpour', 'the last module is not downpour')
        expect(app.get('buildsystem') == 'meson', 'downpour is not built with meson')
        dirs = [s for s in app.get('sources', []) if s.get('type') == 'dir']
        if expect(len(dirs) == 1, 'downpour should have one source of type dir'):
            source = (manifest_path.parent / dirs[0].get('path', '')).resolve()
            project = source / 'meson.build'
            expect(project.is_file() and
                   re.search(r"^project\(\s*'downpour'",
                             project.read_text(encoding='utf-8'), re.M),
                   f'{source} holds no meson.build with project(\'downpour\'')
        opts = app.get('config-opts', [])
        expect('-Dtests=false' in opts,
               'the build does not turn the tests off (-Dtests=false)')
        options_file = root / 'meson_options.txt'
        expect(options_file.is_file() and
               re.search(r"option\(\s*'tests'\s*,\s*type\s*:\s*'boolean'",
                         options_file.read_text(encoding='utf-8')),
               'meson_options.txt has no boolean option "tests"')

    cleanup = manifest.get('cleanup', [])
    for pattern in ('/include', '/lib/pkgconfig', '*.a', '*.la'):
        expect(pattern in cleanup, f'cleanup lacks {pattern}')

    print(f'{manifest_path.name}: {app_id}, {manifest.get("runtime")}//'
          f'{manifest.get("runtime-version")}, {len(modules)} module(s), '
          f'{len(problems)} problems')
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
