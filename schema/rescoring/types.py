from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.artifacts.types import Artifact, MetricMove, RatingReason
from schema.errors import NotFoundError, UnavailableError, ValidationError

RescoreError = Annotated[
    NotFoundError | ValidationError | UnavailableError, strawberry.union("RescoreError")
]


@strawberry.type(description="What a rescore of one model did.")
class RescorePayload:
    rescored: bool = strawberry.field(
        default=False,
        description="True when a new rating was made; false when nothing had changed upstream.",
    )
    reason: RatingReason | None = None
    changed: list[str] = strawberry.field(
        default_factory=list,
        description="The upstream sources found changed since the last rating "
        "(model:…, code:…, dataset:…).",
    )
    artifact: Artifact | None = None
    error: RescoreError | None = None


@strawberry.type(description="What a pass over every rated model did and cost.")
class RescorePass:
    checked: int
    rescored: int
    failed: int = strawberry.field(description="Models left for the next pass (an outage).")
    requests: int = strawberry.field(description="Conditional requests sent upstream.")
    not_modified: int = strawberry.field(description="Of them, answered 304: nothing changed.")
    seconds: float


@strawberry.type(description="A new rating of an artifact, as it is stored.")
class RatingEvent:
    artifact_id: strawberry.ID
    name: str
    net_score: float
    gate_passed: bool | None
    reason: RatingReason
    note: str
    at: datetime
    moved: list[MetricMove]
