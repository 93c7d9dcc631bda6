"""Rescoring's vocabulary: the upstream sources a rating was made from, and what a rescore did."""

from __future__ import annotations

from dataclasses import dataclass

from app.artifacts.entities import Artifact, RatingReason


@dataclass(frozen=True, slots=True)
class Source:
    """One upstream repository a rating was made from, keyed as ``Rating.revisions`` keys it
    ("model", "code:owner/repo", "dataset:org/name") but with the model's id spelled out."""

    key: str
    #: "models" | "datasets" | "github"
    host_kind: str
    repo_id: str
    #: The revision the current rating was made from.
    rated_revision: str


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the registry last learned of a source: its revision and the validator to send."""

    key: str
    revision: str | None
    etag: str | None


@dataclass(frozen=True, slots=True)
class RescoreOutcome:
    artifact_id: str
    #: Why it was rated again; None when nothing changed and it was left as it was.
    reason: RatingReason | None
    #: The sources found changed since its rating.
    changed: tuple[str, ...]
    artifact: Artifact | None


@dataclass(slots=True)
class PassReport:
    """What one rescore pass cost and did."""

    checked: int = 0
    rescored: int = 0
    failed: int = 0
    #: Conditional requests sent, and how many upstream answered 304 (nothing changed).
    requests: int = 0
    not_modified: int = 0
    seconds: float = 0.0
