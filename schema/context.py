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


class Context(BaseContext, kw_only=True):
    services: Services
    loaders: Loaders
    #: The token the request carried; checked once per operation (see schema.access).
    token: str | None = None
    principal: Principal | None = None

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
    return Context(services=services, loaders=Loaders(services), token=token)


GraphQLInfo = Info[Context, None]
