"""A quick first pass over one file's mutants: which of them survive the given test files.

Run from ``mutants/`` after ``make mutation`` (or a run stopped once it has written the mutants):

    cd mutants && ../.venv/bin/python ../tools/mutation_triage.py claims/x12/checks.py \\
        tests/claims/test_x12_checks.py

Each mutant runs in a fork of one process that has imported pytest and the package: the child sets
``MUTANT_UNDER_TEST`` (mutmut's trampolines read it on every call) and runs the named tests with
``pytest.main``, stopping at the first failure. No interpreter starts per mutant and no stats run is
needed, so on the shared machine it checks a file in minutes where ``make mutation`` takes an hour.
It is not the score: the tests are the ones named, not every test of ``tests/claims`` that reaches
the mutant, so its survivors are a superset of ``make mutation``'s. A mutant that has used 60 s of
CPU counts as a timeout: CPU, not wall-clock time, since on the shared machine a niced child can
wait minutes for a core (mutmut limits CPU time as well).
"""

from __future__ import annotations

import importlib
import os
import re
import resource
import signal
import sys
import time
from collections import Counter

import pytest

MUTANT = re.compile(r"^(?:    )?def (x[\wǁ]*__mutmut_\d+)\(", re.M)


def _verdict(name: str, tests: list[str]) -> str:
    # A fresh fork per mutant, as mutmut does: test modules and caches built under one mutant
    # (module-level results, functools caches) must not carry into the next one's verdict.
    child = os.fork()
    if child == 0:
        os.environ["MUTANT_UNDER_TEST"] = name
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        resource.setrlimit(resource.RLIMIT_CPU, (60, 61))  # SIGXCPU ends the child: a timeout
        os._exit(int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])))
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        return "timeout" if os.WTERMSIG(status) == signal.SIGXCPU else "killed by a signal"
    return {0: "survived", 1: "killed"}.get(os.WEXITSTATUS(status), "error")


def main(path: str, *tests: str) -> int:
    os.environ["IPSBILL_MUTATION"] = "1"  # as `make mutation`: derandomized property tests
    os.environ.pop("MUTANT_UNDER_TEST", None)
    sys.path.insert(0, os.getcwd())
    for package in ("claims.units", "claims.milestones", "claims.x12"):
        importlib.import_module(package)  # once, before the forks
    module = path.removesuffix(".py").replace("/", ".")
    with open(path, encoding="utf-8") as source:
        names = [f"{module}.{n}" for n in MUTANT.findall(source.read())]
    counts: Counter[str] = Counter()
    for name in names:
        started = time.monotonic()
        status = _verdict(name, list(tests))
        counts[status] += 1
        if status != "killed":
            print(f"{name}: {status} ({time.monotonic() - started:.1f} s)", flush=True)
    print(module, dict(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
