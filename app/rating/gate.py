"""The quality gate for model ingests.

Default policy: every metric that applies must score at least the threshold (0.5);
size_score counts by its best device. Metrics that do not apply are skipped. The policy's
version is a digest of its content, so every decision names exactly the rules it used."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.rating.entities import GateDecision, GateFailure, MetricScore

#: Metrics the gate judges by their best part (size_score: the best device).
BEST_PART_COUNTS = frozenset({"size_score"})


@dataclass(frozen=True, slots=True)
class GatePolicy:
    enabled: bool = True
    threshold: float = 0.5
    #: Per-metric requirements that replace the threshold (e.g. {"license": 1.0}).
    requirements: Mapping[str, float] = field(default_factory=dict)
    #: Metrics the gate ignores.
    ignored: frozenset[str] = frozenset()

    @property
    def version(self) -> str:
        content = json.dumps(
            {
                "enabled": self.enabled,
                "threshold": self.threshold,
                "requirements": dict(sorted(self.requirements.items())),
                "ignored": sorted(self.ignored),
            },
            sort_keys=True,
        )
        return f"gate-1:{hashlib.sha256(content.encode()).hexdigest()[:12]}"

    def required(self, metric: str) -> float:
        return self.requirements.get(metric, self.threshold)

    def evaluate(self, scores: Iterable[MetricScore]) -> GateDecision:
        failures: list[GateFailure] = []
        skipped: list[str] = []
        for s in scores:
            if not self.enabled or s.name in self.ignored or not s.applicable or s.score < 0:
                skipped.append(s.name)
                continue
            value = (
                max(s.breakdown.values()) if s.name in BEST_PART_COUNTS and s.breakdown else s.score
            )
            if value < self.required(s.name):
                failures.append(GateFailure(s.name, round(value, 4), self.required(s.name)))
        return GateDecision(
            passed=not failures,
            policy_version=self.version,
            threshold=self.threshold,
            failures=tuple(failures),
            skipped=tuple(skipped),
        )
