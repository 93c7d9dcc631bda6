"""Subscriptions from a browser: no browser can set headers on a WebSocket upgrade, so the
token travels in the graphql-transport-ws `connection_init` payload, as GraphiQL sends it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from httpx_ws import AsyncWebSocketSession, aconnect_ws

from app.auth.entities import DEFAULT_ADMIN
from app.settings import Settings
from tests.support.registry import Registry, running_registry

WHISPER = "https://huggingface.co/openai/whisper-tiny"
INGEST = """mutation($url: String!) { ingest(input: {url: $url, type: MODEL}) { job { id } } }"""
PROGRESS = "subscription($id: ID!) { ingestProgress(jobId: $id) { state } }"


async def _subscribe(
    registry: Registry, init: dict[str, Any] | None, query: str, **variables: str
) -> list[dict[str, Any]]:
    """Every message after the ack, over a socket whose upgrade carries no token."""
    received: list[dict[str, Any]] = []
    ws: AsyncWebSocketSession
    async with aconnect_ws(
        "/graphql",
        registry.client,
        subprotocols=["graphql-transport-ws"],
        headers={"Authorization": ""},  # what a browser sends: nothing
    ) as ws:
        await ws.send_json({"type": "connection_init", **({"payload": init} if init else {})})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {"type": "subscribe", "id": "1", "payload": {"query": query, "variables": variables}}
        )
        async with asyncio.timeout(30):
            while True:
                message = await ws.receive_json()
                received.append(message)
                if message["type"] in {"complete", "error"}:
                    return received


@pytest.mark.parametrize(
    "init",
    [
        {"Authorization": "Bearer {token}"},
        {"authorization": "bearer {token}"},
        {"X-Authorization": "bearer {token}"},
        {"Authorization": "{token}"},
    ],
    ids=["Authorization Bearer", "lower-case", "X-Authorization", "bare token"],
)
async def test_a_token_in_connection_init_opens_a_subscription(
    settings: Settings, init: dict[str, str]
) -> None:
    async with running_registry(settings) as registry:
        token = await registry.services.auth.issue_token(DEFAULT_ADMIN)
        job = (await registry.gql(INGEST, url=WHISPER))["ingest"]["job"]["id"]
        payload = {k: v.format(token=token) for k, v in init.items()}
        messages = await _subscribe(registry, payload, PROGRESS, id=job)
    states = [m["payload"]["data"]["ingestProgress"]["state"] for m in messages[:-1]]
    assert messages[-1]["type"] == "complete"
    assert states[-1] == "DONE"


@pytest.mark.parametrize("init", [None, {"Authorization": "Bearer not-a-token"}])
async def test_a_subscription_without_a_valid_token_is_refused_in_the_protocol(
    settings: Settings, init: dict[str, str] | None
) -> None:
    async with running_registry(settings, worker=False) as registry:
        messages = await _subscribe(registry, init, PROGRESS, id="any")
    assert [m["type"] for m in messages] == ["error"]
    assert messages[0]["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_following_an_unknown_job_says_so_with_a_code(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        token = await registry.services.auth.issue_token(DEFAULT_ADMIN)
        messages = await _subscribe(
            registry, {"Authorization": f"bearer {token}"}, PROGRESS, id="no-such-job"
        )
    errors = [m for m in messages if m["type"] in {"next", "error"}]
    payload = errors[0]["payload"]
    error = payload["errors"][0] if isinstance(payload, dict) else payload[0]
    assert error["extensions"]["code"] == "not_found", messages
    assert "no-such-job" in error["message"]
