"""An ingest job and its state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from app.artifacts.entities import SourceRef
from app.kinds import ArtifactType
from app.mirror.entities import FileProgress
from app.rating.entities import GateDecision, MetricScore
from app.rating.gate import GateMode


class IngestState(StrEnum):
    QUEUED = "QUEUED"
    FETCHING = "FETCHING"
    SCORING = "SCORING"
    GATED = "GATED"
    MIRRORING = "MIRRORING"
    STORING = "STORING"
    DONE = "DONE"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in {IngestState.DONE, IngestState.FAILED}


# Which state may follow which; anything else is a bug in the caller. FAILED may follow any
# live state, and a retried job restarts from FETCHING wherever the last attempt stopped.
_LIVE = {
    IngestState.QUEUED,
    IngestState.FETCHING,
    IngestState.SCORING,
    IngestState.GATED,
    IngestState.MIRRORING,
    IngestState.STORING,
}
ALLOWED_TRANSITIONS: dict[IngestState, frozenset[IngestState]] = {
    IngestState.QUEUED: frozenset({IngestState.FETCHING}),
    IngestState.FETCHING: frozenset(
        {IngestState.FETCHING, IngestState.SCORING, IngestState.STORING}
    ),
    IngestState.SCORING: frozenset({IngestState.FETCHING, IngestState.GATED}),
    IngestState.GATED: frozenset(
        {IngestState.FETCHING, IngestState.MIRRORING, IngestState.STORING}
    ),
    IngestState.MIRRORING: frozenset({IngestState.FETCHING, IngestState.STORING}),
    IngestState.STORING: frozenset({IngestState.FETCHING, IngestState.DONE}),
}
for _state in _LIVE:
    ALLOWED_TRANSITIONS[_state] = ALLOWED_TRANSITIONS[_state] | {IngestState.FAILED}


@dataclass(frozen=True, slots=True)
class StateChange:
    state: IngestState
    at: datetime


@dataclass(frozen=True, slots=True)
class IngestError:
    code: str
    message: str
    #: A conflict's artifact: the one already registered (or being registered) from the source.
    existing_id: str | None = None


@dataclass(frozen=True, slots=True)
class IngestJob:
    id: str
    url: str
    type: ArtifactType
    name: str | None  # as requested; None means "derive from the source"
    source_key: str
    requester: str
    state: IngestState
    #: Id the stored artifact gets: drawn once the gate has passed it (or it has no gate),
    #: or earlier when a client waiting on it has to be told one, so a refused or failed
    #: ingest leaves no gap in the ids. Once drawn it stays, so a retried job writes the same
    #: artifact instead of a second one. An update's is the artifact it replaces.
    artifact_id: str | None
    seq: int  # bumps on every transition; subscribers use it to drop duplicates
    history: tuple[StateChange, ...]
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    error: IngestError | None = None
    stored: bool = False  # the artifact document exists
    #: Metric results so far, in the order they completed (models only).
    scores: tuple[MetricScore, ...] = ()
    net_score: float | None = None
    gate: GateDecision | None = None
    #: An update: the stored artifact this ingest replaces once it passes the gate.
    replaces: str | None = None
    #: What a failing gate decision does to this ingest: its entry point's mode.
    gate_mode: GateMode = GateMode.ENFORCE
    #: The source as parsed from ``url``, then as its hub names it once it has answered
    #: (``source_key`` stays the key the request was accepted and locked under).
    source: SourceRef | None = None
    #: Each file's copy into the blob store while MIRRORING (models passing their gate).
    files: tuple[FileProgress, ...] = ()

    @property
    def locks(self) -> frozenset[str]:
        """The in-flight locks the job may hold: the requested source, and the canonical one."""
        keys = {lock_key(self.source_key)}
        if self.source is not None:
            keys.add(lock_key(self.source.key))
        return frozenset(keys)

    @property
    def drawn_id(self) -> str:
        """The artifact id, for the steps that run only once it has been drawn."""
        if self.artifact_id is None:
            raise RuntimeError(f"ingest {self.id} has no artifact id yet")
        return self.artifact_id

    def to_event(self) -> dict[str, Any]:
        """The JSON published on every transition (dates as ISO 8601 strings)."""
        event: dict[str, Any] = msgspec.to_builtins(self)
        return event

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> IngestJob:
        return _from_builtins(event)

    def to_document(self) -> dict[str, Any]:
        """What the job store keeps: the event's fields, dates as dates, ``id`` as ``_id``."""
        document: dict[str, Any] = msgspec.to_builtins(self, builtin_types=(datetime,))
        document["_id"] = document.pop("id")
        return document

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> IngestJob:
        return _from_builtins({**document, "id": document["_id"]})


#: Fields whose null, in a job written by an older version, means "take the default".
_DEFAULTED = frozenset({"gate_mode", "attempts", "stored", "scores", "files"})


def _from_builtins(data: dict[str, Any]) -> IngestJob:
    """A job from its event or its document: one schema, the dataclasses', for both."""
    known = {k: v for k, v in data.items() if k != "_id" and (v is not None or k not in _DEFAULTED)}
    job: IngestJob = msgspec.convert(known, IngestJob, strict=False, builtin_types=(datetime,))
    return job


def lock_key(source_key: str) -> str:
    """Ingests of one source are one at a time whatever the case it is named in: the hubs'
    ids are case-insensitive."""
    return source_key.lower()
