"""The dependency direction of DESIGN §2, enforced by import-linter's contracts in
pyproject.toml — and proved able to fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    for package in ("app", "schema", "workers"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("static", "__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    service = tmp_path / "app" / "artifacts" / "service.py"
    service.write_text(service.read_text() + "\nimport strawberry  # a domain service may not\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "app.artifacts.service -> strawberry" in result.stdout
