"""The EventBus contract on real Redis pub/sub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.events import RedisEventBus


@pytest.fixture
async def bus(redis_url: str) -> AsyncIterator[RedisEventBus]:
    redis = Redis.from_url(redis_url)
    try:
        yield RedisEventBus(redis)
    finally:
        await redis.aclose()


async def test_a_subscriber_receives_what_is_published_after_it_subscribed(
    bus: RedisEventBus,
) -> None:
    async with bus.subscribe("ingest:abc") as subscription:
        await bus.publish("ingest:abc", {"state": "FETCHING", "seq": 2})
        await bus.publish("ingest:other", {"state": "DONE"})
        await bus.publish("ingest:abc", {"state": "DONE", "seq": 3})
        first = await subscription.get(2.0)
        second = await subscription.get(2.0)
    assert first == {"state": "FETCHING", "seq": 2}
    assert second == {"state": "DONE", "seq": 3}


async def test_events_published_together_arrive_in_order(bus: RedisEventBus) -> None:
    async with bus.subscribe("ingest:abc") as mine, bus.subscribe("gate") as gate:
        await bus.publish_many(
            [
                ("ingest:abc", {"state": "GATED", "seq": 4}),
                ("ingest:abc", {"state": "STORING", "seq": 5}),
                ("gate", {"job_id": "abc", "passed": True}),
            ]
        )
        received = [await mine.get(2.0), await mine.get(2.0), await gate.get(2.0)]
    assert received == [
        {"state": "GATED", "seq": 4},
        {"state": "STORING", "seq": 5},
        {"job_id": "abc", "passed": True},
    ]


async def test_get_returns_none_when_nothing_arrives(bus: RedisEventBus) -> None:
    async with bus.subscribe("quiet") as subscription:
        assert await subscription.get(0.1) is None


async def test_ping(bus: RedisEventBus) -> None:
    await bus.ping()
