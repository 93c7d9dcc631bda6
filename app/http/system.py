from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, delete, get, put
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from app.http.access import ADMIN, PUBLIC
from app.services import Services
from app.system.service import HealthReport

#: What `/tracks` reports: the extended track the registry takes on, access control (tokens
#: and permissions, app/http/access.py).
PLANNED_TRACKS = ("Access control track",)


@get("/health", opt=PUBLIC, summary="Liveness and the state of each backend")
async def health(services: Services) -> Response[dict[str, Any]]:
    report = await services.health.check()
    load = report.workload
    body = {
        "status": _overall(report),
        "checked_at": report.checked_at.isoformat(),
        "uptime_seconds": report.uptime_seconds,
        "workers": {"live": None if load is None else load.live_workers},
        "queue": {"depth": None if load is None else load.queue_depth},
        "components": [
            {
                "id": c.name,
                "status": "ok" if c.ok else ("down" if c.critical else "degraded"),
                "latency_ms": c.latency_ms,
                "detail": c.detail,
            }
            for c in report.components
        ],
    }
    return Response(body, status_code=HTTP_200_OK if report.ok else HTTP_503_SERVICE_UNAVAILABLE)


def _overall(report: HealthReport) -> str:
    """ok; degraded when anything is not well, but the registry serves (503 only when down)."""
    if all(c.ok for c in report.components):
        return "ok"
    return "degraded"


@get("/health/components", opt=PUBLIC, summary="Per-component health")
async def health_components(
    services: Services,
    window_minutes: Annotated[int, QueryParameter(name="windowMinutes", ge=5, le=1440)] = 60,
    include_timeline: Annotated[bool, QueryParameter(name="includeTimeline")] = False,  # noqa: FBT002, ARG001 - no timelines are kept yet
) -> dict[str, Any]:
    report = await services.health.check()
    observed = report.checked_at.isoformat()
    return {
        "generated_at": observed,
        "window_minutes": window_minutes,
        "components": [
            {
                "id": c.name,
                "display_name": c.name,
                "status": c.status,
                "observed_at": observed,
                "description": f"{c.name} backend, probed on every health check",
                "metrics": {"latency_ms": c.latency_ms},
                "issues": []
                if c.ok
                else [
                    {
                        "code": c.issue,
                        "severity": "error" if c.critical else "warning",
                        "summary": c.detail,
                    }
                ],
            }
            for c in report.components
        ],
    }


@get("/tracks", opt=PUBLIC, summary="The extended tracks this system plans")
async def tracks() -> dict[str, list[str]]:
    return {"plannedTracks": list(PLANNED_TRACKS)}


class AuthUser(msgspec.Struct):
    name: str
    is_admin: bool = False


class AuthSecret(msgspec.Struct):
    password: str


class AuthenticationRequest(msgspec.Struct):
    user: AuthUser
    secret: AuthSecret


@put("/authenticate", opt=PUBLIC, summary="Get an access token", status_code=200)
async def authenticate(
    request: Request[Any, Any, Any], services: Services, data: JSONBody[AuthenticationRequest]
) -> Response[bytes]:
    """The token comes back as the JSON string ``"bearer <token>"``, to be sent verbatim in
    ``X-Authorization``. Too many attempts answer 429 with ``Retry-After``."""
    client = request.client.host if request.client else "unknown"
    token = await services.auth.authenticate(data.user.name, data.secret.password, client=client)
    # The spec's answer is a JSON string, quotes included.
    return Response(msgspec.json.encode(f"bearer {token}"), media_type=MediaType.JSON)


@delete(
    "/reset",
    opt=ADMIN,
    summary="Reset the registry to its empty state",
    status_code=200,
    media_type=MediaType.TEXT,  # the spec's 200 has no content: an empty body, not JSON null
)
async def reset(services: Services) -> None:
    await services.reset.everything()
