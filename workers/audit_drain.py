"""The worker's share of the audit log: moving entries from the journal (Redis) to the
document store, in order, a batch at a time, so that reads and writes on the API's path
only ever append (``app.audit.journal``)."""

from __future__ import annotations

import asyncio
import logging

from app.audit.service import DRAIN_BATCH, AuditService
from workers.background import BackgroundLoop

log = logging.getLogger(__name__)

#: How long the drain rests when the journal is empty: the most an entry waits for the
#: document store (reads show it from the journal meanwhile).
IDLE_SECONDS = 0.2
#: After a failed batch (a backend outage), the longest wait before trying again.
MAX_BACKOFF_SECONDS = 5.0


class AuditDrain(BackgroundLoop):
    name = "audit drain"

    def __init__(self, audit: AuditService, idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__()
        self._audit = audit
        self._idle = idle_seconds

    async def _run(self) -> None:
        backoff = self._idle
        while True:
            try:
                moved = await self._audit.drain()
            except Exception as exc:  # noqa: BLE001 - an outage: the entries wait in Redis
                log.warning("audit entries not moved to the document store yet: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = self._idle
            if moved < DRAIN_BATCH:
                await asyncio.sleep(self._idle)
