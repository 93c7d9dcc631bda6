"""What a host says is left is honoured before a request is sent, and an operator's pace is
kept by a token bucket per host (app.upstream.ratelimit); time is simulated."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.errors import UpstreamRateLimitedError
from app.upstream.ratelimit import HostBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    return clock


async def test_a_spent_github_window_is_not_asked_again_before_its_reset(clock: Clock) -> None:
    budget = HostBudget("api.github.com", clock=clock)
    await budget.acquire(max_wait=30)
    reset = int(time.time()) + 600
    budget.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    with pytest.raises(UpstreamRateLimitedError) as refused:
        await budget.acquire(max_wait=30)
    assert refused.value.retry_after is not None
    assert 590 < refused.value.retry_after <= 600
    assert clock.slept == []  # refused at once, nothing sent, no worker slot held


async def test_a_near_reset_is_waited_for(clock: Clock) -> None:
    budget = HostBudget("huggingface.co", clock=clock)
    budget.observe({"ratelimit": '"api";r=0;t=2'})  # the hub's own field
    await budget.acquire(max_wait=30)
    assert clock.slept == [2.0]
    budget.observe({"ratelimit": '"api";r=499;t=200', "x-ratelimit-remaining": "oops"})
    await budget.acquire(max_wait=30)
    assert clock.slept == [2.0]  # something left: sent at once


async def test_a_pace_spreads_requests_over_time(clock: Clock) -> None:
    budget = HostBudget("api.github.com", rate=10, clock=clock)
    for _ in range(15):
        await budget.acquire(max_wait=30)
    # a burst of 10, then one every tenth of a second
    assert len(clock.slept) == 5
    assert all(abs(s - 0.1) < 1e-6 for s in clock.slept)
