"""Per-request GraphQL context: the services, and fresh DataLoaders for every request."""

from __future__ import annotations

from typing import cast

from litestar.datastructures import State
from strawberry.litestar import BaseContext
from strawberry.types import Info

from app.services import Services
from schema.loaders import Loaders


class Context(BaseContext, kw_only=True):
    services: Services
    loaders: Loaders
    user: str


async def get_context(state: State) -> Context:
    """A Litestar dependency: resolved for HTTP requests and websockets alike."""
    services = cast("Services", state.services)
    return Context(services=services, loaders=Loaders(services), user="anonymous")


GraphQLInfo = Info[Context, None]
