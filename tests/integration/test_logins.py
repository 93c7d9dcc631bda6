"""Logins cannot starve the service or reveal users (DESIGN §8): hashing on its own bounded
pool, one verification per login whoever the user, attempts limited per client and per user
name, the default admin's password a setting, and expired tokens purged."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS, PUBLISHED_ADMIN_PASSWORD
from app.clock import utcnow
from app.resources import DefaultAdminUnconfiguredError, open_resources
from app.settings import Settings
from app.storage import mongo
from tests.support.registry import running_registry

ANONYMOUS = {"Authorization": ""}
GQL_LOGIN = """mutation($u: String!, $p: String!) { authenticate(username: $u, password: $p) {
  token error { __typename ... on Error { code message }
  ... on RateLimitedError { retryAfterSeconds } } } }"""


@dataclass
class Verifications:
    """Every argon2 verification the process runs: on which thread, how many at once."""

    threads: list[str] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Verifications wait for this; a test clears it to hold them.
    hold: threading.Event = field(default_factory=threading.Event)

    @property
    def count(self) -> int:
        return len(self.threads)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[Verifications]:
    seen = Verifications()
    seen.hold.set()
    verify = PasswordHasher.verify

    def spy(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        with seen.lock:
            seen.threads.append(threading.current_thread().name)
            seen.running += 1
            seen.most_at_once = max(seen.most_at_once, seen.running)
        try:
            seen.hold.wait(60)
            return verify(self, stored, password)
        finally:
            with seen.lock:
                seen.running -= 1

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    yield seen
    seen.hold.set()


def rest_login(name: str, password: str) -> dict[str, Any]:
    return {"user": {"name": name, "is_admin": False}, "secret": {"password": password}}


async def login(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    return await client.put("/authenticate", json=rest_login(name, password), headers=ANONYMOUS)


async def gql_login(client: httpx.AsyncClient, name: str, password: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": GQL_LOGIN, "variables": {"u": name, "p": password}},
        headers=ANONYMOUS,
    )
    payload: dict[str, Any] = response.json()["data"]["authenticate"]
    return payload


def unthrottled(settings: Settings, **changes: Any) -> Settings:  # noqa: ANN401
    return settings.model_copy(
        update={"login_attempts_per_user": 10_000, "login_attempts_per_client": 10_000, **changes}
    )


async def test_a_login_flood_runs_on_its_own_bounded_pool(
    settings: Settings, verifications: Verifications
) -> None:
    flood, workers, waiting = 16, 1, 2
    bounded = unthrottled(settings, login_hash_workers=workers, login_hash_queue=waiting)
    async with running_registry(bounded, worker=False) as registry:
        c = registry.client
        before = verifications.count
        verifications.hold.clear()  # hashing is stuck until the flood has been answered
        try:
            async with asyncio.timeout(60):
                logins = [
                    asyncio.create_task(login(c, DEFAULT_ADMIN, f"wrong-{i}")) for i in range(flood)
                ]
                refused = asyncio.Event()

                def answered(_: object) -> None:
                    if sum(t.done() for t in logins) >= flood - workers - waiting:
                        refused.set()

                for task in logins:
                    task.add_done_callback(answered)
                await refused.wait()
                health = [(await c.get("/health")).status_code for _ in range(3)]
                verifications.hold.set()
                answers = await asyncio.gather(*logins)
        finally:
            verifications.hold.set()
    busy = [a for a in answers if a.status_code == 429]
    assert health == [200] * 3
    assert len(busy) == flood - workers - waiting
    assert all(
        a.json()["code"] == "logins_busy" and int(a.headers["Retry-After"]) >= 1 for a in busy
    )
    assert sorted({a.status_code for a in answers}) == [401, 429]
    assert verifications.count - before == workers + waiting  # the refused did no hashing
    assert verifications.most_at_once == workers
    assert all(name.startswith("tmr-passwords") for name in verifications.threads)


async def test_a_login_costs_one_verification_whoever_the_user(
    settings: Settings, verifications: Verifications
) -> None:
    async with running_registry(unthrottled(settings), worker=False) as registry:
        c = registry.client
        await registry.gql(
            'mutation { createUser(name: "known", password: "known-password-1", '
            "permissions: [SEARCH]) { user { name } } }"
        )
        costs: dict[str, int] = {}
        for case, (name, password, status) in {
            "unknown user": ("nobody-" + uuid.uuid4().hex, "whatever-1", 401),
            "known user, wrong password": ("known", "whatever-1", 401),
            "known user": ("known", "known-password-1", 200),
            "default admin, wrong password": (DEFAULT_ADMIN, "whatever-1", 401),
            "default admin, another spelling": (DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS[2], 200),
        }.items():
            before = verifications.count
            answer = await login(c, name, password)
            assert answer.status_code == status, (case, answer.text)
            costs[case] = verifications.count - before
    assert costs == dict.fromkeys(costs, 1)


async def test_failed_rest_logins_are_limited_with_429_and_retry_after(
    settings: Settings, verifications: Verifications
) -> None:
    limited = settings.model_copy(
        update={"login_attempts_per_user": 3, "login_attempts_per_client": 100}
    )
    async with running_registry(limited, worker=False) as registry:
        c = registry.client
        assert [(await login(c, DEFAULT_ADMIN, "guess")).status_code for _ in range(3)] == [401] * 3
        before = verifications.count
        refused = await login(c, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD)
        other_user = await login(c, "someone-else", "guess")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.json() == {"code": "login_rate_limited", "detail": refused.json()["detail"]}
    assert refused.json()["detail"]
    assert other_user.status_code == 401  # the limit is the user name's, not the client's
    assert verifications.count - before == 1  # the refused attempt did no hashing


async def test_failed_graphql_logins_are_limited_per_client(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"login_attempts_per_user": 100, "login_attempts_per_client": 2}
    )
    async with running_registry(limited, worker=False) as registry:
        c = registry.client
        first = [await gql_login(c, f"user-{i}", "guess") for i in range(2)]
        refused = await gql_login(c, "user-3", "guess")
        rest = await login(c, "user-4", "guess")  # the same client, over REST
    assert [f["error"]["__typename"] for f in first] == ["InvalidCredentialsError"] * 2
    assert refused["token"] is None
    assert refused["error"]["__typename"] == "RateLimitedError"
    assert refused["error"]["code"] == "login_rate_limited"
    assert 1 <= refused["error"]["retryAfterSeconds"] <= 30
    assert rest.status_code == 429


async def test_successful_logins_do_not_count(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"login_attempts_per_user": 2, "login_attempts_per_client": 2}
    )
    async with running_registry(limited, worker=False) as registry:
        c = registry.client
        statuses = [(await login(c, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD)).status_code]
        statuses += [
            1 if (await gql_login(c, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD))["token"] else 0
            for _ in range(5)
        ]
    assert statuses == [200, 1, 1, 1, 1, 1]


async def test_the_admin_password_is_a_setting_restored_by_reset(settings: Settings) -> None:
    # A registry that ran with the published password, then restarted with one of its own.
    async with running_registry(settings, worker=False) as registry:
        assert (await login(registry.client, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD)).is_success
    own = unthrottled(settings, admin_password=SecretStr("an operator's own secret"))
    async with running_registry(own, worker=False) as registry:
        c = registry.client
        published = await login(c, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD)
        spelling = await login(c, DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS[1])
        configured = await login(c, DEFAULT_ADMIN, "an operator's own secret")
        assert (await c.delete("/reset")).status_code == 200
        after_reset = await login(c, DEFAULT_ADMIN, "an operator's own secret")
        published_after_reset = await login(c, DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD)
    assert (published.status_code, spelling.status_code, configured.status_code) == (401, 401, 200)
    assert (after_reset.status_code, published_after_reset.status_code) == (200, 401)


async def test_external_backends_refuse_to_start_without_an_admin_password(
    settings: Settings,
) -> None:
    unset = settings.model_copy(update={"admin_password": None})
    with pytest.raises(DefaultAdminUnconfiguredError, match="TMR_ADMIN_PASSWORD"):
        async with open_resources(unset):
            pass


def test_only_the_embedded_mode_defaults_to_the_published_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded = Settings().admin_password
    monkeypatch.setenv("TMR_MONGO_URL", "mongodb://documents.example:27017")
    external = Settings().admin_password
    monkeypatch.setenv("TMR_ADMIN_PASSWORD", "set by the operator")
    configured = Settings().admin_password
    assert embedded is not None
    assert embedded.get_secret_value() == PUBLISHED_ADMIN_PASSWORD
    assert external is None
    assert configured is not None
    assert configured.get_secret_value() == "set by the operator"


async def test_expired_tokens_are_purged(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        repo = registry.services.auth._repo
        await repo.insert_token("expired", DEFAULT_ADMIN, utcnow() - timedelta(seconds=1), 10)
        await repo.insert_token("valid", DEFAULT_ADMIN, utcnow() + timedelta(hours=1), 10)
    async with running_registry(settings, worker=False):
        pass
    client = mongo.connect(settings.mongo_url or "")
    try:
        tokens = client[settings.mongo_database]["tokens"]
        # Not find(): nx-27017 applies a TTL index lazily on finds, and this checks the purge.
        expired = await tokens.find_one_and_delete({"_id": "expired"})
        valid = await tokens.find_one_and_delete({"_id": "valid"})
        indexes = await tokens.index_information()
    finally:
        await client.close()
    assert expired is None
    assert valid is not None
    assert any(i.get("expireAfterSeconds") == 0 for i in indexes.values())
