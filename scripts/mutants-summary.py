#!/usr/bin/env python3
"""`just mutants`' summary: one row per crate from target/mutants/<crate>/record.json (every
mutant's latest outcome, scripts/mutants-record.py) or, for a crate run before records were
kept, mutants.out/outcomes.json (cargo-mutants' own record); the caught ratio, and every
surviving mutant (a mutant not run yet is listed with them).

    scripts/mutants-summary.py target/mutants [--readme README.md]

With --readme, the table replaces what lies between `<!-- mutants -->` and `<!-- end of
mutants -->` in that file. The caught ratio is (caught + timed out) / (caught + missed + timed
out): a mutant that makes the tests hang (a loop that no longer advances) did not pass them.
Unviable mutants (ones that do not compile) test nothing and are shown apart.
"""
import json
import pathlib
import sys

import readme_block


# cargo-mutants' outcome summaries, by the table's column.
SUMMARY = {
    "caught": "CaughtMutant",
    "missed": "MissedMutant",
    "timeout": "Timeout",
    "unviable": "Unviable",
}


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(args[0])
    readme = pathlib.Path(args[args.index("--readme") + 1]) if "--readme" in args else None
    rows, survivors = [], []
    totals = {"caught": 0, "missed": 0, "timeout": 0, "unviable": 0}
    for outcomes in sorted(root.glob("*/mutants.out/outcomes.json")):
        crate = outcomes.parent.parent.name
        record = outcomes.parent.parent / "record.json"
        if record.exists():
            # Every mutant's latest outcome, across a full run and `just mutants-iterate`.
            data = json.loads(record.read_text())
            latest = data["outcomes"]
            counts = {k: sum(1 for v in latest.values() if v == SUMMARY[k]) for k in totals}
            total, version = len(latest) + len(data["not_run"]), data["version"]
            missed = [n for n, v in latest.items() if v == "MissedMutant"] + data["not_run"]
        else:
            data = json.loads(outcomes.read_text())
            counts = {k: data.get(k, 0) for k in totals}
            total, version = data.get("total_mutants", 0), data.get("cargo_mutants_version", "?")
            missed = [
                o["scenario"]["Mutant"]["name"]
                for o in data.get("outcomes", [])
                if o.get("summary") == "MissedMutant"
            ]
        for k in totals:
            totals[k] += counts[k]
        judged = counts["caught"] + counts["missed"] + counts["timeout"]
        ratio = f"{100 * (counts['caught'] + counts['timeout']) / judged:.1f}%" if judged else "n/a"
        rows.append((crate, total, counts, ratio, version))
        survivors.extend(missed)
    judged = totals["caught"] + totals["missed"] + totals["timeout"]
    lines = [
        "| crate | mutants | caught | missed | timed out | unviable | caught ratio |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for crate, total, c, ratio, _ in rows:
        lines.append(
            f"| {crate} | {total} | {c['caught']} | {c['missed']} | {c['timeout']} | {c['unviable']} | {ratio} |"
        )
    if rows:
        all_ratio = f"{100 * (totals['caught'] + totals['timeout']) / judged:.1f}%" if judged else "n/a"
        lines.append(
            f"| **all** | {sum(r[1] for r in rows)} | {totals['caught']} | {totals['missed']} | "
            f"{totals['timeout']} | {totals['unviable']} | **{all_ratio}** |"
        )
        versions = sorted({r[4] for r in rows})
        lines.append("")
        lines.append(f"cargo-mutants {', '.join(versions)}; survivors: {len(survivors)}.")
    table = "\n".join(lines)
    print(table)
    for s in survivors:
        print(f"survivor: {s}")
    if readme and not readme_block.replace(readme, "mutants", table):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
