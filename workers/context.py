from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any, TypedDict, cast

from app.rating.licenses import load_license_index
from app.resources import build_services, open_resources
from app.services import Services
from app.settings import Settings


class WorkerContext(TypedDict):
    """What arq hands every job; ``job_id`` and ``job_try`` are arq's own keys."""

    job_id: str
    job_try: int
    max_tries: int
    fetch_time_limit: float
    services: Services
    exit_stack: AsyncExitStack


def startup_for(settings: Settings, max_tries: int) -> Any:  # noqa: ANN401 - arq's hook type
    async def startup(ctx: dict[str, Any]) -> None:
        stack = AsyncExitStack()
        resources = await stack.enter_async_context(open_resources(settings))
        ctx["services"] = await build_services(resources)
        # Loaded here rather than by the first ingest, which would stall every other one.
        await asyncio.to_thread(load_license_index)
        ctx["exit_stack"] = stack
        ctx["max_tries"] = max_tries
        # Leave the store step room inside arq's job timeout.
        ctx["fetch_time_limit"] = settings.worker_job_timeout_seconds * 0.8

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    stack = cast("AsyncExitStack | None", ctx.get("exit_stack"))
    if stack is not None:
        await stack.aclose()
