"""The quality gate for model ingests (DESIGN §5): a policy, and where it is enforced.

Default policy: the licence meets the registry's licence policy (the ``license`` metric scores
1.0: compatible with LGPL-2.1 for fine-tune + inference) and the net score over the metrics
that apply reaches 0.5. Stricter policies add per-metric minimums: ``requirements`` maps a
metric to the score it must reach, and the key ``"*"`` sets one for every metric not named
(seed 000's "every metric >= 0.5" is ``{"*": 0.5}``). Per-metric requirements skip metrics
that do not apply and the ``ignored`` ones; size_score counts by its best device.

Whatever the policy, weights whose loading would run code (``weights_safety`` finds a dangerous
import) fail it, and that failure is *blocking*: every mode but off refuses the model, so it is
never stored as if trusted. Suspicious weights score 0.5: a policy that requires
``weights_safety`` 1.0 refuses them too.

The policy's version is a digest of its content, so every decision names exactly the rules
it used. Each entry point has a :class:`GateMode` that says what a failing decision does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from app.rating.entities import GateDecision, GateFailure, MetricScore
from app.rating.net import net_score as weighted_net_score

#: The check whose dangerous verdict (score 0) refuses a model in every mode but off, and the
#: score it must pass (app.rating.metrics.weights_safety: suspicious is 0.5).
SAFETY_CHECK = "weights_safety"
SAFETY_REQUIRED = 0.5
#: Metrics the gate judges by their best part (size_score: the best device).
BEST_PART_COUNTS = frozenset({"size_score"})
#: The requirement key that stands for every metric not named on its own.
EVERY_METRIC = "*"
#: The name a net-score failure is reported under, beside the metrics'.
NET_SCORE = "net_score"
#: The licence rule of the default policy: the licence metric scores 1.0 only for a licence
#: the policy table (app.rating.licenses) rates compatible; 0.5 is "needs review".
DEFAULT_REQUIREMENTS: Mapping[str, float] = MappingProxyType({"license": 1.0})


class GateMode(StrEnum):
    """What a decision does at an entry point. Every mode decides, records and publishes."""

    ENFORCE = "enforce"  # a failing model is not stored; its job ends FAILED(gate_rejected)
    AUDIT = "audit"  # the model is stored unless the failure is blocking; the decision is kept
    OFF = "off"  # the model is stored whatever the decision, which is informative only

    def refuses(self, decision: GateDecision) -> bool:
        """Whether a model with ``decision`` is refused at an entry point in this mode."""
        if decision.passed or self is GateMode.OFF:
            return False
        return self is GateMode.ENFORCE or decision.blocking


class EntryPoint(StrEnum):
    """Where an ingest comes in; each has its own gate mode (settings TMR_GATE_MODE_*)."""

    GRAPHQL = "graphql"  # the `ingest` and `updateArtifact` mutations
    REST_CREATE = "rest_create"  # the course contract: POST /artifact/{type}, PUT /artifacts/...
    INGEST_ROUTE = "ingest_route"  # seed 000's POST /artifact/ingest


#: Defaults (DESIGN §5): the course contract's clients register popular artifacts and then
#: read their ratings, some below 0.5, so its create only audits; everything else enforces.
DEFAULT_MODES: Mapping[EntryPoint, GateMode] = MappingProxyType(
    {
        EntryPoint.GRAPHQL: GateMode.ENFORCE,
        EntryPoint.REST_CREATE: GateMode.AUDIT,
        EntryPoint.INGEST_ROUTE: GateMode.ENFORCE,
    }
)


@dataclass(frozen=True, slots=True)
class GatePolicy:
    #: The net score (over the metrics that apply) must reach this.
    threshold: float = 0.5
    #: Per-metric minimums; ``"*"`` applies to every metric not named.
    requirements: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_REQUIREMENTS))
    #: Metrics that per-metric requirements leave alone (reported as skipped).
    ignored: frozenset[str] = frozenset()

    @property
    def version(self) -> str:
        content = json.dumps(
            {
                "threshold": self.threshold,
                "requirements": dict(sorted(self.requirements.items())),
                "ignored": sorted(self.ignored),
            },
            sort_keys=True,
        )
        return f"gate-2:{hashlib.sha256(content.encode()).hexdigest()[:12]}"

    def required(self, metric: str) -> float | None:
        """The minimum ``metric`` must reach on its own, or None when it has none."""
        return self.requirements.get(metric, self.requirements.get(EVERY_METRIC))

    def evaluate(
        self, scores: Iterable[MetricScore], net_score: float | None = None
    ) -> GateDecision:
        """The decision on a rating's metrics and net score (computed from the metrics by
        app.rating.net when not given)."""
        scores = tuple(scores)
        net = weighted_net_score(scores) if net_score is None else net_score
        failures: list[GateFailure] = []
        skipped: list[str] = []
        blocking = False
        for s in scores:
            if _dangerous(s):  # whatever the requirements: no policy trusts running code
                failures.append(GateFailure(s.name, s.score, SAFETY_REQUIRED, s.explanation))
                blocking = True
                continue
            if s.name in self.ignored or not s.applicable or s.score < 0:
                skipped.append(s.name)  # left out of the decision
                continue
            required = self.required(s.name)
            if required is None:
                continue
            value = (
                max(s.breakdown.values()) if s.name in BEST_PART_COUNTS and s.breakdown else s.score
            )
            if value < required:
                detail = s.explanation if s.name == SAFETY_CHECK else ""
                failures.append(GateFailure(s.name, round(value, 4), required, detail))
        if net < self.threshold:
            failures.append(GateFailure(NET_SCORE, round(net, 4), self.threshold))
        return GateDecision(
            passed=not failures,
            policy_version=self.version,
            threshold=self.threshold,
            failures=tuple(failures),
            skipped=tuple(skipped),
            blocking=blocking,
        )


def _dangerous(s: MetricScore) -> bool:
    """A weights scan that found imports that run code (not one that failed to run)."""
    return s.name == SAFETY_CHECK and s.applicable and s.error is None and s.score < SAFETY_REQUIRED
