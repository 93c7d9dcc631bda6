"""The audit log's fast durable step: entries are appended to a Redis stream (kept on disk by
Redis's append-only file) in one round trip, and written to the document store later, in
batches and in order, by ``AuditService.drain`` (the worker runs it). Reads merge what is
still in the stream, so an entry shows in ``auditLog`` as soon as it is appended.

Positions come from a counter in Redis taken in the same script as the append, so the
stream's order is the log's order across processes. If Redis loses the counter, the append
says so instead of restarting it at 1, and the service raises it past the store's highest
position first (positions are never reused: cursors stay valid for ever)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

# KEYS: stream, counter. ARGV: one JSON document per entry. Appends each with its position;
# returns the first position, or -1 when the counter is missing (nothing appended).
_APPEND = """
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local last = redis.call('INCRBY', KEYS[2], #ARGV)
local first = last - #ARGV + 1
for i, doc in ipairs(ARGV) do
  redis.call('XADD', KEYS[1], '*', 'seq', first + i - 1, 'doc', doc)
end
return first
"""

# KEYS: counter. ARGV: a position. The counter is raised to at least it.
_RAISE = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry in the stream, not yet known to be in the document store."""

    stream_id: str
    seq: int
    doc: dict[str, Any]


class AuditJournal:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._stream = f"{namespace}:audit:journal"
        self._counter = f"{namespace}:audit:seq"
        self._append = redis.register_script(_APPEND)
        self._raise = redis.register_script(_RAISE)

    async def append(self, docs: list[dict[str, Any]]) -> int | None:
        """Append ``docs`` in order; the first one's position, or None when the counter has
        to be raised first (``raise_counter``)."""
        first = int(
            await self._append(
                keys=[self._stream, self._counter],
                args=[json.dumps(d, separators=(",", ":")) for d in docs],
            )
        )
        return None if first < 0 else first

    async def raise_counter(self, at_least: int) -> None:
        await self._raise(keys=[self._counter], args=[at_least])

    async def pending(self, limit: int) -> list[Pending]:
        """The oldest ``limit`` entries still in the stream, in order."""
        rows = await self._redis.xrange(self._stream, count=limit)
        return [_pending(stream_id, fields) for stream_id, fields in rows]

    async def remove(self, stream_ids: list[str]) -> None:
        if stream_ids:
            await self._redis.xdel(self._stream, *stream_ids)

    async def clear(self) -> None:
        await self._redis.delete(self._stream)


def _pending(stream_id: bytes | str, fields: dict[Any, Any]) -> Pending:
    def text(value: bytes | str) -> str:
        return value.decode() if isinstance(value, bytes) else value

    values = {text(k): text(v) for k, v in fields.items()}
    return Pending(text(stream_id), int(values["seq"]), json.loads(values["doc"]))
