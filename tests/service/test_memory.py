"""Memory that levels off (issue 19): what a worker frees goes back to the system.

What a worker keeps per request is measured by ``bench/memory.py`` (minutes of one kind of
traffic, RSS per round; docs/operations.md, "Memory"), not here: a per-batch bound that a test
can afford (a few batches) could not tell a small leak from caches settling.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A child process (its own heap): 80 MB freed below a few kept blocks (the heap's top stays
# in use, so glibc gives nothing back by itself), RSS read before and after the release.
FREED_BELOW_KEPT = textwrap.dedent(
    """
    from pathlib import Path
    from service.serving import release_free_memory

    def rss_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    freed = [bytearray(2000) for _ in range(40_000)]
    kept = [bytearray(100) for _ in range(2_000)]
    del freed
    before = rss_mb()
    released = release_free_memory()
    print(released, before, rss_mb())
    """
)


def test_freed_memory_goes_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREED_BELOW_KEPT], capture_output=True, text=True, check=True
    )
    released, before, after = done.stdout.split()
    assert released == "True"
    assert float(before) - float(after) > 50, (before, after)  # of the 80 MB freed
