"""The audit log's queries against a MongoDB-protocol server (nx-27017; a real mongod when
TMR_TEST_MONGO_URL is set)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from app.artifacts.entities import ArtifactType
from app.audit.entities import AuditAction, AuditedArtifact, AuditEntry
from app.audit.repository import AuditRepository
from app.clock import utcnow
from app.storage import mongo

ONE = AuditedArtifact("1", "bert", ArtifactType.MODEL)
TWO = AuditedArtifact("2", "imdb", ArtifactType.DATASET)


@pytest.fixture
async def repo(mongo_url: str) -> AsyncIterator[AuditRepository]:
    client = mongo.connect(mongo_url)
    try:
        audit = AuditRepository(client[f"audit_{uuid.uuid4().hex[:12]}"])
        await audit.ensure_indexes()
        yield audit
    finally:
        await client.close()


async def append(
    repo: AuditRepository, artifact: AuditedArtifact, action: AuditAction, key: str | None = None
) -> AuditEntry:
    entry = AuditEntry(await repo.next_seq(), artifact, "alice", utcnow(), action)
    await repo.insert(entry, key=key)
    return entry


async def test_entries_round_trip_newest_first(repo: AuditRepository) -> None:
    written = [
        await append(repo, ONE, AuditAction.CREATE),
        await append(repo, TWO, AuditAction.CREATE),
        await append(repo, ONE, AuditAction.DOWNLOAD),
    ]
    page = await repo.page(None, before=None, limit=10)
    assert page.entries == tuple(reversed(written))  # dates come back as the same UTC values
    assert not page.has_next
    mine = await repo.page("1", before=None, limit=10)
    assert [e.action for e in mine.entries] == [AuditAction.DOWNLOAD, AuditAction.CREATE]
    assert await repo.latest("1") == written[2]
    assert await repo.latest("missing") is None


async def test_pages_follow_the_cursor(repo: AuditRepository) -> None:
    written = [await append(repo, ONE, AuditAction.DOWNLOAD) for _ in range(5)]
    first = await repo.page("1", before=None, limit=2)
    assert first.has_next
    second = await repo.page("1", before=first.entries[-1].seq, limit=2)
    third = await repo.page("1", before=second.entries[-1].seq, limit=2)
    assert not third.has_next
    walked = first.entries + second.entries + third.entries
    assert walked == tuple(reversed(written))


async def test_a_keyed_entry_is_written_once(repo: AuditRepository) -> None:
    await append(repo, ONE, AuditAction.CREATE, key="ingest:j1:create")
    again = AuditEntry(await repo.next_seq(), ONE, "alice", utcnow(), AuditAction.CREATE)
    assert not await repo.insert(again, key="ingest:j1:create")
    page = await repo.page("1", before=None, limit=10)
    assert [e.action for e in page.entries] == [AuditAction.CREATE]
