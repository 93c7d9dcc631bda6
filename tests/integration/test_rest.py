"""The ECE 461 REST API end to end, against the fake hub."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support.registry import running_registry

WHISPER = "https://huggingface.co/openai/whisper-tiny"
RESNET = "https://huggingface.co/microsoft/resnet-50"
GENDER = "https://huggingface.co/crangana/trained-gender"
ONNX = "https://huggingface.co/onnx-community/trained-gender-ONNX"
BOOKCORPUS = "https://huggingface.co/datasets/bookcorpus/bookcorpus"
WHISPER_CODE = "https://github.com/openai/whisper"


async def create(client: httpx.AsyncClient, kind: str, url: str, **extra: str) -> dict[str, Any]:
    response = await client.post(f"/artifact/{kind}", json={"url": url, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["data"]["url"] == url
    assert body["data"]["download_url"].startswith("http")
    return body


async def register_three(
    client: httpx.AsyncClient,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A model (named by the client), a dataset and a code repository, in that order."""
    whisper = await create(client, "model", WHISPER + "/tree/main", name="whisper tiny")
    dataset = await create(client, "dataset", BOOKCORPUS)
    code = await create(client, "code", WHISPER_CODE)
    return whisper, dataset, code


async def audit_actions(client: httpx.AsyncClient, artifact_id: str) -> list[str]:
    audit = await client.get(f"/artifact/model/{artifact_id}/audit")
    assert audit.status_code == 200, audit.text
    return [e["action"] for e in audit.json()]


async def test_tracks_and_logins(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        assert (await c.get("/tracks")).json() == {"plannedTracks": ["Access control track"]}
        assert (await c.put("/authenticate", json={})).status_code == 400
        login = {
            "user": {"name": DEFAULT_ADMIN, "is_admin": True},
            "secret": {"password": DEFAULT_ADMIN_PASSWORDS[1]},
        }
        answer = await c.put("/authenticate", json=login)
        assert answer.status_code == 200, answer.text
        assert answer.json().startswith("bearer ")
        wrong = {**login, "secret": {"password": "guess"}}
        assert (await c.put("/authenticate", json=wrong)).status_code == 401


async def test_registered_artifacts_are_listed_read_and_found(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        whisper, dataset, code = await register_three(c)
        assert whisper["metadata"]["name"] == "whisper tiny"
        assert whisper["data"]["url"] == WHISPER + "/tree/main"
        wid, did, cid = (x["metadata"]["id"] for x in (whisper, dataset, code))
        assert dataset["metadata"] == {"name": "bookcorpus", "id": did, "type": "dataset"}

        listed = (await c.post("/artifacts", json=[{"name": "*"}])).json()
        assert [a["id"] for a in listed] == [wid, did, cid]
        only = await c.post("/artifacts", json=[{"name": "*", "types": ["code"]}])
        assert only.json() == [code["metadata"]]
        assert "offset" not in only.headers

        got = await c.get(f"/artifacts/model/{wid}")
        assert got.status_code == 200
        assert got.json()["metadata"] == whisper["metadata"]
        assert (await c.get(f"/artifacts/dataset/{wid}")).status_code == 404
        assert (await c.get("/artifact/byName/bookcorpus")).json() == [dataset["metadata"]]
        assert (await c.get("/artifact/byName/nothing-here")).status_code == 404
        regex = await c.post("/artifact/byRegEx", json={"regex": "whisper"})
        assert {a["id"] for a in regex.json()} == {wid, cid}
        assert (await c.post("/artifact/byRegEx", json={"regex": "zzzq+"})).status_code == 404
        assert (await c.post("/artifact/byRegEx", json={"regex": "(unclosed"})).status_code == 400


async def test_a_model_has_a_rating_a_cost_and_a_lineage(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        whisper, dataset, _ = await register_three(c)
        wid, did = whisper["metadata"]["id"], dataset["metadata"]["id"]

        rating = (await c.get(f"/artifact/model/{wid}/rate")).json()
        assert set(rating["size_score"]) == {
            "raspberry_pi",
            "jetson_nano",
            "desktop_pc",
            "aws_server",
        }
        latencies = [v for k, v in rating.items() if k.endswith("_latency")]
        assert len(latencies) == 12
        assert all(0 <= v < 60 for v in latencies)  # seconds, not milliseconds
        assert (await c.get(f"/artifact/model/{did}/rate")).status_code == 404

        cost = (await c.get(f"/artifact/model/{wid}/cost")).json()
        assert list(cost) == [wid]
        assert set(cost[wid]) == {"total_cost"}
        deps = (await c.get(f"/artifact/model/{wid}/cost", params={"dependency": "true"})).json()
        assert deps[wid]["total_cost"] >= deps[wid]["standalone_cost"]

        lineage = (await c.get(f"/artifact/model/{wid}/lineage")).json()
        assert [n["artifact_id"] for n in lineage["nodes"]] == [wid]
        assert lineage["edges"] == []


async def test_a_licence_check_against_code_repositories(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        wid = (await create(c, "model", WHISPER))["metadata"]["id"]
        check = f"/artifact/model/{wid}/license-check"
        ok = await c.post(check, json={"github_url": WHISPER_CODE})
        assert ok.status_code == 200
        assert ok.json() is True
        bad = await c.post(
            check, json={"github_url": "https://github.com/someuser/nolicense-scripts"}
        )
        assert bad.json() is False
        assert (
            await c.post(check, json={"github_url": "https://github.com/no/such"})
        ).status_code == 404
        assert (
            await c.post(check, json={"github_url": "https://evil.example/x"})
        ).status_code == 400


async def test_the_audit_trail_names_creation_download_and_rating(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        wid = (await create(c, "model", WHISPER))["metadata"]["id"]
        assert (await c.get(f"/artifact/model/{wid}/rate")).status_code == 200

        audit = (await c.get(f"/artifact/model/{wid}/audit")).json()
        actions = [e["action"] for e in audit]
        assert actions[0] == "CREATE"
        assert {"DOWNLOAD", "RATE"} <= set(actions)
        assert audit[0]["user"] == {"name": DEFAULT_ADMIN, "is_admin": True}


async def test_reading_a_rating_records_rate(settings: Settings) -> None:
    # Ingesting a model records a RATE of its own, so only the count shows the read's.
    async with running_registry(settings) as registry:
        c = registry.client
        wid = (await create(c, "model", WHISPER))["metadata"]["id"]
        before = await audit_actions(c, wid)
        assert (await c.get(f"/artifact/model/{wid}/rate")).status_code == 200
        after = await audit_actions(c, wid)
        assert after.count("RATE") == before.count("RATE") + 1


async def test_an_update_and_a_delete(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        _, dataset, code = await register_three(c)
        did, cid = dataset["metadata"]["id"], code["metadata"]["id"]

        update = {"metadata": code["metadata"], "data": {"url": WHISPER_CODE + "/tree/main"}}
        updated = await c.put(f"/artifacts/code/{cid}", json=update)
        assert updated.status_code == 200, updated.text
        assert (await c.get(f"/artifacts/code/{cid}")).json()["data"]["url"].endswith("/tree/main")
        wrong = {"metadata": {**code["metadata"], "name": "other"}, "data": {"url": WHISPER_CODE}}
        assert (await c.put(f"/artifacts/code/{cid}", json=wrong)).status_code == 400

        deleted = await c.delete(f"/artifacts/dataset/{did}")
        assert deleted.status_code == 200
        assert deleted.content == b""  # the spec's 200 has no content
        assert (await c.get(f"/artifacts/dataset/{did}")).status_code == 404
        assert (await c.delete(f"/artifacts/dataset/{did}")).status_code == 404


async def test_a_reset_empties_the_registry_and_ids_never_repeat(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        whisper, _, code = await register_three(c)
        wid, cid = whisper["metadata"]["id"], code["metadata"]["id"]

        reset = await c.delete("/reset")
        assert reset.status_code == 200
        assert reset.content == b""  # the spec's 200 has no content
        assert (await c.post("/artifacts", json=[{"name": "*"}])).json() == []
        assert (await c.get(f"/artifacts/model/{wid}")).status_code == 404
        again = await create(c, "model", WHISPER)
        assert int(again["metadata"]["id"]) > int(cid)


async def test_lineage_runs_parent_to_child(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        ids = [(await create(c, "model", u))["metadata"]["id"] for u in (RESNET, GENDER, ONNX)]
        lineage = (await c.get(f"/artifact/model/{ids[1]}/lineage")).json()
        assert {n["artifact_id"] for n in lineage["nodes"]} == set(ids)
        pairs = {(e["from_node_artifact_id"], e["to_node_artifact_id"]) for e in lineage["edges"]}
        assert pairs == {(ids[0], ids[1]), (ids[1], ids[2])}
        assert all(e["relationship"] == "base_model" and e["source"] for e in lineage["edges"])
        deps = (await c.get(f"/artifact/model/{ids[2]}/cost?dependency=true")).json()
        assert set(deps) == set(ids)


async def test_an_enforcing_gate_rejection_is_424_with_the_failing_metrics(
    settings: Settings,
) -> None:
    gated = settings.model_copy(update={"gate_enabled": True, "gate_mode_rest_create": "enforce"})
    async with running_registry(gated) as registry:
        url = "https://huggingface.co/parvk11/audience_classifier_model"
        response = await registry.client.post("/artifact/model", json={"url": url})
        assert response.status_code == 424, response.text
        assert (await registry.client.post("/artifacts", json=[{"name": "*"}])).json() == []
    body = response.json()
    assert body["code"] == "gate_rejected"
    failing = {f["metric"]: f for f in body["failing_metrics"]}
    assert failing["license"] == {"metric": "license", "score": 0.0, "required": 1.0, "gap": 1.0}
    assert all(f["gap"] == round(f["required"] - f["score"], 4) for f in failing.values())


async def test_duplicates_conflict_and_bursts_get_unique_ids(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        await create(c, "model", WHISPER)
        assert (await c.post("/artifact/model", json={"url": WHISPER})).status_code == 409
        sources = (
            [
                ("dataset", f"https://huggingface.co/datasets/{d}")
                for d in (
                    "bookcorpus/bookcorpus",
                    "rajpurkar/squad",
                    "stanfordnlp/imdb",
                    "stanfordnlp/sst2",
                    "wikimedia/wikipedia",
                )
            ]
            + [
                ("code", f"https://github.com/{r}")
                for r in ("google-research/bert", "huggingface/transformers", "openai/whisper")
            ]
            + [("model", RESNET), ("model", GENDER)]
        )
        bodies = await asyncio.gather(*(create(c, k, u) for k, u in sources))
        ids = [b["metadata"]["id"] for b in bodies]
        assert len(set(ids)) == len(sources)


async def test_no_wait_answers_202_with_the_id_its_artifact_gets(settings: Settings) -> None:
    async with running_registry(settings.model_copy(update={"create_wait_seconds": 0})) as registry:
        response = await registry.client.post("/artifact/model", json={"url": WHISPER})
        assert response.status_code == 202
        body = response.json()
        assert body["type"] == "model"
        assert body["name"] == "whisper-tiny"
        assert body["id"].isdigit()
        async with asyncio.timeout(30):  # polled by that id, it appears once stored
            while (  # noqa: ASYNC110 - a client polls
                polled := await registry.client.get(f"/artifacts/model/{body['id']}")
            ).status_code == 404:
                await asyncio.sleep(0.05)
    assert polled.status_code == 200, polled.text
    assert polled.json()["metadata"] == body


async def test_bad_input_is_a_4xx_and_changes_nothing(settings: Settings, hub: FakeHub) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        hub.clear_requests()
        cases = [
            await c.post(
                "/artifact/model",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ),
            await c.post("/artifact/model", json={"url": 42}),
            await c.post("/artifact/model", json={}),
            await c.post("/artifact/widget", json={"url": WHISPER}),
            await c.post(
                "/artifact/model", json={"url": "https://evil.example/openai/whisper-tiny"}
            ),
            await c.post("/artifact/code", json={"url": "http://169.254.169.254/latest"}),
            await c.get("/artifacts/model/bad_id!"),
            await c.post("/artifacts", json={"name": "*"}),
            await c.post("/artifacts", json=[]),
            await c.post("/artifacts", json=[{"name": "*"}], params={"offset": "x"}),
            await c.post("/artifacts", json=[{"name": "*"}], params={"offset": "³"}),
            await c.get("/health/components", params={"windowMinutes": 1}),
        ]
        assert [r.status_code for r in cases] == [400] * len(cases), [r.text for r in cases]
        big = await c.post("/artifact/model", json={"url": WHISPER, "name": "x" * (2 << 20)})
        assert big.status_code == 413
        many = await c.post("/artifacts", json=[{"name": "*"}] * 51)
        assert many.status_code == 413
        assert hub.requests == []
        assert (await c.post("/artifacts", json=[{"name": "*"}])).json() == []


async def test_urls_outside_the_allow_list_never_leave_the_machine(settings: Settings) -> None:
    """A listener on loopback stands where such a URL points: it must see no connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)  # noqa: FBT003 - socket API
        port = listener.getsockname()[1]
        async with running_registry(settings) as registry:
            c = registry.client
            urls = [
                f"http://127.0.0.1:{port}/acme/model",
                f"http://localhost:{port}/a/b",
                "http://169.254.169.254/latest/meta-data",
                "https://example.com/a/b",
            ]
            answers = [await c.post("/artifact/model", json={"url": u}) for u in urls]
            stored = await registry.services.artifacts._repo.count()
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert [a.status_code for a in answers] == [400] * len(urls)
    assert stored == 0
