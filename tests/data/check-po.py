#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check every translation in po/ with msgfmt.

For each po/LL.po: `msgfmt --check --check-accelerators=_ --statistics`
must succeed (header, plural forms, format strings that match the
original's, one mnemonic where the original has one) and report no
fuzzy and no untranslated messages. po/LINGUAS and the .po files must
name the same languages.

The catalogues are compared with themselves, not with a fresh .pot: a
new string in the code does not fail this test until someone merges it
into the .po files (`meson compile downpour-update-po`), and from then
on until it is translated.

Usage: check-po.py MSGFMT PO_DIR
"""

import os
import pathlib
import re
import subprocess
import sys


def linguas(po_dir):
    langs = []
    for line in (po_dir / 'LINGUAS').read_text(encoding='utf-8').splitlines():
        line = line.split('#', 1)[0]
        langs.extend(line.split())
    return langs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    msgfmt = sys.argv[1]
    po_dir = pathlib.Path(sys.argv[2])
    problems = []

    listed = linguas(po_dir)
    present = sorted(p.stem for p in po_dir.glob('*.po'))
    for lang in sorted(set(listed) - set(present)):
        problems.append(f'po/LINGUAS names {lang}, but po/{lang}.po does not exist.')
    for lang in sorted(set(present) - set(listed)):
        problems.append(f'po/{lang}.po exists, but po/LINGUAS does not name {lang}.')
    if not present:
        problems.append('po/ has no translations.')

    for lang in present:
        po = po_dir / f'{lang}.po'
        result = subprocess.run(
            [msgfmt, '--check', '--check-accelerators=_', '--statistics',
             '--output-file=/dev/null', str(po)],
            capture_output=True, text=True,
            env=dict(os.environ, LC_ALL='C'))
        report = result.stderr.strip()
        print(f'{lang}: {report}')
        if result.returncode != 0:
            problems.append(f'msgfmt rejects po/{lang}.po (see above).')
            continue
        for kind in ('fuzzy', 'untranslated'):
            m = re.search(r'(\d+) ' + kind, report)
            if m and int(m.group(1)) > 0:
                problems.append(f'po/{lang}.po has {m.group(1)} {kind} messages.')
        text = po.read_text(encoding='utf-8')
        if not re.search(r'^"Plural-Forms: nplurals=\d+; plural=[^"]+;\\n"$', text, re.M):
            problems.append(f'po/{lang}.po has no Plural-Forms header.')
        if not re.search(rf'^"Language: {re.escape(lang)}\\n"$', text, re.M):
            problems.append(f'po/{lang}.po does not say "Language: {lang}".')

    if problems:
        print('\n'.join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
