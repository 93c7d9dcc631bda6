"""A graphql-transport-ws subscription with the token in the `connection_init` payload, as a
browser sends it (also in the upgrade headers, for registries that read only those)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from app.client.errors import ClientError, NotLoggedInError

_AUTH_CLOSE_CODES = {4401, 4403}


def _ws_url(server: str) -> str:
    return "ws" + server.removeprefix("http") + "/graphql"


async def subscribe(
    server: str,
    token: str,
    document: str,
    **variables: Any,  # noqa: ANN401
) -> AsyncIterator[dict[str, Any]]:
    """Every `next` payload's data, until the server completes the subscription."""
    auth = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                _ws_url(server), protocols=["graphql-transport-ws"], headers=auth, heartbeat=20
            ) as ws,
        ):
            await ws.send_json({"type": "connection_init", "payload": auth})
            await ws.send_json(
                {
                    "type": "subscribe",
                    "id": "1",
                    "payload": {"query": document, "variables": variables},
                }
            )
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                frame = message.json()
                if frame.get("type") == "complete":
                    return
                if frame.get("type") == "ping":
                    await ws.send_json({"type": "pong"})
                data = _data(server, frame)
                if data is not None:
                    yield data
            if ws.close_code in _AUTH_CLOSE_CODES:
                raise NotLoggedInError(server, "the token was refused")
            raise ClientError(f"the registry closed the subscription (code {ws.close_code})")
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status in {401, 403}:
            raise NotLoggedInError(server, "the token was refused") from exc
        raise ClientError(f"the registry refused the subscription: HTTP {exc.status}") from exc
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise ClientError(f"cannot reach the registry at {server} ({exc})") from exc


def _data(server: str, frame: dict[str, Any]) -> dict[str, Any] | None:
    """A `next` frame's data; an error frame raises; other frames carry none."""
    if frame.get("type") == "error":
        _raise_errors(server, frame.get("payload") or [{"message": "refused"}])
    if frame.get("type") != "next":
        return None
    payload = frame.get("payload") or {}
    _raise_errors(server, payload.get("errors") or [])
    data: dict[str, Any] = payload.get("data") or {}
    return data


def _raise_errors(server: str, errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if "UNAUTHENTICATED" in codes:
        raise NotLoggedInError(server, "the token is missing, expired or refused")
    raise ClientError("; ".join(str(e.get("message")) for e in errors))
