"""Access control for REST: one guard on the app. Routes declare what they need in their
``opt``: ``public`` (no token), or the ``permission`` the caller's token must carry."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.artifacts.visibility import view_as
from app.auth.entities import Permission, Principal
from app.auth.service import require
from app.services import Services

PUBLIC: dict[str, Any] = {"public": True}
UPLOAD: dict[str, Any] = {"permission": Permission.UPLOAD}
SEARCH: dict[str, Any] = {"permission": Permission.SEARCH}
DOWNLOAD: dict[str, Any] = {"permission": Permission.DOWNLOAD}
ADMIN: dict[str, Any] = {"permission": Permission.ADMIN}


def request_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """``X-Authorization`` (the course contract) or ``Authorization: Bearer``."""
    return connection.headers.get("x-authorization") or connection.headers.get("authorization")


async def require_token(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if handler.opt.get("public"):
        return
    services = cast("Services", connection.app.state.services)
    principal = await services.auth.principal(request_token(connection))
    if (permission := handler.opt.get("permission")) is not None:
        require(principal, Permission(permission))
    connection.state.principal = principal
    view_as(principal)  # what the handler reads, it reads for this caller


def provide_principal(
    request: Request[Any, Any, Any],
    services: Services,  # noqa: ARG001 - for order
) -> Principal:
    """The caller the guard checked. It names ``services`` so that Litestar resolves the two
    in turn on the request's task: dependencies of one level are resolved in a task group, a
    task each, which costs more than these lookups (about 6% of a read by id)."""
    return cast("Principal", request.state.principal)
