"""A model's rating: what each metric found, the net score, and the gate's decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec


@dataclass(frozen=True, slots=True)
class Measured:
    """What a metric computes, before the engine adds its latency.

    ``score`` is in [0, 1], or -1 where the DESIGN says so (reviewedness with no linked repo).
    ``applicable`` False means the metric does not apply to this model: its input does not
    exist. ``reason`` then says why, and ``score`` holds the metric's documented fallback,
    the number the course's REST contract shows; the net score and the gate leave it out.
    ``breakdown`` carries per-part scores (size_score's devices)."""

    score: float
    evidence: list[str]
    explanation: str
    applicable: bool = True
    breakdown: dict[str, float] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MetricScore:
    name: str
    score: float
    latency_seconds: float
    evidence: tuple[str, ...]
    explanation: str
    applicable: bool = True
    breakdown: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    #: Why the metric does not apply ("" when it does).
    reason: str = ""


@dataclass(frozen=True, slots=True)
class GateFailure:
    metric: str
    score: float
    required: float
    #: What the metric found, where the numbers alone do not say (the file and the import).
    detail: str = ""

    @property
    def gap(self) -> float:
        return round(self.required - self.score, 4)


@dataclass(frozen=True, slots=True)
class GateDecision:
    passed: bool
    policy_version: str
    threshold: float
    failures: tuple[GateFailure, ...]
    skipped: tuple[str, ...] = ()
    #: A failure no gate mode but off lets through: weights whose loading would run code.
    blocking: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "policy_version": self.policy_version,
            "threshold": self.threshold,
            "skipped": list(self.skipped),
            "blocking": self.blocking,
            "failures": [
                {
                    "metric": f.metric,
                    "score": f.score,
                    "required": f.required,
                    "gap": f.gap,
                    "detail": f.detail,
                }
                for f in self.failures
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GateDecision:
        """From :meth:`to_dict` (a failure's ``gap`` is computed, not read), or as stored."""
        decision: GateDecision = msgspec.convert(d, cls, strict=False)
        return decision


@dataclass(frozen=True, slots=True)
class Rating:
    net_score: float
    metrics: tuple[MetricScore, ...]
    scorer_version: str
    weights_version: str
    weights: dict[str, float]
    #: Upstream revisions the rating was computed from, e.g. {"model": sha, "code": sha}.
    revisions: dict[str, str] = field(default_factory=dict)
    gate: GateDecision | None = None

    def metric(self, name: str) -> MetricScore | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def failed(self) -> tuple[MetricScore, ...]:
        """Metrics that could not be computed: their 0 is no measurement."""
        return tuple(m for m in self.metrics if m.error is not None)

    def to_dict(self) -> dict[str, Any]:
        """As stored and as a bundle's rating.json: the dataclasses' fields, nothing else."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rating:
        """From :meth:`to_dict`; fields a rating stored by an older version lacks (a metric's
        ``reason``, the revisions) take their defaults."""
        rating: Rating = msgspec.convert(d, cls, strict=False)
        return rating
