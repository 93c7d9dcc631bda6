"""Runs every metric of one model concurrently, each under its own timeout.

A metric that fails or times out scores 0 with its error in the evidence; it never fails the
ingest. Results are reported as each one completes, and returned in the metrics' order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from app.rating.context import ScoringContext
from app.rating.entities import MetricScore
from app.rating.metrics.base import Metric

log = logging.getLogger(__name__)

OnResult = Callable[[MetricScore], Awaitable[None]]


async def score_all(
    ctx: ScoringContext,
    metrics: Sequence[Metric],
    *,
    metric_timeout: float,
    on_result: OnResult | None = None,
) -> tuple[MetricScore, ...]:
    results: dict[str, MetricScore] = {}

    async def run(metric: Metric) -> None:
        result = await _measure(ctx, metric, metric_timeout)
        results[metric.name] = result
        if on_result is not None:
            await on_result(result)

    async with asyncio.TaskGroup() as group:
        for metric in metrics:
            group.create_task(run(metric))
    return tuple(results[m.name] for m in metrics)


async def _measure(ctx: ScoringContext, metric: Metric, metric_timeout: float) -> MetricScore:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(metric_timeout):
            measured = await metric.compute(ctx)
    except TimeoutError:
        return _failed(metric.name, start, f"timed out after {metric_timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - a broken metric must not fail the ingest
        log.warning("metric %s failed: %r", metric.name, exc)
        return _failed(metric.name, start, f"{type(exc).__name__}: {exc}"[:300])
    return MetricScore(
        name=metric.name,
        score=measured.score,
        latency_seconds=_since(start),
        evidence=tuple(measured.evidence),
        explanation=measured.explanation,
        applicable=measured.applicable,
        breakdown=dict(measured.breakdown),
    )


def _failed(name: str, start: float, error: str) -> MetricScore:
    return MetricScore(
        name=name,
        score=0.0,
        latency_seconds=_since(start),
        evidence=(f"error: {error}",),
        explanation="The metric could not be computed; it scores 0.",
        error=error,
    )


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 4)
