"""What the registry keeps from upstream about one source when it stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.mirror.entities import RepoFile


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    revision: str | None
    readme: str
    license: str | None
    size_bytes: int
    #: Files for the bundle, by name (model card, config, upstream metadata JSON).
    files: dict[str, bytes]
    #: A few upstream facts kept on the artifact document.
    summary: dict[str, Any] = field(default_factory=dict)
    #: Every file of a model's repository at ``revision``, as the hub lists it.
    repo_files: tuple[RepoFile, ...] = ()
