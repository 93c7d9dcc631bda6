"""Hugging Face fixtures: one folder per repo with `info.json` and the files it ships.

`info.json` is the `/api/models/{id}?blobs=true` answer (or `/api/datasets/...`); `files/`
holds the small files worth serving for real. Everything listed in `siblings` but not shipped
is answered with a stand-in (see `hf_routes`), so no weights live in the repository.
`commits.json` (optional) is the repo's history as `/api/models/{id}/commits/main` lists it,
newest first; its first entry is the `sha` of `info.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.fakehub.wire import JSON

Kind = Literal["model", "dataset"]
KIND_FOLDERS: dict[Kind, str] = {"model": "models", "dataset": "datasets"}


@dataclass(frozen=True)
class HfRepo:
    kind: Kind
    info: JSON
    files: Path
    siblings: dict[str, JSON] = field(default_factory=dict)
    commits: list[JSON] = field(default_factory=list)

    @property
    def repo_id(self) -> str:
        return str(self.info["id"])

    @property
    def sha(self) -> str:
        return str(self.info["sha"])

    @property
    def gated(self) -> bool:
        return self.info.get("gated") in ("auto", "manual")

    def history(self, revision: str) -> list[JSON] | None:
        """The commits reachable from `revision` (`main` or a commit id), newest first; None
        when the revision is unknown."""
        if revision == "main":
            return self.commits
        start = next((i for i, c in enumerate(self.commits) if c["id"] == revision), None)
        return None if start is None else self.commits[start:]

    def read(self, path: str) -> bytes | None:
        """The shipped bytes of `path`, or None when the fixture does not ship it."""
        target = (self.files / path).resolve()
        if not target.is_relative_to(self.files.resolve()) or not target.is_file():
            return None
        return target.read_bytes()


class HfStore:
    def __init__(self, root: Path) -> None:
        self.repos: dict[tuple[Kind, str], HfRepo] = {}
        # Repo ids are case-insensitive on the hub: lower-cased id -> the repo, served as is.
        self.by_lower: dict[tuple[Kind, str], HfRepo] = {}
        # Lower-cased legacy id of a moved repo -> its canonical id; the hub answers with a 307.
        self.moved: dict[tuple[Kind, str], str] = {}
        # LFS sha256 -> size, for the stand-in CDN.
        self.lfs_objects: dict[str, int] = {}
        hf = root / "hf"
        for kind, folder in KIND_FOLDERS.items():
            for info_path in sorted((hf / folder).glob("*/*/info.json")):
                self._add(kind, info_path)
        redirects = hf / "redirects.json"
        if redirects.is_file():
            moved: dict[str, dict[str, str]] = json.loads(redirects.read_text())
            for kind, folder in KIND_FOLDERS.items():
                for old, new in moved.get(folder, {}).items():
                    self.moved[kind, old.lower()] = new

    def _add(self, kind: Kind, info_path: Path) -> None:
        info: JSON = json.loads(info_path.read_text())
        folder = info_path.parent
        expected = f"{folder.parent.name}/{folder.name}"
        if info.get("id") != expected:
            raise ValueError(f"{info_path}: id {info.get('id')!r} does not match its folder")
        siblings: dict[str, JSON] = {s["rfilename"]: s for s in info.get("siblings", [])}
        history = folder / "commits.json"
        commits: list[JSON] = json.loads(history.read_text()) if history.is_file() else []
        repo = HfRepo(kind, info, folder / "files", siblings, commits)
        self.repos[kind, repo.repo_id] = repo
        self.by_lower[kind, repo.repo_id.lower()] = repo
        for sibling in siblings.values():
            lfs: dict[str, Any] | None = sibling.get("lfs")
            if lfs:
                self.lfs_objects[lfs["sha256"]] = int(lfs["size"])

    def find(self, kind: Kind, repo_id: str) -> HfRepo | str | None:
        """The repo (its id matched whatever the case), or the canonical id a legacy id moved
        to, or None when there is no such repo."""
        key = (kind, repo_id.lower())
        return self.repos.get((kind, repo_id)) or self.by_lower.get(key) or self.moved.get(key)

    def known(self, kind: Kind, repo_id: str) -> bool:
        return self.find(kind, repo_id) is not None
