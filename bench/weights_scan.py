"""Checking weights without downloading them: what the weights_safety scan reads and how long
it takes, against downloading the same file, on the fake hub.

    uv run python bench/weights_scan.py [--latency 0.02] [--runs 5] [--no-download]

For each model, the registry's scan (``app.safety``, range requests through the upstream
client, within the default budget) runs ``--runs`` times; the median time and the bytes the
hub sent (``FakeHub.served_bytes``) are printed. For ``tmr-fixtures/big-checkpoint``, a 3 GB
PyTorch checkpoint served as its real zip structure around filler, the whole file is also
downloaded through the same client, once, and the two are compared. ``--latency`` is slept by
the hub before every answer, standing in for the round trip to the real hub.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from rich.filesize import decimal

from app.mirror.entities import FilePart, RepoFile, part_of
from app.safety.service import ModelWeightsScan, scan_model_weights
from app.safety.weights import RangeReader
from app.upstream.clients import Upstream, UpstreamConfig, UpstreamView
from app.upstream.http import RetryPolicy, open_upstream_http
from tests.fakehub import FakeHub

BIG = "tmr-fixtures/big-checkpoint"
MODELS = (
    "google-bert/bert-base-uncased",
    "meta-llama/Llama-3.2-1B",
    "mistralai/Mistral-7B-v0.1",
    BIG,
)


def readers(view: UpstreamView, repo_id: str, revision: str) -> Callable[[str], RangeReader]:
    def reader(path: str) -> RangeReader:
        async def read(start: int, end: int) -> bytes:
            return await view.hf.read_range(repo_id, path, revision=revision, start=start, end=end)

        return read

    return reader


async def scan_once(view: UpstreamView, repo_id: str) -> ModelWeightsScan:
    info, _ = await view.hf.model_info(repo_id)
    files = [RepoFile(s.rfilename, s.size or 0, None, None) for s in info.siblings or []]
    return await scan_model_weights(files, readers(view, repo_id, info.sha or "main"))


async def download(view: UpstreamView, repo_id: str, path: str) -> int:
    received = 0
    async with view.hf.open_file(repo_id, path, revision="main") as chunks:
        async for chunk in chunks:
            received += len(chunk)
    return received


async def main(latency: float, runs: int, *, with_download: bool) -> None:
    with FakeHub(latency=latency) as hub:
        config = UpstreamConfig(hub.url, "hf_bench", hub.url, None, (hub.hf.cdn_url,))
        async with open_upstream_http(RetryPolicy(2, 5.0), timeout_seconds=600) as http:
            upstream = Upstream(http, config)
            print(f"hub latency {latency * 1000:.0f} ms per answer, {runs} runs each (median)\n")
            print(f"{'model':34} {'weight files':>12} {'read':>10} {'listed':>10} {'scan':>8}")
            scan_seconds: dict[str, float] = {}
            for repo_id in MODELS:
                times, sent, scan = [], 0, None
                for _ in range(runs):
                    async with upstream.session() as view:
                        hub.clear_requests()
                        started = time.perf_counter()
                        scan = await scan_once(view, repo_id)
                        times.append(time.perf_counter() - started)
                        sent = hub.served_bytes("/cdn-lfs/")
                assert scan is not None
                listed = sum(
                    f.size for f in (await _listing(upstream, repo_id)) if _weights(f.path)
                )
                scan_seconds[repo_id] = statistics.median(times)
                print(
                    f"{repo_id:34} {len(scan.files) + len(scan.unread):>12} "
                    f"{decimal(sent):>10} {decimal(listed):>10} {scan_seconds[repo_id]:>7.3f}s"
                    f"  {scan.verdict.value}"
                )
            if not with_download:
                return
            async with upstream.session() as view:
                started = time.perf_counter()
                received = await download(view, BIG, "pytorch_model.bin")
                seconds = time.perf_counter() - started
            took = scan_seconds[BIG]
            print(
                f"\n{BIG}: downloading {decimal(received)} took {seconds:.1f} s; the scan read "
                f"{decimal(sent)} in {took:.3f} s: {seconds / took:,.0f}x faster, "
                f"{received / max(sent, 1):,.0f}x fewer bytes"
            )


async def _listing(upstream: Upstream, repo_id: str) -> list[RepoFile]:
    async with upstream.session() as view:
        info, _ = await view.hf.model_info(repo_id)
    return [RepoFile(s.rfilename, s.size or 0, None, None) for s in info.siblings or []]


def _weights(path: str) -> bool:
    return part_of(path) is FilePart.WEIGHTS


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-download", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.latency, args.runs, with_download=not args.no_download))
