"""Password hashing (argon2id, 64 MiB per call) on a small pool of its own.

A verification takes a core and 64 MiB for a few hundred milliseconds. On the event loop's
default executor a burst of logins would take every thread that health checks, blob stores and
DNS lookups need, so hashing gets its own threads, and a bounded number of calls may wait for
them: past that bound a login is refused at once instead of queueing without end."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.errors import LoginsBusyError

#: How much lower than the process the hashing threads run (Linux nice increment).
HASHING_NICENESS = 10
#: What a refused caller is told to wait: about one verification.
BUSY_RETRY_AFTER_SECONDS = 1.0
#: Verified when the user does not exist, so that an unknown name costs what a known one does.
_DUMMY_PASSWORD = "not a password: only the work of a verification matters"  # noqa: S105
_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 defaults (64 MiB)

T = TypeVar("T")


class PasswordHashing:
    def __init__(self, workers: int, max_waiting: int) -> None:
        # Idle threads exit with the pool when its owner is collected (ThreadPoolExecutor
        # holds only a weak reference back), so no explicit shutdown is needed.
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="tmr-passwords", initializer=_yield_to_requests
        )
        self._capacity = workers + max_waiting
        self._admitted = 0
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(_HASHER.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``. With no stored hash (an unknown user) the
        same work is done against a dummy one, and the answer is False."""
        if stored is None:
            stored = await self.prepare()
            password = _DUMMY_PASSWORD + "!"  # never the dummy's own password
        return await self._run(_matches, stored, password)

    async def prepare(self) -> str:
        """The dummy hash; computed ahead (at startup) so no login pays for it."""
        if self._dummy is None:
            self._dummy = await self._run(_dummy_hash)
        return self._dummy

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        # Admission is counted on the event loop thread alone, so no lock is needed.
        if self._admitted >= self._capacity:
            raise LoginsBusyError(retry_after=BUSY_RETRY_AFTER_SECONDS)
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._admitted -= 1


def _yield_to_requests() -> None:
    # Runs in each hashing thread: a higher nice value (argon2's own lane threads inherit it)
    # lets the event loop's thread win the cores while logins are being checked.
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def _matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    # Once per process: a fresh salt per call would buy nothing.
    return _HASHER.hash(_DUMMY_PASSWORD)
