"""The registry's view of its own backends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.clock import utcnow

PING_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    name: str
    ok: bool
    latency_ms: float
    detail: str


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    checked_at: datetime
    uptime_seconds: int
    components: tuple[ComponentHealth, ...]


class HealthService:
    def __init__(self, probes: Mapping[str, Callable[[], Awaitable[None]]]) -> None:
        self._probes = dict(probes)
        self._started = time.monotonic()

    async def check(self) -> HealthReport:
        components = await asyncio.gather(
            *(self._probe(name, probe) for name, probe in self._probes.items())
        )
        return HealthReport(
            ok=all(c.ok for c in components),
            checked_at=utcnow(),
            uptime_seconds=int(time.monotonic() - self._started),
            components=tuple(components),
        )

    async def _probe(self, name: str, probe: Callable[[], Awaitable[None]]) -> ComponentHealth:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await probe()
        except Exception as exc:  # noqa: BLE001 - any failure is what the health check reports
            return ComponentHealth(
                name, ok=False, latency_ms=_ms(start), detail=f"{type(exc).__name__}: {exc}"[:300]
            )
        return ComponentHealth(name, ok=True, latency_ms=_ms(start), detail="ok")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
