"""TMR_HIDE_FAILED_RATINGS: an artifact whose current rating fails the gate (here, stored by the
auditing REST create) is, to every caller but an admin, as if it did not exist, on every read
by id, name, pattern or listing; admins see it; with the setting off everyone does."""

from __future__ import annotations

from typing import Any

from app.auth.entities import Permission
from app.settings import Settings
from tests.integration.test_gate_modes import gated
from tests.support.registry import Registry, running_registry

YOLO = "https://huggingface.co/Ultralytics/YOLOv8"  # AGPL-3.0: fails the licence policy
WHISPER = "https://huggingface.co/openai/whisper-tiny"
LISTING = "{ artifacts(first: 10) { edges { node { id name gatePassed } } } }"
ONE = "query($id: ID!) { artifact(id: $id) { id } }"


async def create(registry: Registry, url: str, name: str) -> str:
    answer = await registry.client.post("/artifact/model", json={"url": url, "name": name})
    assert answer.status_code == 201, answer.text
    artifact_id: str = answer.json()["metadata"]["id"]
    return artifact_id


async def seen_by(registry: Registry, token: str, failing: str) -> dict[str, Any]:
    """What each read shows of the failing artifact to the holder of ``token``."""
    rest = {"Authorization": "", "X-Authorization": token}
    graphql = {"Authorization": f"Bearer {token}"}

    async def gql(query: str, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
        answer = await registry.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=graphql
        )
        data: dict[str, Any] = answer.json()["data"]
        return data

    listed = await registry.client.post("/artifacts", json=[{"name": "*"}], headers=rest)
    by_name = await registry.client.get("/artifact/byName/yolo", headers=rest)
    by_regex = await registry.client.post(
        "/artifact/byRegEx", json={"regex": "^yolo$"}, headers=rest
    )
    return {
        "listing": sorted(a["name"] for a in listed.json()),
        "graphql listing": sorted(
            e["node"]["name"] for e in (await gql(LISTING))["artifacts"]["edges"]
        ),
        "graphql by id": (await gql(ONE, id=failing))["artifact"] is not None,
        "by id": (
            await registry.client.get(f"/artifacts/model/{failing}", headers=rest)
        ).status_code,
        "rate": (
            await registry.client.get(f"/artifact/model/{failing}/rate", headers=rest)
        ).status_code,
        "by name": by_name.status_code,
        "by regex": by_regex.status_code,
    }


VISIBLE = {
    "listing": ["whisper", "yolo"],
    "graphql listing": ["whisper", "yolo"],
    "graphql by id": True,
    "by id": 200,
    "rate": 200,
    "by name": 200,
    "by regex": 200,
}
HIDDEN = {
    "listing": ["whisper"],
    "graphql listing": ["whisper"],
    "graphql by id": False,
    "by id": 404,
    "rate": 404,
    "by name": 404,
    "by regex": 404,
}


async def test_failing_ratings_are_hidden_from_all_but_admins(settings: Settings) -> None:
    hiding = gated(settings).model_copy(update={"hide_failed_ratings": True})
    async with running_registry(hiding) as registry:
        failing = await create(registry, YOLO, "yolo")
        await create(registry, WHISPER, "whisper")
        reader = await registry.user_token("reader", [Permission.SEARCH, Permission.UPLOAD])
        admin = await registry.services.auth.issue_token("ece30861defaultadminuser")
        as_reader = await seen_by(registry, reader, failing)
        as_admin = await seen_by(registry, admin, failing)
    assert as_reader == HIDDEN
    assert as_admin == VISIBLE


async def test_without_the_setting_everyone_sees_them(settings: Settings) -> None:
    async with running_registry(gated(settings)) as registry:
        failing = await create(registry, YOLO, "yolo")
        await create(registry, WHISPER, "whisper")
        reader = await registry.user_token("reader", [Permission.SEARCH])
        assert await seen_by(registry, reader, failing) == VISIBLE
