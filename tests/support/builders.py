"""Builders for domain entities in tests."""

from __future__ import annotations

from collections.abc import Sequence

from app.artifacts.entities import Artifact, BlobRef, SourceRef
from app.clock import utcnow
from app.ingest.entities import IngestJob, IngestState, StateChange
from app.kinds import ArtifactType, SourceHost
from app.rating.links import ParentLink


def artifact(
    artifact_id: str,
    repo_id: str = "acme/model",
    *,
    ingest_id: str = "ing-1",
    name: str | None = None,
    parents: Sequence[str] = (),
    size_bytes: int = 10,
) -> Artifact:
    """A model; ``parents`` are upstream repo ids it names (unresolved links)."""
    return Artifact(
        id=artifact_id,
        name=name or repo_id.rsplit("/", 1)[-1],
        type=ArtifactType.MODEL,
        source_url=f"https://huggingface.co/{repo_id}",
        source=SourceRef(
            SourceHost.HUGGING_FACE,
            ArtifactType.MODEL,
            repo_id,
            f"hf:model:{repo_id}",
            f"https://huggingface.co/{repo_id}",
        ),
        revision="a" * 40,
        readme="# card",
        license="apache-2.0",
        size_bytes=size_bytes,
        blob=BlobRef(f"artifacts/{artifact_id}/bundle.zip", 3, "0" * 64),
        created_at=utcnow(),
        created_by="tester",
        ingest_id=ingest_id,
        parents=tuple(ParentLink(p, None, "config_json") for p in parents),
    )


def ingest_job(job_id: str) -> IngestJob:
    """A queued model ingest, just created."""
    now = utcnow()
    return IngestJob(
        id=job_id,
        url="https://huggingface.co/acme/model",
        type=ArtifactType.MODEL,
        name=None,
        source_key="hf:model:acme/model",
        requester="tester",
        state=IngestState.QUEUED,
        artifact_id="7",
        seq=1,
        history=(StateChange(IngestState.QUEUED, now),),
        created_at=now,
        updated_at=now,
    )
