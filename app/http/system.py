from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from app.services import Services


@get("/health", summary="Liveness and the state of each backend")
async def health(services: Services) -> Response[dict[str, Any]]:
    report = await services.health.check()
    body = {
        "status": "ok" if report.ok else "degraded",
        "checked_at": report.checked_at.isoformat(),
        "uptime_seconds": report.uptime_seconds,
        "components": [
            {
                "id": c.name,
                "status": "ok" if c.ok else "down",
                "latency_ms": c.latency_ms,
                "detail": c.detail,
            }
            for c in report.components
        ],
    }
    return Response(body, status_code=HTTP_200_OK if report.ok else HTTP_503_SERVICE_UNAVAILABLE)
