"""Soak: many clients at once for a while against `tmr serve` on loopback (embedded MongoDB
protocol server and Redis, in-process worker) with the fake hub in a process of its own.
Each client loops over a mix of reads (REST artifact and byName, GraphQL artifact and page)
and, now and then, an ingest. Prints every kind's requests, errors and p50/p95/p99 latency;
any error (a 5xx, an unexpected status, a GraphQL error, a refused or dropped connection)
counts, and the run exits 1 if there was one.

    uv run python bench/soak.py [--clients 50] [--seconds 60] [--seed-ingests 20]
                                [--ingest-share 0.02] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from app.auth.entities import DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD
from app.embedded import free_port, spawn, stop, wait_for_port
from app.eventloop import run as run_on_best_loop
from tests.fakehub import DEFAULT_FIXTURES
from tests.fakehub.clones import clone_model
from tests.support.processes import serve_process

MODEL = "google-bert/bert-base-uncased"
#: Concurrent logins during setup: each costs an argon2 verification on a small pool.
LOGIN_CONCURRENCY = 2

ARTIFACT_QUERY = "query A($id: ID!) { artifact(id: $id) { id name type license sizeBytes } }"
PAGE_QUERY = "{ artifacts(first: 20) { edges { node { id name rating { netScore } } } } }"


@dataclass
class Tally:
    """Latencies (ms) and errors per kind of request, and a few of the errors seen."""

    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    relogins: int = 0

    def record(self, kind: str, ms: float, problem: str | None) -> None:
        self.samples[kind].append(ms)
        if problem is not None:
            self.errors[kind] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {problem}")


class TokenExpiredError(Exception):
    """A token is valid for 1000 requests; a long soak outlives it."""


@dataclass
class Client:
    http: aiohttp.ClientSession
    base: str
    token: str
    ids: list[str]
    names: list[str]
    ingests: list[str]
    tally: Tally
    ingest_share: float
    rng: random.Random

    async def run(self, until: float) -> None:
        ops: list[tuple[str, float, Callable[[], Awaitable[str | None]]]] = [
            ("REST GET /artifacts/model/{id}", 0.30, self.rest_artifact),
            ("REST GET /artifact/byName/{name}", 0.20, self.rest_by_name),
            ("GraphQL artifact(id)", 0.30, self.graphql_artifact),
            ("GraphQL artifacts(first: 20)", 0.20, self.graphql_page),
        ]
        weights = [w for _, w, _ in ops]
        while time.monotonic() < until:
            if self.ingests and self.rng.random() < self.ingest_share:
                await self.timed("REST POST /artifact/model (ingest)", self.ingest)
                continue
            kind, _, op = self.rng.choices(ops, weights)[0]
            await self.timed(kind, op)

    async def timed(self, kind: str, op: Callable[[], Awaitable[str | None]]) -> None:
        for _ in range(2):  # once more with a fresh token if this one is used up
            start = time.perf_counter()
            try:
                problem = await op()
            except TokenExpiredError:
                self.token = await login(self.http, self.base)
                self.tally.relogins += 1
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            self.tally.record(kind, (time.perf_counter() - start) * 1000, problem)
            return

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Authorization": self.token}

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.base + path, headers=self.headers) as r:
            return r.status, await r.json(content_type=None)

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(self.base + path, json=body, headers=self.headers) as r:
            return r.status, await r.json(content_type=None)

    async def rest_artifact(self) -> str | None:
        status, body = await self.get(f"/artifacts/model/{self.rng.choice(self.ids)}")
        return expect(status, body, {200})

    async def rest_by_name(self) -> str | None:
        status, body = await self.get(f"/artifact/byName/{self.rng.choice(self.names)}")
        return expect(status, body, {200})

    async def graphql(self, query: str, **variables: Any) -> str | None:  # noqa: ANN401
        status, body = await self.post("/graphql", {"query": query, "variables": variables})
        problem = expect(status, body, {200})
        if problem is None and body.get("errors"):
            codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
            if "UNAUTHENTICATED" in codes:
                raise TokenExpiredError
            return json.dumps(body["errors"])[:300]
        return problem

    async def graphql_artifact(self) -> str | None:
        return await self.graphql(ARTIFACT_QUERY, id=self.rng.choice(self.ids))

    async def graphql_page(self) -> str | None:
        return await self.graphql(PAGE_QUERY)

    async def ingest(self) -> str | None:
        repo_id = self.ingests.pop()
        status, body = await self.post(
            "/artifact/model", {"url": f"https://huggingface.co/{repo_id}"}
        )
        # done (201), still running after the wait (202), or refused by the gate (424)
        return expect(status, body, {201, 202, 424})


def expect(status: int, body: Any, ok: set[int]) -> str | None:  # noqa: ANN401 - JSON
    if status == 403:  # the contract's "missing or invalid token"
        raise TokenExpiredError
    return None if status in ok else f"{status} {json.dumps(body)[:300]}"


async def login(http: aiohttp.ClientSession, base: str) -> str:
    body = {
        "user": {"name": DEFAULT_ADMIN, "is_admin": True},
        "secret": {"password": PUBLISHED_ADMIN_PASSWORD},
    }
    while True:
        async with http.put(f"{base}/authenticate", json=body) as r:
            if r.status == 429:  # logins are rate limited; wait as told
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            r.raise_for_status()
            token: str = await r.json(content_type=None)
            return token


@contextmanager
def hub_process(fixtures: Path, latency: float, work: Path) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "tests.fakehub", "--port", str(port), "--quiet"]
    argv += ["--latency", str(latency), "--fixtures", str(fixtures)]
    proc = spawn(argv, work / "hub.log")
    try:
        wait_for_port(port, proc, "fake hub")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


async def seed(http: aiohttp.ClientSession, base: str, repo_ids: list[str]) -> list[str]:
    """Ingest the models the clients will read; their artifact ids."""
    token = await login(http, base)
    ids = []
    for repo_id in repo_ids:
        async with http.post(
            f"{base}/artifact/model",
            json={"url": f"https://huggingface.co/{repo_id}"},
            headers={"X-Authorization": token},
        ) as r:
            body = await r.json(content_type=None)
            if r.status != 201:
                raise RuntimeError(f"seeding {repo_id}: {r.status} {body}")
            ids.append(str(body["metadata"]["id"]))
    return ids


async def soak(args: argparse.Namespace, base: str, seeds: list[str], pool: list[str]) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        ids = await seed(http, base, seeds)
        names = [s.rsplit("/", 1)[1] for s in seeds]
        semaphore = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def one_login() -> str:
            async with semaphore:
                return await login(http, base)

        tokens = await asyncio.gather(*(one_login() for _ in range(args.clients)))
        clients = [
            Client(http, base, token, ids, names, pool, tally, args.ingest_share, random.Random(k))
            for k, token in enumerate(tokens)
        ]
        until = time.monotonic() + args.seconds
        await asyncio.gather(*(c.run(until) for c in clients))
    return tally


def report(tally: Tally, args: argparse.Namespace) -> int:
    total = sum(len(s) for s in tally.samples.values())
    errors = sum(tally.errors.values())
    print(
        f"{args.clients} clients x {args.seconds:.0f} s against tmr serve (embedded backends, "
        f"in-process worker, gate off), fake hub at {args.latency * 1000:.0f} ms per request"
    )
    print(f"requests {total}  ({total / args.seconds:.0f}/s)  errors {errors}")
    print(f"{'kind':<40} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, samples in sorted(tally.samples.items()):
        q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
        print(
            f"{kind:<40} {len(samples):>9} {tally.errors[kind]:>7} "
            f"{statistics.median(samples):>8.1f} {q[94]:>8.1f} {q[98]:>8.1f}"
        )
    print(f"tokens renewed (1000 requests each): {tally.relogins}")
    # the figures are this machine's at this moment: say how busy it was
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for example in tally.examples:
        print(f"  error: {example}")
    return 1 if errors else 0


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fixtures = work / "fixtures"
        shutil.copytree(DEFAULT_FIXTURES, fixtures)
        seeds = clone_model(fixtures, MODEL, "soak-read", args.seed_ingests)
        # more than the run can use: ingests never wait for a source to clone
        pool = clone_model(fixtures, MODEL, "soak-ingest", args.ingest_pool)
        with (
            hub_process(fixtures, args.latency, work) as hub,
            serve_process(
                work,
                {
                    "TMR_HF_ENDPOINT": hub,
                    "TMR_GITHUB_API_URL": hub,
                    # the fixture model falls short of the default gate; rejected, it leaves
                    # nothing to read
                    "TMR_GATE_ENABLED": "false",
                },
            ) as base,
        ):
            tally: Tally = run_on_best_loop(soak(args, base, seeds, pool))
    return report(tally, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed-ingests", type=int, default=20, help="models ingested to read")
    parser.add_argument("--ingest-share", type=float, default=0.02, help="requests that ingest")
    parser.add_argument("--ingest-pool", type=int, default=400, help="distinct models to ingest")
    parser.add_argument("--latency", type=float, default=0.05, help="fake hub seconds/request")
    sys.exit(main(parser.parse_args()))
