"""Request and reply values shared by the Hugging Face and GitHub routers.

Routers are plain functions from `Request` to `Reply`, so they know nothing about sockets and
the HTTP server stays a thin shell around them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Request:
    method: str
    # Percent-decoded path segments; empty segments (double or trailing slashes) are dropped.
    segments: tuple[str, ...]
    query: Mapping[str, list[str]]
    # Lower-cased header names.
    headers: Mapping[str, str]

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_param(self, name: str, default: int) -> int:
        value = self.param(name)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    @property
    def bearer(self) -> bool:
        return self.headers.get("authorization", "").lower().startswith("bearer ")

    @property
    def base_url(self) -> str:
        # Links the fake hands out must lead back to the fake, whatever port it got.
        return f"http://{self.headers.get('host', '127.0.0.1')}"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_body(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def json_reply(status: int, value: object, headers: Mapping[str, str] | None = None) -> Reply:
    body = json_body(value)
    weak_etag = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    return Reply(
        status,
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "ETag": f'W/"{weak_etag}"',
            **(headers or {}),
        },
    )


def git_blob_sha(data: bytes) -> str:
    """The git object id of a blob: what HF calls `blobId` and GitHub calls a file's `sha`."""
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def request_id() -> str:
    return uuid.uuid4().hex


class RateWindow:
    """A fixed-window request counter that reports what the real services report.

    It never runs dry by itself: when the window is spent it starts a new one, because a
    client that honours `remaining == 0` would otherwise stall a benchmark for an hour.
    Exhaustion is something a test injects with `FakeHub.inject_fault`.
    """

    def __init__(self, window_seconds: int) -> None:
        self._window = window_seconds
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[int, int]] = {}

    def take(self, bucket: str, limit: int, *, count: bool = True) -> tuple[int, int, int]:
        """Count one request (unless not ``count``: GitHub's 304s are free); return (used,
        remaining, reset epoch seconds)."""
        with self._lock:
            now = int(time.time())
            used, reset_at = self._buckets.get(bucket, (0, now + self._window))
            if now >= reset_at or used >= limit:
                used, reset_at = 0, now + self._window
            used += 1 if count else 0
            self._buckets[bucket] = (used, reset_at)
            if used >= limit:
                # the window restarts with the next request: say so, or a client honouring
                # `remaining == 0` would wait for a reset that has in effect already come
                return used, 0, now
            return used, limit - used, reset_at


def not_modified(req: Request, reply: Reply) -> Reply | None:
    """A 304 for a GET whose `If-None-Match` names the answer's ETag (weak comparison, as
    RFC 9110 asks for it), keeping the answer's headers but its body and content ones."""
    wanted = req.headers.get("if-none-match")
    tag = reply.headers.get("ETag")
    if req.method not in ("GET", "HEAD") or reply.status != 200 or not wanted or not tag:
        return None
    opaque = tag.removeprefix("W/")
    if wanted.strip() != "*" and opaque not in {
        t.strip().removeprefix("W/") for t in wanted.split(",")
    }:
        return None
    kept = {
        k: v
        for k, v in reply.headers.items()
        if k.lower() not in ("content-type", "content-length")
    }
    return Reply(304, b"", kept)
