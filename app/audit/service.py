"""Recording who did what to an artifact, and reading it back.

The log is append-only: entries are inserted whole and never updated or removed (deleting an
artifact adds a DELETE entry and keeps the rest). Pages run newest first with a cursor on the
entry's position, so entries written while a client walks the pages never shift or repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.audit.entities import (
    AuditAction,
    AuditedArtifact,
    AuditEntry,
    AuditPage,
    seq_of_cursor,
)
from app.audit.journal import AuditJournal, Pending
from app.audit.repository import AuditRepository, entry_id
from app.clock import utcnow
from app.errors import ValidationError
from app.kinds import ArtifactType

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: Entries drained from the journal to the document store per batch.
DRAIN_BATCH = 500
#: How many journal entries a read merges at most. The worker keeps the journal near empty;
#: this bounds the cost of a read while no worker drains it.
MERGE_LIMIT = 5_000


class AuditService:
    def __init__(self, repo: AuditRepository, journal: AuditJournal) -> None:
        self._repo = repo
        self._journal = journal

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
        """Append one entry per (action, key), in that order, in one journal step: an ingest
        records CREATE and RATE together. Returns the entries as appended (a keyed one whose
        key is in the log already is dropped when the journal is drained)."""
        if not actions:
            return []
        now = utcnow()
        docs = [
            _journal_doc(artifact, user=user, date=now, action=action, key=key)
            for action, key in actions
        ]
        first = await self._journal.append(docs)
        if first is None:  # Redis lost the counter: never reuse a position
            await self._journal.raise_counter(await self._highest_seq())
            first = await self._journal.append(docs)
            if first is None:  # pragma: no cover - the counter exists after raise_counter
                raise RuntimeError("the audit counter could not be restored")
        return [
            AuditEntry(seq=first + i, artifact=artifact, user=user, date=now, action=action)
            for i, (action, _) in enumerate(actions)
        ]

    async def drain(self, batch: int = DRAIN_BATCH) -> int:
        """Move the oldest journal entries to the document store, in order; how many. Run
        twice over the same entries (a crash between the write and the removal, or two
        workers at once), it writes each entry once: entry ids are unique in the log."""
        pending = await self._journal.pending(batch)
        if not pending:
            return 0
        await self._repo.insert(
            [(entry, entry_id(entry, key)) for entry, key in map(_journal_entry, pending)]
        )
        await self._journal.remove([p.stream_id for p in pending])
        return len(pending)

    async def reset(self) -> None:
        """Empty the log (a registry reset only: entries are otherwise never removed)."""
        await self._journal.clear()
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
        page = await self._merged_page(artifact_id, before=before, limit=first)
        if artifact_id is not None and reader is not None:
            newest = (
                page.entries[0]
                if page.entries and before is None
                else await self._latest(artifact_id)
            )
            # An id the log has never seen has nothing to audit (and no name to record).
            if newest is not None:
                await self.record(AuditAction.AUDIT, newest.artifact, user=reader)
        return page

    async def _merged_page(
        self, artifact_id: str | None, *, before: int | None, limit: int
    ) -> AuditPage:
        # The journal is read first: an entry drained meanwhile is then in the store's page.
        waiting = await self._waiting(artifact_id, before=before)
        stored = await self._repo.page(artifact_id, before=before, limit=limit)
        if not waiting:
            return stored
        seen = {e.seq for e in stored.entries}
        merged = sorted(
            [*stored.entries, *(e for e in waiting if e.seq not in seen)],
            key=lambda e: e.seq,
            reverse=True,
        )
        return AuditPage(
            entries=tuple(merged[:limit]), has_next=stored.has_next or len(merged) > limit
        )

    async def _waiting(self, artifact_id: str | None, *, before: int | None) -> list[AuditEntry]:
        """Journal entries not yet drained that the page may show (keyed ones already in the
        store, or repeated in the journal, once)."""
        pending = [
            (entry, key)
            for entry, key in map(_journal_entry, await self._journal.pending(MERGE_LIMIT))
            if (artifact_id is None or entry.artifact.id == artifact_id)
            and (before is None or entry.seq < before)
        ]
        keys = [key for _, key in pending if key is not None]
        shown = await self._repo.existing_ids(keys)
        entries = []
        for entry, key in pending:
            if key is not None:
                if key in shown:
                    continue
                shown.add(key)
            entries.append(entry)
        return entries

    async def _latest(self, artifact_id: str) -> AuditEntry | None:
        page = await self._merged_page(artifact_id, before=None, limit=1)
        return page.entries[0] if page.entries else None

    async def _highest_seq(self) -> int:
        pending = await self._journal.pending(MERGE_LIMIT)
        return max([await self._repo.max_seq(), *(p.seq for p in pending)])


def _journal_doc(
    artifact: AuditedArtifact, *, user: str, date: datetime, action: AuditAction, key: str | None
) -> dict[str, Any]:
    return {
        "key": key,
        "artifact": {"id": artifact.id, "name": artifact.name, "type": artifact.type.value},
        "user": user,
        "date": date.isoformat(),
        "action": action.value,
    }


def _journal_entry(pending: Pending) -> tuple[AuditEntry, str | None]:
    doc = pending.doc
    artifact = doc["artifact"]
    entry = AuditEntry(
        seq=pending.seq,
        artifact=AuditedArtifact(artifact["id"], artifact["name"], ArtifactType(artifact["type"])),
        user=doc["user"],
        date=datetime.fromisoformat(doc["date"]),
        action=AuditAction(doc["action"]),
    )
    return entry, doc["key"]
