"""The login throttle on a real Redis: buckets per client and per user name, refunds, and an
unreachable Redis letting logins through."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from app.auth.errors import LoginThrottledError
from app.auth.throttle import LoginLimits, LoginThrottle
from app.embedded import free_port

Throttle = Callable[[LoginLimits], LoginThrottle]


@pytest.fixture
async def throttle(redis_url: str) -> AsyncIterator[Throttle]:
    redis = Redis.from_url(redis_url)
    namespace = f"tmr:test:{uuid.uuid4().hex[:12]}"
    try:
        yield lambda limits: LoginThrottle(redis, namespace, limits)
    finally:
        await redis.aclose()


async def test_a_user_name_gets_its_limit_from_each_client(throttle: Throttle) -> None:
    limited = throttle(LoginLimits(per_user=3, per_client=100, window_seconds=60))
    for _ in range(3):
        await limited.acquire("10.0.0.1", "alice")
    with pytest.raises(LoginThrottledError) as refused:
        await limited.acquire("10.0.0.1", "alice")
    await limited.acquire("10.0.0.1", "bob")  # another name is not held back
    # One attempt comes back every window / limit: 20 s here.
    assert 1 <= refused.value.retry_after <= 20


async def test_a_flood_from_one_address_cannot_lock_an_account_out(throttle: Throttle) -> None:
    """Wrong passwords for the admin from one address leave the admin's own login alone."""
    limited = throttle(LoginLimits(per_user=3, per_client=100, window_seconds=60))
    for _ in range(3):
        await limited.acquire("10.0.0.66", "admin")
    with pytest.raises(LoginThrottledError):
        await limited.acquire("10.0.0.66", "admin")
    await limited.acquire("192.0.2.1", "admin")


async def test_a_client_gets_its_limit_whatever_the_user_name(throttle: Throttle) -> None:
    limited = throttle(LoginLimits(per_user=100, per_client=3, window_seconds=60))
    for name in ("a", "b", "c"):
        await limited.acquire("10.0.0.1", name)
    with pytest.raises(LoginThrottledError):
        await limited.acquire("10.0.0.1", "d")
    await limited.acquire("10.0.0.2", "d")


async def test_a_refused_attempt_takes_nothing_from_the_other_bucket(throttle: Throttle) -> None:
    limited = throttle(LoginLimits(per_user=1, per_client=2, window_seconds=60))
    await limited.acquire("10.0.0.1", "alice")
    with pytest.raises(LoginThrottledError):
        await limited.acquire("10.0.0.1", "alice")  # alice's bucket is empty
    await limited.acquire("10.0.0.1", "bob")  # so the client's second attempt is still there
    with pytest.raises(LoginThrottledError):
        await limited.acquire("10.0.0.1", "carol")


async def test_refunded_attempts_never_run_out(throttle: Throttle) -> None:
    limited = throttle(LoginLimits(per_user=2, per_client=2, window_seconds=60))
    for _ in range(20):
        await limited.acquire("10.0.0.1", "alice")
        await limited.refund("10.0.0.1", "alice")


async def test_attempts_come_back_as_the_window_passes(throttle: Throttle) -> None:
    limited = throttle(LoginLimits(per_user=2, per_client=100, window_seconds=0.4))
    await limited.acquire("10.0.0.1", "alice")
    await limited.acquire("10.0.0.1", "alice")
    with pytest.raises(LoginThrottledError):
        await limited.acquire("10.0.0.1", "alice")
    await asyncio.sleep(0.25)  # one attempt costs 0.2 s of the window
    await limited.acquire("10.0.0.1", "alice")


async def test_logins_go_ahead_when_redis_is_unreachable() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        limited = LoginThrottle(redis, "tmr:test:down", LoginLimits(1, 1, 60))
        async with asyncio.timeout(10):
            for _ in range(3):
                await limited.acquire("10.0.0.1", "alice")
                await limited.refund("10.0.0.1", "alice")
    finally:
        await redis.aclose()
