#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fail when a source file with translatable strings is missing from
po/POTFILES.in, or when POTFILES.in names a file that does not exist.

A string in a file that POTFILES.in does not list never reaches the
translators, and nothing else notices: xgettext only reads what it is
told to read. So this test looks for translatable strings itself:

  - C files under src/: the gettext macros and functions (_(), N_(),
    C_(), NC_(), Q_(), ngettext() and the g_d*gettext() family);
  - GtkBuilder files under src/: translatable="yes";
  - data/: desktop files and metainfo (.in), GSettings schemas.

Files listed in po/POTFILES.skip, if there is one, are not required.

Usage: check-potfiles.py SOURCE_ROOT
"""

import pathlib
import re
import sys

C_MARKERS = re.compile(
    r'(?<![\w.>])'
    r'(?:_|N_|C_|NC_|Q_|ngettext|dngettext|dcngettext|gettext|dgettext|dcgettext'
    r'|g_dgettext|g_dngettext|g_dpgettext|g_dpgettext2|g_dcgettext)'
    r'\s*\(')

# Comments and string literals, so that a marker inside either is not
# taken for a call. Literals are replaced by "" and comments by a space.
C_NOISE = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
    re.S)

UI_MARKER = re.compile(r'translatable\s*=\s*["\'](?:yes|true|1)["\']', re.I)

DESKTOP_KEYS = re.compile(r'^(?:Name|GenericName|Comment|Keywords|X-GNOME-FullName)=\S',
                          re.M)

# Elements whose text is translated by itstool/msgfmt in metainfo files,
# unless marked translate="no".
METAINFO_ELEMENTS = re.compile(
    r'<(name|summary|p|li|caption|developer_name|keyword)(?![^>]*translate="no")[\s>]')

SCHEMA_ELEMENTS = re.compile(r'<(summary|description)[\s>]')


def strip_c_noise(text):
    def repl(m):
        s = m.group(0)
        if s.startswith('"'):
            return '""'
        if s.startswith("'"):
            return "' '"
        return ' '
    return C_NOISE.sub(repl, text)


def has_strings(path):
    name = path.name
    try:
        text = path.read_text(encoding='utf-8')
    except UnicodeDecodeError:
        return False
    if name.endswith(('.c', '.h')):
        return C_MARKERS.search(strip_c_noise(text)) is not None
    if name.endswith('.ui'):
        return UI_MARKER.search(text) is not None
    if name.endswith('.desktop.in'):
        return DESKTOP_KEYS.search(text) is not None
    if name.endswith(('.metainfo.xml.in', '.appdata.xml.in')):
        return METAINFO_ELEMENTS.search(text) is not None
    if name.endswith('.gschema.xml'):
        return SCHEMA_ELEMENTS.search(text) is not None
    return False


def candidates(root):
    src = root / 'src'
    for pattern in ('*.c', '*.h', '*.ui'):
        yield from src.rglob(pattern)
    data = root / 'data'
    for pattern in ('*.desktop.in', '*.metainfo.xml.in', '*.appdata.xml.in',
                    '*.gschema.xml'):
        yield from data.rglob(pattern)


def read_list(path):
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding='utf-8').splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            entries.append(line)
    return entries


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1]).resolve()
    listed = read_list(root / 'po' / 'POTFILES.in')
    skipped = set(read_list(root / 'po' / 'POTFILES.skip'))
    problems = []

    for entry in listed:
        if not (root / entry).is_file():
            problems.append(f'po/POTFILES.in lists {entry}, which does not exist; '
                            'remove the line.')

    duplicates = sorted({e for e in listed if listed.count(e) > 1})
    for entry in duplicates:
        problems.append(f'po/POTFILES.in lists {entry} more than once.')

    if listed != sorted(listed):
        problems.append('po/POTFILES.in is not sorted; sort it '
                        '(LC_ALL=C sort) so that merges stay simple.')

    found = sorted({p.relative_to(root).as_posix()
                    for p in candidates(root) if has_strings(p)})
    missing = [f for f in found if f not in listed and f not in skipped]
    for entry in missing:
        problems.append(f'{entry} has translatable strings but is not in '
                        'po/POTFILES.in; add it there.')

    print(f'{len(found)} files with translatable strings, '
          f'{len(listed)} listed in po/POTFILES.in')
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
