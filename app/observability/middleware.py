"""Per-request context and metrics, as plain ASGI middleware (no framework import, so the
worker side of the package stays framework-free).

Every log line emitted while a request is handled carries its ``request_id`` (bound with
structlog's contextvars, uvicorn's access line included, since uvicorn writes it from the
request's own task); the id comes from a sane incoming ``X-Request-ID`` or is made here, and
is echoed in the response. The request's latency is recorded by route template, which the
router leaves in the scope before route middleware runs.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import structlog

from app.observability.metrics import observe_request
from app.observability.operations import MAX_SCANNED_BYTES, operation_type

# ASGI's own shapes, loosely: any server's or framework's typed variants fit them.
Scope = Mapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = b"x-request-id"
#: An incoming id is kept only if it cannot break a log line or a header: ids from proxies
#: and tracers (UUIDs, hex, base64url, dotted or colon-separated) fit.
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:+/=-]{1,128}")
GRAPHQL_PATH = "/graphql"


class ObserveRequests:
    """Litestar takes it as is in ``middleware=[...]``: it is called with ``app=``."""

    def __init__(self, app: ASGIApp, graphql_path: str = GRAPHQL_PATH) -> None:
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            if scope["type"] == "websocket":
                await self.app(scope, receive, _echoing(send, request_id, "websocket.accept"))
            else:
                await self._http(scope, receive, send, request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        route = str(scope.get("path_template") or "unmatched")
        body = _BodyCopy(receive) if self._is_graphql_post(scope, route) else None
        status = 500  # unless the app answers: an exception escaping it is a 500 for us

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(
                scope,
                body.receive if body is not None else receive,
                _echoing(send_observed, request_id, "http.response.start"),
            )
        finally:
            observe_request(
                method=str(scope.get("method", "")),
                route=route,
                status=status,
                operation=self._operation(scope, route, body),
                seconds=time.perf_counter() - started,
            )

    def _is_graphql_post(self, scope: Scope, route: str) -> bool:
        return route == self.graphql_path and scope.get("method") == "POST"

    def _operation(self, scope: Scope, route: str, body: _BodyCopy | None) -> str:
        if route != self.graphql_path:
            return ""
        if body is not None:
            return operation_type(body.data) if not body.truncated else "unknown"
        # GET: a query in the query string (GET may only run queries), else the IDE page.
        return "query" if b"query=" in scope.get("query_string", b"") else ""


class _BodyCopy:
    """Keeps a copy of what the app reads of the body, up to a bound, to label the request
    after it has been answered; the app reads the body exactly as it would have."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._chunks: list[bytes] = []
        self._size = 0
        self.truncated = False

    async def receive(self) -> Message:
        message: Message = await self._receive()
        if message["type"] == "http.request" and not self.truncated:
            chunk = bytes(message.get("body", b""))
            self._size += len(chunk)
            if self._size > MAX_SCANNED_BYTES:
                self.truncated = True
                self._chunks.clear()
            else:
                self._chunks.append(chunk)
        return message

    @property
    def data(self) -> bytes:
        return b"".join(self._chunks)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None


def _echoing(send: Send, request_id: str, start_type: str) -> Send:
    async def send_with_id(message: Message) -> None:
        if message["type"] == start_type:
            headers = list(message.get("headers") or ())
            if not any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
            message["headers"] = headers
        await send(message)

    return send_with_id
