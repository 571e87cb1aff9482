#!/usr/bin/env python3
"""Keeps target/mutants/<crate>/record.json: the latest outcome of every mutant the crate has
now, so `just mutants-iterate` (cargo-mutants' --iterate: only the mutants not caught before
are run again) leaves a complete table behind.

    scripts/mutants-record.py DIR --names NAMES.txt [--iterate]

DIR is a crate's output directory (target/mutants/<crate>), NAMES.txt the mutants the tree has
now (`cargo mutants --list`). Without --iterate the record is the last run's outcomes alone;
with it, the outcomes of the run replace earlier ones of the same mutant and the rest of the
record is kept. A mutant the tree no longer has (its code changed or went) is dropped; one the
record has never seen counts as not run.
"""
import json
import pathlib
import sys


def outcomes(out: pathlib.Path) -> dict:
    data = json.loads((out / "outcomes.json").read_text())
    found = {}
    for o in data.get("outcomes", []):
        mutant = o.get("scenario", {})
        if isinstance(mutant, dict) and "Mutant" in mutant:
            found[mutant["Mutant"]["name"]] = o["summary"]
    return {"version": data.get("cargo_mutants_version", "?"), "outcomes": found}


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--names":
        print(__doc__, file=sys.stderr)
        return 2
    root, names = pathlib.Path(args[0]), pathlib.Path(args[2]).read_text().splitlines()
    record_path = root / "record.json"
    run = outcomes(root / "mutants.out")
    if "--iterate" in args and record_path.exists():
        record = json.loads(record_path.read_text())
        record["outcomes"].update(run["outcomes"])
        record["version"] = run["version"]
    else:
        record = run
    wanted = set(names)
    record["outcomes"] = {n: s for n, s in sorted(record["outcomes"].items()) if n in wanted}
    record["not_run"] = sorted(wanted - set(record["outcomes"]))
    record_path.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
