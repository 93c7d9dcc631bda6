"""What a metric is: a name and an async function of the scoring context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.rating.context import ScoringContext
from app.rating.entities import Measured

MetricFn = Callable[[ScoringContext], Awaitable[Measured]]


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    compute: MetricFn


def clamp(value: float) -> float:
    """Into [0, 1], rounded so ratings compare byte for byte."""
    return round(min(1.0, max(0.0, value)), 4)


def not_applicable(
    reason: str, explanation: str, *, fallback: float = 0.0, evidence: list[str] | None = None
) -> Measured:
    """The metric's input does not exist, so there is nothing to score. ``fallback`` is the
    number the REST contract shows in its place (documented per metric); it never counts."""
    return Measured(fallback, evidence or [reason], explanation, applicable=False, reason=reason)
