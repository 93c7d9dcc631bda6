"""A read by id stays on the event loop: nothing of it is handed to a worker thread, whose hop
(a queue, a wake-up, the GIL passed back and forth) would cost more than the work itself."""

from __future__ import annotations

import asyncio
from asyncio import Future
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

import pytest

from app.artifacts.repository import to_document
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.registry import running_registry

T = TypeVar("T")


async def test_reads_by_id_use_no_worker_thread(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = mongo.connect(settings.mongo_url or "")
    try:
        await client[settings.mongo_database]["artifacts"].insert_one(
            to_document(artifact("7", "acme/threadless"))
        )
    finally:
        await client.close()
    async with running_registry(settings, worker=False) as registry:
        loop = asyncio.get_running_loop()
        handed: list[str] = []
        to_executor = loop.run_in_executor

        def counted(executor: Executor | None, fn: Callable[..., T], *args: Any) -> Future[T]:  # noqa: ANN401
            handed.append(getattr(fn, "__qualname__", repr(fn)))
            return to_executor(executor, fn, *args)

        monkeypatch.setattr(loop, "run_in_executor", counted)
        for _ in range(3):
            data = await registry.gql('{ artifact(id: "7") { id name type license } }')
            rest = await registry.client.get("/artifacts/model/7")
        monkeypatch.undo()
    assert data["artifact"]["name"] == "threadless"
    assert rest.status_code == 200, rest.text
    assert handed == []
