"""Transient is not a verdict: a metric that upstream's unavailability kept from being computed
is raised as a retryable error, never scored 0; a metric broken for its own reasons still
scores 0 with its error."""

from __future__ import annotations

import asyncio

import pytest

from app.errors import (
    AppError,
    BackendUnavailableError,
    MetricUnavailableError,
    UpstreamError,
    UpstreamRateLimitedError,
    UpstreamUnavailableError,
)
from app.rating.context import ScoringContext
from app.rating.engine import score_all
from app.rating.entities import Measured, MetricScore, Rating
from app.rating.metrics.base import Metric
from app.rating.metrics.registry import ALL_METRICS
from tests.fakehub import FakeHub
from tests.support.scoring import scoring_context

CTX = ScoringContext.__new__(ScoringContext)  # the metrics defined here never touch it
BERT = "google-bert/bert-base-uncased"  # links google-research/bert and two datasets


def _raising(name: str, exc: Exception) -> Metric:
    async def compute(ctx: ScoringContext) -> Measured:
        raise exc

    return Metric(name, compute)


def _sleeper(name: str, seconds: float) -> Metric:
    async def compute(ctx: ScoringContext) -> Measured:
        await asyncio.sleep(seconds)
        return Measured(0.8, ["slept"], "test metric")

    return Metric(name, compute)


async def _unavailable(
    metrics: list[Metric], *, metric_timeout: float = 5
) -> MetricUnavailableError:
    reported: list[str] = []

    async def on_result(score: MetricScore) -> None:
        reported.append(score.name)

    async with asyncio.timeout(10):
        with pytest.raises(MetricUnavailableError) as caught:
            await score_all(CTX, metrics, metric_timeout=metric_timeout, on_result=on_result)
    assert "slow" not in reported  # the others were cancelled, not waited for
    return caught.value


@pytest.mark.parametrize(
    ("cause", "retry_after"),
    [
        (UpstreamRateLimitedError("api.github.com is rate limiting requests", retry_after=3), 3),
        (UpstreamUnavailableError("huggingface.co answered 503"), None),
    ],
)
async def test_an_upstream_outage_is_raised_not_scored(
    cause: AppError, retry_after: float | None
) -> None:
    error = await _unavailable([_raising("reviewedness", cause), _sleeper("slow", 5)])
    assert error.code == "upstream_unavailable"
    assert error.retryable
    assert error.retry_after == retry_after  # the queue waits as long as the hub asked
    assert error.message == f"reviewedness: {cause.message}"
    assert error.__cause__ is cause


async def test_a_metric_that_times_out_waiting_is_raised_not_scored() -> None:
    error = await _unavailable([_sleeper("stuck", 5), _sleeper("slow", 5)], metric_timeout=0.1)
    assert error.code == "upstream_unavailable"
    assert "stuck timed out after 0.1 s" in error.message


async def test_a_registry_outage_is_raised_as_it_is() -> None:
    down = BackendUnavailableError("the document store did not answer")
    async with asyncio.timeout(10):
        with pytest.raises(BackendUnavailableError) as caught:
            await score_all(CTX, [_raising("tree_score", down)], metric_timeout=5)
    assert caught.value is down


async def test_a_non_transient_failure_still_scores_zero_with_its_error() -> None:
    malformed = UpstreamError("GitHub sent malformed JSON for o/r")
    [score] = await score_all(CTX, [_raising("code_quality", malformed)], metric_timeout=5)
    assert (score.score, score.applicable) == (0.0, True)
    assert score.error == "UpstreamError: GitHub sent malformed JSON for o/r"


def test_a_rating_lists_its_failed_metrics() -> None:
    ok = MetricScore("license", 1.0, 0.0, (), "")
    failed = MetricScore("code_quality", 0.0, 0.0, (), "", error="ValueError: x")
    rating = Rating(0.5, (ok, failed), "v", "w", {}, {})
    assert rating.failed == (failed,)


def test_the_reason_is_stored_and_old_documents_read_without_it() -> None:
    score = MetricScore("reviewedness", -1.0, 0.0, (), "", applicable=False, reason="no repo")
    rating = Rating(0.5, (score,), "tmr-scorer/2.0", "w", {}, {})
    assert Rating.from_dict(rating.to_dict()) == rating  # ratings are stored whole
    old = rating.to_dict()
    del old["metrics"][0]["reason"]
    assert Rating.from_dict(old).metrics[0].reason == ""


async def test_a_github_rate_limit_is_not_a_missing_repo(hub: FakeHub) -> None:
    """Today the context took any GitHub error for "no repo": reviewedness -1, code_quality 0."""
    hub.inject_fault("/repos/google-research/bert", status=429, times=100)
    async with scoring_context(hub, BERT) as ctx, asyncio.timeout(30):
        with pytest.raises(MetricUnavailableError) as caught:
            await score_all(ctx, ALL_METRICS, metric_timeout=20)
    assert caught.value.code == "upstream_unavailable"
    assert "rate limiting" in caught.value.message


async def test_a_dataset_outage_is_not_a_missing_dataset(hub: FakeHub) -> None:
    hub.inject_fault("/api/datasets/bookcorpus", status=503, times=100)
    async with scoring_context(hub, BERT) as ctx, asyncio.timeout(30):
        with pytest.raises(UpstreamUnavailableError):
            await ctx.datasets()


async def test_a_repo_that_is_not_there_is_still_no_repo(hub: FakeHub) -> None:
    hub.inject_fault("/repos/google-research/bert", status=404, times=100)
    async with scoring_context(hub, BERT) as ctx:
        assert await ctx.code() is None
