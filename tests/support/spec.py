"""The course's OpenAPI spec, which lives beside the repository (``shared/spec``), not in it.

A clone without it cannot run the contract test against the spec. On a developer's machine that
is a skip whose reason names the missing file (pytest's ``-ra`` summary prints it); under CI
(``CI=true``) it fails the run, so a CI machine set up without the spec cannot pass while the
contract test is silently left out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
COURSE_SPEC = REPOSITORY.parent / "shared" / "spec" / "ece461_openapi_v3.4.7.yaml"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_course_spec(path: Path = COURSE_SPEC) -> Path:
    """``path`` if the spec is there; otherwise skip the calling module, or fail it under CI.

    Called at module level, so a failure is a collection error, which fails the run."""
    if path.is_file():
        return path
    if running_in_ci():
        pytest.fail(
            f"the ECE 461 OpenAPI spec is not at {path}; CI=true requires it "
            "(check out the shared folder beside the repository)",
            pytrace=False,
        )
    pytest.skip(
        f"the ECE 461 OpenAPI spec is not at {path} (CI=true makes this a failure)",
        allow_module_level=True,
    )
