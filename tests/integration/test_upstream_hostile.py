"""A hub that turns hostile: redirects to loopback, to private addresses, to hosts of its
choosing, and answers too large to hold. The ingest fails with a clear reason, and nothing
connects where the hub pointed (a canary listener counts every connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, running_registry

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
INFO = "/api/models/google-bert/bert-base-uncased"
README = "/google-bert/bert-base-uncased/resolve/"


class Canary:
    """A plain TCP listener on another loopback port that records who connects."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def _seen(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    listener = Canary()
    server = await asyncio.start_server(listener._seen, "127.0.0.1", 0)
    listener.port = server.sockets[0].getsockname()[1]
    async with server:
        yield listener


async def ingest_outcome(registry: Registry) -> dict[str, Any]:
    payload = (await registry.gql(queries.INGEST, url=BERT, type="MODEL"))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(queries.PROGRESS, wait_seconds=60, jobId=payload["job"]["id"])
    final: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    assert final["state"] == "FAILED", final
    return final


@pytest.mark.parametrize("path", [INFO, README], ids=["model-info", "readme"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_redirect_to_loopback_fails_the_ingest_and_connects_nowhere(
    settings: Settings, hub: FakeHub, canary: Canary, path: str, host: str
) -> None:
    hub.inject_redirect(path, f"http://{host}:{canary.port}/steal", times=10)
    async with running_registry(settings) as registry:
        final = await ingest_outcome(registry)
    assert final["error"]["code"] == "upstream"
    assert "redirected to" in final["error"]["message"]
    assert "refused" in final["error"]["message"]
    assert final["artifact"] is None
    assert canary.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
        "https://10.0.0.1/admin",
        "https://[::1]:8443/",
        "file:///etc/passwd",
        "https://evil.example.com/",
    ],
)
async def test_a_redirect_off_the_allow_list_is_refused_with_its_reason(
    settings: Settings, hub: FakeHub, location: str
) -> None:
    hub.inject_redirect(INFO, location, times=10)
    async with running_registry(settings) as registry:
        final = await ingest_outcome(registry)
    assert final["error"]["code"] == "upstream"
    assert "refused" in final["error"]["message"]


async def test_a_redirect_within_the_hub_is_followed(settings: Settings, hub: FakeHub) -> None:
    hub.inject_redirect(INFO, f"{hub.url}{INFO}?blobs=true")
    async with running_registry(settings) as registry:
        payload = (await registry.gql(queries.INGEST, url=BERT, type="MODEL"))["ingest"]
        events = await registry.subscribe(
            queries.PROGRESS, wait_seconds=60, jobId=payload["job"]["id"]
        )
    assert events[-1]["data"]["ingestProgress"]["state"] == "DONE"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_oversized_answer_fails_the_ingest_with_its_reason(
    settings: Settings, hub: FakeHub, chunked: bool
) -> None:
    hub.inject_oversized(INFO, 3 * 1024 * 1024, chunked=chunked, times=10)
    async with running_registry(
        settings.model_copy(update={"upstream_max_body_mb": 1})
    ) as registry:
        final = await ingest_outcome(registry)
    assert final["error"]["code"] == "upstream"
    assert "more than 1 MB" in final["error"]["message"]
