"""A rating record keeps what the rating was made from, and says which metrics moved."""

from __future__ import annotations

from datetime import UTC, datetime

from app.artifacts.entities import MetricMove, RatingReason, RatingRecord
from app.rating.entities import GateDecision, MetricScore, Rating

AT = datetime(2026, 12, 6, tzinfo=UTC)


def _rating(tree: float | None, license_score: float = 1.0) -> Rating:
    metrics = (
        MetricScore("license", license_score, 0.0, (), ""),
        MetricScore("tree_score", tree or 0.0, 0.0, (), "", applicable=tree is not None),
        MetricScore("bus_factor", 0.0, 0.0, (), "", error="TimeoutError"),
    )
    gate = GateDecision(
        passed=True, policy_version="gate-2:abc", threshold=0.5, failures=(), skipped=()
    )
    return Rating(0.7, metrics, "tmr-scorer/2.0", "w1", {}, {"model": "c0ffee"}, gate)


def test_a_record_keeps_the_scores_that_count_and_where_they_came_from() -> None:
    record = RatingRecord.of(_rating(None), RatingReason.INGEST, "from hf", at=AT)
    assert record.scores == {"license": 1.0}  # not applicable and failed metrics left out
    assert record.revisions == {"model": "c0ffee"}
    assert (record.scorer_version, record.policy_version, record.gate_passed) == (
        "tmr-scorer/2.0",
        "gate-2:abc",
        True,
    )


def test_moved_names_each_metric_that_changed_or_came_to_apply() -> None:
    first = RatingRecord.of(_rating(None), RatingReason.INGEST, at=AT)
    second = RatingRecord.of(_rating(0.8, license_score=0.5), RatingReason.PARENT_RERATED, at=AT)
    assert second.moved_from(first) == (
        MetricMove("license", 1.0, 0.5),
        MetricMove("tree_score", None, 0.8),
    )
    assert first.moved_from(None) == ()
    assert second.moved_from(second) == ()
