"""The `tmr` client commands run as a user runs them: the installed script in a subprocess,
with a home and config folder of its own, against the registry served over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from app.embedded import free_port
from app.settings import Settings
from tests.support import served
from tests.support.served import served_registry

TMR = str(Path(sys.executable).with_name("tmr"))
ADMIN_PASSWORD = PUBLISHED_ADMIN_PASSWORD

Tmr = Callable[..., subprocess.CompletedProcess[str]]


def serve(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The port is chosen here so that the download links the registry signs point at it.
    port = free_port()
    monkeypatch.setattr(served, "free_port", lambda: port)
    with served_registry(
        settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    ) as url:
        yield url


@pytest.fixture
def server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from serve(settings, monkeypatch)


@pytest.fixture
def tmr(tmp_path: Path) -> Tmr:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TMR_")},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "COLUMNS": "200",
    }

    def run(
        *args: str, stdin: str | None = None, server: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        extra = {"TMR_SERVER": server} if server else {}
        return subprocess.run(
            [TMR, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**env, **extra},
            cwd=tmp_path,
            timeout=90,
            check=False,
        )

    return run


def login(tmr: Tmr, server: str) -> None:
    done = tmr("login", "--password-stdin", stdin=ADMIN_PASSWORD + "\n", server=server)
    assert done.returncode == 0, done.stderr


def as_json(done: subprocess.CompletedProcess[str]) -> Any:  # noqa: ANN401
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)
