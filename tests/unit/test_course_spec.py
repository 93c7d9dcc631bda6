"""A missing course spec: a skip naming the file on a developer's machine, a failed run in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.spec import REPOSITORY, require_course_spec


def test_a_present_spec_is_handed_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("openapi: 3.0.0\n", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    assert require_course_spec(spec) == spec


def test_a_missing_spec_is_skipped_outside_ci_naming_the_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    missing = tmp_path / "absent" / "spec.yaml"
    with pytest.raises(pytest.skip.Exception, match=str(missing)):
        require_course_spec(missing)


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_ci_other_than_true_still_skips(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        require_course_spec(tmp_path / "spec.yaml")


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_a_missing_spec_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    missing = tmp_path / "absent" / "spec.yaml"
    with pytest.raises(pytest.fail.Exception, match=str(missing)):
        require_course_spec(missing)


def _run_pytest_in(folder: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        environment["CI"] = ci
    environment["PYTHONPATH"] = str(REPOSITORY)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def module_without_spec(tmp_path: Path) -> tuple[Path, Path]:
    """A test module that loads the spec, as the contract test does, from a path that is not
    there, beside one that needs no spec (so a run that only skips the first passes)."""
    (tmp_path / "test_other.py").write_text("def test_passes() -> None:\n    pass\n")
    missing = tmp_path / "shared" / "spec" / "ece461_openapi_v3.4.7.yaml"
    module = tmp_path / "test_needs_spec.py"
    module.write_text(
        "from pathlib import Path\n"
        "from tests.support.spec import require_course_spec\n"
        f"SPEC_PATH = require_course_spec(Path({str(missing)!r}))\n"
        "def test_uses_spec() -> None:\n"
        "    assert SPEC_PATH.is_file()\n",
        encoding="utf-8",
    )
    return module, missing


def test_a_run_outside_ci_passes_and_its_summary_names_the_missing_spec(
    module_without_spec: tuple[Path, Path],
) -> None:
    module, missing = module_without_spec
    run = _run_pytest_in(module.parent, ci=None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout
    summary = run.stdout.split("short test summary info")[1]
    assert "SKIPPED [1]" in summary
    assert str(missing) in summary


def test_a_run_under_ci_fails_naming_the_missing_spec(
    module_without_spec: tuple[Path, Path],
) -> None:
    module, missing = module_without_spec
    run = _run_pytest_in(module.parent, ci="true")
    assert run.returncode != 0, run.stdout + run.stderr
    assert f"ERROR {module.name}" in run.stdout
    assert str(missing) in run.stdout
