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


def test_the_data_folder_is_absolute_from_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(data_dir=Path("here")).data_dir == tmp_path.resolve() / "here"
    monkeypatch.setenv("TMR_DATA_DIR", "there")
    assert Settings().data_dir == tmp_path.resolve() / "there"
