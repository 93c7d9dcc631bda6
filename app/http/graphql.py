"""The GraphQL endpoint as a Litestar controller: strawberry's, with its IDE served offline
and request bodies that are not GraphQL requests refused with 400.

The schema is handed in by the composition root (``app.asgi``), the only importer of it."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Final

import strawberry
from cross_web import HTTPException
from litestar import Controller, Response
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.types import Dependencies
from strawberry.litestar import make_graphql_controller

from app.http.access import PUBLIC
from app.http.web import STATIC_PATH

GRAPHIQL_ASSETS: Final = f"{STATIC_PATH}/graphiql"
# GraphiQL's page loads react, graphiql and friends from a CDN; the same files ship with the
# app under GRAPHIQL_ASSETS (byte-identical, so the page's integrity hashes still hold).
_CDN_ASSET = re.compile(r"https://unpkg\.com/(@?[^@\"]+)@[^/\"]+/")


def graphql_controller(
    schema: strawberry.Schema, context_getter: Callable[..., Awaitable[Any]]
) -> type[Controller]:
    base = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=context_getter,
        keep_alive=True,
        keep_alive_interval=15,
    )

    class GraphQLController(base):  # type: ignore[valid-type,misc]
        # GraphQL checks tokens itself, per field: its page and `authenticate` are open.
        opt = PUBLIC
        # strawberry builds each request's response object on a worker thread
        # (sync_to_thread=True): a thread hop per request for a constructor call. Built on the
        # event loop instead. And Litestar resolves the dependencies of one level in a task
        # group, a task each, which costs more than these providers do: each names the one
        # before it, so every level holds one and they run in turn on the request's task.
        dependencies: ClassVar[Dependencies] = {
            **base.dependencies,
            "response": Provide(_response_after, sync_to_thread=False),
            "root_value": Provide(_no_root_value_after, sync_to_thread=False),
        }

        @property
        def graphql_ide_html(self) -> str:
            html: str = super().graphql_ide_html
            return _CDN_ASSET.sub(rf"{GRAPHIQL_ASSETS}/\1/", html)

        def parse_json(self, data: str | bytes) -> object:
            return parse_request_json(data)

    return GraphQLController


def _no_root_value_after(custom_context: object) -> None:  # noqa: ARG001 - for order
    return None


def _response_after(root_value: None) -> Response[Any]:  # noqa: ARG001 - for order
    # What strawberry's own getter returns: headers and background tasks the resolvers add to.
    return Response({}, background=BackgroundTasks([]))


def parse_request_json(data: str | bytes) -> object:
    """A GraphQL request body: an object, or a list of objects (a batch, which strawberry
    then refuses itself). Anything else a client can send - a bare string or null, invalid
    UTF-8, JSON nested past the parser's recursion limit - is a 400, not a crash."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise HTTPException(400, "The request body is not valid JSON") from exc
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, dict) for item in items):
        raise HTTPException(400, "A GraphQL request is a JSON object with a `query`")
    return value
