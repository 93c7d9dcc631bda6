"""Login-flood benchmark: do wrong-password logins slow everyone else down, and does a login
take as long for an unknown user as for a known one? Prints figures measured in one run.

`tmr serve` runs with embedded backends, twice:

1. login limits lifted (as if the attacker had many addresses): normal reads (`GET /health`
   and a token-authenticated `GET /artifact/byName/x`) alone, then while 16 clients send
   wrong-password logins non-stop; then the login time of an unknown and of a known user.
2. default limits: the same flood from one address, which the throttle answers with 429.

    uv run python bench/logins.py [--reads 60] [--flood 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS
from tests.support.processes import serve_process

LIFTED = {"TMR_LOGIN_ATTEMPTS_PER_USER": "1000000", "TMR_LOGIN_ATTEMPTS_PER_CLIENT": "1000000"}


def login_body(name: str, password: str) -> dict[str, object]:
    return {"user": {"name": name, "is_admin": False}, "secret": {"password": password}}


async def timed(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, int]:
    start = time.perf_counter()
    response = await call()
    return (time.perf_counter() - start) * 1000, response.status_code


@dataclass
class Reads:
    health_ms: list[float] = field(default_factory=list)
    by_name_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


async def reads(client: httpx.AsyncClient, token: str, count: int) -> Reads:
    out = Reads()
    for _ in range(count):
        ms, status = await timed(lambda: client.get("/health"))
        out.health_ms.append(ms)
        out.statuses[status] += 1
        ms, status = await timed(
            lambda: client.get("/artifact/byName/x", headers={"X-Authorization": token})
        )
        out.by_name_ms.append(ms)
        out.statuses[status] += 1
    return out


def wrong_login(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
    return http.put("/authenticate", json=login_body(DEFAULT_ADMIN, "guess"))


def free_route(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
    return http.get("/tracks")


async def flood_while(
    url: str,
    clients: int,
    measure: Callable[[], Awaitable[Reads]],
    request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]] = wrong_login,
) -> tuple[Reads, Counter[int], float]:
    """``measure`` while ``clients`` loops send ``request`` (wrong-password logins for the
    default admin) non-stop."""
    answers: Counter[int] = Counter()
    stop_flood = asyncio.Event()

    async def attacker(http: httpx.AsyncClient) -> None:
        while not stop_flood.is_set():
            answers[(await request(http)).status_code] += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        tasks = [asyncio.create_task(attacker(http)) for _ in range(clients)]
        await asyncio.sleep(1.0)  # let the flood build up
        start = time.perf_counter()
        measured = await measure()
        seconds = time.perf_counter() - start
        stop_flood.set()
        await asyncio.gather(*tasks)
    return measured, answers, sum(answers.values()) / seconds


async def login_times(client: httpx.AsyncClient, count: int) -> tuple[list[float], list[float]]:
    unknown, known = [], []
    for _ in range(count):
        ms, _ = await timed(
            lambda: client.put("/authenticate", json=login_body(uuid.uuid4().hex, "guess"))
        )
        unknown.append(ms)
        ms, _ = await timed(
            lambda: client.put("/authenticate", json=login_body(DEFAULT_ADMIN, "guess"))
        )
        known.append(ms)
    return unknown, known


async def token(client: httpx.AsyncClient) -> str:
    answer = await client.put(
        "/authenticate", json=login_body(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS[0])
    )
    answer.raise_for_status()
    value: str = answer.json()
    return value


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def print_reads(label: str, quiet: Reads, loud: Reads) -> None:
    for name, a, b in (
        ("GET /health", quiet.health_ms, loud.health_ms),
        ("GET /artifact/byName/x (token)", quiet.by_name_ms, loud.by_name_ms),
    ):
        print(
            f"  {name:<32} p50 alone {p50(a):8.1f} ms   during {label} {p50(b):8.1f} ms"
            f"   ratio {p50(b) / p50(a):6.2f}"
        )
    print(f"  read statuses alone {dict(quiet.statuses)}, during the flood {dict(loud.statuses)}")


async def lifted_limits(url: str, count: int, clients: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        bearer = await token(client)
        quiet = await reads(client, bearer, count)
        loud, answers, rate = await flood_while(url, clients, lambda: reads(client, bearer, count))
        free, _, free_rate = await flood_while(
            url, clients, lambda: reads(client, bearer, count), free_route
        )
        unknown, known = await login_times(client, max(10, count // 3))
    print(f"1. login limits lifted; {clients} clients send wrong-password logins non-stop")
    print_reads("the flood", quiet, loud)
    print(f"  login answers during the flood {dict(answers)} ({rate:.1f}/s)")
    print(f"  for reference, the same clients flooding GET /tracks ({free_rate:.1f}/s):")
    print_reads("that flood", quiet, free)
    print(
        f"  wrong-password login p50: unknown user {p50(unknown):7.1f} ms, "
        f"known user {p50(known):7.1f} ms, ratio unknown/known {p50(unknown) / p50(known):5.2f}"
    )


async def default_limits(url: str, count: int, clients: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        bearer = await token(client)
        quiet = await reads(client, bearer, count)
        loud, answers, rate = await flood_while(url, clients, lambda: reads(client, bearer, count))
    print("2. default login limits; the same flood from one address")
    print_reads("the flood", quiet, loud)
    print(f"  login answers during the flood {dict(answers)} ({rate:.1f}/s)")


def main(count: int, clients: int, hash_workers: int | None) -> None:
    pool = {} if hash_workers is None else {"TMR_LOGIN_HASH_WORKERS": str(hash_workers)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with serve_process(work / "lifted", LIFTED | pool) as url:
            asyncio.run(lifted_limits(url, count, clients))
        with serve_process(work / "default", pool) as url:
            asyncio.run(default_limits(url, count, clients))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=60, help="reads of each kind per phase")
    parser.add_argument("--flood", type=int, default=16, help="concurrent wrong-password clients")
    parser.add_argument("--hash-workers", type=int, help="TMR_LOGIN_HASH_WORKERS (default: its)")
    args = parser.parse_args()
    main(args.reads, args.flood, args.hash_workers)
