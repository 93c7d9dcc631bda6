"""An ingest job and its state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.artifacts.entities import ArtifactType
from app.rating.entities import GateDecision, MetricScore


class IngestState(StrEnum):
    QUEUED = "QUEUED"
    FETCHING = "FETCHING"
    SCORING = "SCORING"
    GATED = "GATED"
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
    IngestState.STORING,
}
ALLOWED_TRANSITIONS: dict[IngestState, frozenset[IngestState]] = {
    IngestState.QUEUED: frozenset({IngestState.FETCHING}),
    IngestState.FETCHING: frozenset(
        {IngestState.FETCHING, IngestState.SCORING, IngestState.STORING}
    ),
    IngestState.SCORING: frozenset({IngestState.FETCHING, IngestState.GATED}),
    IngestState.GATED: frozenset({IngestState.FETCHING, IngestState.STORING}),
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
            "error": None
            if self.error is None
            else {"code": self.error.code, "message": self.error.message},
            "stored": self.stored,
            "replaces": self.replaces,
            "scores": [m.to_dict() for m in self.scores],
            "net_score": self.net_score,
            "gate": None if self.gate is None else self.gate.to_dict(),
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
            error=None if error is None else IngestError(error["code"], error["message"]),
            stored=bool(event["stored"]),
            replaces=event.get("replaces"),
            scores=tuple(MetricScore.from_dict(m) for m in event.get("scores") or ()),
            net_score=event.get("net_score"),
            gate=None if not event.get("gate") else GateDecision.from_dict(event["gate"]),
        )
