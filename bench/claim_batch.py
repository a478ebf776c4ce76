"""The claim-batch benchmark's former name: runs ``bench/claims.py`` with the same arguments.

.venv/bin/python bench/claim_batch.py [--claims 10000] [--claims 50000] [--lines-per-claim 10]
"""

from __future__ import annotations

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).with_name("claims.py")), run_name="__main__")
