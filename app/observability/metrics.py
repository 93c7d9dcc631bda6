"""Every Prometheus metric of the registry, defined once, and the small functions the rest of
the code records through (domain services call these, never ``prometheus_client``).

Labels stay bounded: routes by their path template, GraphQL by operation type, upstream
calls by host (the allow-listed hubs); nothing names an artifact, a user or a job.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: A scrape must answer even when Redis does not: the depth is then reported as unknown (NaN).
QUEUE_DEPTH_TIMEOUT_SECONDS = 1.0

HTTP_REQUEST_SECONDS = Histogram(
    "tmr_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (GraphQL: by operation type)",
    ["method", "route", "status", "operation"],
)
INGEST_TRANSITIONS = Counter(
    "tmr_ingest_transitions",
    "Ingest jobs entering each state (QUEUED is the state a job is created in)",
    ["state"],
)
QUEUE_DEPTH = Gauge(
    "tmr_queue_depth",
    "Jobs in the ingest queue (waiting, deferred for a retry, or running), read at scrape time",
)
GATE_DECISIONS = Counter(
    "tmr_gate_decisions", "Quality-gate decisions on model ingests", ["outcome"]
)
UPSTREAM_REQUESTS = Counter(
    "tmr_upstream_requests",
    "Requests to upstream hubs by host and HTTP status ('error' or 'timeout': no answer)",
    ["host", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "tmr_upstream_request_duration_seconds",
    "Time from sending an upstream request to its response headers (or its failure)",
    ["host"],
)

for _outcome in ("passed", "rejected"):  # both series exist from the start, for rate()
    GATE_DECISIONS.labels(_outcome)


def observe_request(
    *, method: str, route: str, status: int, operation: str, seconds: float
) -> None:
    HTTP_REQUEST_SECONDS.labels(method, route, str(status), operation).observe(seconds)


def record_transition(state: str) -> None:
    INGEST_TRANSITIONS.labels(state).inc()


def record_gate_decision(*, passed: bool) -> None:
    GATE_DECISIONS.labels("passed" if passed else "rejected").inc()


def record_upstream(host: str, status: str, seconds: float) -> None:
    UPSTREAM_REQUESTS.labels(host, status).inc()
    UPSTREAM_SECONDS.labels(host).observe(seconds)


async def exposition(queue_depth: Callable[[], Awaitable[int]]) -> bytes:
    """The text exposition of this process's metrics, with the queue depth read now."""
    try:
        async with asyncio.timeout(QUEUE_DEPTH_TIMEOUT_SECONDS):
            QUEUE_DEPTH.set(await queue_depth())
    except Exception as exc:  # noqa: BLE001 - any failure means "depth unknown", never a failed scrape
        log.warning("queue depth unavailable for /metrics: %r", exc)
        QUEUE_DEPTH.set(math.nan)
    # generate_latest walks every series; off the event loop, it cannot stall requests.
    return await asyncio.to_thread(generate_latest, REGISTRY)


def serve_worker_metrics(port: int | None) -> None:
    """Serve this process's metrics on ``port`` (a daemon thread), if a port is set.

    Why a port per worker rather than prometheus_client's multiprocess mode or a push
    gateway: workers are long-lived processes on any host (compose scales them), which is
    what Prometheus scrapes directly; multiprocess mode only joins processes sharing one
    folder on one host, and a push gateway is meant for short batch jobs and would keep a
    dead worker's last figures forever. ``tmr serve``'s in-process worker needs none of
    this: it shares the API's registry, so ``/metrics`` shows its jobs."""
    if port is not None:
        start_http_server(port)
