"""A local stand-in for huggingface.co and api.github.com, served from fixture files.

One server answers both: paths under `/repos/` and `/repositories/` are GitHub's, everything
else is the Hugging Face Hub's, so `FakeHub.url` is both the HF endpoint and the GitHub API
base URL. Tests can slow it down (`latency`), make it fail (`inject_fault`) and inspect what
it was asked (`requests`, `count`) and how many body bytes it sent (`served_bytes`).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, cast
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakehub.github_routes import GitHubApi
from tests.fakehub.hf_routes import HuggingFaceHub
from tests.fakehub.wire import JSON, Reply, Request

DEFAULT_FIXTURES = Path(__file__).parent / "fixtures"
_CHUNKED = ("Transfer-Encoding", "chunked")
_CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # percent-decoded, without the query string
    query: str  # the raw query string
    headers: dict[str, str]  # lower-cased names

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query)


@dataclass
class _Fault:
    path_prefix: str
    status: int
    times: int
    retry_after: float | None
    body: JSON | None
    delay: float
    #: A hostile hub: a redirect to here instead of the service's answer.
    location: str | None = None
    #: A hostile hub: this many bytes of body instead of the service's answer, announced by
    #: Content-Length or, with `chunked`, not announced at all.
    size: int = 0
    chunked: bool = False


class _Service(Protocol):
    def handle(self, req: Request) -> Reply: ...
    def fault(
        self, req: Request, status: int, retry_after: float | None, body: JSON | None
    ) -> Reply: ...


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[RecordedRequest] = field(default_factory=list)
    # Body bytes sent, per request path (percent-decoded, as `requests` records it).
    sent: dict[str, int] = field(default_factory=dict)
    faults: list[_Fault] = field(default_factory=list)
    connections: set[socket.socket] = field(default_factory=set)


class FakeHub:
    def __init__(
        self, fixtures: Path = DEFAULT_FIXTURES, *, latency: float = 0.0, verbose: bool = False
    ) -> None:
        self.latency = latency
        self.verbose = verbose
        self.hf = HuggingFaceHub(fixtures)
        self.github = GitHubApi(fixtures)
        self._state = _State()
        # [main, cdn]: LFS downloads redirect to a second origin, as huggingface.co redirects to
        # its CDN, so clients treat the redirect as leaving the hub (and drop the auth header).
        self._servers: list[_HubServer] = []
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> None:
        if self._servers:
            raise RuntimeError("FakeHub is already running")
        self._servers = [_HubServer(("127.0.0.1", p), _Handler, self) for p in (port, 0)]
        self.hf.cdn_url = _origin(self._servers[1])
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
        with self._state.lock:
            open_connections = list(self._state.connections)
        # Wake handler threads parked on idle keep-alive connections so they exit now.
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._servers:
            raise RuntimeError("FakeHub is not running; call start() first")
        return _origin(self._servers[0])

    # -- inspection and faults -------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._state.lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        """Forget the requests so far and the bytes served for them."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.sent.clear()

    def served_bytes(self, path_prefix: str = "") -> int:
        """Body bytes sent (both origins, every status; not headers, not chunk framing) for
        requests whose path starts with `path_prefix`, since the start or `clear_requests()`.
        CDN paths are `/cdn-lfs/{sha256}`. Bytes are counted as they are handed to the socket,
        so a client that has read an answer finds them counted."""
        with self._state.lock:
            return sum(n for p, n in self._state.sent.items() if p.startswith(path_prefix))

    def commit_model(
        self,
        repo_id: str,
        files: dict[str, bytes],
        message: str,
        *,
        card_data: dict[str, Any] | None = None,
    ) -> str:
        """Change a model upstream: a commit on its main writing `files` (its card, config;
        not LFS), and with `card_data` the card's front matter as the listing shows it. The
        listing's `sha` and history follow. Returns the new commit id."""
        with self._state.lock:
            return self.hf.store.commit("model", repo_id, files, message, card_data)

    def push_commit(self, repo_id: str, message: str) -> str:
        """Change a GitHub repository upstream: a new commit on its default branch (same
        tree). Returns its sha."""
        with self._state.lock:
            return self.github.push(repo_id, message)

    def restore_upstream(self) -> None:
        """Undo `commit_model` and `push_commit`: every repo as its fixture has it."""
        with self._state.lock:
            self.hf.store.restore()
            self.github.restore()

    def count(self, path: str) -> int:
        with self._state.lock:
            return sum(1 for r in self._state.requests if r.path == path)

    def inject_fault(
        self,
        path_prefix: str,
        *,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        body: JSON | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests under `path_prefix` with `status`, not the fixture.

        `delay` sleeps before answering (to trigger client timeouts); `retry_after` adds a
        `Retry-After` header (and, for GitHub 403/429, an exhausted rate-limit window).
        """
        with self._state.lock:
            self._state.faults.append(_Fault(path_prefix, status, times, retry_after, body, delay))

    def inject_redirect(
        self, path_prefix: str, location: str, *, status: int = 302, times: int = 1
    ) -> None:
        """Answer the next `times` requests under `path_prefix` with a redirect to `location`,
        as a compromised or spoofed hub would."""
        with self._state.lock:
            self._state.faults.append(
                _Fault(path_prefix, status, times, None, None, 0.0, location=location)
            )

    def inject_oversized(
        self, path_prefix: str, size: int, *, chunked: bool = False, times: int = 1
    ) -> None:
        """Answer the next `times` requests under `path_prefix` with 200 and `size` bytes of
        JSON; with `chunked`, sent in chunks without a Content-Length."""
        with self._state.lock:
            self._state.faults.append(
                _Fault(path_prefix, 200, times, None, None, 0.0, size=size, chunked=chunked)
            )

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    # -- serving (called from handler threads) ----------------------------------------------

    def _record(self, recorded: RecordedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(recorded)

    def _count_sent(self, path: str, size: int) -> None:
        with self._state.lock:
            self._state.sent[path] = self._state.sent.get(path, 0) + size

    def _take_fault(self, path: str) -> _Fault | None:
        with self._state.lock:
            for fault in self._state.faults:
                if path.startswith(fault.path_prefix):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._state.faults.remove(fault)
                    return fault
        return None

    def _answer(self, req: Request, path: str) -> Reply:
        if self.latency > 0:
            time.sleep(self.latency)
        service: _Service = (
            self.github if req.segments[:1] in (("repos",), ("repositories",)) else self.hf
        )
        fault = self._take_fault(path)
        if fault is None:
            return service.handle(req)
        if fault.delay > 0:
            time.sleep(fault.delay)
        if fault.location is not None:
            return Reply(fault.status, b"", {"Location": fault.location})
        if fault.size:
            body = b'{"pad":"' + b"a" * max(0, fault.size - 10) + b'"}'
            headers = {"Content-Type": "application/json"}
            if fault.chunked:
                headers[_CHUNKED[0]] = _CHUNKED[1]
            return Reply(fault.status, body, headers)
        return service.fault(req, fault.status, fault.retry_after, fault.body)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._state.lock:
            if add:
                self._state.connections.add(conn)
            else:
                self._state.connections.discard(conn)


class _HubServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open many connections at once; the default is 5

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], hub: FakeHub
    ) -> None:
        self.hub = hub
        super().__init__(address, handler)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        # A client that gave up (timeout tests) leaves a broken pipe behind; that is expected.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections to the real services
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's delayed
    # ACK adds ~40 ms to every answer, which would swamp any latency a benchmark sets.
    disable_nagle_algorithm = True
    server_version = "fakehub"
    sys_version = ""

    @property
    def hub(self) -> FakeHub:
        return cast("_HubServer", self.server).hub

    def setup(self) -> None:
        super().setup()
        self.hub._track(self.connection, add=True)

    def finish(self) -> None:
        self.hub._track(self.connection, add=False)
        super().finish()

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_PATCH(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def _serve(self, *, send_body: bool) -> None:
        split = urlsplit(self.path)
        recorded = self._record(split.path, split.query)
        req = Request(
            method=self.command,
            segments=tuple(unquote(s) for s in split.path.split("/") if s),
            query=parse_qs(split.query, keep_blank_values=True),
            headers=recorded.headers,
        )
        self._send(self.hub._answer(req, recorded.path), recorded.path, send_body=send_body)

    def _not_allowed(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        split = urlsplit(self.path)
        self._record(split.path, split.query)
        body = b'{"error":"Method Not Allowed"}'
        reply = Reply(405, body, {"Content-Type": "application/json", "Allow": "GET, HEAD"})
        self._send(reply, unquote(split.path), send_body=True)

    def _record(self, raw_path: str, query: str) -> RecordedRequest:
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = RecordedRequest(self.command, unquote(raw_path), query, headers)
        self.hub._record(recorded)
        return recorded

    def _send(self, reply: Reply, path: str, *, send_body: bool) -> None:
        self.send_response(reply.status)
        for name, value in _headers(reply):
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        if reply.headers.get(_CHUNKED[0]) != _CHUNKED[1]:
            self._write_body(path, reply.body, reply.body)
            return
        for start in range(0, len(reply.body), _CHUNK_SIZE):
            chunk = reply.body[start : start + _CHUNK_SIZE]
            self._write_body(path, chunk, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _write_body(self, path: str, body: bytes, framed: bytes) -> None:
        # Counted before the write: once the client has the bytes, the count has them too.
        self.hub._count_sent(path, len(body))
        try:
            self.wfile.write(framed)
        except OSError:
            self.hub._count_sent(path, -len(body))
            raise

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.hub.verbose:
            super().log_message(format, *args)


def _origin(server: _HubServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def _headers(reply: Reply) -> Iterator[tuple[str, str]]:
    yield from reply.headers.items()
    if reply.headers.get(_CHUNKED[0]) != _CHUNKED[1]:
        yield "Content-Length", str(len(reply.body))
