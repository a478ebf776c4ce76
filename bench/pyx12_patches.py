"""What each pyx12_fast patch saves: pyx12's verdict on a synthetic batch, cut into the chunks
the service validates (500 claims), with every patch, with none, and with each patch left out.

    .venv/bin/python -m bench.pyx12_patches [claims] [rounds]

CPU seconds of this process (pyx12 runs here, one chunk after the other, as in one pool worker;
CPU time rather than wall time, since other work on a shared machine stretches the wall clock).
The configurations alternate within each round and each figure is the best of ``rounds`` (3),
so the machine's drift weighs on all alike. A patch's gain is the time without it minus the time
with all: what it saves given the others. The six NodeCounter methods share one representation
of the counts, so they are one patch here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

from claims.x12 import pyx12_fast, synthetic, write_837p
from claims.x12.chunks import plan_chunks
from claims.x12.segments import parse
from claims.x12.validate import validate_chunk
from service.paths import templates_dir
from service.validation import keep_pyx12_out_of_logs


def groups() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in pyx12_fast.patch_names():
        key = "NodeCounter" if name.startswith("NodeCounter.") else name
        found.setdefault(key, []).append(name)
    return found


def run(chunks: list[str], leave_out: Iterable[str] | None) -> float:
    pyx12_fast.restore()
    if leave_out is not None:  # None: pyx12 as released
        pyx12_fast.apply(leave_out)
        pyx12_fast.preload_maps()  # a worker loads them at start-up, before any batch
    start = time.process_time()
    for chunk in chunks:
        assert validate_chunk(chunk) == (True, [])
    return time.process_time() - start


def main() -> None:
    from claims.profile import parse_profile

    claims = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    keep_pyx12_out_of_logs()
    profile = parse_profile("default", (templates_dir() / "default.toml").read_text("utf-8"))
    text = write_837p(synthetic.batch(profile, synthetic.bulk_claims(claims, 10)))
    chunks = [chunk.text for chunk in plan_chunks(parse(text), 500)]
    configs: dict[str, list[str] | None] = {"pyx12 alone": None, "all patches": []}
    configs |= {f"all but {name}": names for name, names in groups().items()}
    best = {label: float("inf") for label in configs}
    for _ in range(rounds):
        for label, leave_out in configs.items():
            best[label] = min(best[label], run(chunks, leave_out))
    pyx12_fast.restore()
    full = best["all patches"]
    print(f"{claims} claims x 10 lines, {len(chunks)} chunks; CPU s, best of {rounds}")
    for label, seconds in best.items():
        gain = seconds - full
        print(f"{label:52} {seconds:7.2f} s  gain {gain:+6.2f} s ({gain / full:+.0%} of all)")


if __name__ == "__main__":
    main()
