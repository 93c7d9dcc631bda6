from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from schema.artifacts.types import MetricMove, RatingReason
from schema.context import GraphQLInfo
from schema.rescoring.types import RatingEvent


@strawberry.type
class RescoreSubscriptions:
    @strawberry.subscription(
        description="Each new rating as it is stored (ingest, update, lineage, rescore): of "
        "`artifactId`, or of every artifact without it."
    )
    async def rating_changed(
        self, info: GraphQLInfo, artifact_id: strawberry.ID | None = None
    ) -> AsyncGenerator[RatingEvent, None]:
        wanted = None if artifact_id is None else str(artifact_id)
        async for event in info.context.services.rescoring.watch_ratings(wanted):
            yield RatingEvent(
                artifact_id=strawberry.ID(event["artifact_id"]),
                name=event["name"],
                net_score=event["net_score"],
                gate_passed=event.get("gate_passed"),
                reason=RatingReason(event["reason"]),
                note=event.get("note") or "",
                at=datetime.fromisoformat(event["at"]),
                moved=[
                    MetricMove(metric=m["metric"], before=m["before"], after=m["after"])
                    for m in event.get("moved") or ()
                ],
            )
