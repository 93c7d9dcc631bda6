"""An ingest job has one schema, its dataclasses': the event published on every transition and
the document stored are both read back to the same job, and a document an older version wrote
(no gate mode, no files) takes the defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from app.artifacts.entities import SourceRef
from app.ingest.entities import IngestError, IngestJob, IngestState, StateChange
from app.kinds import ArtifactType, SourceHost
from app.mirror.entities import FileProgress
from app.rating.entities import GateDecision, GateFailure, MetricScore
from app.rating.gate import GateMode

AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
JOB = IngestJob(
    id="j1",
    url="https://huggingface.co/org/model",
    type=ArtifactType.MODEL,
    name=None,
    source_key="hf:model:org/model",
    requester="alice",
    state=IngestState.FAILED,
    artifact_id="7",
    seq=4,
    history=(StateChange(IngestState.QUEUED, AT), StateChange(IngestState.FAILED, AT)),
    created_at=AT,
    updated_at=AT,
    attempts=2,
    error=IngestError("gate_rejected", "rejected by the quality gate"),
    scores=(MetricScore("license", 1.0, 0.01, ("apache-2.0",), "ok", breakdown={"x": 0.5}),),
    net_score=0.42,
    gate=GateDecision(
        passed=False,
        policy_version="gate-2:abc",
        threshold=0.5,
        failures=(GateFailure("weights_safety", 0.0, 0.5, "model.pt imports posix.system"),),
        skipped=("tree_score",),
        blocking=True,
    ),
    gate_mode=GateMode.AUDIT,
    source=SourceRef(
        SourceHost.HUGGING_FACE,
        ArtifactType.MODEL,
        "org/model",
        "hf:model:org/model",
        "https://huggingface.co/org/model",
    ),
    files=(FileProgress("model.safetensors", 10, 20),),
)


def test_the_event_and_the_document_read_back_to_the_same_job() -> None:
    event = JOB.to_event()
    assert event["created_at"] == "2026-12-06T08:00:00Z"  # JSON: dates as ISO 8601
    assert IngestJob.from_event(event) == JOB
    document = JOB.to_document()
    assert document["_id"] == "j1"
    assert "id" not in document
    assert document["created_at"] == AT  # the store keeps dates as dates
    assert IngestJob.from_document(document) == JOB


def test_a_document_from_an_older_version_takes_the_defaults() -> None:
    document = JOB.to_document()
    for field in ("gate_mode", "files", "source"):
        del document[field]
    document["attempts"] = None
    old = IngestJob.from_document(document)
    assert old.gate_mode is GateMode.ENFORCE  # jobs queued before gate modes were enforced
    assert (old.files, old.source, old.attempts) == ((), None, 0)
