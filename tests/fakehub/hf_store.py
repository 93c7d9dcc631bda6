"""Hugging Face fixtures: one folder per repo with `info.json` and the files it ships.

`info.json` is the `/api/models/{id}?blobs=true` answer (or `/api/datasets/...`); `files/`
holds the small files worth serving for real. Everything listed in `siblings` but not shipped
is answered with deterministic stand-in bytes (`filler`, `LfsObject`), so no famous model's
weights live in the repository. `commits.json` (optional) is the repo's history as
`/api/models/{id}/commits/main` lists it, newest first; its first entry is the `sha` of
`info.json`.

The listing is made to agree with what is served when the store loads: a non-LFS sibling's
`blobId` and `size` are those of the bytes the resolve route answers (shipped or filler), so a
client verifying files by git blob id sees no mismatch the fixture did not mean. LFS entries are
left as written: their sha256 is the real one for famous models, whose bytes are filler here.
"""

from __future__ import annotations

import filecmp
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.fakehub.wire import JSON, git_blob_sha

Kind = Literal["model", "dataset"]
KIND_FOLDERS: dict[Kind, str] = {"model": "models", "dataset": "datasets"}
# Unshipped LFS objects repeat one block derived from their sha256, so any slice of a
# multi-GB object is computed from this much memory plus the slice itself.
FILLER_BLOCK = 64 * 1024


def filler(path: str, size: int) -> bytes:
    """Stand-in text for a small non-LFS file the fixture lists but does not ship."""
    line = _filler_line(path)
    return (line * (size // len(line) + 1))[:size]


def filler_blob_sha(path: str, size: int) -> str:
    """`git_blob_sha(filler(path, size))`, without building the file in one piece."""
    line = _filler_line(path)
    digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
    run = line * max(1, FILLER_BLOCK // len(line))
    whole, rest = divmod(size, len(run))
    for _ in range(whole):
        digest.update(run)
    digest.update(run[:rest])
    return digest.hexdigest()


def _filler_line(path: str) -> bytes:
    return f"fakehub placeholder: {path} is listed but not stored in the fixtures\n".encode()


@dataclass(frozen=True)
class LfsObject:
    """What the stand-in CDN serves under one sha256: the bytes a fixture ships under it, or
    filler of the listed size (which does not hash to that sha256)."""

    sha256: str
    size: int
    shipped: Path | None = None

    def read(self, start: int, end: int) -> bytes:
        """Bytes `[start, end)` of the object; only that much is read or generated."""
        start, end = max(start, 0), min(end, self.size)
        if end <= start:
            return b""
        if self.shipped is not None:
            with self.shipped.open("rb") as f:
                f.seek(start)
                return f.read(end - start)
        block = self.block()
        offset = start % FILLER_BLOCK
        copies = (offset + end - start) // FILLER_BLOCK + 1
        return (block * copies)[offset : offset + end - start]

    def block(self) -> bytes:
        return _filler_block(self.sha256)


@functools.lru_cache(maxsize=64)
def _filler_block(sha256: str) -> bytes:
    # Cached: a streamed object asks for it once per 64 KiB chunk.
    return hashlib.shake_256(f"fakehub lfs {sha256}".encode()).digest(FILLER_BLOCK)


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

    def shipped(self, path: str) -> Path | None:
        """Where the fixture ships `path`, or None when it does not."""
        target = (self.files / path).resolve()
        if not target.is_relative_to(self.files.resolve()) or not target.is_file():
            return None
        return target

    def read(self, path: str) -> bytes | None:
        """The shipped bytes of `path`, or None when the fixture does not ship it."""
        target = self.shipped(path)
        return None if target is None else target.read_bytes()


class HfStore:
    def __init__(self, root: Path) -> None:
        self.repos: dict[tuple[Kind, str], HfRepo] = {}
        # Repo ids are case-insensitive on the hub: lower-cased id -> the repo, served as is.
        self.by_lower: dict[tuple[Kind, str], HfRepo] = {}
        # Lower-cased legacy id of a moved repo -> its canonical id; the hub answers with a 307.
        self.moved: dict[tuple[Kind, str], str] = {}
        # Listed LFS sha256 -> what the stand-in CDN serves for it.
        self.lfs_objects: dict[str, LfsObject] = {}
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
        for path, sibling in siblings.items():
            lfs: dict[str, Any] | None = sibling.get("lfs")
            if lfs:
                self._add_lfs(info_path, lfs, repo.shipped(path))
            else:
                # The siblings are info.json's own dicts, so the listing served changes too.
                _describe(sibling, path, repo.read(path))

    def _add_lfs(self, info_path: Path, lfs: dict[str, Any], shipped: Path | None) -> None:
        sha256, size = str(lfs["sha256"]), int(lfs["size"])
        if shipped is not None and shipped.stat().st_size != size:
            raise ValueError(f"{info_path}: {shipped.name} is not the {size} bytes listed")
        known = self.lfs_objects.get(sha256)
        if known and known.shipped and shipped and not _same(known.shipped, shipped):
            raise ValueError(f"{info_path}: sha256 {sha256} names two different shipped files")
        if known is None or (known.shipped is None and shipped is not None):
            # Shipped bytes win: every repo listing this sha256 downloads them.
            self.lfs_objects[sha256] = LfsObject(sha256, size, shipped)

    def find(self, kind: Kind, repo_id: str) -> HfRepo | str | None:
        """The repo (its id matched whatever the case), or the canonical id a legacy id moved
        to, or None when there is no such repo."""
        key = (kind, repo_id.lower())
        return self.repos.get((kind, repo_id)) or self.by_lower.get(key) or self.moved.get(key)

    def known(self, kind: Kind, repo_id: str) -> bool:
        return self.find(kind, repo_id) is not None


def _describe(sibling: JSON, path: str, data: bytes | None) -> None:
    """Make a non-LFS sibling's `blobId`/`size` those of the bytes served for it."""
    if data is not None:
        sibling.update(blobId=git_blob_sha(data), size=len(data))
    else:
        size = int(sibling.get("size") or 0)
        sibling.update(blobId=filler_blob_sha(path, size), size=size)


def _same(a: Path, b: Path) -> bool:
    return filecmp.cmp(a, b, shallow=False)
