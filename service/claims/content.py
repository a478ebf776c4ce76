"""A batch's released 837P, stored and read back in ordered parts (``claim_batch_parts``).

The file is never one string: the batch writes it page by page, each page's text is hashed and
stored as it is written and then let go, and the download streams the parts back in order. So
the API's memory does not follow the batch size, and every download is the same bytes, whose
SHA-256 is the batch's ``content_sha256`` (its ETag).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service import models as orm

PART_CHARS = 256 * 1024  # a row per page or so: few rows, none large


class PartWriter:
    """``await add(text)`` in file order, then ``await close()`` for the SHA-256 of the whole."""

    def __init__(self, session: AsyncSession, batch_id: str) -> None:
        self._session = session
        self._batch_id = batch_id
        self._digest = hashlib.sha256()
        self._pending: list[str] = []
        self._size = 0
        self._seq = 0

    async def add(self, text: str) -> None:
        # ASCII only, as before: a character outside it fails the batch here, not the download.
        self._digest.update(text.encode("ascii"))
        self._pending.append(text)
        self._size += len(text)
        if self._size >= PART_CHARS:
            await self._store()

    async def close(self) -> str:
        await self._store()
        return self._digest.hexdigest()

    async def _store(self) -> None:
        if not self._pending:
            return
        content = "".join(self._pending)
        self._pending, self._size = [], 0
        await self._session.execute(
            insert(orm.ClaimBatchPart),
            [{"batch_id": self._batch_id, "seq": self._seq, "content": content}],
        )
        self._seq += 1


async def content_length(session: AsyncSession, batch_id: str) -> int:
    """Bytes of the stored file (ASCII: one byte a character), for Content-Length."""
    part = orm.ClaimBatchPart
    stmt = select(func.coalesce(func.sum(func.length(part.content)), 0)).where(
        part.batch_id == batch_id
    )
    return int((await session.execute(stmt)).scalar_one())


async def stream_content(
    factory: async_sessionmaker[AsyncSession], batch_id: str
) -> AsyncIterator[bytes]:
    """The stored parts in order, one at a time. Its own session: the response body is sent
    after the request's session has closed. Parts are written once and never changed, so
    reading them outside the request's transaction gives the same bytes."""
    part = orm.ClaimBatchPart
    stmt = select(part.content).where(part.batch_id == batch_id).order_by(part.seq)
    async with factory() as session:
        # A reader (DEFERRED on SQLite): holding the write lock while the body waits to be sent
        # kept the audit entry of the download waiting 30 s, then lost it.
        await session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        async for content in await session.stream_scalars(stmt):
            yield content.encode("ascii")
