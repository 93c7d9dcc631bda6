"""The registry running in the test's own event loop: the ASGI app with its lifespan, an
in-process arq worker, and an HTTP + websocket client speaking to the app directly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from litestar import Litestar
from redis.asyncio import Redis

from app.asgi import create_app
from app.auth.entities import DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD, Permission
from app.freshness import DataVersion
from app.services import Services
from app.settings import Settings
from workers.settings import build_worker, stop_worker

PUBLIC_URL = "http://registry.test"


def isolated_settings(mongo_url: str, redis_url: str, hub_url: str, data_dir: Path) -> Settings:
    """Settings on shared test servers, in a database and queue of their own."""
    tag = uuid.uuid4().hex[:12]
    return Settings(
        mongo_url=mongo_url,
        mongo_database=f"test_{tag}",
        redis_url=redis_url,
        queue_name=f"tmr:test:{tag}",
        data_dir=data_dir,
        hf_endpoint=hub_url,
        github_api_url=hub_url,
        public_url=PUBLIC_URL,
        # External backends need the password set; tests log in with the published one.
        admin_password=PUBLISHED_ADMIN_PASSWORD,
        upstream_max_attempts=3,
        upstream_timeout_seconds=5,
        worker_max_tries=2,
        # Famous models' weights are not in the fixtures (the fake CDN serves filler that
        # cannot match their real checksums): copying is for the mirror tests, which set a cap.
        mirror_max_bytes=0,
        # Most tests are about the pipeline, not about whether a fixture passes the gate;
        # the gate's own tests turn it on.
        gate_enabled=False,
        # Scheduled rescore passes would re-rate fixtures behind a test's back; the
        # rescoring tests run passes themselves.
        rescore_interval=0,
    )


@dataclass
class Registry:
    app: Litestar
    client: httpx.AsyncClient
    settings: Settings

    @property
    def services(self) -> Services:
        return cast("Services", self.app.state.services)

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
        """The whole GraphQL response (data and errors)."""
        response = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        return body

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
        """The data of a GraphQL response that must have no errors."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def user_token(self, name: str, permissions: Iterable[Permission]) -> str:
        """A token of a new user holding ``permissions`` (created by the default admin)."""
        created = await self.gql(
            "mutation($n: String!, $p: [Permission!]!) { createUser(name: $n, "
            'password: "long-enough-1", permissions: $p) { error { __typename } } }',
            n=name,
            p=[p.name for p in permissions],
        )
        assert created["createUser"]["error"] is None, created
        return await self.services.auth.issue_token(name)

    async def subscribe(
        self,
        query: str,
        *,
        wait_seconds: float = 30.0,
        limit: int | None = None,
        **variables: Any,  # noqa: ANN401
    ) -> list[dict[str, Any]]:
        """Every `next` payload of a subscription, until the server completes it (or
        ``limit`` payloads have arrived)."""
        received: list[dict[str, Any]] = []
        ws: AsyncWebSocketSession
        async with aconnect_ws(
            "/graphql", self.client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init"})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {
                    "type": "subscribe",
                    "id": "1",
                    "payload": {"query": query, "variables": variables},
                }
            )
            async with asyncio.timeout(wait_seconds):
                while True:
                    message = await ws.receive_json()
                    if message["type"] == "complete":
                        return received
                    if message["type"] == "ping":
                        await ws.send_json({"type": "pong"})
                        continue
                    assert message["type"] == "next", json.dumps(message)
                    received.append(message["payload"])
                    if limit is not None and len(received) >= limit:
                        return received


@contextlib.asynccontextmanager
async def running_registry(settings: Settings, *, worker: bool = True) -> AsyncIterator[Registry]:
    app = create_app(settings)
    async with app.lifespan():
        worker_task: asyncio.Task[None] | None = None
        arq_worker = build_worker(settings, poll_delay=0.02) if worker else None
        if arq_worker is not None:
            worker_task = asyncio.create_task(arq_worker.async_run())
            async with asyncio.timeout(30):  # the worker has opened its backends
                while "services" not in arq_worker.ctx and not worker_task.done():  # noqa: ASYNC110 - arq offers no startup event
                    await asyncio.sleep(0.01)
        try:
            transport = ASGIWebSocketTransport(app=app)
            # Requests act as the default admin unless a test says otherwise.
            services = cast("Services", app.state.services)
            token = await services.auth.issue_token(DEFAULT_ADMIN)
            async with httpx.AsyncClient(
                transport=transport,
                base_url=PUBLIC_URL,
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                yield Registry(app=app, client=client, settings=settings)
        finally:
            if arq_worker is not None and worker_task is not None:
                await stop_worker(arq_worker, worker_task)


@contextlib.asynccontextmanager
async def registry_in_task(settings: Settings, *, worker: bool = True) -> AsyncIterator[Registry]:
    """``running_registry`` held open by a task of its own: for fixtures, whose setup and
    teardown may run in different tasks while the app's lifespan must enter and exit in one."""
    ready: asyncio.Future[Registry] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with running_registry(settings, worker=worker) as running:
                ready.set_result(running)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        stop.set()
        await task


async def new_data_version(settings: Settings) -> None:
    """A new data version, as every write through the services sets: what any process cached
    is no longer served (``app.freshness``). For tests that write behind the services' back."""
    redis = Redis.from_url(settings.redis_url or "")
    try:
        await DataVersion(redis, settings.queue_name).changed()
    finally:
        await redis.aclose()
