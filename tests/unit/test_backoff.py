"""Waits between tries to reach a backend: doubling from a fifth of a second, jittered within
the upper half of each step, never past the cap, and back to the start once it works."""

from __future__ import annotations

from workers.reconnect import FIRST_WAIT_SECONDS, Backoff


def test_waits_double_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(cap=3.0)
    waits = [backoff.next() for _ in range(12)]
    ceilings = [min(3.0, FIRST_WAIT_SECONDS * 2**k) for k in range(12)]
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert max(waits) <= 3.0
    assert waits[-1] >= 1.5  # at the cap, still drawn from its upper half


def test_reset_starts_over() -> None:
    backoff = Backoff(cap=30.0)
    for _ in range(8):
        backoff.next()
    backoff.reset()
    assert backoff.next() <= FIRST_WAIT_SECONDS


def test_many_failures_do_not_overflow() -> None:
    backoff = Backoff(cap=5.0)
    for _ in range(10_000):
        assert backoff.next() <= 5.0
