"""Copies of a fixture model under new ids: distinct sources for the registry, which ingests
each source once, for load and fault runs that need many ingests of a realistic model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def clone_model(
    fixtures: Path, model: str, owner: str, count: int, *, source: Path | None = None
) -> list[str]:
    """``count`` copies of ``model`` (from ``source``, default ``fixtures``) written into
    ``fixtures`` as ``<owner>/<model name>-NNNN``; their repo ids."""
    original = (source or fixtures) / "hf" / "models" / model
    name = model.rsplit("/", 1)[-1]
    ids = []
    for i in range(count):
        repo_id = f"{owner}/{name}-{i:04d}"
        dest = fixtures / "hf" / "models" / repo_id
        shutil.copytree(original, dest)
        info = json.loads((dest / "info.json").read_text())
        info["id"] = info["modelId"] = repo_id
        info["_id"] = f"{owner}{i}".encode().hex()[:24].ljust(24, "0")
        (dest / "info.json").write_text(json.dumps(info))
        ids.append(repo_id)
    return ids
