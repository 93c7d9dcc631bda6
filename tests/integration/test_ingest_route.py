"""Seed 000's `POST /artifact/ingest` (DESIGN §7): a passing model is 201 with its scores, a
failing one 424 with the failing metrics and nothing stored, a bad URL 400, a registered
source 409; it needs the upload permission, from either token header."""

from __future__ import annotations

from typing import Any

from app.auth.entities import Permission
from app.settings import Settings
from tests.support.registry import running_registry
from tests.support.scoring import METRICS

WHISPER = "https://huggingface.co/openai/whisper-tiny"
NO_LICENCE = "https://huggingface.co/parvk11/audience_classifier_model"


def gated(settings: Settings) -> Settings:
    return settings.model_copy(update={"gate_enabled": True})


async def test_a_passing_model_is_201_with_every_score(settings: Settings) -> None:
    async with running_registry(gated(settings)) as registry:
        answer = await registry.client.post("/artifact/ingest", json={"url": WHISPER})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        stored = await registry.services.artifacts.get(body["artifact_id"])
    assert body["status"] == 201
    assert body["is_ingestible"] is True
    assert body["model_name"] == "whisper-tiny"
    assert "failing_metrics" not in body
    assert set(body["all_scores"]) == {"net_score", *METRICS}
    assert stored.rating is not None
    assert body["all_scores"]["net_score"] == stored.rating.net_score
    assert isinstance(body["latency_ms"], int)
    assert body["latency_ms"] >= 0
    assert body["message"]


async def test_a_failing_model_is_424_with_its_failing_metrics(settings: Settings) -> None:
    async with running_registry(gated(settings)) as registry:
        answer = await registry.client.post("/artifact/ingest", json={"url": NO_LICENCE})
        stored = await registry.services.artifacts._repo.count()
    assert answer.status_code == 424, answer.text
    body = answer.json()
    assert body["status"] == 424
    assert body["is_ingestible"] is False
    assert body["artifact_id"] is None
    assert body["model_name"] == "audience_classifier_model"
    failing = {f["metric"]: f for f in body["failing_metrics"]}
    assert failing["license"] == {"metric": "license", "score": 0.0, "required": 1.0, "gap": 1.0}
    assert all(f["gap"] == round(f["required"] - f["score"], 4) for f in failing.values())
    assert body["all_scores"]["license"] == 0.0
    assert "net_score" in body["all_scores"]
    assert stored == 0


async def test_bad_urls_registered_sources_and_permissions(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        c = registry.client
        first = await c.post("/artifact/ingest", json={"url": "openai/whisper-tiny"})  # bare id
        again = await c.post("/artifact/ingest", json={"url": WHISPER + "/tree/main"})
        bad = [
            await c.post("/artifact/ingest", json={"url": "https://example.com/a/b"}),
            await c.post("/artifact/ingest", json={"url": "https://github.com/openai/whisper"}),
            await c.post("/artifact/ingest", json={"url": ""}),
            await c.post("/artifact/ingest", json={}),
            await c.post("/artifact/ingest", json={"url": 7}),
        ]
        searcher = await registry.user_token("searcher", [Permission.SEARCH])
        uploader = await registry.user_token("uploader", [Permission.UPLOAD])
        bert = "https://huggingface.co/google-bert/bert-base-uncased"
        no_token = await c.post(
            "/artifact/ingest", json={"url": bert}, headers={"Authorization": ""}
        )
        no_upload = await c.post(
            "/artifact/ingest",
            json={"url": bert},
            headers={"Authorization": "", "X-Authorization": f"bearer {searcher}"},
        )
        as_x = await c.post(
            "/artifact/ingest",
            json={"url": bert},
            headers={"Authorization": "", "X-Authorization": f"bearer {uploader}"},
        )
        as_bearer = await c.post(
            "/artifact/ingest",
            json={"url": "https://huggingface.co/microsoft/resnet-50"},
            headers={"Authorization": f"Bearer {uploader}"},
        )
    assert first.status_code == 201, first.text
    assert again.status_code == 409
    assert first.json()["artifact_id"] in again.json()["detail"]
    assert [b.status_code for b in bad] == [400] * len(bad), [b.text for b in bad]
    assert (no_token.status_code, no_upload.status_code) == (403, 401)
    assert (as_x.status_code, as_bearer.status_code) == (201, 201), (as_x.text, as_bearer.text)
