"""Progress of long commands (``ipsbill demo``, ``ipsbill worker``' jobs): a bar (rich) when
standard error is a terminal, plain lines otherwise, so logs and pipes get one line a step
and standard output keeps only what a script reads (a demo's key stays its last line)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

# A job's progress report, ``await progress(done, total)`` between its chunks (a page of claims,
# a hundred members, a provider's invoice): the runner keeps it and pauses there
# (IPSBILL_JOB_PAUSE_SECONDS, docs/jobs.md "Pacing").
JobProgress = Callable[[int, int], Awaitable[None]]


async def unheard(_done: int, _total: int) -> None:
    """No one asked for progress (a request answered when its work is done)."""


class Reporter(Protocol):
    def step(self, label: str) -> None:
        """One more step done, ``label`` the next one's name."""

    def count(self, label: str, done: int, total: int | None) -> None:
        """Where a counted piece of work stands (a job's claims written)."""


class _Bar:
    def __init__(self, progress: Progress, steps: TaskID) -> None:
        self.progress = progress
        self.steps = steps
        self.counted: dict[str, TaskID] = {}

    def step(self, label: str) -> None:
        self.progress.update(self.steps, advance=1, description=label)

    def count(self, label: str, done: int, total: int | None) -> None:
        if label not in self.counted:
            self.counted[label] = self.progress.add_task(label, total=total)
        self.progress.update(self.counted[label], completed=done, total=total)


class _Lines:
    def __init__(self, title: str, total: int, stream: TextIO) -> None:
        self.title, self.total, self.stream = title, total, stream
        self.done = 0
        self.last: dict[str, int] = {}

    def step(self, label: str) -> None:
        self.done += 1
        print(f"{self.title} [{self.done}/{self.total}] {label}", file=self.stream, flush=True)

    def count(self, label: str, done: int, total: int | None) -> None:
        if self.last.get(label) != done:  # a line when it moved, not one per look
            self.last[label] = done
            print(f"{self.title} {label}: {done}/{total or '?'}", file=self.stream, flush=True)


@contextmanager
def steps(title: str, total: int, stream: TextIO | None = None) -> Iterator[Reporter]:
    out = stream or sys.stderr
    if not out.isatty():
        yield _Lines(title, total, out)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(file=out), transient=False) as progress:
        yield _Bar(progress, progress.add_task(title, total=total))
