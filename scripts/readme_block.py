"""Writes a generated table into the README between `<!-- NAME -->` and `<!-- end of NAME -->`:
the one block writer of the scripts that regenerate README tables (fuzz-readme.py,
mutants-summary.py)."""
import pathlib
import sys


def replace(readme: pathlib.Path, name: str, table: str) -> bool:
    """Replaces the block's content with `table`; False (and a message) when there is none."""
    text = readme.read_text()
    start, end = f"<!-- {name} -->\n", f"<!-- end of {name} -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        print(f"{readme}: no {start.strip()} ... {end} block", file=sys.stderr)
        return False
    readme.write_text(text[: i + len(start)] + table + "\n" + text[j:])
    return True
