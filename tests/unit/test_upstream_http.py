"""Upstream HTTP: retries bounded and honouring Retry-After, one request per URL per ingest,
and typed errors, against the fake hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from app.embedded import free_port
from app.errors import (
    UpstreamGatedError,
    UpstreamNotFoundError,
    UpstreamRateLimitedError,
    UpstreamUnavailableError,
)
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import Fetched, RetryPolicy, UpstreamHttp
from tests.fakehub import FakeHub

INFO = "/api/models/google-bert/bert-base-uncased"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


def _upstream(
    client: aiohttp.ClientSession,
    base: str,
    *,
    max_retry_after: float = 5.0,
    hf_token: str | None = None,
) -> Upstream:
    return Upstream(
        UpstreamHttp(client, RetryPolicy(3, max_retry_after)),
        UpstreamConfig(base, hf_token, base, None),
    )


async def test_concurrent_asks_for_one_url_make_one_request(
    http: aiohttp.ClientSession, hub: FakeHub
) -> None:
    hub.latency = 0.05
    async with _upstream(http, hub.url).session() as view:
        results = await asyncio.gather(
            *(view.hf.model_info("google-bert/bert-base-uncased") for _ in range(10))
        )
        await view.hf.model_info("google-bert/bert-base-uncased")
    assert {info.id for info, _ in results} == {"google-bert/bert-base-uncased"}
    assert hub.count(INFO) == 1


async def test_each_ingest_session_fetches_afresh(
    http: aiohttp.ClientSession, hub: FakeHub
) -> None:
    upstream = _upstream(http, hub.url)
    for _ in range(2):
        async with upstream.session() as view:
            await view.hf.model_info("google-bert/bert-base-uncased")
    assert hub.count(INFO) == 2


async def test_retry_after_is_honoured(http: aiohttp.ClientSession, hub: FakeHub) -> None:
    hub.inject_fault(INFO, status=429, times=1, retry_after=0.3)
    start = asyncio.get_running_loop().time()
    async with _upstream(http, hub.url).session() as view:
        info, _ = await view.hf.model_info("google-bert/bert-base-uncased")
    assert info.id == "google-bert/bert-base-uncased"
    assert asyncio.get_running_loop().time() - start >= 0.3
    assert hub.count(INFO) == 2


async def test_a_long_retry_after_is_a_rate_limit_error(
    http: aiohttp.ClientSession, hub: FakeHub
) -> None:
    hub.inject_fault(INFO, status=429, times=1, retry_after=120)
    async with _upstream(http, hub.url, max_retry_after=1).session() as view:
        with pytest.raises(UpstreamRateLimitedError) as caught:
            await view.hf.model_info("google-bert/bert-base-uncased")
    assert caught.value.retry_after == 120
    assert caught.value.retryable
    assert hub.count(INFO) == 1


async def test_server_errors_are_retried_a_bounded_number_of_times(
    http: aiohttp.ClientSession, hub: FakeHub
) -> None:
    hub.inject_fault(INFO, status=503, times=10)
    async with _upstream(http, hub.url).session() as view:
        with pytest.raises(UpstreamUnavailableError):
            await view.hf.model_info("google-bert/bert-base-uncased")
    assert hub.count(INFO) == 3


async def test_unreachable_host_is_unavailable(http: aiohttp.ClientSession) -> None:
    async with _upstream(http, f"http://127.0.0.1:{free_port()}").session() as view:
        with pytest.raises(UpstreamUnavailableError):
            await view.github.repo("openai/whisper")


async def test_not_found_and_gated_are_typed(http: aiohttp.ClientSession, hub: FakeHub) -> None:
    async with _upstream(http, hub.url).session() as view:
        with pytest.raises(UpstreamNotFoundError):
            await view.hf.model_info("acme/nothing-here")
        with pytest.raises(UpstreamNotFoundError):
            await view.github.repo("acme/nothing-here")
        info, _ = await view.hf.model_info("meta-llama/Llama-3.2-1B")
        with pytest.raises(UpstreamGatedError):
            await view.hf.file(
                "meta-llama/Llama-3.2-1B", "config.json", revision=info.sha or "main"
            )
        assert (
            await view.hf.file("google-bert/bert-base-uncased", "no-such-file.txt", revision="main")
            is None
        )


async def test_a_token_is_sent_when_configured(http: aiohttp.ClientSession, hub: FakeHub) -> None:
    async with _upstream(http, hub.url, hf_token="hf_secret").session() as view:
        body = await view.hf.file("meta-llama/Llama-3.2-1B", "config.json", revision="main")
    assert body is not None
    assert hub.requests[-1].headers.get("authorization") == "Bearer hf_secret"


def test_a_json_body_is_decoded_once_for_every_reader() -> None:
    fetched = Fetched("https://hub.test/x", 200, {}, b'{"items": [1, 2]}')
    assert fetched.json() == {"items": [1, 2]}
    assert fetched.json() is fetched.json()
    with pytest.raises(ValueError, match="Expecting value"):
        Fetched("https://hub.test/x", 200, {}, b"<html>").json()
