"""Metric results published while scoring: coalesced under load, complete at the end, and
never a reason for the ingest to fail."""

from __future__ import annotations

import asyncio

import pytest

from app.ingest.entities import IngestJob
from app.ingest.progress import JobProgress
from app.rating.entities import MetricScore
from tests.support.builders import ingest_job


def _score(i: int) -> MetricScore:
    return MetricScore(f"m{i}", 0.5, 0.01, (f"fact {i}",), "test metric")


class Channel:
    """Records what was published; each publish takes ``delay`` seconds."""

    def __init__(self, delay: float = 0.0, failures: int = 0) -> None:
        self.delay = delay
        self.failures = failures
        self.published: list[int] = []  # how many results each message carried

    async def publish(self, job: IngestJob) -> None:
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis went away")
        self.published.append(len(job.scores))


async def test_results_arriving_during_a_publish_go_out_together() -> None:
    channel = Channel(delay=0.02)
    progress = JobProgress(ingest_job("job-1"), channel.publish)
    for i in range(12):
        await progress.record(_score(i))
    await progress.drain()
    assert channel.published[-1] == 12  # the last message carries every result
    assert len(channel.published) < 12
    assert channel.published == sorted(channel.published)
    assert [s.name for s in progress.job.scores] == [f"m{i}" for i in range(12)]


async def test_results_apart_in_time_each_get_a_message() -> None:
    channel = Channel()
    progress = JobProgress(ingest_job("job-1"), channel.publish)
    for i in range(3):
        await progress.record(_score(i))
        await progress.drain()
    assert channel.published == [1, 2, 3]


async def test_a_failed_publish_is_logged_and_the_next_results_still_go_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = Channel(failures=1)
    progress = JobProgress(ingest_job("job-1"), channel.publish)
    await progress.record(_score(0))
    await progress.drain()  # does not raise
    await progress.record(_score(1))
    await progress.drain()
    assert channel.published == [2]
    assert "could not publish the progress of ingest job-1" in caplog.text


async def test_abandoning_stops_the_publisher() -> None:
    channel = Channel(delay=10)
    progress = JobProgress(ingest_job("job-1"), channel.publish)
    await progress.record(_score(0))
    await asyncio.sleep(0)
    progress.abandon()
    await progress.drain()
    assert channel.published == []
