"""Not applicable is not zero, and transient is not a verdict: what a client reads of a rating
through GraphQL and the course's REST contract, on the fake hub."""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, running_registry

RESNET = "https://huggingface.co/microsoft/resnet-50"  # no linked repo; one gated dataset
BERT = "https://huggingface.co/google-bert/bert-base-uncased"  # google-research/bert, archived
BARE = "https://huggingface.co/parvk11/audience_classifier_model"  # names no dataset

RATING = """
query Rating($id: ID!) {
  artifact(id: $id) {
    rating {
      netScore
      metrics { name score applicable notApplicableReason evidence error }
      weights { metric weight }
    }
  }
}
"""

OUTCOME = """
subscription Outcome($jobId: ID!) {
  ingestProgress(jobId: $jobId) {
    state attempts
    error { code message }
    gate { passed }
    artifact { id }
  }
}
"""


async def ingest(registry: Registry, url: str) -> dict[str, Any]:
    payload = (await registry.gql(queries.INGEST, url=url, type="MODEL"))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(OUTCOME, jobId=payload["job"]["id"])
    final: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    return final


async def rated(registry: Registry, url: str) -> tuple[str, dict[str, Any]]:
    final = await ingest(registry, url)
    assert final["state"] == "DONE", final
    artifact_id = final["artifact"]["id"]
    rating: dict[str, Any] = (await registry.gql(RATING, id=artifact_id))["artifact"]["rating"]
    return artifact_id, rating


def by_name(rating: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in rating["metrics"]}


def net_of_applicable(rating: dict[str, Any]) -> float:
    weights: dict[str, float] = {w["metric"]: w["weight"] for w in rating["weights"]}
    counted = [m for m in rating["metrics"] if m["applicable"] and weights.get(m["name"], 0) > 0]
    total = sum(weights[m["name"]] for m in counted)
    weighted: float = sum(weights[m["name"]] * m["score"] for m in counted)
    return round(weighted / total, 4)


async def test_a_model_without_a_repo(settings: Settings, hub: FakeHub) -> None:
    """microsoft/resnet-50 links no code: code_quality and reviewedness do not apply (they used
    to score 0 and -1 and count), bus_factor is measured from the hub's own history (it used
    to be card citations capped at 0.3)."""
    async with running_registry(settings) as registry:
        artifact_id, rating = await rated(registry, RESNET)
        rest = (await registry.client.get(f"/artifact/model/{artifact_id}/rate")).json()
    metrics = by_name(rating)
    for name in ("code_quality", "reviewedness"):
        assert metrics[name]["applicable"] is False
        assert metrics[name]["notApplicableReason"] == "no GitHub repository linked from the card"
    bus = metrics["bus_factor"]
    assert bus["applicable"] is True
    assert bus["notApplicableReason"] is None
    assert bus["score"] > 0.3
    assert any(
        "human contributors to the hub repo microsoft/resnet-50" in e for e in bus["evidence"]
    )
    history = "/api/models/microsoft/resnet-50/commits/"
    assert any(r.path.startswith(history) for r in hub.requests)
    assert rating["netScore"] == net_of_applicable(rating)
    # REST keeps the contract's numbers, which still do not count.
    assert rest["reviewedness"] == -1
    assert rest["code_quality"] == 0
    assert rest["bus_factor"] == bus["score"]
    assert rest["net_score"] == rating["netScore"]


async def test_a_model_that_names_no_dataset(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        _, rating = await rated(registry, BARE)
    quality = by_name(rating)["dataset_quality"]
    assert quality["applicable"] is False
    assert quality["notApplicableReason"] == "no training dataset named in the card or tags"
    # The missing link is counted once, by dataset_and_code_score.
    assert by_name(rating)["dataset_and_code_score"]["applicable"] is True
    assert rating["netScore"] == net_of_applicable(rating)


async def test_bert_as_the_course_rates_it(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        artifact_id, rating = await rated(registry, BERT)
        rest = (await registry.client.get(f"/artifact/model/{artifact_id}/rate")).json()
    code = by_name(rating)["code_quality"]
    assert code["score"] == 0.55  # it was 0.45: archived and not pushed recently, both
    assert sum("archived" in e for e in code["evidence"]) == 1
    # The course's sample output for bert-base-uncased (it used to be 1.0 everywhere).
    sizes = {device: round(score, 2) for device, score in rest["size_score"].items()}
    assert sizes == {"raspberry_pi": 0.2, "jetson_nano": 0.4, "desktop_pc": 0.95, "aws_server": 1.0}


async def test_a_github_rate_limit_on_every_try_fails_the_ingest_and_stores_nothing(
    settings: Settings, hub: FakeHub
) -> None:
    """It used to store reviewedness 0 (or -1 and code_quality 0) and let the gate judge it."""
    hub.inject_fault("/repos/google-research/bert", status=429, times=10_000)
    async with running_registry(settings) as registry:
        final = await ingest(registry, BERT)
        stored = await registry.services.artifacts._repo.count()
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "upstream_unavailable"
    assert "rate limiting" in final["error"]["message"]
    assert final["attempts"] == settings.worker_max_tries  # retried before giving up
    assert final["gate"] is None  # no verdict
    assert final["artifact"] is None
    assert stored == 0


async def test_a_rate_limit_that_passes_is_waited_out(settings: Settings, hub: FakeHub) -> None:
    # Three answers of 429 exhaust the first attempt's retries; the job's retry gets through.
    hub.inject_fault("/repos/google-research/bert", status=429, times=3)
    async with running_registry(settings) as registry:
        final = await ingest(registry, BERT)
    assert final["state"] == "DONE", final
    assert final["attempts"] == 2


async def test_rest_does_not_serve_a_metric_that_could_not_be_computed(
    settings: Settings, hub: FakeHub
) -> None:
    """A metric that fails for its own reasons (here GitHub answers 422, which no retry
    mends) is stored as 0 with its error; REST, which can only show numbers, refuses to pass
    that 0 off as a score."""
    hub.inject_fault("/repos/google-research/bert/contributors", status=422, times=10_000)
    async with running_registry(settings) as registry:
        artifact_id, rating = await rated(registry, BERT)
        answer = await registry.client.get(f"/artifact/model/{artifact_id}/rate")
    bus = by_name(rating)["bus_factor"]
    assert (bus["score"], bus["error"]) == (
        0.0,
        "UpstreamError: GitHub answered 422 for google-research/bert",
    )
    assert answer.status_code == 503
    body = answer.json()
    assert body["code"] == "rating_incomplete"
    assert "bus_factor" in body["detail"]
