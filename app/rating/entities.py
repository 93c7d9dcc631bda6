"""A model's rating: what each metric found, the net score, and the gate's decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": self.score,
            "latency_seconds": self.latency_seconds,
            "evidence": list(self.evidence),
            "explanation": self.explanation,
            "applicable": self.applicable,
            "breakdown": dict(self.breakdown),
            "error": self.error,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricScore:
        return cls(
            name=d["name"],
            score=float(d["score"]),
            latency_seconds=float(d["latency_seconds"]),
            evidence=tuple(d["evidence"]),
            explanation=d["explanation"],
            applicable=bool(d.get("applicable", True)),
            breakdown={k: float(v) for k, v in (d.get("breakdown") or {}).items()},
            error=d.get("error"),
            reason=str(d.get("reason") or ""),  # ratings stored before it existed have none
        )


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
    skipped: tuple[str, ...]
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
        return cls(
            passed=bool(d["passed"]),
            policy_version=d["policy_version"],
            threshold=float(d["threshold"]),
            skipped=tuple(d.get("skipped") or ()),
            blocking=bool(d.get("blocking", False)),  # decisions made before it existed: none
            failures=tuple(
                GateFailure(
                    f["metric"], float(f["score"]), float(f["required"]), str(f.get("detail", ""))
                )
                for f in d.get("failures") or ()
            ),
        )


@dataclass(frozen=True, slots=True)
class Rating:
    net_score: float
    metrics: tuple[MetricScore, ...]
    scorer_version: str
    weights_version: str
    weights: dict[str, float]
    #: Upstream revisions the rating was computed from, e.g. {"model": sha, "code": sha}.
    revisions: dict[str, str]
    gate: GateDecision | None = None

    def metric(self, name: str) -> MetricScore | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def failed(self) -> tuple[MetricScore, ...]:
        """Metrics that could not be computed: their 0 is no measurement."""
        return tuple(m for m in self.metrics if m.error is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "net_score": self.net_score,
            "metrics": [m.to_dict() for m in self.metrics],
            "scorer_version": self.scorer_version,
            "weights_version": self.weights_version,
            "weights": dict(self.weights),
            "revisions": dict(self.revisions),
            "gate": None if self.gate is None else self.gate.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rating:
        gate = d.get("gate")
        return cls(
            net_score=float(d["net_score"]),
            metrics=tuple(MetricScore.from_dict(m) for m in d["metrics"]),
            scorer_version=d["scorer_version"],
            weights_version=d["weights_version"],
            weights={k: float(v) for k, v in d["weights"].items()},
            revisions=dict(d.get("revisions") or {}),
            gate=None if gate is None else GateDecision.from_dict(gate),
        )
