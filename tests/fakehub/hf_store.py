"""Hugging Face fixtures: one folder per repo with `info.json` and the files it ships.

`info.json` is the `/api/models/{id}?blobs=true` answer (or `/api/datasets/...`); `files/`
holds the small files worth serving for real. Everything listed in `siblings` but not shipped
is answered with a stand-in (see `hf_routes`), so no weights live in the repository.
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

    @property
    def repo_id(self) -> str:
        return str(self.info["id"])

    @property
    def sha(self) -> str:
        return str(self.info["sha"])

    @property
    def gated(self) -> bool:
        return self.info.get("gated") in ("auto", "manual")

    def read(self, path: str) -> bytes | None:
        """The shipped bytes of `path`, or None when the fixture does not ship it."""
        target = (self.files / path).resolve()
        if not target.is_relative_to(self.files.resolve()) or not target.is_file():
            return None
        return target.read_bytes()


class HfStore:
    def __init__(self, root: Path) -> None:
        self.repos: dict[tuple[Kind, str], HfRepo] = {}
        # Lower-cased or legacy id -> canonical id; the hub answers those with a 307.
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
                    self.moved[kind, old] = new

    def _add(self, kind: Kind, info_path: Path) -> None:
        info: JSON = json.loads(info_path.read_text())
        folder = info_path.parent
        expected = f"{folder.parent.name}/{folder.name}"
        if info.get("id") != expected:
            raise ValueError(f"{info_path}: id {info.get('id')!r} does not match its folder")
        siblings: dict[str, JSON] = {s["rfilename"]: s for s in info.get("siblings", [])}
        repo = HfRepo(kind, info, folder / "files", siblings)
        self.repos[kind, repo.repo_id] = repo
        self.moved[kind, repo.repo_id.lower()] = repo.repo_id
        for sibling in siblings.values():
            lfs: dict[str, Any] | None = sibling.get("lfs")
            if lfs:
                self.lfs_objects[lfs["sha256"]] = int(lfs["size"])

    def find(self, kind: Kind, repo_id: str) -> HfRepo | str | None:
        """The repo, or the canonical id it moved to, or None when there is no such repo."""
        if (repo := self.repos.get((kind, repo_id))) is not None:
            return repo
        return self.moved.get((kind, repo_id)) or self.moved.get((kind, repo_id.lower()))

    def known(self, kind: Kind, repo_id: str) -> bool:
        return self.find(kind, repo_id) is not None
