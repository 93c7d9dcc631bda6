from __future__ import annotations

import strawberry

from app.rating.entities import GateDecision as GateDecisionEntity
from app.rating.entities import MetricScore as MetricScoreEntity
from app.rating.entities import Rating as RatingEntity
from app.rating.gate import GateMode as DomainGateMode

strawberry.enum(
    DomainGateMode,
    name="GateMode",
    description="What a failing gate decision does: ENFORCE stores nothing, AUDIT and OFF "
    "store the model with the decision on its rating.",
)
GateMode = DomainGateMode


@strawberry.type(description="One trust metric: its score and what it was computed from.")
class MetricScore:
    name: str
    score: float = strawberry.field(
        description="In [0, 1]. Where the metric does not apply, its documented fallback "
        "(reviewedness -1, the others 0), which neither the net score nor the gate counts."
    )
    latency_seconds: float
    evidence: list[str]
    explanation: str
    applicable: bool = strawberry.field(
        description="False when the metric's input does not exist (no linked code "
        "repository, no dataset named, no registered parent, a gated card without a token)."
    )
    not_applicable_reason: str | None = strawberry.field(
        description="Why the metric does not apply; null when it does."
    )
    error: str | None = strawberry.field(
        description="Why the metric could not be computed (it then scores 0); null when it was."
    )

    @classmethod
    def from_entity(cls, m: MetricScoreEntity) -> MetricScore:
        return cls(
            name=m.name,
            score=m.score,
            latency_seconds=m.latency_seconds,
            evidence=list(m.evidence),
            explanation=m.explanation,
            applicable=m.applicable,
            not_applicable_reason=None if m.applicable else m.reason or None,
            error=m.error,
        )


@strawberry.type(description="How well the weights fit each device's memory, in [0, 1].")
class SizeScore:
    raspberry_pi: float
    jetson_nano: float
    desktop_pc: float
    aws_server: float


@strawberry.type
class GateFailure:
    metric: str
    score: float
    required: float
    gap: float
    detail: str = strawberry.field(
        description="What the check found where its score alone does not say: for "
        "weights_safety, the file and the import that would run code."
    )


@strawberry.type(description="The quality gate's decision and the policy it applied.")
class GateDecision:
    passed: bool
    policy_version: str
    threshold: float
    failures: list[GateFailure]
    skipped: list[str]
    blocking: bool = strawberry.field(
        description="A failure every gate mode but off refuses: weights whose loading would "
        "run code. Such a model is never stored."
    )

    @classmethod
    def from_entity(cls, g: GateDecisionEntity) -> GateDecision:
        return cls(
            passed=g.passed,
            policy_version=g.policy_version,
            threshold=g.threshold,
            failures=[
                GateFailure(
                    metric=f.metric, score=f.score, required=f.required, gap=f.gap, detail=f.detail
                )
                for f in g.failures
            ],
            skipped=list(g.skipped),
            blocking=g.blocking,
        )


@strawberry.type
class MetricWeight:
    metric: str
    weight: float


@strawberry.type
class UpstreamRevision:
    source: str
    revision: str


@strawberry.type(description="A model's trust rating.")
class Rating:
    net_score: float
    size_score: SizeScore | None
    metrics: list[MetricScore]
    scorer_version: str
    weights_version: str
    weights: list[MetricWeight]
    revisions: list[UpstreamRevision]
    gate: GateDecision | None

    @classmethod
    def from_entity(cls, r: RatingEntity) -> Rating:
        size = r.metric("size_score")
        devices = size.breakdown if size is not None else {}
        return cls(
            net_score=r.net_score,
            size_score=SizeScore(
                raspberry_pi=devices.get("raspberry_pi", 0.0),
                jetson_nano=devices.get("jetson_nano", 0.0),
                desktop_pc=devices.get("desktop_pc", 0.0),
                aws_server=devices.get("aws_server", 0.0),
            )
            if devices
            else None,
            metrics=[MetricScore.from_entity(m) for m in r.metrics],
            scorer_version=r.scorer_version,
            weights_version=r.weights_version,
            weights=[MetricWeight(metric=k, weight=v) for k, v in r.weights.items()],
            revisions=[UpstreamRevision(source=k, revision=v) for k, v in r.revisions.items()],
            gate=None if r.gate is None else GateDecision.from_entity(r.gate),
        )


@strawberry.type(description="A gate decision as it is made.")
class GateEvent:
    job_id: strawberry.ID
    url: str
    source_key: str
    net_score: float | None
    decision: GateDecision
    mode: GateMode | None = strawberry.field(
        default=None, description="The entry point's gate mode the decision was made under."
    )
    artifact_id: strawberry.ID | None = strawberry.field(
        default=None, description="The stored model decided on again, when its lineage changed."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why a stored model was decided on again."
    )
