"""Query benchmark: latency of the registry's GraphQL reads over 10 000 artifacts, beside the
same server answering a fixed object (`{ __typename }`), so the cost above the framework
floor is read off one run.

    uv run python bench/queries.py [--artifacts 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from seeding import deepest, seed

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from tests.support.processes import admin_token, serve_process
from tests.support.servers import add_mongo_url_option, document_store, redis_server

PATTERNS = ("(a+)+$", "(a|aa)*$", "(a{1,99999}){1,99999}$")


def measure(client: httpx.Client, query: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        body = client.post("/graphql", json={"query": query}).json()
        samples.append((time.perf_counter() - start) * 1000)
        if "errors" in body and "99999" not in query:
            raise RuntimeError(body["errors"])
    return samples


def row(name: str, samples: list[float], floor: float) -> str:
    q = statistics.quantiles(samples, n=100)
    p50 = statistics.median(samples)
    return f"{name:<40} {p50:8.2f} {q[94]:8.2f} {q[98]:8.2f}   {p50 / floor:6.1f} x"


def main(count: int, requests: int, external_mongo: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with document_store(work, external_mongo) as mongo_url, redis_server(work) as redis_url:
            database = f"bench_{int(time.time())}"
            asyncio.run(seed(mongo_url, database, count))
            with (
                serve_process(
                    work,
                    {
                        "TMR_MONGO_URL": mongo_url,
                        "TMR_REDIS_URL": redis_url,
                        "TMR_MONGO_DATABASE": database,
                        # external backends: the admin password is not defaulted there
                        "TMR_ADMIN_PASSWORD": PUBLISHED_ADMIN_PASSWORD,
                    },
                    worker=False,
                ) as url,
                httpx.Client(
                    base_url=url, timeout=60, headers={"X-Authorization": admin_token(url)}
                ) as client,
            ):
                deep = deepest(count)
                queries = {
                    "fixed object { __typename } (floor)": ("{ __typename }", requests),
                    "artifact by id": (
                        (
                            f'{{ artifact(id: "{count // 2}") {{ id name type license sizeBytes '
                            "rating { netScore } } }"
                        ),
                        requests,
                    ),
                    "page of 50 with nested parents": (
                        (
                            "{ artifacts(first: 50) { edges { node { id name rating { netScore } "
                            "parents { name artifact { id name } } } } } }"
                        ),
                        requests,
                    ),
                    "lineage depth 20": (
                        (
                            f'{{ lineage(id: "{deep}", direction: UP, depth: 20) '
                            "{ nodes { name distance } edges { parent child } } }"
                        ),
                        requests,
                    ),
                }
                for pattern in PATTERNS:
                    queries[f"regex {pattern}"] = (
                        (
                            f'{{ artifacts(filter: {{regex: "{pattern}"}}, first: 20) '
                            "{ edges { node { id } } } }"
                        ),
                        max(20, requests // 10),
                    )
                measure(client, queries["regex (a+)+$"][0], 1)  # warm the search index
                results = {name: measure(client, q, n) for name, (q, n) in queries.items()}
    floor = statistics.median(results["fixed object { __typename } (floor)"])
    store = "MongoDB at --mongo-url" if external_mongo else "nx-27017"
    print(f"{count} artifacts on {store}; latency in ms over sequential requests")
    print(f"{'query':<40} {'p50':>8} {'p95':>8} {'p99':>8}   vs floor")
    for name, samples in results.items():
        print(row(name, samples, floor))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    add_mongo_url_option(parser)
    args = parser.parse_args()
    main(args.artifacts, args.requests, args.mongo_url)
