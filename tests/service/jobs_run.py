"""Run the jobs a request queued, as ``ipsbill serve``'s runner would (the test app has none)."""

from __future__ import annotations

from typing import Any

from service.jobs.runner import Runner
from service.jobs.service import JobContext


async def run_jobs(app: Any) -> int:
    """Every queued job, in order, each to its end; returns how many ran."""
    runner = Runner(app.state.sessionmaker, JobContext(app.state.settings, app.state.profiles))
    ran = 0
    while await runner.run_next():
        ran += 1
    return ran
