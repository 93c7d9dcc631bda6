"""Prometheus scrapes ``/metrics``: public like ``/health``, and like it, nothing about
artifacts or users, only counts and timings of this process."""

from __future__ import annotations

from litestar import Response, get

from app.http.access import PUBLIC
from app.observability.metrics import CONTENT_TYPE, exposition
from app.services import Services


@get("/metrics", opt=PUBLIC, include_in_schema=False, summary="Prometheus metrics")
async def metrics(services: Services) -> Response[bytes]:
    return Response(await exposition(services.ingest.queue_depth), media_type=CONTENT_TYPE)
