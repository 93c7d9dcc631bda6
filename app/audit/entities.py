"""The audit log: who did what to which artifact, and when. Entries are never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app import cursors
from app.kinds import ArtifactType


class AuditAction(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DOWNLOAD = "DOWNLOAD"
    RATE = "RATE"
    AUDIT = "AUDIT"  # someone read the artifact's audit log
    DELETE = "DELETE"
    REJECT = "REJECT"  # the quality gate refused an ingest: the artifact never existed


@dataclass(frozen=True, slots=True)
class AuditedArtifact:
    """The artifact as it was when the entry was written; it may since be deleted."""

    id: str
    name: str
    type: ArtifactType


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int  # position in the whole log: orders entries and makes cursors
    artifact: AuditedArtifact
    user: str
    date: datetime  # UTC
    action: AuditAction

    @property
    def cursor(self) -> str:
        return cursors.encode(_CURSOR_KIND, self.seq)


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]  # newest first
    has_next: bool  # older entries remain after the last one


_CURSOR_KIND = "audit"


def seq_of_cursor(cursor: str) -> int | None:
    """The position an opaque cursor stands for; None when it is not one of ours."""
    return cursors.decode(_CURSOR_KIND, cursor)
