"""``ipsbill`` subcommands run through ``service.cli.main`` in the test's own process: the same
argument parsing, database and output an operator gets, without starting a Python per command
(~1 s each). tests/service/test_cli.py keeps true subprocess runs of the command itself."""

from __future__ import annotations

import io
import os
import sys
from contextlib import chdir, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from service.cli import main
from service.config import get_settings

URL = "IPSBILL_DATABASE_URL"


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(folder: Path, database: str, *args: str, stdin: str = "") -> Ran:
    """``ipsbill ARGS`` in ``folder`` on the SQLite file ``folder/database``, as the command
    would run there: its exit code (argparse's 2 included), standard output and error."""
    return run_cli_on(folder, f"sqlite+aiosqlite:///{folder / database}", *args, stdin=stdin)


def run_cli_on(folder: Path, url: str, *args: str, stdin: str = "") -> Ran:
    """``ipsbill ARGS`` in ``folder`` with ``IPSBILL_DATABASE_URL=url``."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get(URL), sys.stdin
    os.environ[URL] = url
    sys.stdin = io.StringIO(stdin)
    get_settings.cache_clear()  # the settings are read from the environment set here
    try:
        with chdir(folder), redirect_stdout(out), redirect_stderr(err):
            code = _exit_code(list(args))
    finally:
        _restore(*saved)
    return Ran(code, out.getvalue(), err.getvalue())


def _exit_code(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exit_:  # argparse refuses a command line with exit code 2
        return exit_.code if isinstance(exit_.code, int) else 1


def _restore(url: str | None, stdin: TextIO) -> None:
    if url is None:
        os.environ.pop(URL, None)
    else:
        os.environ[URL] = url
    sys.stdin = stdin
    get_settings.cache_clear()
