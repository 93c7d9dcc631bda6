"""Everything the registry keeps from upstream about one source (``SourceSnapshot``), fetched
concurrently for an ingest."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from huggingface_hub import DatasetInfo, ModelInfo

from app.artifacts.entities import SourceRef
from app.artifacts.snapshots import SourceSnapshot
from app.kinds import ArtifactType, SourceHost
from app.mirror.entities import RepoFile
from app.upstream.clients import UpstreamView

# Small text files worth keeping in a model's bundle when the repo has them.
_MODEL_FILES = ("config.json", "generation_config.json", "tokenizer_config.json")


async def fetch_snapshot(source: SourceRef, upstream: UpstreamView) -> SourceSnapshot:
    if source.host is SourceHost.GITHUB:
        return await _github(source, upstream)
    if source.type is ArtifactType.DATASET:
        return await _hf_dataset(source, upstream)
    return await _hf_model(source, upstream)


async def _hf_model(source: SourceRef, upstream: UpstreamView) -> SourceSnapshot:
    info, raw = await upstream.hf.model_info(source.repo_id)
    revision = info.sha or "main"
    names = {s.rfilename for s in info.siblings or []}
    wanted = ["README.md", *(f for f in _MODEL_FILES if f in names)]
    contents = await asyncio.gather(
        *(upstream.hf.file(source.repo_id, f, revision=revision) for f in wanted)
    )
    files = {name: body for name, body in zip(wanted, contents, strict=True) if body is not None}
    readme = files.get("README.md", b"").decode("utf-8", errors="replace")
    files["metadata.json"] = _json_bytes(raw)
    card = _card(info)
    return SourceSnapshot(
        revision=info.sha,
        readme=readme,
        license=_hf_license(card, info.tags),
        size_bytes=_siblings_size(info),
        files=files,
        summary={
            "repo_id": info.id,
            "downloads": info.downloads,
            "likes": info.likes,
            "pipeline_tag": info.pipeline_tag,
            "library_name": info.library_name,
            "gated": info.gated,
        },
        repo_files=_repo_files(info),
    )


async def _hf_dataset(source: SourceRef, upstream: UpstreamView) -> SourceSnapshot:
    info, raw = await upstream.hf.dataset_info(source.repo_id)
    revision = info.sha or "main"
    body = await upstream.hf.file(
        source.repo_id, "README.md", revision=revision, repo_type="dataset"
    )
    files = {"metadata.json": _json_bytes(raw)}
    if body is not None:
        files["README.md"] = body
    card = _card(info)
    return SourceSnapshot(
        revision=info.sha,
        readme="" if body is None else body.decode("utf-8", errors="replace"),
        license=_hf_license(card, info.tags),
        size_bytes=_siblings_size(info),
        files=files,
        summary={
            "repo_id": info.id,
            "downloads": info.downloads,
            "likes": info.likes,
            "gated": info.gated,
        },
    )


async def _github(source: SourceRef, upstream: UpstreamView) -> SourceSnapshot:
    repo, readme = await asyncio.gather(
        upstream.github.repo(source.repo_id), upstream.github.readme(source.repo_id)
    )
    branch = str(repo.get("default_branch") or "main")
    revision = await upstream.github.commit_sha(source.repo_id, branch)
    files = {"metadata.json": _json_bytes(repo)}
    if readme is not None:
        files["README.md"] = readme.encode()
    license_info = repo.get("license")
    spdx = license_info.get("spdx_id") if isinstance(license_info, dict) else None
    return SourceSnapshot(
        revision=revision,
        readme=readme or "",
        license=None if spdx in {None, "NOASSERTION"} else str(spdx),
        # GitHub reports a repository's size in KiB.
        size_bytes=int(repo.get("size") or 0) * 1024,
        files=files,
        summary={
            "repo_id": repo.get("full_name", source.repo_id),
            "default_branch": branch,
            "stars": repo.get("stargazers_count"),
            "archived": repo.get("archived"),
        },
    )


def _card(info: ModelInfo | DatasetInfo) -> dict[str, Any]:
    if info.card_data is None:
        return {}
    card: dict[str, Any] = info.card_data.to_dict()  # type: ignore[no-untyped-call]
    return card


def _hf_license(card: dict[str, Any], tags: list[str] | None) -> str | None:
    value = card.get("license")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and value:
        return value
    for tag in tags or []:
        if tag.startswith("license:"):
            return tag.removeprefix("license:")
    return None


def _repo_files(info: ModelInfo) -> tuple[RepoFile, ...]:
    return tuple(
        RepoFile(
            path=s.rfilename,
            size=s.size or (s.lfs.size if s.lfs else 0),
            sha256=s.lfs.sha256 if s.lfs else None,
            blob_id=s.blob_id,
        )
        for s in info.siblings or []
    )


def _siblings_size(info: ModelInfo | DatasetInfo) -> int:
    total = sum(s.size or 0 for s in info.siblings or [])
    if total:
        return total
    used = getattr(info, "used_storage", None)
    return int(used) if isinstance(used, int) else 0


def _json_bytes(value: Any) -> bytes:  # noqa: ANN401 - upstream JSON is untyped
    # On one line: json's C encoder only serves unindented output, and a model's metadata
    # (every file of the repo) is the largest JSON an ingest writes.
    return json.dumps(value, sort_keys=True, default=str).encode()
