"""The scoring engine, the net score and the gate, with metrics defined here."""

from __future__ import annotations

import asyncio
import time

from app.rating.context import ScoringContext
from app.rating.engine import score_all
from app.rating.entities import Measured, MetricScore
from app.rating.gate import GatePolicy
from app.rating.metrics.base import Metric
from app.rating.net import WEIGHTS, net_score


def _sleeper(name: str, seconds: float, score: float = 0.8) -> Metric:
    async def compute(ctx: ScoringContext) -> Measured:
        await asyncio.sleep(seconds)
        return Measured(score, [f"slept {seconds}"], "test metric")

    return Metric(name, compute)


def _broken(name: str) -> Metric:
    async def compute(ctx: ScoringContext) -> Measured:
        raise ValueError("card is malformed")

    return Metric(name, compute)


CTX = ScoringContext.__new__(ScoringContext)  # the metrics above never touch it


async def test_metrics_run_concurrently_and_keep_their_order() -> None:
    metrics = [_sleeper(f"m{i}", 0.2) for i in range(8)]
    start = time.perf_counter()
    scores = await score_all(CTX, metrics, metric_timeout=5)
    elapsed = time.perf_counter() - start
    assert [s.name for s in scores] == [f"m{i}" for i in range(8)]
    assert elapsed < 0.2 * 8 / 2  # far from one after another
    assert all(0.19 <= s.latency_seconds < 1 for s in scores)


async def test_a_failing_metric_scores_zero_with_its_error() -> None:
    reported: list[str] = []

    async def on_result(score: MetricScore) -> None:
        reported.append(score.name)

    scores = await score_all(
        CTX,
        [_sleeper("ok", 0.0), _broken("broken"), _sleeper("later", 0.1)],
        metric_timeout=5,
        on_result=on_result,
    )
    ok, broken, later = scores
    assert ok.score == later.score == 0.8
    assert ok.error is None
    assert broken.score == 0.0
    assert broken.error == "ValueError: card is malformed"
    assert broken.evidence == ("error: ValueError: card is malformed",)
    assert reported[-1] == "later"  # reported as they complete: the slow one last
    assert sorted(reported) == ["broken", "later", "ok"]


def _score(
    name: str, value: float, *, applicable: bool = True, breakdown: dict[str, float] | None = None
) -> MetricScore:
    return MetricScore(name, value, 0.01, (), "", applicable, breakdown or {})


def test_net_score_is_the_weighted_mean_of_applicable_metrics() -> None:
    scores = [
        _score("license", 1.0),
        _score("ramp_up_time", 0.5),
        _score("reviewedness", -1, applicable=False),
        _score("tree_score", 0.0, applicable=False),
    ]
    expected = (WEIGHTS["license"] * 1.0 + WEIGHTS["ramp_up_time"] * 0.5) / (
        WEIGHTS["license"] + WEIGHTS["ramp_up_time"]
    )
    assert net_score(scores) == round(expected, 4)
    assert net_score([]) == 0.0


def test_gate_reports_every_failure_with_its_gap() -> None:
    policy = GatePolicy(threshold=0.5, requirements={"license": 1.0, "*": 0.5})
    decision = policy.evaluate(
        [
            _score("license", 0.5),
            _score("ramp_up_time", 0.3),
            _score("bus_factor", 0.9),
            _score("reviewedness", -1, applicable=False),
            _score("size_score", 0.3, breakdown={"raspberry_pi": 0.0, "aws_server": 1.0}),
        ],
        net_score=0.45,
    )
    assert not decision.passed
    assert [(f.metric, f.score, f.required, f.gap) for f in decision.failures] == [
        ("license", 0.5, 1.0, 0.5),
        ("ramp_up_time", 0.3, 0.5, 0.2),
        ("net_score", 0.45, 0.5, 0.05),
    ]
    assert decision.skipped == ("reviewedness",)  # size_score passes on its best device
    assert decision.policy_version == policy.version


def test_policy_version_changes_with_the_policy() -> None:
    assert GatePolicy().version == GatePolicy().version
    assert GatePolicy().version != GatePolicy(threshold=0.6).version
    assert GatePolicy(requirements={}, threshold=0).evaluate([_score("license", 0.0)]).passed
