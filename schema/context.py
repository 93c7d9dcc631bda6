"""Per-request GraphQL context: the services, fresh DataLoaders, and who is asking."""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from strawberry.litestar import BaseContext
from strawberry.types import Info

from app.auth.entities import Permission, Principal
from app.auth.service import require
from app.services import Services
from schema.loaders import Loaders

TOKEN_KEYS = frozenset({"authorization", "x-authorization"})


class Context(BaseContext, kw_only=True):
    services: Services
    loaders: Loaders
    #: The token of the request's (or WebSocket upgrade's) headers.
    header_token: str | None = None
    #: A WebSocket's graphql-transport-ws `connection_init` payload (strawberry sets it).
    connection_params: dict[str, object] | None = None
    principal: Principal | None = None

    @property
    def token(self) -> str | None:
        """The token to check, once per operation (schema.guard). A browser cannot set
        headers on a WebSocket upgrade, so GraphiQL and other browser clients send it in the
        `connection_init` payload, as `Authorization` or `X-Authorization`."""
        for key, value in (self.connection_params or {}).items():
            if key.lower() in TOKEN_KEYS and isinstance(value, str) and value.strip():
                return value
        return self.header_token

    @property
    def user(self) -> str:
        return "anonymous" if self.principal is None else self.principal.name

    def require(self, permission: Permission) -> Principal:
        if self.principal is None:  # pragma: no cover - schema.access runs first
            raise RuntimeError("operation ran without an authenticated principal")
        require(self.principal, permission)
        return self.principal


async def get_context(state: State, request: ASGIConnection[Any, Any, Any, Any]) -> Context:
    """A Litestar dependency: resolved for HTTP requests and websockets alike (for a
    websocket, ``request`` is the upgrade request and its headers)."""
    services = cast("Services", state.services)
    token = request.headers.get("authorization") or request.headers.get("x-authorization")
    return Context(services=services, loaders=Loaders(services), header_token=token)


GraphQLInfo = Info[Context, None]
