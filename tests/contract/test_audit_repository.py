"""The audit log's queries against a MongoDB-protocol server (nx-27017; a real mongod when
TMR_TEST_MONGO_URL is set)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.errors import BulkWriteError

from app.audit.entities import AuditAction, AuditedArtifact, AuditEntry
from app.audit.repository import AuditRepository
from app.clock import utcnow
from app.kinds import ArtifactType
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
    entry = AuditEntry(await repo.max_seq() + 1, artifact, "alice", utcnow(), action)
    await repo.insert([(entry, key)])
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
    # A retried job writes its CREATE again beside a RATE it had not reached: only the
    # RATE is new.
    create_seq, rate_seq = await repo.max_seq() + 1, await repo.max_seq() + 2
    again = AuditEntry(create_seq, ONE, "alice", utcnow(), AuditAction.CREATE)
    rate = AuditEntry(rate_seq, ONE, "alice", utcnow(), AuditAction.RATE)
    await repo.insert([(again, "ingest:j1:create"), (rate, "ingest:j1:rate")])
    page = await repo.page("1", before=None, limit=10)
    assert [e.action for e in page.entries] == [AuditAction.RATE, AuditAction.CREATE]


async def test_an_unkeyed_entry_clashing_with_the_log_is_an_error(repo: AuditRepository) -> None:
    first = await append(repo, ONE, AuditAction.DOWNLOAD)
    clash = AuditEntry(first.seq, ONE, "bob", utcnow(), AuditAction.DOWNLOAD)  # same position
    with pytest.raises(BulkWriteError):
        await repo.insert([(clash, None)])


async def test_the_highest_position_and_existing_ids_are_read_back(repo: AuditRepository) -> None:
    assert await repo.max_seq() == 0
    first = await append(repo, ONE, AuditAction.CREATE, key="k1")
    second = await append(repo, TWO, AuditAction.DOWNLOAD)
    assert await repo.max_seq() == second.seq == first.seq + 1
    assert await repo.existing_ids(["k1", "k2", str(second.seq)]) == {"k1", str(second.seq)}
