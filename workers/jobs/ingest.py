from __future__ import annotations

from typing import Any, cast

from structlog.contextvars import bound_contextvars

from app.errors import AppError
from workers.context import WorkerContext
from workers.errors import to_retry


async def run_ingest(ctx: dict[str, Any], ingest_id: str) -> None:
    # arq types ctx as a plain dict; narrow it once.
    wctx = cast("WorkerContext", ctx)
    attempt = wctx["job_try"]
    # Every line logged while the job runs names it, whichever logger writes it.
    with bound_contextvars(job_id=ingest_id, attempt=attempt):
        try:
            await wctx["services"].ingest.run(
                ingest_id,
                attempt=attempt,
                final_attempt=attempt >= wctx["max_tries"],
                time_limit=wctx["fetch_time_limit"],
            )
        except AppError as exc:
            raise to_retry(exc, attempt) from exc
