"""``tmr``: the registry's command line.

This is a process entry point like ``app.asgi``: it composes the API and the worker, so it is
the one place outside ``workers`` that imports it (see the import-linter contracts)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

    from app.settings import Settings

# Everything heavier than the standard library is imported by the command that needs it, so
# `tmr --help` answers without loading the web stack, the drivers or the worker.

log = logging.getLogger("tmr")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in {"serve", "worker"}:
        return _run_server_process(args)
    from app.client.run import run_client_command  # noqa: PLC0415

    return run_client_command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tmr", description="Trustworthy Model Registry")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the registry (API + an in-process worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run a worker in this process (run `tmr worker` instead)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="API processes sharing the port and the backends (default 1)",
    )
    commands.add_parser("worker", help="run a queue worker against TMR_REDIS_URL/TMR_MONGO_URL")
    _add_client_commands(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("trustworthy-model-registry")
    except PackageNotFoundError:
        return "unknown"


def _add_client_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Every client command talks to a served registry, named once for all of them.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--server",
        default=os.environ.get("TMR_SERVER", "http://127.0.0.1:8000"),
        help="the registry's URL (default: $TMR_SERVER or http://127.0.0.1:8000)",
    )
    readable = argparse.ArgumentParser(add_help=False)
    readable.add_argument("--json", action="store_true", help="print machine-readable JSON")

    login = commands.add_parser("login", parents=[common], help="get a token and keep it")
    login.add_argument("--user", default="ece30861defaultadminuser")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    ingest = commands.add_parser(
        "ingest", parents=[common, readable], help="ingest a URL and follow its progress"
    )
    ingest.add_argument("url")
    ingest.add_argument("--type", choices=_TYPES, default="model")
    ingest.add_argument("--name", help="name to store (default: the repository's name)")
    rate = commands.add_parser("rate", parents=[common, readable], help="a model's rating")
    rate.add_argument("id")
    rescore = commands.add_parser(
        "rescore",
        parents=[common, readable],
        help="rate models again if upstream changed (admin)",
    )
    which_models = rescore.add_mutually_exclusive_group(required=True)
    which_models.add_argument("id", nargs="?", help="the model to rescore")
    which_models.add_argument("--all", action="store_true", help="every rated model")
    rescore.add_argument(
        "--force", action="store_true", help="rate again even if nothing changed upstream"
    )
    lineage = commands.add_parser(
        "lineage", parents=[common, readable], help="a model's base models and fine-tunes"
    )
    lineage.add_argument("id")
    lineage.add_argument(
        "--direction", type=str.upper, choices=["UP", "DOWN", "BOTH"], default="BOTH"
    )
    lineage.add_argument("--depth", type=int, default=5)
    search = commands.add_parser("search", parents=[common, readable], help="find artifacts")
    which = search.add_mutually_exclusive_group()
    which.add_argument("--name", help="exact name")
    which.add_argument("--regex", help="RE2 pattern over names and READMEs")
    search.add_argument("--type", choices=_TYPES, action="append", default=[])
    download = commands.add_parser("download", parents=[common], help="download a bundle")
    download.add_argument("id")
    download.add_argument("-o", "--output", type=Path, help="file to write (default: NAME.zip)")


_TYPES = ["model", "dataset", "code"]


def _run_server_process(args: argparse.Namespace) -> int:
    from app.observability.logs import configure_logging, use_json  # noqa: PLC0415
    from app.settings import get_settings  # noqa: PLC0415

    settings = get_settings()
    configure_logging(
        json=use_json(settings.log_format), level=settings.log_level, access=settings.access_log
    )
    if args.command == "serve":
        if args.workers < 1:
            sys.stderr.write("tmr serve: --workers must be 1 or more\n")
            return 2
        return _serve(
            settings, args.host, args.port, with_worker=not args.no_worker, processes=args.workers
        )
    from app.observability.metrics import serve_worker_metrics  # noqa: PLC0415

    serve_worker_metrics(settings.worker_metrics_port)
    return _worker(settings)


def _serve(
    settings: Settings, host: str, port: int, *, with_worker: bool, processes: int = 1
) -> int:
    from app.embedded import DataFolderInUseError, embedded_backends  # noqa: PLC0415
    from app.eventloop import run as run_on_best_loop  # noqa: PLC0415

    if "public_url" not in settings.model_fields_set:
        public_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - mapping, not binding
        settings = settings.model_copy(update={"public_url": f"http://{public_host}:{port}"})
    if not with_worker and (settings.embedded_mongo or settings.embedded_redis):
        # Embedded backends listen on ports picked here and told to no one else, and
        # `tmr worker` needs both URLs: no worker can join.
        log.warning(
            "--no-worker on embedded backends: nothing will process ingests (run without "
            "--no-worker, or set TMR_MONGO_URL and TMR_REDIS_URL and run `tmr worker`)"
        )
    with contextlib.ExitStack() as stack:
        try:
            embedded = stack.enter_context(
                embedded_backends(
                    settings.data_dir, mongo=settings.embedded_mongo, redis=settings.embedded_redis
                )
            )
        except DataFolderInUseError as exc:
            sys.stderr.write(f"tmr serve: {exc}\n")
            return 1
        updates = {}
        if settings.embedded_mongo:
            updates["mongo_url"] = embedded.mongo_url
        if settings.embedded_redis:
            updates["redis_url"] = embedded.redis_url
        settings = settings.model_copy(update=updates)
        if processes > 1:
            return _serve_processes(settings, host, port, with_worker=with_worker, count=processes)
        with contextlib.suppress(KeyboardInterrupt):
            run_on_best_loop(_serve_async(settings, host, port, with_worker=with_worker))
    return 0


def _serve_processes(
    settings: Settings, host: str, port: int, *, with_worker: bool, count: int
) -> int:
    """``count`` API processes on one port (uvicorn's supervisor, which restarts one that
    dies), each reading these settings from the environment, plus one ``tmr worker``. Every
    per-process cache is kept coherent through Redis (``app.auth.tokens``)."""
    import subprocess  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    os.environ.update(settings.as_environment())
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"]) if with_worker else None
    _log_pages(f"registry starting {count} API processes", str(settings.public_url))
    try:
        uvicorn.run(
            "app.asgi:served_app",
            factory=True,
            host=host,
            port=port,
            workers=count,
            lifespan="on",
            log_config=None,
        )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


async def _serve_async(settings: Settings, host: str, port: int, *, with_worker: bool) -> None:
    # Imported here: `tmr worker` processes need neither the web stack nor the schema.
    import uvicorn  # noqa: PLC0415

    from app.asgi import server_app  # noqa: PLC0415
    from workers.settings import supervised_worker  # noqa: PLC0415

    server = uvicorn.Server(
        uvicorn.Config(
            server_app(settings),
            host=host,
            port=port,
            log_level="info",
            lifespan="on",
            log_config=None,  # its lines go through the process's one log format
        )
    )
    # Supervised: a worker that fails is started again, so the API never sits on a queue
    # that nobody serves.
    worker = supervised_worker(settings) if with_worker else None
    worker_task = asyncio.create_task(worker.run()) if worker is not None else None
    announce = asyncio.create_task(_announce_pages(server, str(settings.public_url)))
    try:
        await server.serve()
    finally:
        announce.cancel()
        if worker is not None and worker_task is not None:
            worker.stop()
            await worker_task


async def _announce_pages(server: uvicorn.Server, base: str) -> None:
    """Once the server listens: where a person points the browser."""
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    _log_pages("registry ready", base)


def _log_pages(event: str, base: str) -> None:
    """Where a person points the browser: the UI, GraphiQL and the REST docs."""
    base = base.rstrip("/")
    pages = {"ui": f"{base}/", "graphiql": f"{base}/graphql", "rest_docs": f"{base}/schema"}
    log.info(
        "%s: web UI %s , GraphiQL %s , REST docs %s",
        event,
        pages["ui"],
        pages["graphiql"],
        pages["rest_docs"],
        extra=pages,
    )


def _worker(settings: Settings) -> int:
    if settings.redis_url is None or settings.mongo_url is None:
        sys.stderr.write(
            "tmr worker: set TMR_REDIS_URL and TMR_MONGO_URL to the backends the API uses\n"
        )
        return 2
    from app.eventloop import run as run_on_best_loop  # noqa: PLC0415
    from workers.settings import supervised_worker  # noqa: PLC0415

    async def run() -> None:
        # Rides out Redis and document-store outages; only SIGINT or SIGTERM ends it, once
        # the running jobs have had their chance to finish.
        worker = supervised_worker(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()

    with contextlib.suppress(KeyboardInterrupt):
        run_on_best_loop(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
