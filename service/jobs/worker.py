"""``ipsbill worker``: a job runner without the API, for machines that only run jobs."""

from __future__ import annotations

import asyncio
import logging
import signal

from service.config import Settings
from service.db import engine_for, make_sessionmaker
from service.jobs.runner import runner_for
from service.jobs.service import JobContext
from service.migrate import upgrade
from service.profiles import ProfileRegistry
from service.serving import tune_garbage_collector
from service.validation import keep_pyx12_out_of_logs, shutdown_pools, warm_pool


async def run_worker(settings: Settings) -> int:
    if settings.is_sqlite:
        await asyncio.to_thread(upgrade, settings.database_url)
    logging.basicConfig(level=settings.log_level)
    keep_pyx12_out_of_logs()  # inbound jobs read files with pyx12's advice: no values in logs
    engine = engine_for(settings)
    runner = runner_for(make_sessionmaker(engine), JobContext(settings, ProfileRegistry.load()))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # a container stops with SIGTERM
        loop.add_signal_handler(signum, stopping.set)
    tune_garbage_collector()  # what start-up built is frozen, as in each worker of serve
    # pyx12's processes and maps before the first job, as serve starts them; a pyx12 without a
    # patched function stops the worker here, by name (claims/x12/pyx12_fast.py).
    await asyncio.to_thread(warm_pool, settings.validation_processes)
    runner.start()
    try:
        await stopping.wait()
    finally:
        await runner.stop()  # the job in hand goes back to the queue
        await engine.dispose()
        await asyncio.to_thread(shutdown_pools)  # pyx12's processes would outlive the worker
    return 0
