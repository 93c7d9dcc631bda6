"""Checking a token writes nothing to the document store, keeps the 1 000-use limit exact
under concurrency, and sees a revoke, a deleted user or a reset at the next request in every
API process (DESIGN §8; how: ``app.auth.tokens``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from app.auth.entities import DEFAULT_ADMIN, Permission
from app.auth.repository import AuthRepository
from app.auth.service import _digest
from app.clock import utcnow
from app.settings import Settings
from tests.support.commands import recording
from tests.support.registry import Registry, running_registry

PROBE = '{ ingestJob(id: "none") { id } }'


async def _status(registry: Registry, token: str) -> str:
    answer = await registry.client.post(
        "/graphql", headers={"Authorization": token}, json={"query": PROBE}
    )
    body = answer.json()
    return body["errors"][0]["extensions"]["code"] if "errors" in body else "OK"


async def test_a_checked_token_costs_the_document_store_nothing(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        token = await registry.user_token("reader", [Permission.SEARCH])
        assert await _status(registry, token) == "OK"  # the first check reads the token
        with recording() as seen:
            statuses = [await _status(registry, token) for _ in range(20)]
    assert statuses == ["OK"] * 20
    touched = {key for key in seen if key[1] in {"tokens", "users"}}
    assert touched == set(), seen


async def test_exactly_the_token_limit_of_concurrent_requests_succeeds(
    settings: Settings,
) -> None:
    async with running_registry(settings, worker=False) as registry:
        repo = AuthRepository(registry.services.auth._repo._tokens.database)
        await repo.insert_token(_digest("limited"), DEFAULT_ADMIN, utcnow() + timedelta(1), 1000)
        statuses = await asyncio.gather(*(_status(registry, "bearer limited") for _ in range(1200)))
    assert Counter(statuses) == {"OK": 1000, "UNAUTHENTICATED": 200}


async def test_uses_survive_redis_losing_its_count(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        repo = AuthRepository(registry.services.auth._repo._tokens.database)
        await repo.insert_token(_digest("five"), DEFAULT_ADMIN, utcnow() + timedelta(1), 5)
        first = [await _status(registry, "bearer five") for _ in range(3)]
        await registry.services.auth.close()  # writes the counts back, as a shutdown does
        redis = registry.services.ingest._queue._pool  # type: ignore[attr-defined]
        deleted = await redis.delete(f"{settings.queue_name}:auth:uses:{_digest('five')}")
        rest = [await _status(registry, "bearer five") for _ in range(3)]
    assert deleted == 1
    assert first == ["OK"] * 3
    assert rest == ["OK", "OK", "UNAUTHENTICATED"]


async def test_every_process_sees_a_revoke_a_deleted_user_and_a_reset_at_once(
    settings: Settings,
) -> None:
    async with (
        running_registry(settings, worker=False) as one,
        running_registry(settings, worker=False) as other,
    ):
        revoked = await one.user_token("revoked", [Permission.SEARCH])
        deleted = await one.user_token("deleted", [Permission.SEARCH])
        reset = await one.user_token("reset", [Permission.SEARCH])
        warm = [await _status(other, t) for t in (revoked, deleted, reset)]
        await one.gql("mutation($t: String!) { revokeToken(token: $t) }", t=revoked)
        after_revoke = await _status(other, revoked)
        await one.gql('mutation { deleteUser(name: "deleted") { deletedName } }')
        after_delete = await _status(other, deleted)
        still = await _status(other, reset)
        await one.gql("mutation { reset { ok } }")
        after_reset = await _status(other, reset)
    assert warm == ["OK"] * 3  # each grant is cached in the other process
    assert after_revoke == "UNAUTHENTICATED"
    assert after_delete == "UNAUTHENTICATED"
    assert still == "OK"
    assert after_reset == "UNAUTHENTICATED"
