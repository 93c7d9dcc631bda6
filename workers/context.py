"""What every job of a worker shares: the services, opened once at startup and closed at
shutdown, and the worker's liveness (its heartbeat and reconciling turns)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any, TypedDict, cast

from app.ingest.recovery import IngestRecovery
from app.queue import Heartbeat
from app.rating.licenses import load_license_index
from app.resources import build_recovery, build_services, open_resources
from app.services import Services
from app.settings import Settings
from workers.audit_drain import AuditDrain
from workers.file_checks import FileChecks
from workers.heartbeat import Liveness
from workers.rescore_passes import RescorePasses


class WorkerContext(TypedDict):
    """What arq hands every job; ``job_id`` and ``job_try`` are arq's own keys."""

    job_id: str
    job_try: int
    max_tries: int
    fetch_time_limit: float
    services: Services
    recovery: IngestRecovery
    #: The ids of the jobs this worker is running (``RegistryWorker`` puts it here).
    running_jobs: Callable[[], frozenset[str]]
    exit_stack: AsyncExitStack


def startup_for(settings: Settings, max_tries: int) -> Any:  # noqa: ANN401 - arq's hook type
    async def startup(ctx: dict[str, Any]) -> None:
        stack = AsyncExitStack()
        try:
            resources = await stack.enter_async_context(open_resources(settings))
            services = await build_services(resources)
            # Loaded here rather than by the first ingest, which would stall every other one.
            await asyncio.to_thread(load_license_index)
            recovery = build_recovery(resources, services)
            await stack.enter_async_context(AuditDrain(services.audit))
            await stack.enter_async_context(
                FileChecks(
                    services.files,
                    interval_seconds=settings.verify_interval_seconds,
                    sample=settings.verify_sample,
                )
            )
            await stack.enter_async_context(
                RescorePasses(
                    services.rescoring,
                    resources.redis,
                    settings.queue_name,  # already this deployment's namespace in Redis
                    interval=settings.rescore_interval,
                )
            )
            await stack.enter_async_context(
                Liveness(
                    resources.workers,
                    recovery,
                    Heartbeat(settings.worker_heartbeat_seconds),
                    ctx["running_jobs"],
                )
            )
        except BaseException:
            await stack.aclose()  # a worker that failed to start is started afresh
            raise
        ctx["exit_stack"] = stack
        ctx["recovery"] = recovery
        ctx["max_tries"] = max_tries
        # Leave the store step room inside arq's job timeout.
        ctx["fetch_time_limit"] = settings.worker_job_timeout_seconds * 0.8
        ctx["services"] = services  # last: tests wait for it as the sign of a started worker

    return startup


async def shutdown(ctx: dict[str, Any]) -> None:
    """Runs once however often it is called: a worker that failed may be closed twice."""
    stack = cast("AsyncExitStack | None", ctx.pop("exit_stack", None))
    if stack is not None:
        await stack.aclose()
