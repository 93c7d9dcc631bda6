"""A read by id stays on the event loop: nothing of it is handed to a worker thread, whose hop
(a queue, a wake-up, the GIL passed back and forth) would cost more than the work itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from app.artifacts.repository import to_document
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.registry import running_registry


class _CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted: list[str] = []

    def submit(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,  # noqa: ANN401
        **kwargs: Any,  # noqa: ANN401
    ) -> Future[Any]:
        self.submitted.append(getattr(fn, "__qualname__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


async def test_reads_by_id_use_no_worker_thread(settings: Settings) -> None:
    client = mongo.connect(settings.mongo_url or "")
    try:
        await client[settings.mongo_database]["artifacts"].insert_one(
            to_document(artifact("7", "acme/threadless"))
        )
    finally:
        await client.close()
    async with running_registry(settings, worker=False) as registry:
        loop = asyncio.get_running_loop()
        counting = _CountingExecutor()
        loop.set_default_executor(counting)
        try:
            for _ in range(3):
                data = await registry.gql('{ artifact(id: "7") { id name type license } }')
                rest = await registry.client.get("/artifacts/model/7")
        finally:
            counting.shutdown()
    assert data["artifact"]["name"] == "threadless"
    assert rest.status_code == 200, rest.text
    assert counting.submitted == []
