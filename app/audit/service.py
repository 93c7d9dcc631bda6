"""Recording who did what to an artifact, and reading it back.

The log is append-only: entries are inserted whole and never updated or removed (deleting an
artifact adds a DELETE entry and keeps the rest). Pages run newest first with a cursor on the
entry's position, so entries written while a client walks the pages never shift or repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.audit.entities import (
    AuditAction,
    AuditedArtifact,
    AuditEntry,
    AuditPage,
    seq_of_cursor,
)
from app.audit.repository import AuditRepository
from app.clock import utcnow
from app.errors import ValidationError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class AuditService:
    def __init__(self, repo: AuditRepository) -> None:
        self._repo = repo

    async def record(
        self, action: AuditAction, artifact: AuditedArtifact, *, user: str, key: str | None = None
    ) -> AuditEntry:
        """Append one entry. ``key`` names the event for callers that may run twice (a
        retried job): the second record with the same key adds nothing."""
        (entry,) = await self.record_each([(action, key)], artifact, user=user)
        return entry

    async def record_each(
        self,
        actions: Sequence[tuple[AuditAction, str | None]],
        artifact: AuditedArtifact,
        *,
        user: str,
    ) -> list[AuditEntry]:
        """Append one entry per (action, key), in that order, with one counter step and one
        write: an ingest records CREATE and RATE together. Returns the entries as written
        (a keyed one already in the log is left as it was)."""
        if not actions:
            return []
        now = utcnow()
        seqs = await self._repo.next_seqs(len(actions))
        entries = [
            AuditEntry(seq=seq, artifact=artifact, user=user, date=now, action=action)
            for seq, (action, _) in zip(seqs, actions, strict=True)
        ]
        await self._repo.insert([(e, key) for e, (_, key) in zip(entries, actions, strict=True)])
        return entries

    async def reset(self) -> None:
        """Empty the log (a registry reset only: entries are otherwise never removed)."""
        await self._repo.delete_all()

    async def page(
        self,
        artifact_id: str | None,
        *,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        reader: str | None = None,
    ) -> AuditPage:
        """One artifact's entries (every artifact's when ``artifact_id`` is None), newest
        first, after the entry at ``after``. With a ``reader``, reading one artifact's log is
        itself recorded as AUDIT, after the read: the page shows the log as it was asked for."""
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise ValidationError(f"first must be 1-{MAX_PAGE_SIZE}", field="first")
        before = None
        if after is not None and (before := seq_of_cursor(after)) is None:
            raise ValidationError("after is not a cursor of this log", field="after")
        page = await self._repo.page(artifact_id, before=before, limit=first)
        if artifact_id is not None and reader is not None:
            newest = (
                page.entries[0]
                if page.entries and before is None
                else await self._repo.latest(artifact_id)
            )
            # An id the log has never seen has nothing to audit (and no name to record).
            if newest is not None:
                await self.record(AuditAction.AUDIT, newest.artifact, user=reader)
        return page
