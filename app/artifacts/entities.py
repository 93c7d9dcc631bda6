"""What the registry stores about one artifact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.mirror.entities import Manifest
from app.rating.entities import Rating
from app.rating.gate import GateMode


class ArtifactType(StrEnum):
    MODEL = "model"
    DATASET = "dataset"
    CODE = "code"


class SourceHost(StrEnum):
    HUGGING_FACE = "huggingface"
    GITHUB = "github"
    #: Any other https URL (Kaggle, Zenodo, GitLab, ...), for datasets and code: registered as
    #: a reference, never fetched (DESIGN §5, identity).
    REFERENCE = "reference"


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
    #: Earlier values of the rating, oldest first, each with why it changed.
    rating_history: tuple[RatingChange, ...] = ()
    #: The model's files the registry holds and those it left upstream (None: not mirrored,
    #: as datasets, code and models stored before mirroring are not).
    manifest: Manifest | None = None

    @property
    def metadata_fetched(self) -> bool:
        """False for a reference: the registry never asked its host anything."""
        return self.source.host is not SourceHost.REFERENCE

    @property
    def gate_passed(self) -> bool | None:
        """The gate's decision on the current rating (None: not a gated model)."""
        return None if self.rating is None or self.rating.gate is None else self.rating.gate.passed


@dataclass(frozen=True, slots=True)
class RatingChange:
    """A rating replaced without a new ingest (its lineage changed): the values it had."""

    at: datetime
    reason: str
    net_score: float
    tree_score: float | None
    gate_passed: bool | None


@dataclass(frozen=True, slots=True)
class ParentLink:
    """A lineage link: the parent's upstream name, and its registry id when registered."""

    name: str
    artifact_id: str | None
    source: str  # "config_json" | "model_card"
