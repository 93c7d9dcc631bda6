"""Login attempts per client address, and per user name from each address, limited in Redis.

The user name's bucket is kept per address: one kept for the name alone would let anyone who
sends a wrong password every few seconds lock the account (the default admin included) out
for everybody. Guessing one account from many addresses is bounded per address, and the
hashing pool bounds the work all of them can cause.

Each key is a GCRA bucket (the token bucket kept as one timestamp, the "theoretical arrival
time"): ``limit`` attempts may come at once, then one per ``window / limit``. The buckets
live in Redis so every API process of a deployment counts the same attempts, and Redis's own
clock is used so that processes on different hosts agree. Both buckets of an attempt are
checked and taken in one script: an attempt refused by one bucket takes nothing from the
other."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.auth.errors import LoginThrottledError

log = logging.getLogger(__name__)

#: Past this, a login goes ahead unthrottled (see ``LoginThrottle.acquire``).
REDIS_DEADLINE_SECONDS = 1.0

# KEYS: the buckets. ARGV: per bucket, the milliseconds one attempt costs and the window.
# Returns 0 when admitted (every bucket taken), else the milliseconds until it would be.
_ACQUIRE = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local wait = 0
local next = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local tat = math.max(tonumber(redis.call('GET', key) or now), now)
  next[i] = tat + cost
  wait = math.max(wait, next[i] - window - now)
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, next[i], 'PX', next[i] - now)
end
return 0
"""

# Gives back the attempt ``_ACQUIRE`` took from each bucket.
_REFUND = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key))
  if tat then
    local back = tat - tonumber(ARGV[i])
    if back > now then
      redis.call('SET', key, back, 'PX', back - now)
    else
      redis.call('DEL', key)
    end
  end
end
return 0
"""


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_user: int
    per_client: int
    window_seconds: float


class LoginThrottle:
    def __init__(self, redis: Redis, namespace: str, limits: LoginLimits) -> None:
        self._redis = redis
        self._namespace = namespace
        self._limits = limits
        self._acquire = redis.register_script(_ACQUIRE)
        self._refund = redis.register_script(_REFUND)

    async def acquire(self, client: str, user: str) -> None:
        """Take one attempt from the client's and the user name's buckets, or raise
        :class:`LoginThrottledError` with how long to wait.

        If Redis does not answer in time the attempt goes ahead: the hashing pool is bounded
        on its own, so an outage of the limiter costs at most that pool's capacity, while
        failing closed would lock every user out for as long as Redis is away."""
        keys, costs = self._buckets(client, user)
        args = [v for cost in costs for v in (cost, self._window_ms)]
        try:
            async with asyncio.timeout(REDIS_DEADLINE_SECONDS):
                wait_ms = int(await self._acquire(keys=keys, args=args))
        except (RedisError, TimeoutError) as exc:
            log.warning("login throttle unavailable, attempt not limited: %r", exc)
            return
        if wait_ms > 0:
            raise LoginThrottledError(
                "too many login attempts; try again later", retry_after=math.ceil(wait_ms / 1000)
            )

    async def refund(self, client: str, user: str) -> None:
        """Give back an attempt that :meth:`acquire` took (for a successful login)."""
        keys, costs = self._buckets(client, user)
        try:
            async with asyncio.timeout(REDIS_DEADLINE_SECONDS):
                await self._refund(keys=keys, args=costs)
        except (RedisError, TimeoutError) as exc:
            log.warning("login throttle unavailable, attempt not refunded: %r", exc)

    @property
    def _window_ms(self) -> int:
        return round(self._limits.window_seconds * 1000)

    def _buckets(self, client: str, user: str) -> tuple[list[str], list[int]]:
        # Names are hashed: a client picks them, and they must not pick the key's length.
        name = hashlib.sha256(f"{client}\n{user}".encode()).hexdigest()[:32]
        keys = [f"{self._namespace}:login:client:{client}", f"{self._namespace}:login:user:{name}"]
        # Rounded down, so that ``limit`` attempts at once always fit in the window.
        costs = [
            max(1, self._window_ms // self._limits.per_client),
            max(1, self._window_ms // self._limits.per_user),
        ]
        return keys, costs
