"""The worker's rescore passes (``RescoreService.rescore_all``): one at startup when a model
was rated by another scorer version, then every TMR_RESCORE_INTERVAL seconds. Several workers
share one schedule: a pass takes a lease in Redis, so only one of them runs it."""

from __future__ import annotations

import asyncio
import logging

from arq import ArqRedis

from app.rescoring.service import RescoreService
from workers.background import BackgroundLoop

log = logging.getLogger(__name__)


class RescorePasses(BackgroundLoop):
    name = "rescore passes"

    def __init__(
        self, rescoring: RescoreService, redis: ArqRedis, namespace: str, *, interval: float
    ) -> None:
        super().__init__()
        self._rescoring = rescoring
        self._redis = redis
        self._lease = f"{namespace}:rescore-pass"
        self._interval = interval

    def enabled(self) -> bool:
        return self._interval > 0

    async def _run(self) -> None:
        await self._pass(outdated_only=True)  # a new scorer version rates again at once
        while True:
            await asyncio.sleep(self._interval)
            await self._pass(outdated_only=False)

    async def _pass(self, *, outdated_only: bool) -> None:
        try:
            # the lease outlives a pass by nothing: it ends when the next one is due
            if not await self._redis.set(self._lease, "1", nx=True, px=int(self._interval * 1000)):
                return  # another worker runs this one
            report = await self._rescoring.rescore_all(outdated_only=outdated_only)
        except Exception as exc:  # noqa: BLE001 - an outage: the next pass tries again
            log.warning("rescore pass not run: %s", exc)
            return
        log.info(
            "rescore pass: %d checked, %d rescored, %d failed",
            report.checked,
            report.rescored,
            report.failed,
        )
