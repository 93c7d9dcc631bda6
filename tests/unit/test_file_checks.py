"""The worker's periodic pass over stored files: run every interval, never when turned off,
and an outage in one pass does not end the loop."""

from __future__ import annotations

import asyncio
from typing import cast

from app.clock import utcnow
from app.mirror.entities import FileCheck
from app.mirror.service import MirrorService
from workers.file_checks import PARTIAL_AGE_SECONDS, FileChecks


class _Files:
    def __init__(self, *, failing: int = 0) -> None:
        self.samples: list[int | None] = []
        self._failing = failing
        self.third = asyncio.Event()
        self.discards: list[float] = []

    async def discard_partial(self, older_than_seconds: float) -> int:
        self.discards.append(older_than_seconds)
        return 0

    async def verify(self, sample: int | None = None) -> FileCheck:
        self.samples.append(sample)
        if len(self.samples) >= 3:
            self.third.set()
        if len(self.samples) <= self._failing:
            raise ConnectionError("the blob store went away")
        return FileCheck(utcnow(), 1, ())


async def test_passes_run_every_interval_and_go_on_after_a_failure() -> None:
    files = _Files(failing=1)
    async with FileChecks(cast("MirrorService", files), interval_seconds=0.01, sample=7):
        async with asyncio.timeout(5):
            await files.third.wait()
    assert files.samples[:3] == [7, 7, 7]
    # each pass first sweeps uploads a killed worker left, old enough to be nobody's
    assert files.discards[:3] == [PARTIAL_AGE_SECONDS] * 3


async def test_an_interval_of_zero_runs_nothing() -> None:
    files = _Files()
    async with FileChecks(cast("MirrorService", files), interval_seconds=0, sample=7):
        await asyncio.sleep(0.05)
    assert files.samples == []
