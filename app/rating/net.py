"""The net score: one weighted mean over the metrics, with versioned weights.

    net_score = sum(w[m] * score[m]) / sum(w[m])   over metrics that apply

A metric that does not apply (``applicable`` False: code_quality and reviewedness without a
linked repo, dataset_quality without a dataset, tree_score without a registered parent, ...)
leaves the mean rather than counting as its REST fallback (0, or reviewedness's -1).
size_score enters with its mean over the four devices. Changing a weight means a new
WEIGHTS_VERSION."""

from __future__ import annotations

from collections.abc import Iterable

from app.rating.entities import MetricScore

WEIGHTS_VERSION = "2026.11-1"
WEIGHTS: dict[str, float] = {
    "license": 0.15,
    "ramp_up_time": 0.10,
    "bus_factor": 0.10,
    "performance_claims": 0.10,
    "size_score": 0.05,
    "dataset_and_code_score": 0.10,
    "dataset_quality": 0.08,
    "code_quality": 0.08,
    "reproducibility": 0.08,
    "reviewedness": 0.08,
    "tree_score": 0.08,
}


def net_score(scores: Iterable[MetricScore], weights: dict[str, float] = WEIGHTS) -> float:
    total = weighted = 0.0
    for s in scores:
        weight = weights.get(s.name, 0.0)
        if weight <= 0 or not s.applicable or s.score < 0:
            continue
        total += weight
        weighted += weight * s.score
    return round(weighted / total, 4) if total else 0.0
