"""Every metric the scorer runs, in the order ratings list them."""

from __future__ import annotations

from app.rating.metrics import (
    bus_factor,
    code_quality,
    dataset_and_code_score,
    dataset_quality,
    performance_claims,
    ramp_up_time,
    reproducibility,
    reviewedness,
    size_score,
    tree_score,
    weights_safety,
)
from app.rating.metrics import license as license_metric
from app.rating.metrics.base import Metric

ALL_METRICS: tuple[Metric, ...] = (
    ramp_up_time.METRIC,
    bus_factor.METRIC,
    performance_claims.METRIC,
    license_metric.METRIC,
    size_score.METRIC,
    dataset_and_code_score.METRIC,
    dataset_quality.METRIC,
    code_quality.METRIC,
    reproducibility.METRIC,
    reviewedness.METRIC,
    tree_score.METRIC,
    weights_safety.METRIC,
)
