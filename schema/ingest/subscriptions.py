from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.rating.entities import GateDecision as GateDecisionEntity
from schema.context import GraphQLInfo
from schema.ingest.types import IngestEvent
from schema.rating.types import GateDecision, GateEvent, GateMode


@strawberry.type
class IngestSubscriptions:
    @strawberry.subscription(
        description="The job's current state first, then every transition until DONE or FAILED."
    )
    async def ingest_progress(
        self, info: GraphQLInfo, job_id: strawberry.ID
    ) -> AsyncGenerator[IngestEvent, None]:
        async for job in info.context.services.ingest.watch(str(job_id)):
            yield IngestEvent.from_entity(job)

    @strawberry.subscription(description="Every gate decision, as it is made.")
    async def gate_results(self, info: GraphQLInfo) -> AsyncGenerator[GateEvent, None]:
        async for event in info.context.services.ingest.watch_gate():
            decision = GateDecisionEntity.from_dict(event)
            yield GateEvent(
                job_id=strawberry.ID(event["job_id"]),
                url=event["url"],
                source_key=event["source_key"],
                net_score=event.get("net_score"),
                decision=GateDecision.from_entity(decision),
                mode=GateMode(event["mode"]) if event.get("mode") else None,
                artifact_id=strawberry.ID(event["artifact_id"])
                if event.get("artifact_id")
                else None,
                reason=event.get("reason"),
            )


def _id_or_none(value: object) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None
