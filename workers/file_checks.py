"""The worker's periodic pass over the model files the registry holds: a sample hashed again
(``MirrorService.verify``), so a blob store that rots is noticed (``/health`` shows the last
pass) before a client downloads what no longer matches its checksum."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

from app.mirror.service import MirrorService

log = logging.getLogger(__name__)


class FileChecks:
    def __init__(self, files: MirrorService, *, interval_seconds: float, sample: int) -> None:
        self._files = files
        self._interval = interval_seconds
        self._sample = sample
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="file checks")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                check = await self._files.verify(self._sample)
            except Exception as exc:  # noqa: BLE001 - an outage: the next pass tries again
                log.warning("stored files not verified: %s", exc)
                continue
            log.info(
                "stored files verified: %d checked, %d corrupt", check.checked, len(check.corrupt)
            )
