"""837P writer throughput and release-validation time, printed (not a timed test).

    python -m bench.writer [claims] [lines_per_claim] [--compare-unpatched]

Builds the claims in memory first, so the writer figure is the writer alone; then validates the
file with pyx12 + the section-2 checks using the process pool (os.cpu_count() workers), twice:
the first call starts the kept pool, the second is what every later batch of the service costs.
Besides wall time it prints the CPU seconds of this process and of the pool workers, since wall
time on a shared machine depends on what else runs. ``--compare-unpatched`` also times pyx12 on
one chunk in this process without and with ``claims.x12.pyx12_fast``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from claims.profile import parse_profile
from claims.x12 import pyx12_fast, synthetic, validate, write_837p
from claims.x12.chunks import plan_chunks
from claims.x12.segments import parse
from service.validation import validate_837p, worker_pids

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    claims_count = int(args[0]) if args else 10_000
    per_claim = int(args[1]) if len(args) > 1 else 10
    profile = parse_profile("default", (ROOT / "edi_templates/default.toml").read_text("utf-8"))
    batch = synthetic.batch(profile, synthetic.bulk_claims(claims_count, per_claim))
    lines = claims_count * per_claim
    best = min(_timed(lambda: write_837p(batch)) for _ in range(3))
    text = write_837p(batch)
    print(f"claims={claims_count} lines={lines} bytes={len(text)} segments={text.count('~')}")
    print(f"writer: {best:.3f} s best of 3, {lines / best:,.0f} lines/s (target >= 50,000)")
    print(f"load average before validation: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for label in ("first call (starts the pool)", "second call (pool kept)"):
        _validation(label, text)
    if "--compare-unpatched" in sys.argv:
        _compare_unpatched(text)


def _validation(label: str, text: str) -> None:
    workers_before = _workers_cpu()
    own_before = time.process_time()
    start = time.perf_counter()
    report = validate_837p(text)
    elapsed = time.perf_counter() - start
    own = time.process_time() - own_before
    workers = _workers_cpu() - workers_before
    print(
        f"validation {label}: {elapsed:.1f} s wall, ok={report.ok}; CPU: this process "
        f"{own:.1f} s, {os.cpu_count()} workers {workers:.1f} s"
    )


def _workers_cpu() -> float:
    """User + system CPU seconds of the kept pool's processes (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _compare_unpatched(text: str) -> None:
    """Alternate unpatched and patched runs on one chunk; the best of 3 each (shared machine)."""
    chunk = plan_chunks(parse(text), 1000)[0].text
    plain, fast = [], []
    for _ in range(3):
        plain.append(_cpu(lambda: validate.pyx12_validate(chunk)))
        pyx12_fast.apply()
        validate.pyx12_validate(chunk)  # map loaded once, as in a worker
        fast.append(_cpu(lambda: validate.validate_chunk(chunk)))
        pyx12_fast.restore()
    print(
        f"one chunk ({chunk.count('~')} segments) in this process, best of 3: pyx12 with JSON "
        f"report {min(plain):.2f} s CPU; verdict-first with pyx12_fast {min(fast):.2f} s CPU "
        f"({min(plain) / min(fast):.1f}x)"
    )


def _cpu(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
