"""The registry's view of its own backends and of the workers that serve its queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.clock import utcnow

PING_TIMEOUT_SECONDS = 2.0
WORKERS_COMPONENT = "workers"


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    name: str
    ok: bool
    latency_ms: float
    detail: str
    #: What a failing component's issue is called (machine-readable).
    issue: str = "unreachable"
    #: False for a component that works but reports a problem (stored files that rot): the
    #: registry is degraded, not down.
    critical: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "critical" if self.critical else "degraded"


class ComponentFailure(Exception):  # noqa: N818 - a probe's answer, not an error of the code
    """A component that answers but is not well, with what is wrong; ``critical`` when the
    registry cannot work without it."""

    def __init__(self, detail: str, issue: str, *, critical: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issue = issue
        self.critical = critical


@dataclass(frozen=True, slots=True)
class Workload:
    live_workers: int
    #: Jobs the queue holds, waiting or being run.
    queue_depth: int


@dataclass(frozen=True, slots=True)
class HealthReport:
    #: Every critical component works (a degraded one still serves).
    ok: bool
    checked_at: datetime
    uptime_seconds: int
    components: tuple[ComponentHealth, ...]
    #: None when the queue could not be asked.
    workload: Workload | None = None


class HealthService:
    def __init__(
        self,
        probes: Mapping[str, Callable[[], Awaitable[str | None]]],
        workload: Callable[[], Awaitable[Workload]] | None = None,
    ) -> None:
        self._probes = dict(probes)
        self._workload = workload
        self._started = time.monotonic()

    async def check(self) -> HealthReport:
        workers = (
            None if self._workload is None else asyncio.create_task(self._workers(self._workload))
        )
        components = list(
            await asyncio.gather(*(self._probe(name, p) for name, p in self._probes.items()))
        )
        workload = None
        if workers is not None:
            component, workload = await workers
            components.append(component)
        return HealthReport(
            ok=all(c.ok or not c.critical for c in components),
            checked_at=utcnow(),
            uptime_seconds=int(time.monotonic() - self._started),
            components=tuple(components),
            workload=workload,
        )

    async def _probe(
        self, name: str, probe: Callable[[], Awaitable[str | None]]
    ) -> ComponentHealth:
        """A probe raises when its component is down, and may say more when it is up."""
        start = time.perf_counter()
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                said = await probe()
        except ComponentFailure as exc:
            return ComponentHealth(
                name,
                ok=False,
                latency_ms=_ms(start),
                detail=exc.detail,
                issue=exc.issue,
                critical=exc.critical,
            )
        except Exception as exc:  # noqa: BLE001 - any failure is what the health check reports
            return ComponentHealth(name, ok=False, latency_ms=_ms(start), detail=_failure(exc))
        return ComponentHealth(name, ok=True, latency_ms=_ms(start), detail=said or "ok")

    async def _workers(
        self, workload: Callable[[], Awaitable[Workload]]
    ) -> tuple[ComponentHealth, Workload | None]:
        """Jobs waiting with no worker alive to run them is an outage of its own, whatever
        the backends say; no worker and nothing to do is fine."""
        start = time.perf_counter()
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                load = await workload()
        except Exception as exc:  # noqa: BLE001 - any failure is what the health check reports
            failed = ComponentHealth(
                WORKERS_COMPONENT, ok=False, latency_ms=_ms(start), detail=_failure(exc)
            )
            return failed, None
        stalled = load.queue_depth > 0 and load.live_workers == 0
        detail = (
            f"no live worker ({load.queue_depth} queued)"
            if stalled
            else f"{load.live_workers} live, {load.queue_depth} queued"
        )
        component = ComponentHealth(
            WORKERS_COMPONENT,
            ok=not stalled,
            latency_ms=_ms(start),
            detail=detail,
            issue="no_live_worker",
        )
        return component, load


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
