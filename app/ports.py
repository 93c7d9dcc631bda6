"""Protocols the core owns. Adapters in ``app.storage``, ``app.queue`` and ``app.events``
implement them; only ``app.resources`` picks the concrete classes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class JobName(StrEnum):
    """Names both sides of the queue agree on; the worker registers a function per name."""

    INGEST = "ingest"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    key: str
    size: int
    sha256: str


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, *, content_type: str) -> StoredBlob: ...

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,
        expect_sha256: str | None = None,
    ) -> StoredBlob:
        """Store what ``chunks`` yields, never holding it all in memory. The blob appears
        whole or not at all: if ``chunks`` raises, nothing is stored and the error propagates;
        with ``expect_sha256``, content hashing to anything else is not stored either
        (``ContentMismatchError``)."""
        ...

    async def get(self, key: str) -> bytes:
        """Raises ``NotFoundError`` when the key does not exist."""
        ...

    def read_stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive; None: the end) of a blob, in chunks. Raises
        ``NotFoundError`` when the key does not exist."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int:
        """Raises ``NotFoundError`` when the key does not exist."""
        ...

    async def delete(self, key: str) -> None:
        """Deleting a missing key is not an error."""
        ...

    async def discard_partial(self, older_than_seconds: float) -> int:
        """Remove what streamed writes left unfinished (a worker killed mid-upload) and older
        than that; how many."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every blob whose key starts with ``prefix``; how many were deleted."""
        ...

    async def download_url(self, key: str, *, filename: str, ttl_seconds: int) -> str:
        """A URL anyone holding it can GET the blob from until it expires."""
        ...

    async def ping(self) -> None: ...


class JobQueue(Protocol):
    async def enqueue(self, name: JobName, *args: str, job_id: str) -> bool:
        """Queue a job; ``job_id`` makes it idempotent. False if that id is already queued."""
        ...

    async def clear(self) -> int:
        """Drop every job still waiting; returns how many. Running jobs finish."""
        ...

    async def depth(self) -> int:
        """Jobs in the queue: waiting, deferred for a retry, or running (arq keeps a job in
        its queue until it ends)."""
        ...

    async def snapshot(self) -> QueueSnapshot: ...

    async def release(self, job_id: str) -> bool:
        """Forget that a worker took the job, so that the next free worker takes it again
        (its worker is gone). False if no worker held it."""
        ...

    async def ping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """What the queue holds at one moment."""

    #: Every job it holds, waiting or being run.
    held: frozenset[str]
    #: The jobs a worker has taken, with how many seconds ago it took each.
    taken: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """What a live worker says about itself on each heartbeat."""

    worker_id: str
    host: str
    pid: int
    started_at: float  # Unix time
    running: frozenset[str] = frozenset()


class WorkerRegistry(Protocol):
    """The live workers of one queue: each beats again before its last beat expires."""

    async def beat(self, beat: WorkerBeat) -> None: ...

    async def retire(self, worker_id: str) -> None:
        """A worker that stops cleanly leaves at once, not when its last beat expires."""
        ...

    async def live(self) -> list[WorkerBeat]: ...

    async def take_turn(self, worker_id: str) -> bool:
        """True for one worker per heartbeat interval: the one whose turn it is to
        reconcile the queue with the job documents."""
        ...


Event = Mapping[str, Any]


class Subscription(Protocol):
    async def get(self, wait_seconds: float) -> Event | None:
        """The next event, or None when none arrived within ``wait_seconds`` seconds."""
        ...


class EventBus(Protocol):
    async def publish(self, channel: str, event: Event) -> None: ...

    async def publish_many(self, events: Sequence[tuple[str, Event]]) -> None:
        """Publish (channel, event) pairs in order, in one round trip."""
        ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """The subscription is live once the context is entered, so a caller can subscribe,
        then read the current state, and miss nothing in between."""
        ...

    async def ping(self) -> None: ...
