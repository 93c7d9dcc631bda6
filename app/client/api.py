"""GraphQL over HTTP and the REST calls, with every transport failure turned into a
`ClientError` the user can read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from app.client.errors import ClientError, NotLoggedInError
from app.client.tokens import read_token

_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_AUTH_CODES = {"UNAUTHENTICATED"}


@contextlib.contextmanager
def _reachable(server: str) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ClientError(f"{server} did not answer in time") from exc
    except httpx.TransportError as exc:
        raise ClientError(f"cannot reach the registry at {server} ({exc})") from exc


def login(server: str, user: str, password: str) -> str:
    with _reachable(server):
        response = httpx.put(
            f"{server}/authenticate",
            json={"user": {"name": user, "is_admin": False}, "secret": {"password": password}},
            timeout=_TIMEOUT,
        )
    if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
        raise ClientError("too many login attempts: wait a minute and try again")
    if response.status_code in {httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN}:
        raise ClientError("wrong user name or password")
    if response.status_code != httpx.codes.OK:
        raise ClientError(f"login failed: HTTP {response.status_code} {response.text[:200]}")
    answer = response.json()
    token = str(answer).removeprefix("bearer ").removeprefix("Bearer ")
    if not token:
        raise ClientError("the registry answered without a token")
    return token


class Registry:
    """A served registry, as one user sees it."""

    def __init__(self, server: str) -> None:
        self.server = server
        token = read_token(server)
        if token is None:
            raise NotLoggedInError(server)
        self.token = token

    @property
    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def query(
        self,
        document: str,
        *,
        wait: float | None = None,
        **variables: Any,  # noqa: ANN401 - GraphQL variables are JSON
    ) -> dict[str, Any]:
        """The data of a GraphQL answer; errors raise. ``wait``: seconds the answer may take
        (for a mutation that works while the client waits)."""
        with _reachable(self.server):
            response = httpx.post(
                f"{self.server}/graphql",
                json={"query": document, "variables": variables},
                headers=self.auth_header,
                timeout=_TIMEOUT if wait is None else httpx.Timeout(wait, connect=5.0),
            )
        if response.status_code in {httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN}:
            raise NotLoggedInError(self.server, "the token was refused")
        try:
            body = response.json()
        except ValueError as exc:
            raise ClientError(f"the registry answered HTTP {response.status_code}") from exc
        errors = body.get("errors") or []
        if any((e.get("extensions") or {}).get("code") in _AUTH_CODES for e in errors):
            raise NotLoggedInError(self.server, "the token is missing, expired or refused")
        if errors:
            raise ClientError("; ".join(str(e.get("message")) for e in errors))
        data: dict[str, Any] = body.get("data") or {}
        return data

    def download(self, url: str, target: Path, progress: Any) -> int:  # noqa: ANN401 - rich.progress.Progress
        """Streams the bundle to ``target``; returns its size in bytes."""
        written = 0
        partial = target.with_name(target.name + ".part")
        with (
            _reachable(self.server),
            httpx.stream(
                "GET", url, headers=self.auth_header, timeout=_TIMEOUT, follow_redirects=True
            ) as response,
        ):
            if response.status_code != httpx.codes.OK:
                raise ClientError(f"download failed: HTTP {response.status_code}")
            total = int(response.headers.get("content-length") or 0) or None
            task = progress.add_task(target.name, total=total)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    progress.update(task, completed=written)
        partial.replace(target)
        return written
