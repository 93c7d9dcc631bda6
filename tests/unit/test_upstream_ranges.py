"""Reading part of a model file from the hub: a range request through the resolve URL and its
redirect to the CDN, which sends only the bytes asked for, even from a multi-GB object."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import RetryPolicy, UpstreamHttp, open_upstream_http
from tests.fakehub import FakeHub

TINY = "tmr-fixtures/tiny-bert-base"
FILES = Path(__file__).parents[1] / "fakehub" / "fixtures" / "hf" / "models" / TINY
BERT = "google-bert/bert-base-uncased"


@pytest.fixture
async def http() -> AsyncIterator[UpstreamHttp]:
    async with open_upstream_http(RetryPolicy(2, 1.0), timeout_seconds=10) as client:
        yield client


async def test_a_range_of_a_file_behind_the_cdn_is_exactly_those_bytes(
    http: UpstreamHttp, hub: FakeHub
) -> None:
    upstream = Upstream(http, UpstreamConfig(hub.url, None, hub.url, None, (hub.hf.cdn_url,)))
    revision = json.loads((FILES / "info.json").read_text())["sha"]
    whole = (FILES / "files" / "model.safetensors").read_bytes()
    async with upstream.session() as view:
        head = await view.hf.read_range(
            TINY, "model.safetensors", revision=revision, start=0, end=8
        )
        middle = await view.hf.read_range(
            TINY, "model.safetensors", revision=revision, start=1000, end=1100
        )
        past = await view.hf.read_range(
            TINY, "model.safetensors", revision=revision, start=len(whole), end=len(whole) + 8
        )
    assert head == whole[:8]
    assert middle == whole[1000:1100]
    assert past == b""


async def test_the_tail_of_a_large_object_costs_only_the_tail(
    http: UpstreamHttp, hub: FakeHub
) -> None:
    upstream = Upstream(http, UpstreamConfig(hub.url, None, hub.url, None, (hub.hf.cdn_url,)))
    hub.clear_requests()
    async with upstream.session() as view:
        tail = await view.hf.read_range(
            BERT, "model.safetensors", revision="main", start=440_449_768 - 64, end=440_449_768
        )
    assert len(tail) == 64
    cdn = [r for r in hub.requests if r.path.startswith("/cdn-lfs/")]
    assert [r.headers.get("range") for r in cdn] == ["bytes=440449704-440449767"]


async def test_later_reads_of_a_file_go_to_its_cdn_location_without_the_token(
    http: UpstreamHttp, hub: FakeHub
) -> None:
    token = "hf_reader"
    upstream = Upstream(http, UpstreamConfig(hub.url, token, hub.url, None, (hub.hf.cdn_url,)))
    revision = json.loads((FILES / "info.json").read_text())["sha"]
    whole = (FILES / "files" / "model.safetensors").read_bytes()
    async with upstream.session() as view:
        await view.hf.read_range(TINY, "model.safetensors", revision=revision, start=0, end=8)
        hub.clear_requests()
        again = await view.hf.read_range(
            TINY, "model.safetensors", revision=revision, start=8, end=16
        )
        asked = [(r.path, r.headers.get("authorization")) for r in hub.requests]
        # the location expires: the hub is asked again, with the token
        sha256 = asked[0][0].removeprefix("/cdn-lfs/")
        hub.inject_fault(f"/cdn-lfs/{sha256}", status=403)
        hub.clear_requests()
        after = await view.hf.read_range(
            TINY, "model.safetensors", revision=revision, start=16, end=24
        )
        reasked = [(r.path, r.headers.get("authorization")) for r in hub.requests]
    assert again == whole[8:16]
    assert asked == [(f"/cdn-lfs/{sha256}", None)]  # one request, and no credentials
    assert after == whole[16:24]
    assert [path.startswith("/cdn-lfs/") for path, _ in reasked] == [True, False, True]
    assert reasked[1][1] == f"Bearer {token}"  # the hub, with the token
