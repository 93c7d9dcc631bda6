"""Every root Query, Mutation and Subscription field, reached directly, by an alias, through an
inline fragment and through a named fragment, over HTTP and over a WebSocket, by callers with
no token, each single permission, and an admin: exactly the fields the policy below allows
run, the others are refused, and a refusal changes nothing.

The policy is written out here, not read from the code it checks: a root field missing from
it fails the test, and so does a field whose access changed without the test saying so."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx_ws import AsyncWebSocketSession, aconnect_ws

from app.auth.entities import DEFAULT_ADMIN, Permission
from app.settings import Settings
from app.storage import mongo
from tests.security.graphql_operations import PATHS, RootField, root_fields
from tests.support.registry import Registry, running_registry

pytestmark = pytest.mark.timeout(300)

SIGNED_IN = "any token"
PUBLIC = "no token"
POLICY: dict[str, Permission | str] = {
    "artifact": Permission.SEARCH,
    "artifacts": Permission.SEARCH,
    "lineage": Permission.SEARCH,
    "cost": Permission.SEARCH,
    "licenseCheck": Permission.SEARCH,
    "ingestJob": Permission.SEARCH,
    "auditLog": Permission.SEARCH,
    "users": Permission.ADMIN,
    "me": SIGNED_IN,
    "health": PUBLIC,
    "ingest": Permission.UPLOAD,
    "updateArtifact": Permission.UPLOAD,
    "deleteArtifact": Permission.UPLOAD,
    "reset": Permission.ADMIN,
    "verifyStoredFiles": Permission.ADMIN,
    "rescoreArtifact": Permission.ADMIN,
    "rescoreAll": Permission.ADMIN,
    "createUser": Permission.ADMIN,
    "authenticate": PUBLIC,
    "revokeToken": SIGNED_IN,
    "deleteUser": SIGNED_IN,
    "ingestProgress": Permission.SEARCH,
    "gateResults": Permission.SEARCH,
    "ratingChanged": Permission.SEARCH,
}
REFUSED = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
VICTIM = "victim"
WHISPER = "https://huggingface.co/openai/whisper-tiny"


@dataclass(frozen=True, slots=True)
class Caller:
    label: str
    permissions: frozenset[Permission] | None  # None: no token at all
    user: str | None = None

    def may(self, access: Permission | str) -> bool:
        if access == PUBLIC:
            return True
        if self.permissions is None:
            return False
        # the admin permission alone is reset and user management; an admin user has all
        return access == SIGNED_IN or access in self.permissions


CALLERS = (
    Caller("no token", None),
    *(Caller(p.value, frozenset({p}), f"only-{p.value}") for p in Permission),
    Caller("admin user", frozenset(Permission), DEFAULT_ADMIN),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    refused: bool
    executed: bool  # reached its resolver: no error before execution
    detail: str


@dataclass
class World:
    registry: Registry
    settings: Settings
    artifact_id: str
    victim_token: str
    tokens: dict[str, str]

    def values(self, *, harmful: bool) -> Callable[[str], str | None]:
        """Arguments that would do damage if a refused field ran anyway, or none at all for
        fields expected to run."""
        real = {
            "id": json.dumps(self.artifact_id),
            "artifactId": json.dumps(self.artifact_id),
            "url": json.dumps(WHISPER),
            "name": json.dumps(VICTIM),
            "token": json.dumps(self.victim_token),
            "password": json.dumps("long-enough-password"),
            "permissions": "[ADMIN]",
            "jobId": '"none"',
        }
        harmless = {"url": '"not a url"', "password": '"short"', "name": '"nobody"'}
        return (real if harmful else harmless).get


async def test_every_root_field_meets_its_permission_on_every_path(settings: Settings) -> None:
    fields = list(root_fields())
    assert {f.name for f in fields} == set(POLICY), "the policy above must list every root field"
    async with running_registry(settings) as registry:
        world = await _world(registry, settings)
        for caller in CALLERS:
            await _users_for(world, [caller])
            refused = [f for f in fields if not caller.may(POLICY[f.name])]
            before = await _state(world)
            for transport, path, field in _cases(refused):
                outcome = await _run(world, caller, field, path, transport, harmful=True)
                assert outcome.refused, (caller.label, field.name, path, transport)
            assert await _state(world) == before, f"a refusal changed the registry ({caller})"
            allowed = [f for f in fields if caller.may(POLICY[f.name])]
            allowed.sort(key=lambda f: f.name == "reset")  # reset empties the registry: last
            for transport, path, field in _cases(allowed):
                outcome = await _run(world, caller, field, path, transport, harmful=False)
                assert outcome.executed, (caller.label, field.name, path, transport)
                assert not outcome.refused, outcome.detail
                if field.name == "reset":
                    await _users_for(world, [caller])  # reset removed them


async def test_subscriptions_over_plain_http_are_refused_for_everyone(settings: Settings) -> None:
    subscriptions = [f for f in root_fields() if f.operation == "subscription"]
    assert subscriptions
    async with running_registry(settings, worker=False) as registry:
        for field in subscriptions:
            for path in PATHS:
                response = await registry.client.post(
                    "/graphql", json={"query": field.document(path, lambda _: None)}
                )
                assert response.status_code == 400, response.text
                assert "subscriptions are not allowed" in response.text


def _cases(fields: list[RootField]) -> list[tuple[str, str, RootField]]:
    """Every way to reach each field; subscriptions only over the WebSocket (plain HTTP
    refuses them for everyone: the test below)."""
    return [
        (transport, path, field)
        for transport in ("http", "websocket")
        for path in PATHS
        for field in fields
        if transport == "websocket" or field.operation != "subscription"
    ]


async def _world(registry: Registry, settings: Settings) -> World:
    created = await registry.client.post("/artifact/model", json={"url": WHISPER})
    assert created.status_code in {201, 202}, created.text
    artifact_id = created.json()["metadata"]["id"]
    async with asyncio.timeout(60):  # stored by the worker
        while await registry.services.artifacts.find(artifact_id) is None:  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.1)
    world = World(registry, settings, artifact_id, "", {})
    await _users_for(world, [Caller(VICTIM, frozenset({Permission.SEARCH}), VICTIM)])
    world.victim_token = world.tokens[VICTIM]
    return world


async def _users_for(world: World, callers: list[Caller]) -> None:
    auth = world.registry.services.auth
    for caller in callers:
        if caller.user is None:
            continue
        if caller.user != DEFAULT_ADMIN and caller.user not in {
            u.name for u in await auth._repo.list_users()
        }:
            body = await world.registry.gql(
                "mutation($n: String!, $p: [Permission!]!) { createUser(name: $n, "
                'password: "long-enough-1", permissions: $p) { error { __typename } } }',
                n=caller.user,
                p=[p.name for p in caller.permissions or ()],
            )
            assert body["createUser"]["error"] is None, body
        world.tokens[caller.user] = await auth.issue_token(caller.user)


async def _state(world: World) -> dict[str, Any]:
    """What a refused operation could have changed: every collection's documents (tokens'
    use counts aside), and the queue. The audit journal is drained first, so the log is read
    whole wherever its entries wait, and the worker's own drain cannot change it meanwhile."""
    while await world.registry.services.audit.drain():
        pass
    client = mongo.connect(world.settings.mongo_url or "")
    try:
        db = client[world.settings.mongo_database]
        state: dict[str, Any] = {}
        for name in sorted(await db.list_collection_names()):
            docs = [d async for d in db[name].find({}, {"uses_spent": 0, "uses": 0})]
            state[name] = sorted(json.dumps(d, default=str, sort_keys=True) for d in docs)
    finally:
        await client.close()
    state["queue"] = await world.registry.services.ingest._queue._pool.zcard(  # type: ignore[attr-defined]
        world.settings.queue_name
    )
    return state


def _headers(world: World, caller: Caller) -> dict[str, str]:
    token = world.tokens.get(caller.user or "")
    return {"Authorization": f"Bearer {token}" if token else ""}


async def _run(
    world: World, caller: Caller, field: RootField, path: str, transport: str, *, harmful: bool
) -> Outcome:
    query = field.document(path, world.values(harmful=harmful))
    if transport == "http":
        return await _over_http(world, caller, field, query)
    # a running subscription may have nothing to say: waiting briefly is enough to see it
    # was not refused; a refusal is awaited for as long as it takes
    quiet = 0.5 if field.operation == "subscription" and not harmful else 10.0
    return await _over_websocket(world, caller, query, quiet)


async def _over_http(world: World, caller: Caller, _: RootField, query: str) -> Outcome:
    response = await world.registry.client.post(
        "/graphql", json={"query": query}, headers=_headers(world, caller)
    )
    body = response.json()
    # over HTTP, errors without a path came before execution (validation, refusal)
    return _outcome([body], before_execution=any("path" not in e for e in body.get("errors", ())))


async def _over_websocket(world: World, caller: Caller, query: str, quiet: float) -> Outcome:
    ws: AsyncWebSocketSession
    received: list[dict[str, Any]] = []
    any_error_message = False
    async with aconnect_ws(
        "/graphql",
        world.registry.client,
        subprotocols=["graphql-transport-ws"],
        headers=_headers(world, caller),
    ) as ws:
        await ws.send_json({"type": "connection_init"})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": query}})
        try:
            async with asyncio.timeout(quiet):
                while True:
                    message = await ws.receive_json()
                    if message["type"] == "next":
                        received.append(message["payload"])
                    elif message["type"] == "error":
                        any_error_message = True
                        received.append({"errors": message["payload"]})
                    if message["type"] in {"complete", "error"} or received:
                        break
        except TimeoutError:
            pass  # a subscription that is running and has nothing to say yet
    # the protocol's own `error` message is for what failed before execution
    return _outcome(received, before_execution=any_error_message)


def _outcome(payloads: list[dict[str, Any]], *, before_execution: bool) -> Outcome:
    codes = {
        (e.get("extensions") or {}).get("code") for p in payloads for e in p.get("errors") or ()
    }
    return Outcome(
        refused=bool(codes & REFUSED),
        executed=not before_execution,
        detail=json.dumps(payloads)[:500],
    )
