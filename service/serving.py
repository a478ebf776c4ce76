"""How ``ipsbill serve --workers N`` shares connections between its worker processes.

Every worker waits on the one listening socket. Linux wakes the worker that waited last, and an
event loop accepts every pending connection at once, so the two connections of an integration
posting two batches at a time nearly always landed on the same worker: one core did all the
intake while the other idled (measured: 1,800-2,600 events/s with one worker busy, 4,100 when
the two connections happened to be split).

Workers therefore take connections least-connections first: a worker that already holds open
connections waits a few milliseconds, longer the more it holds, before it accepts, so an idle
worker takes the connection; if none does, the busy worker takes it after its pause. An idle
worker accepts one connection a wake (so it does not take a whole burst); a busy one, after its
pause, takes all that are waiting (a burst waits one pause, not one per connection). Only
``serve`` with more than one worker uses this loop.

Each worker also tunes the garbage collector once the app is built (``tune_garbage_collector``).
bench/engine.py runs the engine under the same settings, as serve runs it.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Callable
from typing import Any

PAUSE_PER_CONNECTION = 0.005  # seconds a worker defers an accept for each connection it holds
LONGEST_PAUSE = 0.05  # a connection never waits longer than this for a busy worker
# asyncio's own accept (not in typeshed: a private method of the selector loop)
_ACCEPT: Callable[..., None] = asyncio.SelectorEventLoop._accept_connection  # type: ignore[attr-defined]


class BalancedLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop with a least-connections accept (see the module docstring).

    Overrides ``_accept_connection``, the callback asyncio runs when the listening socket is
    readable (CPython 3.11-3.13 share its signature); the rest of the loop is asyncio's own.
    """

    def _accept_connection(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *timeouts: Any,
    ) -> None:
        held = _open_connections(server)
        args = (protocol_factory, sock, sslcontext, server, backlog, *timeouts)
        if not held:
            _ACCEPT(self, protocol_factory, sock, sslcontext, server, 1, *timeouts)
            return
        # Stop watching the socket (it stays readable) and look again after the pause.
        self._remove_reader(sock.fileno())  # type: ignore[attr-defined]
        pause = min(held * PAUSE_PER_CONNECTION, LONGEST_PAUSE)
        self.call_later(pause, self._accept_after_pause, args)

    def _accept_after_pause(self, args: tuple[Any, ...]) -> None:
        server = args[3]
        if server is not None and not server.is_serving():
            return  # shut down meanwhile: the socket is closed
        # What no idle worker took, this one does (nothing when another worker accepted it).
        _ACCEPT(self, *args)
        self._start_serving(*args)  # type: ignore[attr-defined]


def _open_connections(server: Any) -> int:
    count = getattr(server, "_active_count", 0)  # asyncio.Server's attached transports
    return count if isinstance(count, int) else 0


# Generation-0 collections per this many net allocations (CPython's default is 700).
GC_GENERATION0 = 50_000


def tune_garbage_collector() -> None:
    """A 1,000-event batch allocates about a million short-lived objects (rows, values,
    answers): with the default threshold the collector ran ~140 times per batch, each pass
    walking the rows still in use, for 19% of the batch's time (in-process profile of 7
    batches: 5.6 s, 1.1 s of it collecting). What start-up built (the app, routes, schemas,
    rule tables) lives forever: frozen, it is never scanned again. Reference counting still
    frees almost everything at once; only cycles wait for the rarer passes."""
    gc.freeze()
    gc.set_threshold(GC_GENERATION0, 20, 20)
