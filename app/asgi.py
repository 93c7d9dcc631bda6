"""Composition root of the API process: the only module that imports ``schema``.

Run with ``tmr serve`` (embedded backends) or any ASGI server:
``uvicorn --factory app.asgi:create_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.errors import AppError
from app.eventloop import settle_heap
from app.http.access import provide_principal, require_token
from app.http.deps import provide_services
from app.http.errors import app_error_to_response, unexpected_error_to_response
from app.http.graphql import graphql_controller
from app.http.routes import REST_HANDLERS
from app.http.web import openapi_config, static_files, web_ui
from app.observability.middleware import ObserveRequests
from app.resources import build_services, open_resources
from app.settings import Settings, get_settings
from schema import build_schema, get_context


def served_app() -> Litestar:
    """The app of one API process among several (``tmr serve --workers N``): its settings
    and log format from the environment its parent set."""
    from app.observability.logs import configure_logging, use_json  # noqa: PLC0415

    settings = get_settings()
    configure_logging(
        json=use_json(settings.log_format), level=settings.log_level, access=settings.access_log
    )
    return server_app(settings)


def server_app(settings: Settings) -> Litestar:
    """The app as a server process runs it: its heap settled once it has started."""
    app = create_app(settings)
    app.on_startup.append(settle_heap)
    return app


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            services = await build_services(resources)
            app.state.services = services
            try:
                yield
            finally:
                await services.auth.close()

    return Litestar(
        route_handlers=[
            *REST_HANDLERS,
            graphql_controller(build_schema(), get_context),
            web_ui,
            static_files,
        ],
        lifespan=[lifespan],
        guards=[require_token],
        # request ids in every log line, latency by route template in /metrics
        middleware=[ObserveRequests],
        # The process owns logging (app.observability.logs): Litestar's default config would
        # replace the root handler with one of its own format.
        logging_config=None,
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            "services": Provide(provide_services, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        exception_handlers={
            AppError: app_error_to_response,
            HTTP_500_INTERNAL_SERVER_ERROR: unexpected_error_to_response,
        },
        openapi_config=openapi_config(),
        request_max_body_size=1024 * 1024,
    )
