"""The pieces of app.observability on their own: redaction, the GraphQL operation label, the
log formats and the request middleware."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from prometheus_client import REGISTRY

from app.observability.logs import configure_logging, use_json
from app.observability.middleware import ObserveRequests
from app.observability.operations import MAX_SCANNED_BYTES, operation_in, operation_type
from app.observability.redaction import REDACTED, redact, redact_text

# -- redaction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (  # the registry's own signed link, as uvicorn's access log prints it
            (
                '127.0.0.1:5 - "GET /downloads/a/b.zip?filename=b.zip&expires=99&signature=c0ffee '
                'HTTP/1.1" 200'
            ),
            ["filename=b.zip", "expires=99", "signature=[REDACTED] HTTP/1.1"],
            ["c0ffee"],
        ),
        (  # an S3 presigned URL
            (
                "https://s3/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101"
                "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                "&X-Amz-Security-Token=FwoGZX&X-Amz-Signature=abcdef0123"
            ),
            ["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Expires=3600", "X-Amz-Credential="],
            ["AKIA", "FwoGZX", "abcdef0123"],
        ),
        ("token check: Bearer tok.en-123", ["Bearer [REDACTED]"], ["tok.en-123"]),
        ('{"user": "ann", "password": "hunter 2"}', ['"user": "ann"'], ["hunter 2"]),
        ('authenticate(username: "ann", password: "hunter2")', ["username"], ["hunter2"]),
        ("{'x-authorization': 'bearer abc', 'accept': '*/*'}", ["accept"], ["abc"]),
        ("?access_token=s3cr3t&page=2", ["page=2"], ["s3cr3t"]),
        ("a" * 5000 + " token=abc", ["token=[REDACTED]"], ["abc"]),  # after a long run
        ('password: "' + "x" * 5000, ['password: "[REDACTED]'], ["xxx"]),  # never closed
    ],
)
def test_secrets_are_redacted_wherever_they_appear_in_text(
    text: str, kept: list[str], gone: list[str]
) -> None:
    redacted = redact_text(text)
    assert all(k in redacted for k in kept), redacted[-200:]
    assert not any(g in redacted for g in gone), redacted[-200:]


def test_values_under_secret_keys_are_dropped_at_any_depth() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "login",
            "password": "hunter2",
            "Authorization": "Bearer x",
            "headers": {"cookie": "sid=1", "accept": "json"},
            "job_id": "j1",
            "source_key": "hf:model:a/b",
            "steps": [{"token": "t"}, "ok"],
        },
    )
    assert event == {
        "event": "login",
        "password": REDACTED,
        "Authorization": REDACTED,
        "headers": {"cookie": REDACTED, "accept": "json"},
        "job_id": "j1",
        "source_key": "hf:model:a/b",
        "steps": [{"token": REDACTED}, "ok"],
    }


# -- the GraphQL operation label -----------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        ("{ health { ok } }", None, "query"),
        ("query Q { a }", None, "query"),
        ("mutation { reset { ok } }", None, "mutation"),
        ("subscription S($id: ID!) { ingestProgress(jobId: $id) { id } }", None, "subscription"),
        ("fragment F on Mutation { reset { ok } }\nmutation { ...F }", None, "mutation"),
        ("{ query { mutation } }", None, "query"),  # fields named like keywords
        ('query { a(s: "mutation { x }") }', None, "query"),  # strings are not read
        ('query { a(s: """\nmutation {\n""") }', None, "query"),
        ("# mutation { x }\n{ a }", None, "query"),  # nor comments
        ('"never closed\nmutation { x }', None, "mutation"),  # a string ends with its line
        ("query A($f: In = {a: 1}) { x }\nmutation B { y }", "B", "mutation"),
        ("query A { x }\nmutation B { y }", "A", "query"),
        ("query A { x }", "Missing", "unknown"),
        ("fragment F on Query { a }", None, "unknown"),
        ("", None, "unknown"),
    ],
)
def test_the_operation_type_is_read_without_parsing(
    document: str, name: str | None, expected: str
) -> None:
    assert operation_in(document, name) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'"a string"',
        b"null",
        b'{"query": 5}',
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"query": "mutation { x }" + " " * MAX_SCANNED_BYTES}).encode(),
    ],
)
def test_bodies_without_a_readable_operation_are_unknown(body: bytes) -> None:
    assert operation_type(body) == "unknown"


def test_a_json_body_names_its_operation() -> None:
    body = {"query": "query A { a } mutation B { b }", "operationName": "B"}
    assert operation_type(json.dumps(body).encode()) == "mutation"


# -- log formats -------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_unless_asked_otherwise_or_writing_to_a_terminal() -> None:
    assert use_json(None, io.StringIO())
    assert not use_json(None, _Terminal())
    assert use_json("json", _Terminal())
    assert not use_json("console", io.StringIO())


def test_console_lines_are_key_value_and_redacted(restore_logging: None) -> None:
    buffer = io.StringIO()
    configure_logging(json=False, stream=buffer)
    with structlog.contextvars.bound_contextvars(job_id="j-1"):
        logging.getLogger("arq.worker").info("picked %s", "j-1", extra={"token": "t0k3n"})
    line = buffer.getvalue()
    assert "picked j-1" in line
    assert "job_id=j-1" in line
    assert "token=[REDACTED]" in line
    assert "t0k3n" not in line
    assert not line.startswith("{")


def test_configuring_again_replaces_the_handler_and_keeps_others(restore_logging: None) -> None:
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    first, second = io.StringIO(), io.StringIO()
    configure_logging(json=True, stream=first)
    configure_logging(json=True, stream=second)
    logging.getLogger("tmr").warning("once")
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["event"] == "once"
    assert other in logging.getLogger().handlers


# -- the request middleware ----------------------------------------------------------------


class _Recorder:
    """A tiny ASGI app: answers 200, remembering the log context it ran in."""

    def __init__(self, *, fail: bool = False) -> None:
        self.context: dict[str, Any] = {}
        self.fail = fail

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # noqa: ANN401
        self.context = structlog.contextvars.get_contextvars()
        if self.fail:
            raise RuntimeError("boom")
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _call(
    app: ObserveRequests, headers: list[tuple[bytes, bytes]], kind: str = "http"
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": kind, "method": "GET", "path": "/x", "headers": headers}
    if kind == "http":
        scope["path_template"] = "/x/{id}"
    await app(scope, receive, send)
    return sent


def _header(message: dict[str, Any]) -> str:
    headers: dict[bytes, bytes] = dict(message["headers"])
    return headers[b"x-request-id"].decode()


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        (b"3f2a-01:trace.id", True),
        (b"has space", False),
        (b"x" * 129, False),
        (b"\xc3\xa9", False),
    ],
)
async def test_a_sane_incoming_request_id_is_kept_and_echoed(
    incoming: bytes, *, kept: bool
) -> None:
    recorder = _Recorder()
    sent = await _call(ObserveRequests(recorder), [(b"x-request-id", incoming)])
    echoed = _header(sent[0])
    assert recorder.context == {"request_id": echoed}
    assert (echoed == incoming.decode("latin-1")) is kept
    assert len(echoed) == 32 or kept  # a fresh uuid4 hex otherwise
    assert structlog.contextvars.get_contextvars() == {}  # unbound after the request


async def test_a_websocket_gets_a_request_id_on_accept() -> None:
    recorder = _Recorder()
    sent = await _call(ObserveRequests(recorder), [], kind="websocket")
    assert _header(sent[0]) == recorder.context["request_id"]


async def test_a_request_the_app_fails_on_is_counted_as_a_500() -> None:
    labels = {"method": "GET", "route": "/x/{id}", "status": "500", "operation": ""}
    name = "tmr_http_request_duration_seconds_count"
    before = REGISTRY.get_sample_value(name, labels) or 0.0
    with pytest.raises(RuntimeError):
        await _call(ObserveRequests(_Recorder(fail=True)), [])
    assert REGISTRY.get_sample_value(name, labels) == before + 1
