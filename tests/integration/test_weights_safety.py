"""Weights checked without downloading them (DESIGN §5, weights_safety): a checkpoint whose
pickle runs a command is refused in every gate mode but off, with the file and the import
named; a benign one passes; nothing is ever unpickled; and what the scan reads at the hub stays
within its budget, however large the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.integration.test_gate_modes import gated, graphql_ingest
from tests.support.registry import Registry, running_registry

FIXTURES = "https://huggingface.co/tmr-fixtures/"
#: What the malicious fixtures' pickles would run (tests/fakehub/checkpoints.py).
PWNED = Path("/tmp/pwned")

SAFETY = """
query Safety($id: ID!) {
  artifact(id: $id) {
    name
    rating { metrics { name score applicable evidence explanation }
             gate { passed blocking failures { metric detail } } }
  }
}
"""


def metric(artifact: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in artifact["rating"]["metrics"] if m["name"] == name)
    return found


async def stored(registry: Registry, artifact_id: str) -> dict[str, Any]:
    artifact: dict[str, Any] = (await registry.gql(SAFETY, id=artifact_id))["artifact"]
    return artifact


@pytest.fixture(autouse=True)
def nothing_ran() -> Any:  # noqa: ANN401 - a generator fixture
    PWNED.unlink(missing_ok=True)
    yield
    assert not PWNED.exists(), "a fixture's pickle was executed"


@pytest.mark.parametrize(
    ("repo", "file", "imported"),
    [
        ("pickle-rce", "pytorch_model.bin", "posix.system"),
        ("legacy-pickle-rce", "model.pt", "__builtin__.exec"),
    ],
)
async def test_graphql_refuses_a_pickle_that_runs_code_naming_file_and_import(
    settings: Settings, repo: str, file: str, imported: str
) -> None:
    async with running_registry(gated(settings)) as registry:
        final = await graphql_ingest(registry, FIXTURES + repo)
        count = await registry.services.artifacts._repo.count()
    assert final["state"] == "FAILED", final
    assert final["error"]["code"] == "gate_rejected"
    assert f"{file} imports {imported}" in final["error"]["message"]
    assert any(f["metric"] == "weights_safety" for f in final["gate"]["failures"])
    assert count == 0


async def test_the_auditing_rest_create_refuses_it_too(settings: Settings) -> None:
    """The course contract's create stores models that fail the gate; not this one."""
    async with running_registry(gated(settings)) as registry:
        answer = await registry.client.post(
            "/artifact/model", json={"url": FIXTURES + "pickle-rce", "name": "pickle-rce"}
        )
        listed = await registry.client.post("/artifacts", json=[{"name": "pickle-rce"}])
    assert answer.status_code == 424, answer.text
    body = answer.json()
    assert "pytorch_model.bin imports posix.system" in body["detail"]
    assert "weights_safety" in {m["metric"] for m in body["failing_metrics"]}
    assert listed.json() == []


async def test_with_the_gate_off_it_is_stored_with_what_was_found(settings: Settings) -> None:
    async with running_registry(settings) as registry:  # the gate off: decisions inform only
        final = await graphql_ingest(registry, FIXTURES + "pickle-rce")
        assert final["state"] == "DONE", final
        artifact = await stored(registry, final["artifact"]["id"])
    safety = metric(artifact, "weights_safety")
    assert safety["score"] == 0.0
    assert safety["evidence"][0].startswith("pytorch_model.bin: pytorch-zip, ")
    assert "imports posix.system (dangerous)" in safety["evidence"][0]
    assert artifact["rating"]["gate"]["passed"] is False
    assert artifact["rating"]["gate"]["blocking"] is True


async def test_a_benign_checkpoint_passes_the_enforcing_gate(settings: Settings) -> None:
    async with running_registry(gated(settings)) as registry:
        final = await graphql_ingest(registry, FIXTURES + "benign-torch")
        assert final["state"] == "DONE", final
        artifact = await stored(registry, final["artifact"]["id"])
    safety = metric(artifact, "weights_safety")
    assert safety["score"] == 1.0
    assert "torch._utils._rebuild_tensor_v2" in safety["evidence"][0]
    assert safety["explanation"].startswith("Every pickle imports only what checkpoints need")


async def test_safetensors_only_says_so_and_a_broken_header_is_suspicious(
    settings: Settings,
) -> None:
    strict = gated(settings).model_copy(
        update={"gate_requirements": {"license": 1.0, "weights_safety": 1.0}}
    )
    async with running_registry(strict) as registry:
        only = await graphql_ingest(registry, FIXTURES + "safetensors-only")
        broken = await graphql_ingest(registry, FIXTURES + "bad-safetensors")
        artifact = await stored(registry, only["artifact"]["id"])
    assert only["state"] == "DONE", only
    safety = metric(artifact, "weights_safety")
    assert safety["score"] == 1.0
    assert any("no pickled weights" in line for line in safety["evidence"])
    # suspicious fails only a policy that asks for 1.0, and is not blocking
    assert broken["state"] == "FAILED", broken
    [failure] = [f for f in broken["gate"]["failures"] if f["metric"] == "weights_safety"]
    assert failure["score"] == 0.5


async def test_a_3_gb_checkpoint_costs_a_few_kb_at_the_hub(
    settings: Settings, hub: FakeHub
) -> None:
    budget = 256 * 1024
    bounded = settings.model_copy(update={"scan_model_bytes": budget})
    async with running_registry(bounded) as registry:
        hub.clear_requests()
        final = await graphql_ingest(registry, FIXTURES + "big-checkpoint")
        read_at_hub = hub.served_bytes("/cdn-lfs/")
        artifact = await stored(registry, final["artifact"]["id"])
    safety = metric(artifact, "weights_safety")
    assert safety["score"] == 1.0, safety
    [total] = [line for line in safety["evidence"] if line.endswith(" bytes read in all")]
    reported = int(total.split()[0].replace(",", ""))
    assert reported == read_at_hub  # what the rating says it read is what the hub sent
    assert 0 < read_at_hub <= budget
    assert read_at_hub < 3_000_000_000 / 10_000


async def test_a_famous_model_is_safe_and_sized_from_its_own_headers(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        final = await graphql_ingest(
            registry, "https://huggingface.co/google-bert/bert-base-uncased"
        )
        artifact = await stored(registry, final["artifact"]["id"])
    safety = metric(artifact, "weights_safety")
    assert safety["score"] == 1.0, safety["evidence"]
    size = metric(artifact, "size_score")
    assert size["evidence"][0].startswith("safetensors headers: 110M F32 params")
    assert size["evidence"][0].endswith("(agrees with the hub's count)")
