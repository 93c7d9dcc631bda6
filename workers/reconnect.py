"""Waiting out a backend outage: which errors mean "unreachable", and how long to wait."""

from __future__ import annotations

import random

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: Redis gone, restarting (still loading its data) or unreachable; OSError covers refused
#: connections and socket timeouts that escape redis-py unwrapped.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
)
FIRST_WAIT_SECONDS = 0.2


class Backoff:
    """Waits that double from ``FIRST_WAIT_SECONDS`` up to ``cap``, each drawn from the upper
    half of its range, so that workers cut off together do not come back in step."""

    def __init__(self, cap: float) -> None:
        self.cap = cap
        self._failures = 0

    def next(self) -> float:
        ceiling = min(self.cap, FIRST_WAIT_SECONDS * 2**self._failures)
        self._failures = min(self._failures + 1, 32)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        self._failures = 0
