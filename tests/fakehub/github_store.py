"""GitHub fixtures: one folder per repository holding the REST answers it is built from.

Files per `github/<owner>/<repo>/`: `repo.json` (required), `README.md`, `LICENSE` or `COPYING`
(served by `/license` together with `repo.json`'s `license`), `contributors.json`,
`commits.json` (newest first; `stats`/`files` are only shown by the single-commit route),
`pulls.json` (newest first), `reviews/<n>.json`, `pull_files/<n>.json`, `tree.json` (the
recursive tree of the head commit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakehub.wire import JSON


def _load(path: Path, default: Any) -> Any:  # noqa: ANN401 - parsed JSON is untyped by nature
    return json.loads(path.read_text()) if path.is_file() else default


def _by_number(folder: Path) -> dict[int, list[JSON]]:
    if not folder.is_dir():
        return {}
    return {int(p.stem): json.loads(p.read_text()) for p in folder.glob("*.json")}


@dataclass(frozen=True)
class GitHubRepo:
    repo: JSON
    readme: bytes | None = None
    license_name: str | None = None
    license_text: bytes | None = None
    contributors: list[JSON] = field(default_factory=list)
    commits: list[JSON] = field(default_factory=list)
    pulls: list[JSON] = field(default_factory=list)
    reviews: dict[int, list[JSON]] = field(default_factory=dict)
    pull_files: dict[int, list[JSON]] = field(default_factory=dict)
    tree: JSON | None = None

    @property
    def full_name(self) -> str:
        return str(self.repo["full_name"])

    @property
    def default_branch(self) -> str:
        return str(self.repo["default_branch"])

    @classmethod
    def load(cls, folder: Path) -> GitHubRepo:
        repo: JSON = json.loads((folder / "repo.json").read_text())
        expected = f"{folder.parent.name}/{folder.name}"
        if repo.get("full_name") != expected:
            raise ValueError(f"{folder}: full_name {repo.get('full_name')!r} != {expected!r}")
        readme = folder / "README.md"
        # GitHub finds the licence under either name (git's own is COPYING).
        licence = next(iter(sorted([*folder.glob("LICENSE*"), *folder.glob("COPYING*")])), None)
        return cls(
            repo=repo,
            readme=readme.read_bytes() if readme.is_file() else None,
            license_name=licence.name if licence else None,
            license_text=licence.read_bytes() if licence else None,
            contributors=_load(folder / "contributors.json", []),
            commits=_load(folder / "commits.json", []),
            pulls=_load(folder / "pulls.json", []),
            reviews=_by_number(folder / "reviews"),
            pull_files=_by_number(folder / "pull_files"),
            tree=_load(folder / "tree.json", None),
        )

    def pull(self, number: str) -> JSON | None:
        return next((p for p in self.pulls if str(p["number"]) == number), None)

    def commit_index(self, ref: str) -> int | None:
        """Where `ref` (the default branch, a full sha or a 7+ char prefix) sits in `commits`."""
        if ref in (self.default_branch, "HEAD"):
            return 0 if self.commits else None
        min_prefix = 7
        if len(ref) < min_prefix:
            return None
        return next(
            (i for i, c in enumerate(self.commits) if str(c["sha"]).startswith(ref.lower())), None
        )


class GitHubStore:
    def __init__(self, root: Path) -> None:
        # GitHub owner and repo names are case-insensitive.
        self.repos: dict[str, GitHubRepo] = {}
        self.by_id: dict[str, GitHubRepo] = {}
        for repo_json in sorted((root / "github").glob("*/*/repo.json")):
            repo = GitHubRepo.load(repo_json.parent)
            self.repos[repo.full_name.lower()] = repo
            self.by_id[str(repo.repo["id"])] = repo

    def get(self, owner: str, name: str) -> GitHubRepo | None:
        return self.repos.get(f"{owner}/{name}".lower())
