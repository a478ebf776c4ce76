"""Print `make mutation`'s score per mutated file, from `mutmut results --all=true`.

Score = detected / (checked - equivalent): detected are killed or timed out (the tests fail or
hang under the mutant); equivalent are the survivors judged to change no behaviour, listed by
mutant id in docs/mutation.md (a table row starting with the id in backquotes). Mutants a run
did not check (``make mutation MUTANTS=...`` picks some) are counted apart and score nothing.
Exits 1 when a file scores under the threshold (95%, issue 15), so `make mutation` fails loudly.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DETECTED = {"killed", "timeout"}
THRESHOLD = 0.95
ROW = re.compile(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`")


def equivalent_ids(doc: Path) -> set[str]:
    if not doc.exists():
        return set()
    return {m.group(1) for line in doc.read_text("utf-8").splitlines() if (m := ROW.match(line))}


def statuses(mutmut: str) -> dict[str, str]:
    out = subprocess.run(
        [mutmut, "results", "--all=true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        key, sep, status = line.strip().partition(": ")
        if sep and "__mutmut_" in key:
            found[key] = status
    return found


def source_file(key: str) -> str:
    # claims.units.day.x_remove_overlap__mutmut_1 -> claims/units/day.py
    return key.rsplit(".", 1)[0].replace(".", "/") + ".py"


def main(mutmut: str = "mutmut") -> int:
    equivalent = equivalent_ids(ROOT / "docs" / "mutation.md")
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    for key, status in statuses(mutmut).items():
        by_file[source_file(key)][
            "equivalent" if status == "survived" and key in equivalent else status
        ] += 1
    if not by_file:
        print("no mutation results: run `make mutation` first")
        return 1
    header = ("file", "detected", "survived", "equiv.", "checked", "score")
    print(f"{header[0]:40} " + " ".join(f"{h:>8}" for h in header[1:]))
    failing = 0
    for path in sorted(by_file):
        counts = by_file[path]
        checked = sum(counts.values()) - counts["not checked"]
        if not checked:
            continue
        detected = sum(counts[s] for s in DETECTED)
        judged = checked - counts["equivalent"]
        score = detected / judged if judged else 1.0
        failing += score < THRESHOLD
        other = checked - detected - counts["survived"] - counts["equivalent"]
        note = f"  other: {dict(counts)}" if other else ""
        cells = (detected, counts["survived"], counts["equivalent"], checked)
        print(f"{path:40} " + " ".join(f"{c:8}" for c in cells) + f" {score:8.1%}{note}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
