"""Settings handed to a child process as TMR_* variables come back as the same settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from app.settings import Settings


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Settings(
        mongo_url="mongodb://127.0.0.1:1/?directConnection=true",
        redis_url="redis://127.0.0.1:2/0",
        data_dir=tmp_path,
        admin_password=SecretStr("a long secret"),
        gate_requirements={"license": 0.5},
        gate_ignored=["reviewedness"],
    )
    for name, value in original.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
