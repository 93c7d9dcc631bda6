"""Redirects the upstream client follows itself: hop by hop through the allow-list, with
credentials kept for the hub that asked for them, and a bounded number of hops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.errors import UpstreamError
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import MAX_REDIRECTS, RetryPolicy, UpstreamHttp, open_upstream_http
from tests.fakehub import FakeHub

REPO = "google-bert/bert-base-uncased"
INFO = f"/api/models/{REPO}"


@pytest.fixture
async def http() -> AsyncIterator[UpstreamHttp]:
    async with open_upstream_http(RetryPolicy(2, 1.0), timeout_seconds=10) as client:
        yield client


def upstream(http: UpstreamHttp, hub: FakeHub, *allowed: str) -> Upstream:
    return Upstream(http, UpstreamConfig(hub.url, "hf-secret", hub.url, None, allowed))


async def test_the_token_stays_with_the_hub_when_a_redirect_leaves_it(
    http: UpstreamHttp, hub: FakeHub
) -> None:
    cdn = hub.hf.cdn_url  # the fake's second origin, standing in for the hub's CDN
    hub.inject_redirect(INFO, f"{cdn}{INFO}")
    async with upstream(http, hub, cdn).session() as view:
        info, _ = await view.hf.model_info(REPO)
    assert info.id == REPO
    first, second = [r for r in hub.requests if r.path == INFO]
    assert first.headers["authorization"] == "Bearer hf-secret"
    assert "authorization" not in second.headers


async def test_a_redirect_within_the_hub_keeps_the_token(http: UpstreamHttp, hub: FakeHub) -> None:
    hub.inject_redirect(INFO, INFO + "?blobs=true")  # relative, as the hub sends them
    async with upstream(http, hub).session() as view:
        await view.hf.model_info(REPO)
    assert all(r.headers["authorization"] == "Bearer hf-secret" for r in hub.requests)


async def test_an_endless_redirect_ends(http: UpstreamHttp, hub: FakeHub) -> None:
    hub.inject_redirect(INFO, INFO + "?blobs=true", times=100)
    async with upstream(http, hub).session() as view:
        with pytest.raises(UpstreamError, match="redirected more than"):
            await view.hf.model_info(REPO)
    assert hub.count(INFO) == MAX_REDIRECTS + 1
