"""The registry's own processes, started as an operator starts them: ``tmr worker`` with the
settings a test built, passed the one way a deployment passes them, as TMR_* variables."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from app.settings import Settings

TMR = str(Path(sys.executable).with_name("tmr"))


def settings_env(settings: Settings) -> dict[str, str]:
    """This environment without any TMR_* of its own, plus ``settings`` as TMR_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, dict | list):
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"TMR_{name.upper()}"] = text
    return env


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
