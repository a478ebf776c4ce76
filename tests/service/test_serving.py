"""The least-connections accept of ``service.serving`` inside one worker: a busy worker still
serves every connection that no idle worker takes, and a shutdown during a pause is clean.
And the collector settings each serve worker starts with."""

from __future__ import annotations

import asyncio
import gc
import time

from service.serving import (
    GC_GENERATION0,
    PAUSE_PER_CONNECTION,
    BalancedLoop,
    tune_garbage_collector,
)


async def _echo_server() -> asyncio.Server:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.readline():
            writer.write(data)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(echo, "127.0.0.1", 0)


async def _round_trip(port: int, text: bytes) -> tuple[asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(text + b"\n")
    return writer, await asyncio.wait_for(reader.readline(), 5)


async def _busy_worker_serves_alone() -> tuple[list[bytes], float]:
    server = await _echo_server()
    port = server.sockets[0].getsockname()[1]
    writers, answers = [], []
    started = time.monotonic()
    for index in range(4):  # each new connection finds `index` already held by this worker
        writer, answer = await _round_trip(port, b"line %d" % index)
        writers.append(writer)
        answers.append(answer)
    elapsed = time.monotonic() - started
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()
    return answers, elapsed


def test_a_worker_holding_connections_still_accepts_when_no_one_else_does() -> None:
    with asyncio.Runner(loop_factory=BalancedLoop) as runner:
        answers, elapsed = runner.run(_busy_worker_serves_alone())
    assert answers == [b"line 0\n", b"line 1\n", b"line 2\n", b"line 3\n"]
    # It paused before each accept while it held connections: 1 + 2 + 3 pauses.
    assert elapsed >= 6 * PAUSE_PER_CONNECTION


async def _shutdown_during_pause() -> None:
    server = await _echo_server()
    port = server.sockets[0].getsockname()[1]
    writer, _ = await _round_trip(port, b"held")
    _, pending = await asyncio.open_connection("127.0.0.1", port)  # its accept is paused
    server.close()
    await asyncio.sleep(3 * PAUSE_PER_CONNECTION)  # the pause ends after the socket closed
    writer.close()
    pending.close()


def test_a_shutdown_during_a_pause_is_clean() -> None:
    errors: list[dict[str, object]] = []

    def run() -> None:
        loop = BalancedLoop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        try:
            loop.run_until_complete(_shutdown_during_pause())
        finally:
            loop.close()

    run()
    assert errors == []


def test_a_serve_worker_freezes_start_up_and_collects_young_objects_less_often() -> None:
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        tune_garbage_collector()
        assert gc.get_threshold() == (GC_GENERATION0, 20, 20)
        assert gc.get_freeze_count() > 0  # start-up's objects are never scanned again
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
