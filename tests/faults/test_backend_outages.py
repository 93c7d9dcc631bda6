"""Backends that stall or die under a running registry: clients get 503 with Retry-After
(REST) or UNAVAILABLE (GraphQL) within the backends' deadline, never a 500 or a hang, and
the registry serves again once the backend is back.

Each test runs its own backend server, so stopping it disturbs nothing else. Waits are
bounded by a generous multiple of the deadline: a hang fails the test, a slow answer does not.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from redis.asyncio import Redis

from app.events import RedisEventBus
from app.resources import open_resources
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, isolated_settings, running_registry
from tests.support.servers import mongo_server, redis_server

DEADLINE = 1.0
#: Far beyond the deadline, far below "the whole stall": reached only by a hang.
BOUND = 15 * DEADLINE
BERT = "https://huggingface.co/google-bert/bert-base-uncased"


def on_servers(mongo_url: str, redis_url: str, hub: FakeHub, tmp_path: Path) -> Settings:
    settings = isolated_settings(mongo_url, redis_url, hub.url, tmp_path / "data")
    # create_wait_seconds: an answer within BOUND proves a failed watch, not a wait run out
    return settings.model_copy(
        update={"backend_timeout_seconds": DEADLINE, "create_wait_seconds": 2 * BOUND}
    )


@contextmanager
def paused(pid: int) -> Iterator[None]:
    """The process stops answering, its sockets stay open: a stall, not a crash."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def redis_pid(url: str) -> int:
    client = Redis.from_url(url)
    try:
        info = await client.info("server")
    finally:
        await client.aclose()
    return int(info["process_id"])


@asynccontextmanager
async def registry_on_own_redis(
    mongo_url: str, hub: FakeHub, tmp_path: Path, **redis_user: str
) -> AsyncIterator[tuple[Registry, str]]:
    with redis_server(tmp_path / "redis") as server_url:
        url = await _limited_user(server_url, **redis_user) if redis_user else server_url
        settings = on_servers(mongo_url, url, hub, tmp_path)
        async with running_registry(settings, worker=False) as registry:
            yield registry, url


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["code"] == "backend_unavailable"


async def test_a_stalled_document_store_answers_503_within_the_deadline(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    with mongo_server(tmp_path / "nx") as mongo_url:
        pid = int((tmp_path / "nx" / "nx.pid").read_text())
        async with running_registry(
            on_servers(mongo_url, redis_url, hub, tmp_path), worker=False
        ) as registry:
            with paused(pid):
                async with asyncio.timeout(BOUND):
                    rest = await registry.client.get("/artifacts/model/1")
                    graphql = await registry.execute(queries.ARTIFACT, id="1")
            async with asyncio.timeout(BOUND):
                after = await registry.client.get("/artifacts/model/1")
    assert_unavailable(rest)
    assert graphql["errors"][0]["extensions"]["code"] == "UNAVAILABLE", graphql
    assert "Unexpected error" not in graphql["errors"][0]["message"]
    assert after.status_code == 404  # back in service: no such artifact, as before


async def test_a_stalled_redis_answers_503_within_the_deadline(
    mongo_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    async with registry_on_own_redis(mongo_url, hub, tmp_path) as (registry, url):
        with paused(await redis_pid(url)):
            async with asyncio.timeout(BOUND):
                rest = await registry.client.post("/artifact/model", json={"url": BERT})
                graphql = await registry.execute(queries.INGEST, url=BERT, type="MODEL")
    assert_unavailable(rest)
    # Tokens are checked in Redis: the request stops at the check, as unavailable.
    assert graphql["errors"][0]["extensions"]["code"] == "UNAVAILABLE", graphql


async def test_with_redis_killed_ingests_are_unavailable_not_errors(
    mongo_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    async with registry_on_own_redis(mongo_url, hub, tmp_path) as (registry, url):
        queued = (await registry.gql(queries.INGEST, url=BERT, type="MODEL"))["ingest"]["job"]
        os.kill(await redis_pid(url), signal.SIGKILL)
        async with asyncio.timeout(BOUND):
            rest = await registry.client.post(
                "/artifact/model",
                json={"url": "https://huggingface.co/distilbert/distilbert-base-uncased"},
            )
            mutation = await registry.execute(
                queries.INGEST, url="https://github.com/google-research/bert", type="CODE"
            )
            progress = await _subscribe_once(registry, queued["id"])
    assert_unavailable(rest)
    # Tokens are checked in Redis: each request stops at the check, as unavailable.
    assert mutation["errors"][0]["extensions"]["code"] == "UNAVAILABLE", mutation
    assert progress["errors"][0]["extensions"]["code"] == "UNAVAILABLE", progress


async def test_an_accepted_create_answers_202_when_watching_it_fails(
    mongo_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    # A Redis user that may queue jobs but not subscribe: the ingest is accepted, and
    # watching it for the answer fails at once.
    async with registry_on_own_redis(
        mongo_url, hub, tmp_path, acl="+@all -subscribe -psubscribe"
    ) as (registry, _):
        async with asyncio.timeout(BOUND):
            response = await registry.client.post("/artifact/model", json={"url": BERT})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["name"] == "bert-base-uncased"
    assert body["type"] == "model"
    assert body["id"]


async def test_an_idle_subscription_outlives_the_socket_timeout(
    mongo_url: str, redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = on_servers(mongo_url, redis_url, hub, tmp_path).model_copy(
        update={"backend_timeout_seconds": 0.2}
    )
    async with open_resources(settings) as resources:
        events = resources.events
        assert isinstance(events, RedisEventBus)
        async with events.subscribe("idle-test") as subscription:
            for _ in range(4):  # each wait longer than the socket timeout
                assert await subscription.get(0.3) is None
            await events.publish("idle-test", {"n": 1})
            assert await subscription.get(5) == {"n": 1}


async def _subscribe_once(registry: Registry, job_id: str) -> dict[str, Any]:
    """The first message a progress subscription gets, whatever its type."""
    ws: AsyncWebSocketSession
    async with aconnect_ws(
        "/graphql", registry.client, subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "type": "subscribe",
                "id": "1",
                "payload": {"query": queries.PROGRESS, "variables": {"jobId": job_id}},
            }
        )
        message: dict[str, Any] = await ws.receive_json()
    payload = message.get("payload")
    return payload if isinstance(payload, dict) else {"errors": payload}


async def _limited_user(url: str, *, acl: str) -> str:
    """The URL of a new Redis user with the given command rules."""
    client = Redis.from_url(url)
    try:
        await client.execute_command("ACL", "SETUSER", "tmr", "on", ">secret", "~*", *acl.split())
    finally:
        await client.aclose()
    return url.replace("redis://", "redis://tmr:secret@")
