"""Runs every metric of one model concurrently, each under its own timeout.

A metric that fails for a reason of its own (a bug, data it cannot read) scores 0 with its
error in the evidence; it never fails the ingest. A metric that could not be computed because
upstream was unavailable (a retryable upstream error: rate limit, 5xx, lost connection) or that
ran out of time waiting for it is no measurement at all: the first such failure cancels the
other metrics and is raised as :class:`MetricUnavailableError`, so the ingest is retried rather
than stored with a 0. Any other retryable error (a registry backend that went away while a
metric asked it something) is raised as it is, for the same reason. Results are reported as
each one completes, and returned in the metrics' order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from app.errors import AppError, MetricUnavailableError, UpstreamError, UpstreamRateLimitedError
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

    try:
        async with asyncio.TaskGroup() as group:
            for metric in metrics:
                group.create_task(run(metric))
    except* AppError as unavailable:  # only retryable ones leave _measure
        first = unavailable.exceptions[0]  # one outage is reason enough to try again later
        raise first from first.__cause__
    return tuple(results[m.name] for m in metrics)


async def _measure(ctx: ScoringContext, metric: Metric, metric_timeout: float) -> MetricScore:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(metric_timeout):
            measured = await metric.compute(ctx)
    except TimeoutError as exc:
        # A metric's own work is bounded and small; its time goes to waiting on upstream.
        raise MetricUnavailableError(
            f"{metric.name} timed out after {metric_timeout:g} s waiting for upstream"
        ) from exc
    except AppError as exc:
        if not exc.retryable:
            return _failed(metric.name, start, exc)
        if isinstance(exc, UpstreamError):
            raise _unavailable(metric.name, exc) from exc
        raise
    except Exception as exc:  # noqa: BLE001 - a broken metric must not fail the ingest
        return _failed(metric.name, start, exc)
    return MetricScore(
        name=metric.name,
        score=measured.score,
        latency_seconds=_since(start),
        evidence=tuple(measured.evidence),
        explanation=measured.explanation,
        applicable=measured.applicable,
        breakdown=dict(measured.breakdown),
        reason=measured.reason,
    )


def _unavailable(name: str, exc: AppError) -> MetricUnavailableError:
    retry_after = exc.retry_after if isinstance(exc, UpstreamRateLimitedError) else None
    return MetricUnavailableError(f"{name}: {exc.message}", retry_after=retry_after)


def _failed(name: str, start: float, exc: Exception) -> MetricScore:
    log.warning("metric %s failed: %r", name, exc)
    error = f"{type(exc).__name__}: {exc}"[:300]
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
