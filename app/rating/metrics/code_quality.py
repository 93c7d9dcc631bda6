"""code_quality: engineering hygiene of the linked GitHub repo, from its metadata and file tree.

    code_quality = 0.25 tests + 0.20 ci + 0.15 lint + 0.10 readme + 0.10 licence + 0.20 upkeep

Each part is 1 when present, 0 when not, except where a half is noted:

- tests: a ``tests/`` or ``test/`` folder, or a ``test_*.py``, ``*_test.py`` or ``conftest.py``
- ci: ``.github/workflows/*.yml``, ``.circleci/config.yml``, ``.gitlab-ci.yml``, ``.travis.yml``,
  ``azure-pipelines.yml`` or a ``Jenkinsfile``
- lint: a lint or type-check config (``.flake8``, ``.pre-commit-config.yaml``, ``mypy.ini``,
  ``ruff.toml``, ``.pylintrc``, ``setup.cfg``, ``tox.ini``, ...); 0.5 for a ``pyproject.toml``
  alone, which often holds ``[tool.ruff]``/``[tool.mypy]`` but is not fetched to check
- readme: a non-empty top-level README
- licence: a licence GitHub recognises; 0.5 for ``NOASSERTION`` (a licence file it cannot name)
- upkeep: 1 when the repo is not archived and was pushed no more than 365 days before the
  model's last change (later is fine); 0.5 when it is archived or quiet for longer. Archiving
  and a stale last push are one fact, nobody keeps the code up, so an archived repo (whose
  last push is necessarily old) loses the half once, not twice.

Not applicable (REST fallback 0) when the card links no code repository, when the linked one
is not on GitHub (dataset_and_code_score counts the dead link), or when the model is gated and
its card cannot be read without a token: there is no code to judge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.rating.context import GATED_REASON, LIST_ITEM_BYTES, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable

WEIGHTS = {
    "tests": 0.25,
    "ci": 0.20,
    "lint": 0.15,
    "readme": 0.10,
    "licence": 0.10,
    "upkeep": 0.20,
}
RECENT_DAYS = 365
# fmt: off
_LINT_FILES = frozenset({
    ".flake8", ".pre-commit-config.yaml", ".pre-commit-config.yml", "mypy.ini", ".mypy.ini",
    "ruff.toml", ".ruff.toml", ".pylintrc", "pylintrc", "setup.cfg", "tox.ini",
    ".eslintrc.json", ".eslintrc.js", "eslint.config.js", "clippy.toml", ".golangci.yml",
})
_CI_FILES = frozenset(
    {".circleci/config.yml", ".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "Jenkinsfile"}
)
_TEST_NAME_SUFFIXES = ("_test.py", "_test.go", ".test.js", ".test.ts", "_spec.rb", "Test.java")
_SOURCE_SUFFIXES = (
    ".py", ".js", ".ts", ".go", ".rs", ".java", ".kt", ".jl", ".r", ".rb", ".c", ".cc", ".cpp",
)
# fmt: on
_GAP_LABELS = {"ci": "CI", "upkeep": "upkeep"}
_SHOWN = 3  # paths listed in one evidence line


def _is_test(path: str) -> bool:
    """Test code, not test data (``tests/jfk.flac`` is a fixture, not a test)."""
    parts = path.split("/")
    name = parts[-1]
    if name == "conftest.py" or name.endswith(_TEST_NAME_SUFFIXES):
        return True
    in_tests = any(p in {"tests", "test"} for p in parts[:-1])
    return (in_tests or name.startswith("test_")) and name.endswith(_SOURCE_SUFFIXES)


def _is_ci(path: str) -> bool:
    return path in _CI_FILES or (
        path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))
    )


def _shown(paths: list[str]) -> str:
    return ", ".join(paths[:_SHOWN]) + (
        f" (+{len(paths) - _SHOWN} more)" if len(paths) > _SHOWN else ""
    )


@dataclass(frozen=True, slots=True)
class _Found:
    tests: list[str]
    ci: list[str]
    lint: list[str]
    pyproject: bool
    readme: bool
    spdx: str
    pushed: datetime | None
    archived: bool


def _find(repo: dict[str, Any], tree: list[dict[str, Any]]) -> _Found:
    blobs = [e for e in tree if e.get("type") == "blob"]
    paths = sorted(str(e.get("path")) for e in blobs)
    licence = repo.get("license")
    return _Found(
        tests=[p for p in paths if _is_test(p)],
        ci=[p for p in paths if _is_ci(p)],
        lint=[p for p in paths if p in _LINT_FILES],
        pyproject="pyproject.toml" in paths,
        readme=any(
            str(e.get("path")).upper().startswith("README") and e.get("size") != 0 for e in blobs
        ),
        spdx=str(licence.get("spdx_id") or "") if isinstance(licence, dict) else "",
        pushed=_parse_time(repo.get("pushed_at")),
        archived=bool(repo.get("archived")),
    )


def score_repo(
    repo_id: str, repo: dict[str, Any], tree: list[dict[str, Any]], reference: datetime
) -> Measured:
    found = _find(repo, tree)
    age = None if found.pushed is None else (reference - found.pushed).days
    parts = {
        "tests": float(bool(found.tests)),
        "ci": float(bool(found.ci)),
        "lint": 1.0 if found.lint else 0.5 if found.pyproject else 0.0,
        "readme": float(found.readme),
        "licence": 0.0 if not found.spdx else 0.5 if found.spdx == "NOASSERTION" else 1.0,
        "upkeep": 1.0 if not found.archived and age is not None and age <= RECENT_DAYS else 0.5,
    }
    score = clamp(sum(WEIGHTS[k] * v for k, v in parts.items()))
    missing = [_GAP_LABELS.get(k, k) for k, v in parts.items() if v < 1]
    if found.archived:
        missing[missing.index("upkeep")] = "upkeep (archived)"
    summary = f"gaps in {', '.join(missing)}" if missing else "every sign of maintained code"
    return Measured(
        score,
        _evidence(found, age),
        f"{repo_id} shows {summary} (weights: tests 25 %, CI 20 %, upkeep 20 %, lint 15 %, "
        "README and licence 10 % each).",
    )


def _evidence(found: _Found, age: int | None) -> list[str]:
    if found.lint:
        lint = f"lint/type config: {_shown(found.lint)}"
    elif found.pyproject:
        lint = "only pyproject.toml, lint config not verified"
    else:
        lint = "no lint or type-check config"
    if found.pushed is None or age is None:
        activity = "last push unknown"
    elif age >= 0:
        activity = f"last push {found.pushed.date()}, {age} days before the model's last change"
    else:
        activity = f"last push {found.pushed.date()}, after the model's last change"
    return [
        f"{len(found.tests)} test files, e.g. {_shown(found.tests)}"
        if found.tests
        else "no tests found",
        f"CI: {_shown(found.ci)}" if found.ci else "no CI configuration",
        lint,
        ("README present" if found.readme else "no README")
        + "; "
        + (f"licence {found.spdx}" if found.spdx else "no licence detected"),
        ("repository is archived; " if found.archived else "repository is not archived; ")
        + activity,
    ]


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def missing_repo_note(ctx: ScoringContext) -> str:
    """Why there is no code repo to look at: none linked, only tooling linked, unreachable, or
    a gated card that might link one."""
    named, card = await asyncio.gather(ctx.code_repo_id(), ctx.card())
    if await ctx.files_gated():
        return f"card not readable, so its code link is unknown: {GATED_REASON}"
    if named is not None:
        return f"linked GitHub repository {named} is not reachable"
    if card.github_repos:
        return f"card links only general tooling on GitHub: {', '.join(card.github_repos[:2])}"
    return "no GitHub repository linked from the card"


async def compute(ctx: ScoringContext) -> Measured:
    code = await ctx.code()
    if code is None:
        return not_applicable(
            await missing_repo_note(ctx),
            "There is no code repository to judge, so code quality does not apply.",
        )
    tree, reference = await asyncio.gather(ctx.code_tree(), ctx.reference_time())
    return await ctx.cpu(
        score_repo, code.repo_id, code.repo, tree, reference, size=len(tree) * LIST_ITEM_BYTES
    )


METRIC = Metric("code_quality", compute)
