"""Progress events over Redis pub/sub, so every API process sees what any worker publishes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from app.ports import Event


class RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def get(self, wait_seconds: float) -> Event | None:
        deadline = time.monotonic() + wait_seconds
        while (left := deadline - time.monotonic()) > 0:
            # Subscribe confirmations come through here too: skip them, keep waiting.
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                event = json.loads(message["data"])
                return event if isinstance(event, dict) else None
        return None


class RedisEventBus:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, channel: str, event: Event) -> None:
        await self._redis.publish(channel, json.dumps(dict(event), default=str))

    async def publish_many(self, events: Sequence[tuple[str, Event]]) -> None:
        if len(events) == 1:  # a pipeline would only add its own cost
            await self.publish(*events[0])
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel, event in events:
                pipe.publish(channel, json.dumps(dict(event), default=str))
            await pipe.execute()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[RedisSubscription]:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(channel)
            yield RedisSubscription(pubsub)
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def ping(self) -> None:
        await self._redis.ping()
