"""The worker's periodic pass over the model files the registry holds: a sample hashed again
(``MirrorService.verify``), so a blob store that rots is noticed (``/health`` shows the last
pass) before a client downloads what no longer matches its checksum."""

from __future__ import annotations

import asyncio
import logging

from app.mirror.service import MirrorService
from workers.background import BackgroundLoop

log = logging.getLogger(__name__)

#: An unfinished upload this old belongs to no running copy (its worker was killed): no copy
#: of one file takes a day.
PARTIAL_AGE_SECONDS = 24 * 3600.0


class FileChecks(BackgroundLoop):
    name = "file checks"

    def __init__(self, files: MirrorService, *, interval_seconds: float, sample: int) -> None:
        super().__init__()
        self._files = files
        self._interval = interval_seconds
        self._sample = sample

    def enabled(self) -> bool:
        return self._interval > 0

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._files.discard_partial(PARTIAL_AGE_SECONDS)
                check = await self._files.verify(self._sample)
            except Exception as exc:  # noqa: BLE001 - an outage: the next pass tries again
                log.warning("stored files not verified: %s", exc)
                continue
            log.info(
                "stored files verified: %d checked, %d corrupt", check.checked, len(check.corrupt)
            )
