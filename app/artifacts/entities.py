"""What the registry stores about one artifact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.audit.entities import AuditedArtifact
from app.kinds import ArtifactType, SourceHost
from app.mirror.entities import Manifest
from app.rating.entities import Rating
from app.rating.gate import GateMode
from app.rating.links import ParentLink


@dataclass(frozen=True, slots=True)
class SourceRef:
    """An upstream repository, normalized from whatever URL form the client sent.

    ``key`` identifies the source across ingests (e.g. ``hf:model:google-bert/bert-base-uncased``,
    ``github:openai/whisper``): one artifact per key, one in-flight ingest per key.
    """

    host: SourceHost
    type: ArtifactType
    #: "org/name" on Hugging Face (or a legacy "name"), "owner/repo" on GitHub, host and path
    #: of a reference.
    repo_id: str
    key: str
    canonical_url: str

    @property
    def default_name(self) -> str:
        return self.repo_id.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class BlobRef:
    key: str
    size: int
    sha256: str


def ordinal_of(artifact_id: str) -> int:
    """Where an artifact stands in id order: ids come from a counter, so the number orders
    artifacts for cursor pagination; an id from anywhere else stands first, at 0."""
    return int(artifact_id) if artifact_id.isdigit() else 0


@dataclass(frozen=True, slots=True)
class Artifact:
    id: str
    name: str
    type: ArtifactType
    source_url: str  # exactly as the client sent it
    source: SourceRef
    revision: str | None  # upstream commit the stored bundle was built from
    readme: str
    license: str | None
    size_bytes: int  # upstream download size (weights and files), not the bundle's
    blob: BlobRef
    created_at: datetime
    created_by: str
    ingest_id: str
    upstream: dict[str, Any] = field(default_factory=dict)  # small summary of upstream metadata
    rating: Rating | None = None  # models only
    parents: tuple[ParentLink, ...] = ()
    datasets: tuple[str, ...] = ()  # upstream dataset ids the model names
    code_repo: str | None = None  # "owner/repo" on GitHub
    #: The gate mode of the entry point that stored this version (models only).
    gate_mode: GateMode | None = None
    #: Other source keys clients named this repository by (a legacy or miscased id), folded.
    aliases: tuple[str, ...] = ()
    #: Every rating the artifact was given, oldest first; the last is the current one.
    rating_history: tuple[RatingRecord, ...] = ()
    #: The model's files the registry holds and those it left upstream (None: not mirrored,
    #: as datasets, code and models stored before mirroring are not).
    manifest: Manifest | None = None

    @property
    def metadata_fetched(self) -> bool:
        """False for a reference: the registry never asked its host anything."""
        return self.source.host is not SourceHost.REFERENCE

    def audited(self) -> AuditedArtifact:
        """The artifact as an audit entry records it."""
        return AuditedArtifact(self.id, self.name, self.type)

    @property
    def gate_passed(self) -> bool | None:
        """The gate's decision on the current rating (None: not a gated model)."""
        return None if self.rating is None or self.rating.gate is None else self.rating.gate.passed


class RatingReason(StrEnum):
    """Why an artifact was given a rating."""

    INGEST = "ingest"
    UPDATE = "update"  # re-ingested by an update
    UPSTREAM_CHANGED = "upstream_changed"  # a rescore found its model, card or code changed
    PARENT_RERATED = "parent_rerated"  # its lineage changed: tree_score moved
    SCORER_UPGRADED = "scorer_upgraded"  # rated by an older scorer version
    ON_REQUEST = "on_request"  # an operator asked for a rescore


@dataclass(frozen=True, slots=True)
class RatingRecord:
    """One rating an artifact was given: when, why, what it scored, from which upstream
    revisions, by which scorer and under which gate policy."""

    at: datetime
    reason: RatingReason
    #: What the reason does not say: the parent that moved, the revisions that changed.
    note: str
    net_score: float
    #: Each metric's score, for the metrics that applied.
    scores: dict[str, float]
    revisions: dict[str, str]
    scorer_version: str
    policy_version: str | None
    gate_passed: bool | None

    @classmethod
    def of(
        cls, rating: Rating, reason: RatingReason, note: str = "", *, at: datetime
    ) -> RatingRecord:
        return cls(
            at=at,
            reason=reason,
            note=note,
            net_score=rating.net_score,
            scores={m.name: m.score for m in rating.metrics if m.applicable and m.error is None},
            revisions=dict(rating.revisions),
            scorer_version=rating.scorer_version,
            policy_version=None if rating.gate is None else rating.gate.policy_version,
            gate_passed=None if rating.gate is None else rating.gate.passed,
        )

    def moved_from(self, previous: RatingRecord | None) -> tuple[MetricMove, ...]:
        """The metrics whose score differs from ``previous`` (None where one did not apply)."""
        if previous is None:
            return ()
        names = sorted(set(self.scores) | set(previous.scores))
        return tuple(
            MetricMove(n, previous.scores.get(n), self.scores.get(n))
            for n in names
            if previous.scores.get(n) != self.scores.get(n)
        )


@dataclass(frozen=True, slots=True)
class MetricMove:
    metric: str
    before: float | None
    after: float | None
