"""The registry's own processes, started as an operator starts them: ``tmr worker`` with the
settings a test built, passed the one way a deployment passes them, as TMR_* variables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.auth.entities import DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD
from app.embedded import free_port, stop
from app.settings import Settings

TMR = str(Path(sys.executable).with_name("tmr"))


def settings_env(settings: Settings) -> dict[str, str]:
    """This environment without any TMR_* of its own, plus ``settings`` as TMR_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}
    return env | settings.as_environment()


class WorkerProcess:
    """``tmr worker`` in a process of its own, its output appended to ``log_file``."""

    def __init__(self, settings: Settings, log_file: Path) -> None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as out:
            self.proc = subprocess.Popen(
                [TMR, "worker"],
                env=settings_env(settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """``kill -9``: no chance to finish, record or clean up anything."""
        self.proc.kill()
        self.proc.wait()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a container runtime stops it; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@contextmanager
def serve_process(
    work: Path,
    env: Mapping[str, str] | None = None,
    *,
    worker: bool = True,
    ready_seconds: float = 120.0,
    args: tuple[str, ...] = (),
) -> Iterator[str]:
    """``tmr serve`` as an operator runs it, with the TMR_* variables of ``env`` and no others
    (none set: embedded backends under ``work``); its URL once ``/health`` answers 200."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}
    environment |= {"TMR_DATA_DIR": str(work / "data"), **(env or {})}
    work.mkdir(parents=True, exist_ok=True)
    argv = [TMR, "serve", "--port", str(port), *([] if worker else ["--no-worker"]), *args]
    with (work / "serve.log").open("ab") as out:
        proc = subprocess.Popen(
            argv, env=environment, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_seconds
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tmr serve did not come up; see {work / 'serve.log'}")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc, timeout=30)


def admin_token(url: str) -> str:
    """A token of the default admin, logged in with the course's published password."""
    login = {
        "user": {"name": DEFAULT_ADMIN, "is_admin": True},
        "secret": {"password": PUBLISHED_ADMIN_PASSWORD},
    }
    answer = httpx.put(f"{url}/authenticate", json=login, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()
    return token


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
