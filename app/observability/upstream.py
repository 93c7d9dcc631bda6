"""Upstream calls counted where aiohttp makes them: its request tracing sees every request of
the session, each redirect hop included, whoever builds the request and however it is read."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import aiohttp

from app.observability.metrics import record_upstream


def upstream_trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_started)
    trace.on_request_redirect.append(_redirected)
    trace.on_request_end.append(_ended)
    trace.on_request_exception.append(_failed)
    return trace


async def _started(
    _session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: aiohttp.TraceRequestStartParams
) -> None:
    ctx.started = time.perf_counter()


async def _redirected(
    _session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestRedirectParams,
) -> None:
    _record(ctx, params.url.host, str(params.response.status))
    ctx.started = time.perf_counter()  # the next hop is timed from here


async def _ended(
    _session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    _record(ctx, params.url.host, str(params.response.status))


async def _failed(
    _session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestExceptionParams,
) -> None:
    if isinstance(params.exception, asyncio.CancelledError):
        return  # our own cancellation (a job cut short) says nothing about the host
    timed_out = isinstance(params.exception, TimeoutError)
    _record(ctx, params.url.host, "timeout" if timed_out else "error")


def _record(ctx: SimpleNamespace, host: str | None, status: str) -> None:
    started: float = getattr(ctx, "started", time.perf_counter())
    record_upstream(host or "", status, time.perf_counter() - started)
