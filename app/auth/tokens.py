"""Checking a token on every request without writing to the document store.

A token's uses are counted in Redis, one atomic ``INCR`` per request, so the 1 000-use limit
holds exactly whatever the number of API processes; the document store's count catches up in
batches and only seeds Redis's counter when Redis has lost it. Who a token acts for is cached
per process, and kept coherent across processes by *epochs* in Redis, read in the same round
trip as the use is spent: deleting a user or changing what it may do bumps its epoch, a reset
bumps the global one, and a revoked token's counter is set past the limit. A cached principal
whose epochs no longer match is read again from the document store, so the next request in
any process sees a revoke, a deletion or a reset - no message has to arrive first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.auth.entities import Principal
from app.freshness import note_version, version_key

log = logging.getLogger(__name__)

#: Entries kept per process (least recently used dropped first) and how long one is trusted
#: before it is read again even with unchanged epochs (a guard against edits made to the
#: store by hand, which bump nothing).
CACHE_ENTRIES = 10_000
CACHE_SECONDS = 60.0
#: How often a process writes the counts it spent back to the document store.
FLUSH_SECONDS = 5.0
#: A revoked token's counter: past any limit, for as long as the token could have lived.
_REVOKED = 1 << 60

# KEYS: uses counter, user epoch, global epoch, data version (``app.freshness``). ARGV: the
# stored count, seconds the token has left, and whether to seed a missing counter with that
# count ("1") or report it missing (the caller then reads the stored count afresh). Returns
# the count after this use (-1: missing), both epochs and the data version.
_SPEND = """
local version = redis.call('GET', KEYS[4]) or '0'
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[3] ~= '1' then return {-1, '0', '0', version} end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
local used = redis.call('INCR', KEYS[1])
return {used, redis.call('GET', KEYS[2]) or '0', redis.call('GET', KEYS[3]) or '0', version}
"""


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What the document store says a token is, with the epochs it was read under."""

    principal: Principal
    principal_uses: int  # the token's limit
    expires_at: datetime
    stored_uses: int  # spent, as the document store last heard
    user_epoch: str
    global_epoch: str
    read_at: float


class TokenLedger:
    """Token uses and auth epochs in Redis, under this deployment's namespace."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._ns = f"{namespace}:auth"
        self._version_key = version_key(namespace)
        self._spend = redis.register_script(_SPEND)

    def _uses_key(self, digest: str) -> str:
        return f"{self._ns}:uses:{digest}"

    def _user_key(self, user: str) -> str:
        return f"{self._ns}:epoch:user:{user}"

    @property
    def _global_key(self) -> str:
        return f"{self._ns}:epoch:all"

    async def epochs(self, user: str) -> tuple[str, str]:
        user_epoch, global_epoch = await self._redis.mget(self._user_key(user), self._global_key)
        return _text(user_epoch), _text(global_epoch)

    async def spend(
        self, digest: str, user: str, *, stored_uses: int, ttl_seconds: int, seed: bool
    ) -> tuple[int, str, str]:
        """One use of the token: the count after it (-1 if Redis has no count and ``seed`` is
        false), and the user's and global epochs. Notes the data version for this request."""
        used, user_epoch, global_epoch, version = await self._spend(
            keys=[
                self._uses_key(digest),
                self._user_key(user),
                self._global_key,
                self._version_key,
            ],
            args=[stored_uses, max(ttl_seconds, 1), "1" if seed else "0"],
        )
        note_version(_text(version))
        return int(used), _text(user_epoch), _text(global_epoch)

    async def counts(self, digests: list[str]) -> dict[str, int]:
        values = await self._redis.mget([self._uses_key(d) for d in digests])
        return {d: int(v) for d, v in zip(digests, values, strict=True) if v is not None}

    async def revoke(self, digest: str, ttl_seconds: int) -> None:
        await self._redis.set(self._uses_key(digest), _REVOKED, ex=max(ttl_seconds, 1))

    async def user_changed(self, user: str) -> None:
        await self._redis.incr(self._user_key(user))

    async def everyone_changed(self) -> None:
        await self._redis.incr(self._global_key)


class GrantCache:
    """Grants by token digest: bounded, least recently used dropped first. Requests that
    miss on the same token at once share one read (a burst with a new token is one read,
    not a read per request)."""

    def __init__(self, entries: int = CACHE_ENTRIES, seconds: float = CACHE_SECONDS) -> None:
        self._grants: OrderedDict[str, TokenGrant] = OrderedDict()
        self._reading: dict[str, asyncio.Future[TokenGrant]] = {}
        self._entries = entries
        self._seconds = seconds

    async def read_once(self, digest: str, read: Callable[[], Awaitable[TokenGrant]]) -> TokenGrant:
        """``read()``'s grant, cached; joined by every concurrent caller for ``digest``."""
        pending = self._reading.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[TokenGrant] = asyncio.get_running_loop().create_future()
        self._reading[digest] = future
        try:
            grant = await read()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            del self._reading[digest]
        self.put(digest, grant)
        future.set_result(grant)
        return grant

    def get(self, digest: str) -> TokenGrant | None:
        grant = self._grants.get(digest)
        if grant is None:
            return None
        if time.monotonic() - grant.read_at > self._seconds:
            del self._grants[digest]
            return None
        self._grants.move_to_end(digest)
        return grant

    def put(self, digest: str, grant: TokenGrant) -> None:
        self._grants[digest] = grant
        self._grants.move_to_end(digest)
        while len(self._grants) > self._entries:
            self._grants.popitem(last=False)

    def drop(self, digest: str) -> None:
        self._grants.pop(digest, None)

    def clear(self) -> None:
        self._grants.clear()


class UseFlusher:
    """Writes the counts this process spent back to the document store, at most every
    ``FLUSH_SECONDS``, in one batch, in the background of the request that notices."""

    def __init__(self, ledger: TokenLedger, store: UseStore) -> None:
        self._ledger = ledger
        self._store = store
        self._dirty: set[str] = set()
        self._flushed_at = time.monotonic()
        self._running: asyncio.Task[None] | None = None

    def spent(self, digest: str) -> None:
        self._dirty.add(digest)
        due = time.monotonic() - self._flushed_at >= FLUSH_SECONDS
        if due and (self._running is None or self._running.done()):
            self._flushed_at = time.monotonic()
            self._running = asyncio.create_task(self.flush())

    async def flush(self) -> None:
        digests, self._dirty = list(self._dirty), set()
        if not digests:
            return
        try:
            counts = await self._ledger.counts(digests)
            await self._store.record_uses({d: n for d, n in counts.items() if n < _REVOKED})
        except (RedisError, OSError, RuntimeError) as exc:
            # The count in Redis stays authoritative; only the copy is late.
            log.warning("token use counts not written back yet: %s", exc)
            self._dirty.update(digests)
        except Exception:
            log.exception("token use counts not written back")
            self._dirty.update(digests)

    async def close(self) -> None:
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running


class UseStore(Protocol):
    """Where the counts are kept durably (the auth repository)."""

    async def record_uses(self, counts: dict[str, int]) -> None: ...


def _text(value: bytes | str | None) -> str:
    if value is None:
        return "0"
    return value.decode() if isinstance(value, bytes) else value
