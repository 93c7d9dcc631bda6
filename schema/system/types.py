from __future__ import annotations

from datetime import datetime

import strawberry

from app.system.service import HealthReport


@strawberry.type
class ComponentHealth:
    name: str
    ok: bool
    latency_ms: float
    detail: str


@strawberry.type
class Health:
    ok: bool
    checked_at: datetime
    uptime_seconds: int
    components: list[ComponentHealth]

    @classmethod
    def from_entity(cls, report: HealthReport) -> Health:
        return cls(
            ok=report.ok,
            checked_at=report.checked_at,
            uptime_seconds=report.uptime_seconds,
            components=[
                ComponentHealth(name=c.name, ok=c.ok, latency_ms=c.latency_ms, detail=c.detail)
                for c in report.components
            ],
        )
