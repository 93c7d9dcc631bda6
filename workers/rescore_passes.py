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

#: How long one worker's start-up pass keeps the others' from starting too.
_UPGRADE_LEASE_SECONDS = 600.0


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
        # a new scorer version rates again at once; a start-up's lease is its own, so that
        # it never holds back the first scheduled pass
        await self._pass("upgrade", _UPGRADE_LEASE_SECONDS, outdated_only=True)
        while True:
            await asyncio.sleep(self._interval)
            # held for most of an interval: the next pass is due when it lapses
            await self._pass("scheduled", self._interval * 0.9, outdated_only=False)

    async def _pass(self, kind: str, lease_seconds: float, *, outdated_only: bool) -> None:
        lease = f"{self._lease}:{kind}"
        try:
            if not await self._redis.set(lease, "1", nx=True, px=max(1, int(lease_seconds * 1000))):
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
