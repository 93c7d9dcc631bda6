"""Audit entries leave the read path without ever being lost (DESIGN §8): a read appends its
entry to the journal in Redis and writes nothing to the document store; the log shows the
entry at once; the worker moves entries to the store in order, each exactly once, whatever
crash falls between the two steps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.artifacts.repository import ArtifactRepository
from app.audit.entities import AuditAction, AuditedArtifact
from app.audit.service import AuditService
from app.kinds import ArtifactType
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.commands import recording, writes
from tests.support.registry import Registry, running_registry

AUDIT_LOG = """
query($id: ID) { auditLog(artifactId: $id, first: 50) { edges { node { action user } } } }
"""


async def _stored_model(registry: Registry, artifact_id: str) -> None:
    repo = ArtifactRepository(registry.services.artifacts._repo._collection.database)
    await repo.insert(artifact(artifact_id, f"acme/m{artifact_id}", ingest_id=f"i{artifact_id}"))


async def _actions(registry: Registry, artifact_id: str) -> list[str]:
    data = await registry.gql(AUDIT_LOG, id=artifact_id)
    return [e["node"]["action"] for e in data["auditLog"]["edges"]]


async def _stored_entries(settings: Settings) -> list[dict[str, Any]]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        cursor = client[settings.mongo_database]["audit"].find({}).sort("seq", 1)
        return [d async for d in cursor]
    finally:
        await client.close()


def _audit(registry: Registry) -> AuditService:
    return registry.services.audit


async def test_a_read_writes_nothing_to_the_store_and_shows_in_the_log_at_once(
    settings: Settings,
) -> None:
    async with running_registry(settings, worker=False) as registry:
        await _stored_model(registry, "7")
        await registry.client.get("/artifacts/model/7")  # the token's first check, warmed
        with recording() as seen:
            answers = [await registry.client.get("/artifacts/model/7") for _ in range(5)]
        shown = await _actions(registry, "7")
    assert [a.status_code for a in answers] == [200] * 5
    assert writes(seen) == {}, seen
    assert shown == ["DOWNLOAD"] * 6


async def test_entries_reach_the_store_in_order_once_after_the_api_stops(
    settings: Settings,
) -> None:
    # The API appends and stops before any worker ran: the entries wait in the journal.
    async with running_registry(settings, worker=False) as registry:
        await _stored_model(registry, "8")
        for _ in range(3):
            assert (await registry.client.get("/artifacts/model/8")).status_code == 200
    assert await _stored_entries(settings) == []
    # A worker started later moves them.
    async with running_registry(settings, worker=True) as registry:
        async with asyncio.timeout(10):
            while len(await _stored_entries(settings)) < 3:  # noqa: ASYNC110 - polling the store
                await asyncio.sleep(0.05)
        shown = await _actions(registry, "8")
    stored = await _stored_entries(settings)
    assert [d["action"] for d in stored] == ["DOWNLOAD"] * 3
    seqs = [d["seq"] for d in stored]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert shown[-3:] == ["DOWNLOAD"] * 3


async def test_a_crash_between_writing_and_removing_writes_each_entry_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_registry(settings, worker=False) as registry:
        await _stored_model(registry, "9")
        for _ in range(4):
            assert (await registry.client.get("/artifacts/model/9")).status_code == 200
        audit = _audit(registry)
        journal = audit._journal
        pending = await journal.pending(100)

        # The drain's first step done, then a crash: the journal still holds the entries.
        async def crash(_ids: list[str]) -> None:
            raise ConnectionError("worker killed")

        with monkeypatch.context() as patched:
            patched.setattr(journal, "remove", crash)
            with pytest.raises(ConnectionError):
                await audit.drain()
        assert len(await journal.pending(100)) == len(pending) == 4
        moved = await audit.drain()  # the next drain, by this or another worker
        again = await audit.drain()
        shown = await _actions(registry, "9")
    stored = await _stored_entries(settings)
    assert moved == 4
    assert again == 0
    assert [d["action"] for d in stored] == ["DOWNLOAD"] * 4
    assert shown == ["DOWNLOAD"] * 4


async def test_a_keyed_entry_appended_twice_is_logged_once(settings: Settings) -> None:

    async with running_registry(settings, worker=False) as registry:
        audit = _audit(registry)
        model = AuditedArtifact("10", "m10", ArtifactType.MODEL)
        # a retried job records its CREATE again, once before and once after a drain
        await audit.record(AuditAction.CREATE, model, user="u", key="job:create")
        await audit.record(AuditAction.CREATE, model, user="u", key="job:create")
        before_drain = await _actions(registry, "10")
        await audit.drain()
        await audit.record(AuditAction.CREATE, model, user="u", key="job:create")
        after_drain = await _actions(registry, "10")
        await audit.drain()
    stored = await _stored_entries(settings)
    assert before_drain[-1:] == ["CREATE"]
    assert before_drain.count("CREATE") == 1
    assert after_drain.count("CREATE") == 1
    assert [d["action"] for d in stored].count("CREATE") == 1
