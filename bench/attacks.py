"""What hostile GraphQL operations cost the server, against a small query in the same run.

Starts `tmr serve` on its own Redis and MongoDB-protocol server and measures, sequentially:
a small anonymous query (`{ __typename }`), the 2 KB duplicate-field attack (490 copies of
`health { ok }`) anonymously and with a token, and a fragment bomb; then the small query's
latency while eight clients send small queries, and while eight clients send the attack.
Prints ratios; asserts nothing.

    uv run python bench/attacks.py [--requests 200] [--seconds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from tests.support.processes import admin_token, serve_process
from tests.support.servers import document_store, redis_server

SMALL = "{ __typename }"
DUPLICATES = "{ " + " ".join(["health { ok }"] * 490) + " }"
BOMB = (
    "query { ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(12))
    + " fragment F12 on Query { health { ok } }"
)
ATTACKERS = 8


def timed(client: httpx.Client, query: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        client.post("/graphql", json={"query": query}).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def under_load(url: str, seconds: float, query: str) -> tuple[list[float], int]:
    """The small query's latencies while ATTACKERS clients send ``query`` in a loop."""
    stop = threading.Event()
    sent = [0] * ATTACKERS

    def attack(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                client.post("/graphql", json={"query": query})
                sent[k] += 1

    threads = [threading.Thread(target=attack, args=(k,)) for k in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    samples = []
    with httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            samples.extend(timed(client, SMALL, 1))
    stop.set()
    for thread in threads:
        thread.join()
    return samples, sum(sent)


def p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else samples[0]


def main(requests: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (
            document_store(work, None) as mongo_url,
            redis_server(work) as redis_url,
            serve_process(
                work,
                {
                    "TMR_MONGO_URL": mongo_url,
                    "TMR_REDIS_URL": redis_url,
                    "TMR_ADMIN_PASSWORD": PUBLISHED_ADMIN_PASSWORD,
                },
                worker=False,
            ) as url,
        ):
            token = admin_token(url)
            with (
                httpx.Client(base_url=url, timeout=60) as anonymous,
                httpx.Client(
                    base_url=url, timeout=60, headers={"X-Authorization": token}
                ) as signed_in,
            ):
                timed(anonymous, SMALL, 20)  # warm up
                rows = {
                    "small query, anonymous": timed(anonymous, SMALL, requests),
                    "490 duplicate fields, anonymous": timed(anonymous, DUPLICATES, requests),
                    "490 duplicate fields, with a token": timed(signed_in, DUPLICATES, requests),
                    "fragment bomb (2^12 fields), anonymous": timed(anonymous, BOMB, requests),
                }
            quiet = rows["small query, anonymous"]
            busy, _ = under_load(url, seconds, SMALL)
            attacked, attacks = under_load(url, seconds, DUPLICATES)
    base = statistics.median(quiet)
    print("sequential requests, latency in ms; ratio is p50 against the small query's p50")
    print(f"{'request':<42} {'p50':>8} {'p99':>8} {'ratio':>7}")
    for name, samples in rows.items():
        median = statistics.median(samples)
        print(f"{name:<42} {median:8.2f} {p(samples, 99):8.2f} {median / base:6.2f}x")
    for label, samples in (
        (f"{ATTACKERS} clients send the small query", busy),
        (f"{ATTACKERS} clients send the attack ({attacks} in {seconds:.0f} s)", attacked),
    ):
        print(
            f"small query while {label}: p50 {statistics.median(samples):.2f} ms, "
            f"p99 {p(samples, 99):.2f} ms ({statistics.median(samples) / base:.2f}x quiet p50)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    main(args.requests, args.seconds)
