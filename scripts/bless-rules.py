#!/usr/bin/env python3
"""Fill in `expect.rules` of denying fixtures that lack it, from what the policies report.

    FLUXGATE_RULES_OUT=/tmp/rules.json cargo run -q -p fluxgate-testkit [POLICY...]
    python3 scripts/bless-rules.py /tmp/rules.json

Only fixtures without `rules:` are touched; review the diff: the ids written are what the
module reports today, which is what the fixture will hold it to from now on.
"""
import json
import re
import sys

import yaml  # PyYAML

def main(path):
    found = json.load(open(path))
    changed = 0
    for fixture, ids in sorted(found.items()):
        text = open(fixture).read()
        doc = yaml.safe_load(text)
        expect = doc.get("expect") or {}
        if "rules" in expect or expect.get("allowed") is not False or not ids:
            continue
        rules = "[" + ", ".join(ids) + "]"
        flow = re.search(r"^expect:\s*\{", text, re.M)
        if flow:
            text = text[: flow.end()] + f"rules: {rules}, " + text[flow.end():]
        else:
            text = re.sub(r"^expect:\s*\n", f"expect:\n  rules: {rules}\n", text, count=1, flags=re.M)
        open(fixture, "w").write(text)
        changed += 1
    print(f"{changed} fixtures given expect.rules")

if __name__ == "__main__":
    main(sys.argv[1])
