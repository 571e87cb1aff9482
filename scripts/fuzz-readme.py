#!/usr/bin/env python3
"""The README's record of the million-case fuzz run, from the logs `just fuzz-million` keeps
(target/fuzz/million/<policy>.log: the module's sha256, the commit, the command, then
`fluxgate-testkit fuzz`'s own output).

    scripts/fuzz-readme.py target/fuzz/million [--readme README.md]

With --readme the table replaces what lies between `<!-- fuzz-million -->` and
`<!-- end of fuzz-million -->`. A log whose run did not finish, or that reports a trap, a
500, a timeout or a 400 without a field path, is shown as such: nothing is left out.
"""
import hashlib
import pathlib
import re
import sys

import readme_block


def parse(log: pathlib.Path) -> dict:
    text = log.read_text()
    row = {"policy": log.stem, "module": "?", "commit": "?", "secs": None, "rc": None}
    for line in text.splitlines():
        if line.startswith("module: "):
            digest, path = line.split()[1:3]
            row["module"] = digest[:12]
            # A module rebuilt since differs from the one fuzzed: say so.
            built = pathlib.Path(path)
            if built.exists() and hashlib.sha256(built.read_bytes()).hexdigest() != digest:
                row["module"] += " (rebuilt since)"
        elif line.startswith("commit: "):
            row["commit"] = line[len("commit: "):]
        elif m := re.match(r"rc=(\d+) secs=(\d+)", line):
            row["rc"], row["secs"] = int(m[1]), int(m[2])
        elif line.startswith(f"| {log.stem} | ") and "evaluations" not in row:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 12 and cells[1].isdigit():
                keys = ["evaluations", "accepted", "denied", "unreadable", "traps", "500s",
                        "timeouts", "no_path", "mismatches", "worst", "memory"]
                row.update(dict(zip(keys, cells[1:])))
        elif m := re.match(r"fuzz: (\d+) evaluations \((\d+) also on a fresh instance\)", line):
            row["fresh"] = m[2]
    return row


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    readme = pathlib.Path(args[args.index("--readme") + 1]) if "--readme" in args else None
    rows = [parse(p) for p in sorted(pathlib.Path(args[0]).glob("*.log"))]
    lines = [
        "| policy | evaluations (fresh) | traps | 500s | timeouts | 400s without a field path | mismatches | worst evaluation | peak instance memory | time | module (sha256) | commit |",
        "|---|--:|--:|--:|--:|--:|--:|---|--:|--:|---|---|",
    ]
    for r in rows:
        if "evaluations" not in r or r["rc"] is None:
            lines.append(f"| {r['policy']} | did not finish (rc {r['rc']}) | | | | | | | | | {r['module']} | {r['commit']} |")
            continue
        worst = re.sub(r"\s*\(#.*", "", r["worst"])
        lines.append(
            f"| {r['policy']} | {r['evaluations']} ({r.get('fresh', '?')}) | {r['traps']} | {r['500s']} | "
            f"{r['timeouts']} | {r['no_path']} | {r['mismatches']} | {worst} | {r['memory']} | "
            f"{r['secs'] / 60:.1f} min | {r['module']} | {r['commit']} |"
        )
    table = "\n".join(lines)
    print(table)
    if readme and not readme_block.replace(readme, "fuzz-million", table):
        return 1
    failed = [r["policy"] for r in rows if r.get("rc") != 0]
    if failed:
        print(f"runs that failed or did not finish: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
