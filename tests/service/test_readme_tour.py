"""The README's tour, run exactly as printed against a real ``ipsbill serve``: on any day."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.service.live import BIN, served

pytestmark = pytest.mark.slow  # a real server and the ipsbill commands
README = Path(__file__).resolve().parents[2] / "README.md"


def tour_blocks(text: str) -> list[str]:
    """The ``sh`` blocks of the section "A short tour", in order."""
    section = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


def test_the_readme_tour_runs_as_printed(tmp_path: Path) -> None:
    blocks = tour_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4 and all("curl " not in b or "curl -f" in b for b in blocks)
    script = "set -euo pipefail\n" + "\n".join(blocks)
    (tmp_path / ".venv").symlink_to(BIN.parent)  # the reader's .venv, beside the README
    with served(tmp_path, demo=True) as server:  # the README's serve on a fresh database
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**server.env, "API": server.url},
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert (tmp_path / "batch.837").read_text().startswith("ISA*")
    assert (tmp_path / "payer.835").read_text().startswith("ISA*")
    assert "OK: passes pyx12" in output
    assert '"kind":"835","claims_updated":1' in output.replace(" ", ""), output
