"""An ingest job and its state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.artifacts.entities import ArtifactType, SourceHost, SourceRef
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

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "existing_id": self.existing_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IngestError:
        return cls(d["code"], d["message"], d.get("existing_id"))


@dataclass(frozen=True, slots=True)
class IngestJob:
    id: str
    url: str
    type: ArtifactType
    name: str | None  # as requested; None means "derive from the source"
    source_key: str
    requester: str
    state: IngestState
    #: Id the stored artifact will get, fixed when the job is created so that a retried job
    #: writes the same artifact instead of a second one.
    artifact_id: str
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

    def to_event(self) -> dict[str, Any]:
        """The JSON published on every transition."""
        return {
            "id": self.id,
            "url": self.url,
            "type": self.type.value,
            "name": self.name,
            "source_key": self.source_key,
            "requester": self.requester,
            "state": self.state.value,
            "artifact_id": self.artifact_id,
            "seq": self.seq,
            "history": [{"state": h.state.value, "at": h.at.isoformat()} for h in self.history],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "attempts": self.attempts,
            "error": None if self.error is None else self.error.to_dict(),
            "stored": self.stored,
            "replaces": self.replaces,
            "scores": [m.to_dict() for m in self.scores],
            "net_score": self.net_score,
            "gate": None if self.gate is None else self.gate.to_dict(),
            "gate_mode": self.gate_mode.value,
            "source": None if self.source is None else source_to_dict(self.source),
            "files": files_to_list(self.files),
        }

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> IngestJob:
        error = event.get("error")
        return cls(
            id=event["id"],
            url=event["url"],
            type=ArtifactType(event["type"]),
            name=event["name"],
            source_key=event["source_key"],
            requester=event["requester"],
            state=IngestState(event["state"]),
            artifact_id=event["artifact_id"],
            seq=int(event["seq"]),
            history=tuple(
                StateChange(IngestState(h["state"]), datetime.fromisoformat(h["at"]))
                for h in event["history"]
            ),
            created_at=datetime.fromisoformat(event["created_at"]),
            updated_at=datetime.fromisoformat(event["updated_at"]),
            attempts=int(event["attempts"]),
            error=None if error is None else IngestError.from_dict(error),
            stored=bool(event["stored"]),
            replaces=event.get("replaces"),
            scores=tuple(MetricScore.from_dict(m) for m in event.get("scores") or ()),
            net_score=event.get("net_score"),
            gate=None if not event.get("gate") else GateDecision.from_dict(event["gate"]),
            gate_mode=GateMode(event.get("gate_mode") or GateMode.ENFORCE),
            source=None if not event.get("source") else source_from_dict(event["source"]),
            files=files_from_list(event.get("files")),
        )


def files_to_list(files: tuple[FileProgress, ...]) -> list[dict[str, Any]]:
    return [{"path": f.path, "done": f.done, "total": f.total} for f in files]


def files_from_list(items: list[dict[str, Any]] | None) -> tuple[FileProgress, ...]:
    return tuple(FileProgress(i["path"], int(i["done"]), int(i["total"])) for i in items or ())


def lock_key(source_key: str) -> str:
    """Ingests of one source are one at a time whatever the case it is named in: the hubs'
    ids are case-insensitive."""
    return source_key.lower()


def source_to_dict(source: SourceRef) -> dict[str, Any]:
    return {
        "host": source.host.value,
        "type": source.type.value,
        "repo_id": source.repo_id,
        "key": source.key,
        "canonical_url": source.canonical_url,
    }


def source_from_dict(d: dict[str, Any]) -> SourceRef:
    return SourceRef(
        host=SourceHost(d["host"]),
        type=ArtifactType(d["type"]),
        repo_id=d["repo_id"],
        key=d["key"],
        canonical_url=d["canonical_url"],
    )
