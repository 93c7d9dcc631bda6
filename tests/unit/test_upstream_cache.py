"""The upstream cache shared by a process's ingests: what it keeps, for how long, and that
concurrent asks share one request."""

from __future__ import annotations

import asyncio

import pytest

from app.upstream.cache import CacheKey, Freshness, UpstreamCache
from app.upstream.http import Fetched
from app.upstream.session import UpstreamSession

KEY: CacheKey = ("https://hub.test/api/datasets/a/b", ())
SHA = "0123456789abcdef0123456789abcdef01234567"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """Answers with a body that counts the requests made, after an optional delay."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self.requests = 0

    async def fetch(self) -> Fetched:
        self.requests += 1
        body = f"answer {self.requests}".encode()
        await asyncio.sleep(self.delay)
        return Fetched(KEY[0], self.status, {}, body)


def cache(clock: Clock, *, ttl: float = 60, max_bytes: int = 1 << 20) -> UpstreamCache:
    return UpstreamCache(ttl_seconds=ttl, max_bytes=max_bytes, clock=clock)


async def test_a_linked_answer_is_shared_until_its_ttl_ends() -> None:
    clock, upstream = Clock(), Upstream()
    shared = cache(clock, ttl=60)
    first = await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    clock.now += 59
    again = await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    clock.now += 2
    later = await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    assert (first.content, again.content, later.content) == (b"answer 1", b"answer 1", b"answer 2")
    assert upstream.requests == 2


async def test_a_live_ask_always_goes_upstream_and_refreshes_what_is_kept() -> None:
    clock, upstream = Clock(), Upstream()
    shared = cache(clock)
    await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    live = await shared.get(KEY, Freshness.LIVE, upstream.fetch)
    linked = await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    assert live.content == linked.content == b"answer 2"
    assert upstream.requests == 2


async def test_a_pinned_answer_outlives_the_ttl() -> None:
    clock, upstream = Clock(), Upstream()
    shared = cache(clock, ttl=60)
    await shared.get(KEY, Freshness.PINNED, upstream.fetch)
    clock.now += 86_400
    kept = await shared.get(KEY, Freshness.PINNED, upstream.fetch)
    assert kept.content == b"answer 1"
    assert upstream.requests == 1


@pytest.mark.parametrize("status", [500, 503, 429, 403, 401])
async def test_errors_and_refusals_are_never_kept(status: int) -> None:
    clock, upstream = Clock(), Upstream(status=status)
    shared = cache(clock)
    await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    await shared.get(KEY, Freshness.LINKED, upstream.fetch)
    assert upstream.requests == 2
    assert len(shared) == 0


async def test_a_missing_file_is_a_definite_answer_and_kept() -> None:
    clock, upstream = Clock(), Upstream(status=404)
    shared = cache(clock)
    await shared.get(KEY, Freshness.PINNED, upstream.fetch)
    missing = await shared.get(KEY, Freshness.PINNED, upstream.fetch)
    assert missing.status == 404
    assert upstream.requests == 1


async def test_a_failed_request_reaches_every_asker_and_is_not_kept() -> None:
    clock = Clock()
    calls = 0

    async def broken() -> Fetched:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise ConnectionError("upstream went away")

    shared = cache(clock)
    results = await asyncio.gather(
        *(shared.get(KEY, Freshness.LINKED, broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert calls == 1
    with pytest.raises(ConnectionError):
        await shared.get(KEY, Freshness.LINKED, broken)
    assert calls == 2  # nothing was kept from the failure


async def test_concurrent_asks_share_one_request() -> None:
    clock, upstream = Clock(), Upstream(delay=0.02)
    shared = cache(clock)
    answers = await asyncio.gather(
        *(shared.get(KEY, Freshness.LINKED, upstream.fetch) for _ in range(20))
    )
    assert {a.content for a in answers} == {b"answer 1"}
    assert upstream.requests == 1


async def test_an_asker_giving_up_does_not_cancel_the_shared_request() -> None:
    clock, upstream = Clock(), Upstream(delay=0.05)
    shared = cache(clock)
    impatient = asyncio.ensure_future(shared.get(KEY, Freshness.LINKED, upstream.fetch))
    await asyncio.sleep(0.01)
    patient = asyncio.ensure_future(shared.get(KEY, Freshness.LINKED, upstream.fetch))
    await asyncio.sleep(0)
    impatient.cancel()
    assert (await patient).content == b"answer 1"
    await asyncio.sleep(0)
    assert (await shared.get(KEY, Freshness.LINKED, upstream.fetch)).content == b"answer 1"
    assert upstream.requests == 1


async def test_memory_is_bounded_least_recently_used_first() -> None:
    shared = cache(Clock(), max_bytes=800)  # at most 100 bytes per answer
    requested: list[str] = []

    async def ask(name: str, size: int = 100) -> None:
        async def fetch() -> Fetched:
            requested.append(name)
            return Fetched(name, 200, {}, b"x" * size)

        await shared.get((name, ()), Freshness.LINKED, fetch)

    for name in "abcdefgh":
        await ask(name)
    await ask("a")  # kept, and now the most recently used
    await ask("i")  # evicts b, the least recently used
    await ask("huge", 101)  # over an eighth of the cache: never kept
    assert len(shared) == 8
    requested.clear()
    for name in "acdefghi":
        await ask(name)
    await ask("huge", 101)
    assert requested == ["huge"]
    await ask("b")
    assert requested == ["huge", "b"]


async def test_a_zero_ttl_turns_sharing_off() -> None:
    clock, upstream = Clock(), Upstream()
    shared = cache(clock, ttl=0)
    for freshness in Freshness:
        await shared.get(KEY, freshness, upstream.fetch)
    assert upstream.requests == len(Freshness)
    assert len(shared) == 0


async def test_an_answer_fetched_before_a_live_one_does_not_replace_it() -> None:
    shared = cache(Clock())
    release_old = asyncio.Event()

    async def old() -> Fetched:
        await release_old.wait()
        return Fetched(KEY[0], 200, {}, b"before the change")

    async def new() -> Fetched:
        return Fetched(KEY[0], 200, {}, b"after the change")

    linked = asyncio.ensure_future(shared.get(KEY, Freshness.LINKED, old))
    await asyncio.sleep(0)
    live = await shared.get(KEY, Freshness.LIVE, new)
    release_old.set()
    assert (await linked).content == b"before the change"  # what it asked for, in its time
    assert live.content == b"after the change"
    later = await shared.get(KEY, Freshness.LINKED, old)
    assert later.content == b"after the change"


async def test_a_request_nobody_waits_for_is_cancelled() -> None:
    shared = cache(Clock())
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> Fetched:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Fetched(KEY[0], 200, {}, b"too late")

    asker = asyncio.ensure_future(shared.get(KEY, Freshness.LINKED, slow))
    await started.wait()
    asker.cancel()
    await asyncio.wait_for(cancelled.wait(), 1)
    assert len(shared) == 0


@pytest.mark.parametrize(
    ("kind", "repo_id", "revision", "expected"),
    [
        ("model", "Org/Model", None, Freshness.LIVE),  # the subject, in any case
        ("model", "org/model", "main", Freshness.LIVE),
        ("model", "org/model", SHA, Freshness.PINNED),  # a commit never changes
        ("dataset", "org/model", None, Freshness.LINKED),  # same name, other kind
        ("github", "org/model", None, Freshness.LINKED),
        ("dataset", "org/data", SHA, Freshness.PINNED),
        ("github", "org/code", "master", Freshness.LINKED),
    ],
)
def test_a_new_ingest_reads_its_subject_live_and_its_links_shared(
    kind: str, repo_id: str, revision: str | None, expected: Freshness
) -> None:
    session = UpstreamSession(
        http=None,  # type: ignore[arg-type]  # only the freshness rule is exercised
        cache=cache(Clock()),
        subject=("model", "org/model"),
        shared_links=True,
    )
    assert session.freshness(kind, repo_id, revision) is expected


@pytest.mark.parametrize(
    ("kind", "revision", "expected"),
    [
        ("github", None, Freshness.LIVE),
        ("dataset", "main", Freshness.LIVE),
        ("dataset", SHA, Freshness.PINNED),
    ],
)
def test_without_shared_links_only_commits_come_from_the_cache(
    kind: str, revision: str | None, expected: Freshness
) -> None:
    session = UpstreamSession(
        http=None,  # type: ignore[arg-type]  # only the freshness rule is exercised
        cache=cache(Clock()),
        subject=("model", "org/model"),
    )
    assert session.freshness(kind, "org/linked", revision) is expected
