"""837P writer throughput and release-validation time, printed (not a timed test).

    python bench/writer.py [claims] [lines_per_claim]

Builds the claims in memory first, so the writer figure is the writer alone; then validates the
file with pyx12 + the section-2 checks using the process pool (os.cpu_count() workers).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from claims.profile import parse_profile
from claims.x12 import synthetic, validate_837p, write_837p

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    claims_count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    per_claim = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    batch = synthetic.batch(profile, synthetic.bulk_claims(claims_count, per_claim))
    lines = claims_count * per_claim
    best = min(_timed(lambda: write_837p(batch)) for _ in range(3))
    text = write_837p(batch)
    print(f"claims={claims_count} lines={lines} bytes={len(text)} segments={text.count('~')}")
    print(f"writer: {best:.3f} s best of 3, {lines / best:,.0f} lines/s (target >= 50,000)")
    start = time.perf_counter()
    report = validate_837p(text)
    elapsed = time.perf_counter() - start
    print(f"validation (pyx12 + checks, {os.cpu_count()} workers): {elapsed:.1f} s, ok={report.ok}")


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
