"""The registry served over real HTTP: uvicorn (lifespan on) and an arq worker in a thread of
their own, with an event loop of their own, on a free loopback port. For clients that cannot
speak to the ASGI app in the test's loop, such as schemathesis, which sends its requests with
``requests``."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import uvicorn

from app.asgi import create_app
from app.embedded import free_port
from app.settings import Settings
from workers.settings import build_worker, stop_worker

_START_SECONDS = 30.0


async def _serve(
    settings: Settings,
    server: uvicorn.Server,
    ready: threading.Event,
    failed: list[BaseException],
) -> None:
    arq_worker = build_worker(settings, poll_delay=0.02)
    worker_task = asyncio.create_task(arq_worker.async_run())
    server_task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(_START_SECONDS):
            while not (server.started and "services" in arq_worker.ctx):
                if server_task.done() or worker_task.done():
                    break
                await asyncio.sleep(0.01)
        if server.started and "services" in arq_worker.ctx:
            ready.set()
        await server_task
    except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, which raises it
        failed.append(exc)
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await server_task
        await stop_worker(arq_worker, worker_task)
        ready.set()  # a waiter that timed out on startup learns it from `server.started`


@contextlib.contextmanager
def served_registry(settings: Settings) -> Iterator[str]:
    """The base URL of the registry, served until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    ready = threading.Event()
    failed: list[BaseException] = []
    thread = threading.Thread(
        target=lambda: asyncio.run(_serve(settings, server, ready, failed)),
        name=f"registry-{port}",
        daemon=True,
    )
    thread.start()
    try:
        if not ready.wait(_START_SECONDS + 5) or not server.started:
            msg = f"the registry did not start on port {port}"
            raise RuntimeError(msg) from (failed[0] if failed else None)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
