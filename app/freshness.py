"""How a request knows whether what a process cached of the stored artifacts is current.

Every write to an artifact document sets the registry's *data version* in Redis to a new
random value. The token check reads it in the round trip it makes anyway
(``app.auth.tokens``) and notes it for the rest of the request; a process's cached artifact
is served only when it was read under that same version. So a change made in any process is
seen by the next request in every other, and a read costs the document store nothing while
nothing changes. Work that checked no token (the worker, a subscription's later events) has
no version noted and always reads the store.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

from redis.asyncio import Redis

_SEEN: ContextVar[str | None] = ContextVar("data_version_seen", default=None)


def version_key(namespace: str) -> str:
    return f"{namespace}:data:version"


def note_version(version: str | None) -> None:
    """The data version this request checked (None: none, read the store)."""
    _SEEN.set(version)


def seen_version() -> str | None:
    return _SEEN.get()


class DataVersion:
    """The writing side: a new version after every change to stored artifacts."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._key = version_key(namespace)

    async def changed(self) -> None:
        # random, not a counter: a value lost with Redis's data can never come back
        await self._redis.set(self._key, secrets.token_hex(8))
