"""Scoring benchmark: how close the engine gets to the upstream critical path, and how one
worker copes with 50 concurrent ingests. Everything runs locally against the fake hub with an
injected latency per request; the figures printed are ratios measured in this one run.

    uv run python bench/scoring.py [--latency 0.1] [--ingests 50] [--no-shared-cache]
                                   [--mongo-url URL]

One ingest (three times, the median counts) and the 50 concurrent ones each run on a freshly
started worker, warmed up by an ingest of an unrelated model: all start with connections open
and nothing of the measured models in the worker's shared upstream cache. The 50 are copies
of one model under new names, so they link the same code repo and datasets, as a family of
fine-tunes does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from app.embedded import free_port, spawn, stop, wait_for_port
from app.eventloop import run as run_on_best_loop
from app.kinds import ArtifactType
from app.rating.context import RegisteredParent, ScoringContext
from app.rating.engine import score_all
from app.rating.metrics.registry import ALL_METRICS
from app.rating.service import RatingService
from app.settings import Settings
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import RetryPolicy, UpstreamHttp, open_upstream_http
from tests.fakehub import DEFAULT_FIXTURES
from tests.fakehub.clones import clone_model
from tests.support.registry import PUBLIC_URL, Registry, running_registry
from tests.support.servers import add_mongo_url_option, document_store, redis_server

MODEL = "google-bert/bert-base-uncased"
#: Warms a fresh worker up without touching anything the measured ingests link to.
WARM_UP_MODEL = "openai/whisper-tiny"
CRITICAL_PATH = 6
#: One ingest is timed this many times, each on a fresh worker; the median is the baseline.
SINGLE_RUNS = 3


@dataclass(frozen=True)
class RemoteHub:
    url: str
    #: Its second origin, where LFS files redirect (the weights scan reads there): allowed
    #: as an operator allows theirs.
    cdn_url: str


@contextmanager
def hub_process(fixtures: Path, latency: float, work: Path) -> Iterator[RemoteHub]:
    """The fake hub in a process of its own, as a real upstream would be: serving 2,000
    requests must not compete with the registry for this process's interpreter lock."""
    port = free_port()
    proc = spawn(
        [
            sys.executable,
            "-m",
            "tests.fakehub",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--fixtures",
            str(fixtures),
            "--quiet",
        ],
        work / "hub.log",
    )
    try:
        wait_for_port(port, proc, "fake hub")
        yield RemoteHub(f"http://127.0.0.1:{port}", _printed_cdn(work / "hub.log"))
    finally:
        stop(proc)


def _printed_cdn(log: Path) -> str:
    """The CDN origin the fake hub prints when it starts."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.strip().startswith("CDN "):
                return line.split()[-1]
        time.sleep(0.05)
    raise RuntimeError(f"the fake hub printed no CDN origin in {log}")


async def no_parents(repo_ids: list[str]) -> list[RegisteredParent]:
    return [RegisteredParent(r, None, None) for r in repo_ids]


def upstream_for(http: UpstreamHttp, hub: RemoteHub) -> Upstream:
    return Upstream(http, UpstreamConfig(hub.url, None, hub.url, None, (hub.cdn_url,)))


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def engine_once(http: UpstreamHttp, hub: RemoteHub) -> None:
    service = RatingService(ALL_METRICS, metric_timeout=60)
    async with upstream_for(http, hub).session() as view:
        await service.score(MODEL, view, no_parents)


async def sequential_once(http: UpstreamHttp, hub: RemoteHub) -> None:
    """The same metrics, one after another (sharing one memo, as the engine does)."""
    async with upstream_for(http, hub).session() as view:
        ctx = ScoringContext(MODEL, view, no_parents)
        for metric in ALL_METRICS:
            await score_all(ctx, [metric], metric_timeout=60)


async def critical_path_once(http: UpstreamHttp, hub: RemoteHub) -> None:
    """The scorer's longest chain of requests where each needs the answer of the one before
    (CRITICAL_PATH of them): model info -> README (needs the revision) -> the GitHub repo the
    card links -> its head commit (needs the default branch) -> closed pull requests (read
    once the repo is known to exist) -> a pull's reviews (needs its number)."""
    code = "google-research/bert"
    async with upstream_for(http, hub).session() as view:
        info, _ = await view.hf.model_info(MODEL)
        await view.hf.file(MODEL, "README.md", revision=info.sha or "main")
        repo = await view.github.repo(code)
        await view.github.commit_sha(code, str(repo["default_branch"]))
        pulls = await view.github.closed_pulls(code)
        await view.github.reviews(code, int(pulls[0]["number"]))


@contextmanager
def worker_process(settings: Settings, log_file: Path) -> Iterator[int]:
    """`tmr worker` as deployed: a process of its own beside the API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}
    env |= {
        "TMR_MONGO_URL": settings.mongo_url or "",
        "TMR_ADMIN_PASSWORD": PUBLISHED_ADMIN_PASSWORD,  # external backends need it
        "TMR_MONGO_DATABASE": settings.mongo_database,
        "TMR_REDIS_URL": settings.redis_url or "",
        "TMR_QUEUE_NAME": settings.queue_name,
        "TMR_DATA_DIR": str(settings.data_dir),
        "TMR_HF_ENDPOINT": settings.hf_endpoint,
        "TMR_GITHUB_API_URL": settings.github_api_url,
        "TMR_GATE_ENABLED": str(settings.gate_enabled).lower(),
        "TMR_WORKER_MAX_JOBS": str(settings.worker_max_jobs),
        "TMR_UPSTREAM_CACHE_SECONDS": str(settings.upstream_cache_seconds),
    }
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("tmr")), "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc.pid
    finally:
        stop(proc)


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process and each process it started, by command line
    (Linux /proc; empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    mine = str(os.getpid())
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError):
            continue
        if entry.name == mine or fields[1] == mine:  # fields[1] is the parent's pid
            used[_role(command)] = (int(fields[11]) + int(fields[12])) / tick
    return used


def _role(command: str) -> str:
    for needle, role in (
        ("tmr worker", "worker"),
        ("nx-27017", "MongoDB (nx-27017)"),
        ("fakehub", "fake hub"),
        ("redis-server", "Redis"),
    ):
        if needle in command:
            return role
    return "bench client (API side)"


async def ingest_all(registry: Registry, repo_ids: list[str]) -> float:
    ingest = registry.services.ingest

    async def one(repo_id: str) -> None:
        job = await ingest.start(
            f"https://huggingface.co/{repo_id}", ArtifactType.MODEL, None, "bench"
        )
        async for state in ingest.watch(job.id):
            last = state
        assert last.state.value == "DONE", (repo_id, last.error)

    start = time.perf_counter()
    await asyncio.gather(*(one(r) for r in repo_ids))
    return time.perf_counter() - start


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu: dict[str, float]


async def on_fresh_worker(
    settings: Settings, work: Path, warm_up: str, repo_ids: list[str]
) -> Measured:
    """Start a worker, warm it up with one unrelated ingest, then time ``repo_ids`` ingested
    at once, with the CPU each process used meanwhile."""
    with worker_process(settings, work / "worker.log"):
        async with running_registry(settings, worker=False) as registry:
            await ingest_all(registry, [warm_up])
            before = cpu_seconds()
            seconds = await ingest_all(registry, repo_ids)
            after = cpu_seconds()
    return Measured(seconds, {k: v - before.get(k, 0.0) for k, v in after.items()})


async def main(
    latency: float, count: int, *, shared_cache: bool, external_mongo: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fixtures = work / "fixtures"
        shutil.copytree(DEFAULT_FIXTURES, fixtures)
        ids = clone_model(fixtures, MODEL, "bench-copy", count + SINGLE_RUNS)
        warm_ups = clone_model(fixtures, WARM_UP_MODEL, "bench-warm-up", SINGLE_RUNS + 1)
        with (
            hub_process(fixtures, latency, work) as hub,
            redis_server(work) as redis_url,
            document_store(work, external_mongo) as mongo_url,
        ):
            async with open_upstream_http(RetryPolicy(2, 5.0), timeout_seconds=30) as http:
                await engine_once(http, hub)  # warm-up: imports, connections
                a = await timed(lambda: engine_once(http, hub))
                b = await timed(lambda: sequential_once(http, hub))
                c = await timed(lambda: critical_path_once(http, hub))
            settings = Settings(
                mongo_url=mongo_url,
                mongo_database=f"bench_scoring_{int(time.time())}",
                redis_url=redis_url,
                data_dir=work / "data",
                hf_endpoint=hub.url,
                github_api_url=hub.url,
                public_url=PUBLIC_URL,
                admin_password=PUBLISHED_ADMIN_PASSWORD,  # external backends need it
                gate_enabled=False,
                upstream_allowed_hosts=[hub.cdn_url],
                worker_max_jobs=max(count, 1),
                upstream_cache_seconds=300 if shared_cache else 0,
            )
            singles = [
                (await on_fresh_worker(settings, work, warm_ups[k], [ids[k]])).seconds
                for k in range(SINGLE_RUNS)
            ]
            one = statistics.median(singles)
            many = await on_fresh_worker(settings, work, warm_ups[SINGLE_RUNS], ids[SINGLE_RUNS:])
    print(f"upstream latency injected: {latency * 1000:.0f} ms per request")
    print(f"(a) engine, one model, metrics concurrent : {a:7.3f} s")
    print(f"(b) same metrics one after another         : {b:7.3f} s   (b)/(a) = {b / a:5.2f}")
    print(
        f"(c) upstream critical path ({CRITICAL_PATH} requests)    : {c:7.3f} s   "
        f"(a)/(c) = {a / c:5.2f}"
        "   target <= 1.3"
    )
    print(f"shared upstream cache in the worker        : {'on' if shared_cache else 'off'}")
    print(
        f"one ingest end to end                      : {one:7.3f} s   "
        f"(median of {SINGLE_RUNS}: {', '.join(f'{s:.3f}' for s in singles)})"
    )
    print(
        f"{count} concurrent ingests, one worker        : {many.seconds:7.3f} s   ratio = "
        f"{many.seconds / one:5.2f}   target <= 2"
    )
    if many.cpu:
        print(f"CPU used during the {count} ingests, per ingest:")
        for role, seconds in sorted(many.cpu.items(), key=lambda kv: -kv[1]):
            print(f"  {role:<26} {seconds / count * 1000:6.1f} ms")
        total = sum(many.cpu.values())
        print(
            f"  {'all processes':<26} {total / count * 1000:6.1f} ms "
            f"({total:.2f} s of CPU on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--ingests", type=int, default=50)
    parser.add_argument(
        "--no-shared-cache",
        action="store_true",
        help="every ingest reads its linked repos upstream (TMR_UPSTREAM_CACHE_SECONDS=0)",
    )
    add_mongo_url_option(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The API side runs on the loop `tmr serve` uses.
    run_on_best_loop(
        main(
            args.latency,
            args.ingests,
            shared_cache=not args.no_shared_cache,
            external_mongo=args.mongo_url,
        )
    )
