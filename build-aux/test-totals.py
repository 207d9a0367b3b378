#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts test cases in meson testlog.json files: each TAP "ok"/"not ok" line
is one case; a TAP program that died before its plan was done counts the
missing cases as failed; a test without TAP output counts as one case."""
import json
import re
import sys

passed = failed = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as log:
        for line in log:
            entry = json.loads(line)
            out = entry.get("stdout") or ""
            oks = len(re.findall(r"^ok\b", out, re.M))
            not_oks = len(re.findall(r"^not ok\b", out, re.M))
            plan = re.search(r"^1\.\.(\d+)", out, re.M)
            if oks + not_oks == 0 and plan is None:
                if entry.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
                    passed += 1
                else:
                    failed += 1
                continue
            missing = max(0, int(plan.group(1)) - oks - not_oks) if plan else 0
            if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and not_oks + missing == 0:
                missing = 1
            passed += oks
            failed += not_oks + missing
print(f"{passed} passed, {failed} failed")
