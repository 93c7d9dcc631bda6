"""The download permission guards every way to a bundle. Every REST route is called by a user
with every permission but download, and every link in every answer is followed, with and
without the user's token: none yields the bundle. Every GraphQL path from a root field to
`downloadUrl`, found by walking the schema, is refused to that user. A user who may download
gets working links the same way, so the link finder itself is tested too."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from typing import Any

import httpx
from graphql import GraphQLField, GraphQLObjectType, get_named_type
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from litestar.routes import HTTPRoute

from app.auth.entities import Permission
from app.settings import Settings
from tests.security.graphql_operations import root_fields
from tests.support.registry import Registry, running_registry

WHISPER = "https://huggingface.co/openai/whisper-tiny"
BERT = "https://huggingface.co/google-bert/bert-base-uncased"
URL = re.compile(r"https?://[^\s\"'<>]+")
# Request bodies for the routes that take one; a route with a body missing here fails the test.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/artifact/{artifact_type:str}"): {"url": BERT},
    ("POST", "/artifact/ingest"): {"url": "https://huggingface.co/microsoft/resnet-50"},
    ("PUT", "/artifacts/{artifact_type:str}/{id:str}"): "update",  # built from the artifact
    ("POST", "/artifacts"): [{"name": "*"}],
    ("POST", "/artifact/byRegEx"): {"regex": ".*"},
    ("POST", "/artifact/{artifact_type:str}/{id:str}/license-check"): {
        "github_url": "https://github.com/openai/whisper"
    },
    ("PUT", "/authenticate"): {"user": {"name": "x"}, "secret": {"password": "y"}},
}


async def test_no_rest_route_hands_a_working_link_to_a_user_without_download(
    settings: Settings,
) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _stored(registry, WHISPER)
        without = await registry.user_token(
            "no-download",
            [p for p in Permission if p.name != "DOWNLOAD" and p is not Permission.ADMIN],
        )
        links, calls = await _links_from_every_route(registry, artifact_id, without)
        assert calls >= 15
        assert links, "the routes answered no link at all"
        for link in links:
            for headers in (
                {"Authorization": ""},
                {"Authorization": "", "X-Authorization": without},
            ):
                response = await registry.client.get(link, headers=headers)
                assert not _is_bundle(response), link


async def test_a_user_who_may_download_gets_working_links(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _stored(registry, WHISPER)
        holder = await registry.user_token("downloader", [Permission.SEARCH, Permission.DOWNLOAD])
        as_holder = {"Authorization": "", "X-Authorization": holder}
        answer = await registry.client.get(f"/artifacts/model/{artifact_id}", headers=as_holder)
        link = answer.json()["data"]["download_url"]
        bundle = await registry.client.get(link, headers={"Authorization": ""})
        routed = await registry.client.get(
            f"/artifacts/model/{artifact_id}/download",
            headers=as_holder,
            follow_redirects=True,
        )
    assert _is_bundle(bundle)
    assert _is_bundle(routed)


async def test_every_graphql_path_to_a_download_link_needs_download(settings: Settings) -> None:
    paths = list(_paths_to_download_url())
    assert len(paths) >= 5, paths  # artifact, artifacts, ingestJob, lineage, subscriptions...
    async with running_registry(settings) as registry:
        artifact_id = await _stored(registry, WHISPER)
        # every permission but download, so that admin-only roots (rescoreArtifact) are walked
        reader_may = [Permission.SEARCH, Permission.UPLOAD, Permission.ADMIN]
        reader = await registry.user_token("reader", reader_may)
        holder = await registry.user_token("holder", [*reader_may, Permission.DOWNLOAD])
        linked = 0
        for operation, selection in paths:
            query = f"{operation} {{ {selection.replace('$ID', json.dumps(artifact_id))} }}"
            refused = await _graphql(registry, reader, operation, query)
            allowed = await _graphql(registry, holder, operation, query)
            assert "http" not in json.dumps(refused.get("data")), (query, refused)
            assert "FORBIDDEN" not in json.dumps(allowed), (query, allowed)
            if "http" in json.dumps(allowed.get("data")):  # the path leads to a link
                linked += 1
                codes = {e.get("extensions", {}).get("code") for e in refused["errors"]}
                assert codes == {"FORBIDDEN"}, (query, refused)
    assert linked >= 3, "too few paths reached a link: the walk or the fixture is broken"


def _paths_to_download_url() -> list[tuple[str, str]]:
    """Every selection from a root field to Artifact.downloadUrl, up to four fields deep,
    with the root's required arguments (an id where one is named)."""
    found: list[tuple[str, str]] = []
    for root in root_fields():
        head = root.call(lambda name: "$ID" if name in {"id", "jobId"} else None)
        found.extend((root.operation, _nest([head, *tail])) for tail in _walk(root.field, 4))
    return found


def _walk(field: GraphQLField, depth: int) -> list[list[str]]:
    named = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType) or depth == 0:
        return []
    paths = []
    for name, child in named.fields.items():
        if named.name == "Artifact" and name == "downloadUrl":
            paths.append([name])
        elif not any(str(a.type).endswith("!") for a in child.args.values()):
            paths.extend([name, *rest] for rest in _walk(child, depth - 1))
    return paths


def _nest(names: list[str]) -> str:
    text = names[-1]
    for name in reversed(names[:-1]):
        text = f"{name} {{ {text} }}"
    return text


async def _graphql(registry: Registry, token: str, operation: str, query: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if operation != "subscription":
        response = await registry.client.post("/graphql", json={"query": query}, headers=headers)
        body: dict[str, Any] = response.json()
        return body
    ws: AsyncWebSocketSession
    async with aconnect_ws(
        "/graphql", registry.client, subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        await ws.send_json({"type": "connection_init"})
        await ws.receive_json()
        await ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": query}})
        try:
            async with asyncio.timeout(2):
                message = await ws.receive_json()
        except TimeoutError:
            return {}
        payload = message.get("payload")
        return payload if isinstance(payload, dict) else {"errors": payload}


async def _links_from_every_route(
    registry: Registry, artifact_id: str, token: str
) -> tuple[set[str], int]:
    links: set[str] = set()
    calls = 0
    routes = [r for r in registry.app.routes if isinstance(r, HTTPRoute)]
    # deleting last, so every other route still finds the artifact
    ordered = sorted(
        ((m, r) for r in routes for m in sorted(r.methods - {"OPTIONS", "HEAD"})),
        key=lambda mr: mr[0] == "DELETE",
    )
    for method, route in ordered:
        handler = route.route_handler_map[method][0]
        if "data" in inspect.signature(handler.fn).parameters:
            assert (method, route.path) in BODIES, f"give {method} {route.path} a body"
        body = BODIES.get((method, route.path))
        if body == "update":
            body = {
                "metadata": {"name": "whisper-tiny", "id": artifact_id, "type": "model"},
                "data": {"url": WHISPER},
            }
        path = (
            route.path.replace("{artifact_type:str}", "model")
            .replace("{id:str}", artifact_id)
            .replace("{name:str}", "whisper-tiny")
            .replace("{key:path}", f"artifacts/{artifact_id}/bundle.zip")
        )
        response = await registry.client.request(
            method,
            path,
            json=body,
            headers={"Authorization": "", "X-Authorization": token},
        )
        calls += 1
        assert not _is_bundle(response), (method, path)
        links.update(u for u in URL.findall(response.text) if "registry.test" in u)
    return links, calls


async def _stored(registry: Registry, url: str) -> str:
    created = await registry.client.post("/artifact/model", json={"url": url})
    assert created.status_code in {201, 202}, created.text
    artifact_id: str = created.json()["metadata"]["id"]
    async with asyncio.timeout(60):
        while await registry.services.artifacts.find(artifact_id) is None:  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.1)
    return artifact_id


def _is_bundle(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.content[:2] == b"PK"
