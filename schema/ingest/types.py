from __future__ import annotations

from datetime import datetime

import strawberry

from app.ingest.entities import IngestJob as IngestJobEntity
from app.ingest.entities import IngestState as DomainIngestState
from schema.artifacts.types import Artifact, ArtifactType
from schema.context import GraphQLInfo
from schema.rating.types import GateDecision, GateMode, MetricScore
from schema.scalars import BigInt

strawberry.enum(DomainIngestState, name="IngestState")
IngestState = DomainIngestState


@strawberry.type
class StateChange:
    state: IngestState
    at: datetime


@strawberry.type
class IngestFailure:
    code: str
    message: str
    existing_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="For a conflict: the artifact registered (or being registered) from the "
        "same upstream repository.",
    )


@strawberry.type(description="One file's copy into the registry's blob store.")
class FileCopy:
    path: str
    done_bytes: BigInt
    total_bytes: BigInt


@strawberry.interface(description="Where an ingest stands.")
class IngestStatus:
    entity: strawberry.Private[IngestJobEntity]
    id: strawberry.ID
    state: IngestState
    url: str
    type: ArtifactType
    name: str | None
    requester: str
    attempts: int
    history: list[StateChange]
    error: IngestFailure | None
    created_at: datetime
    updated_at: datetime
    partial_scores: list[MetricScore] = strawberry.field(
        description="Metric results so far, in the order they completed."
    )
    net_score: float | None
    gate: GateDecision | None
    gate_mode: GateMode = strawberry.field(
        description="What a failing gate decision does to this ingest (its entry point's mode)."
    )
    source_key: str = strawberry.field(
        description="The upstream repository: as requested, then as its hub names it."
    )
    files: list[FileCopy] = strawberry.field(
        description="While MIRRORING and after: each file's copy into the registry, in bytes."
    )

    @strawberry.field(description="The stored artifact, once the ingest is DONE.")
    async def artifact(self, info: GraphQLInfo) -> Artifact | None:
        if not self.entity.stored:
            return None
        found = await info.context.loaders.artifact.load(self.entity.drawn_id)
        return None if found is None else Artifact.from_entity(found)


def _fields(job: IngestJobEntity) -> dict[str, object]:
    return {
        "entity": job,
        "id": strawberry.ID(job.id),
        "state": job.state,
        "url": job.url,
        "type": job.type,
        "name": job.name,
        "requester": job.requester,
        "attempts": job.attempts,
        "history": [StateChange(state=h.state, at=h.at) for h in job.history],
        "error": None
        if job.error is None
        else IngestFailure(
            code=job.error.code,
            message=job.error.message,
            existing_id=None
            if job.error.existing_id is None
            else strawberry.ID(job.error.existing_id),
        ),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "partial_scores": [MetricScore.from_entity(m) for m in job.scores],
        "net_score": job.net_score,
        "gate": None if job.gate is None else GateDecision.from_entity(job.gate),
        "gate_mode": job.gate_mode,
        "source_key": job.source.key if job.source is not None else job.source_key,
        "files": [
            FileCopy(path=f.path, done_bytes=BigInt(f.done), total_bytes=BigInt(f.total))
            for f in job.files
        ],
    }


@strawberry.type(description="An ingest job, as stored.")
class IngestJob(IngestStatus):
    @classmethod
    def from_entity(cls, job: IngestJobEntity) -> IngestJob:
        return cls(**_fields(job))  # type: ignore[arg-type]


@strawberry.type(description="One state of an ingest, as it is reached.")
class IngestEvent(IngestStatus):
    @classmethod
    def from_entity(cls, job: IngestJobEntity) -> IngestEvent:
        return cls(**_fields(job))  # type: ignore[arg-type]
