"""Read throughput: the registry against the frameworks it is built on, in the same run.

`tmr serve` (embedded nx-27017 and Redis, no worker) over artifacts seeded straight into its
store, beside two floor apps under uvicorn on the same event loop, one process each:
bench/floor/floor_rest.py (Litestar answering a 300-byte object by id from a dict) and
bench/floor/floor_graphql.py (strawberry on Litestar with its parse and validation caches
answering `artifact(id)` with five scalars from a dict). Rounds alternate registry and floor.

Throughput comes from wrk (`apt-get install -y wrk` on Debian) at 2 connections on 1
thread, ids rotating over the whole store; without wrk, from a Python (httpx) load, which
saturates before the floors do. Latency comes from sequential requests on one connection.
A request refused or answered with GraphQL errors counts as an error, never as throughput;
tokens are renewed (logged in again) before their 1000 uses run out.

    uv run python bench/reads.py [--scales 1000,10000,100000] [--seconds 3] [--rounds 3]

The default run (1 000 and 10 000 artifacts) takes about 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from seeding import deepest, seed

from app.auth.entities import TOKEN_USES
from app.embedded import free_port, mongo_server_command, spawn, stop, wait_for_port
from app.settings import Settings
from tests.support.processes import admin_token, serve_process

FLOOR = Path(__file__).with_name("floor")
ID = "__ID__"  # where a request's artifact id goes; replaced per request
#: Requests sent on one token before the next: below its uses, so that requests a load
#: generator sends after it stops counting never meet a spent token.
PER_TOKEN = TOKEN_USES - 100
WARMUP_SECONDS = 1.0
LATENCY_REQUESTS = 200
LATENCY_MIN_REQUESTS = 5
LARGE = 100_000
REST_RATIO_TARGET = 0.25
GRAPHQL_RATIO_TARGET = 0.60
PAGE_TARGET_MS = 15.0
LINEAGE_TARGET_MS = 50.0

ARTIFACT_QUERY = "query($id: ID!) { artifact(id: $id) { id name type license sizeBytes } }"
PAGE_QUERY = (
    "{ artifacts(first: 50) { edges { node { id name parents { name artifact { id name } } } } } }"
)


@dataclass(frozen=True)
class Load:
    """One kind of request: ``ID`` in its path or body is replaced by artifact ids in turn."""

    name: str
    method: str
    path: str
    body: str = ""

    @property
    def graphql(self) -> bool:
        return self.path == "/graphql"

    def at(self, artifact_id: int) -> tuple[str, str]:
        text = str(artifact_id)
        return self.path.replace(ID, text), self.body.replace(ID, text)


def graphql(name: str, query: str, variables: dict[str, str] | None = None) -> Load:
    body: dict[str, object] = {"query": query}
    if variables:
        body["variables"] = variables
    return Load(name, "POST", "/graphql", json.dumps(body, separators=(",", ":")))


REST_BY_ID = Load("REST GET /artifacts/model/{id}", "GET", f"/artifacts/model/{ID}")
GRAPHQL_BY_ID = graphql("GraphQL artifact(id), 5 scalars", ARTIFACT_QUERY, {"id": ID})


@dataclass
class Result:
    """What one load run saw. ``bad`` are answers that are not 2xx, ``gql`` 2xx answers
    carrying GraphQL errors, ``failed`` requests with no answer (connection errors,
    timeouts)."""

    answered: int
    seconds: float
    bad: int = 0
    gql: int = 0
    failed: int = 0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    sample: str = ""

    @property
    def ok(self) -> int:
        return self.answered - self.bad - self.gql

    @property
    def errors(self) -> int:
        return self.bad + self.gql + self.failed

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


@dataclass
class Server:
    """A server under load; ``tokens`` logs in ``n`` times (the floors check no token and
    get a stand-in of the same length, so both carry the same header)."""

    name: str
    url: str
    tokens: Callable[[int], list[str]]
    rates: dict[str, float] = field(default_factory=dict)


def registry_tokens(url: str) -> Callable[[int], list[str]]:
    return lambda n: [admin_token(url) for _ in range(n)]


def floor_tokens(n: int) -> list[str]:
    return ["bearer " + "f" * 43] * n  # the shape of the registry's: 32 random bytes, base64


# ---------------------------------------------------------------------------------------
# Load generators

WRK_SCRIPT = """
local method, path, body, ids, per_token, graphql
local tokens = {}
local threads = {}
sent, bad, gql, sample = 0, 0, 0, ""

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1]))
  method = f:read("*l")
  path = f:read("*l")
  body = f:read("*l")
  ids = tonumber(f:read("*l"))
  per_token = tonumber(f:read("*l"))
  graphql = f:read("*l") == "1"
  for line in f:lines() do table.insert(tokens, line) end
  f:close()
end

function request()
  local id = tostring(sent % ids + 1)
  local token = tokens[math.min(math.floor(sent / per_token) + 1, #tokens)]
  sent = sent + 1
  local headers = {["X-Authorization"] = token}
  local b = nil
  if body ~= "" then
    headers["Content-Type"] = "application/json"
    b = (string.gsub(body, "__ID__", id))
  end
  return wrk.format(method, (string.gsub(path, "__ID__", id)), headers, b)
end

function response(status, headers, resp)
  local failed = false
  if status < 200 or status > 299 then
    bad = bad + 1
    failed = true
  elseif graphql and string.find(resp, '"errors"', 1, true) then
    gql = gql + 1
    failed = true
  end
  if failed and sample == "" then
    sample = status .. " " .. string.sub(resp, 1, 300)
  end
end

function done(summary, latency, requests)
  local b, g, s = 0, 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    g = g + t:get("gql")
    if s == "" then s = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format("WRKRESULT %d %d %d %d %d %f %f\\n", summary.requests,
    summary.duration, b, g, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
  io.write("WRKSAMPLE " .. string.gsub(s, "\\n", " ") .. "\\n")
end
"""


class Wrk:
    label = "wrk"

    def __init__(self, binary: str, work: Path) -> None:
        self.binary = binary
        self.work = work
        self.script = work / "reads.lua"
        self.script.write_text(WRK_SCRIPT)

    def run(self, url: str, load: Load, ids: int, seconds: float, tokens: list[str]) -> Result:
        config = self.work / "wrk.conf"
        lines = [load.method, load.path, load.body, str(ids), str(PER_TOKEN)]
        lines += ["1" if load.graphql else "0", *tokens]
        config.write_text("\n".join(lines) + "\n")
        argv = [self.binary, "-t1", "-c2", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
        argv += ["-s", str(self.script), url, "--", str(config)]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return parse_wrk(out)


def parse_wrk(out: str) -> Result:
    result: Result | None = None
    sample = ""
    for line in out.splitlines():
        if line.startswith("WRKRESULT "):
            answered, micros, bad, gql, failed, p50, p99 = line.split()[1:]
            result = Result(
                int(answered),
                int(micros) / 1e6,
                int(bad),
                int(gql),
                int(failed),
                float(p50) / 1000,
                float(p99) / 1000,
            )
        elif line.startswith("WRKSAMPLE "):
            sample = line.removeprefix("WRKSAMPLE ").strip()
    if result is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result.sample = sample
    return result


class PythonLoad:
    label = "Python httpx (install wrk for the floors' real rate: apt-get install -y wrk)"

    def run(self, url: str, load: Load, ids: int, seconds: float, tokens: list[str]) -> Result:
        return asyncio.run(_python_load(url, load, ids, seconds, tokens, connections=2))


async def _python_load(  # noqa: PLR0917
    url: str, load: Load, ids: int, seconds: float, tokens: list[str], connections: int
) -> Result:
    counter = itertools.count()
    result = Result(0, 0.0)
    samples: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.perf_counter() < deadline:
                n = next(counter)
                token = tokens[min(n // PER_TOKEN, len(tokens) - 1)]
                start = time.perf_counter()
                await send(client, load, n % ids + 1, token, result)
                samples.append((time.perf_counter() - start) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    result.p50_ms, result.p99_ms = percentiles(samples)
    return result


async def send(
    client: httpx.AsyncClient, load: Load, artifact_id: int, token: str, into: Result
) -> None:
    path, body = load.at(artifact_id)
    headers = {"X-Authorization": token}
    try:
        if load.body:
            answer = await client.post(
                path, content=body, headers=headers | {"Content-Type": "application/json"}
            )
        else:
            answer = await client.get(path, headers=headers)
    except httpx.HTTPError as exc:
        into.failed += 1
        into.sample = into.sample or repr(exc)
        return
    into.answered += 1
    if not answer.is_success:
        into.bad += 1
    elif load.graphql and "errors" in answer.json():
        into.gql += 1
    else:
        return
    into.sample = into.sample or f"{answer.status_code} {answer.text[:300]}"


def percentiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return (samples[0], samples[0]) if samples else (math.nan, math.nan)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), q[98]


async def latency(
    url: str, load: Load, seconds: float, tokens: Callable[[int], list[str]]
) -> Result:
    """Sequential requests on one connection: until LATENCY_REQUESTS are answered or
    ``seconds`` have passed, and at least LATENCY_MIN_REQUESTS."""
    result = Result(0, 0.0)
    samples: list[float] = []
    token, spent = "", PER_TOKEN

    def take() -> str:
        nonlocal token, spent
        if spent == PER_TOKEN:
            token, spent = tokens(1)[0], 0
        spent += 1
        return token

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        # unmeasured: the connection and the server's caches are warm for the first sample
        await send(client, load, 1, take(), Result(0, 0.0))
        began = time.perf_counter()
        for n in itertools.count():
            elapsed = time.perf_counter() - began
            if n >= LATENCY_REQUESTS or (elapsed > seconds and n >= LATENCY_MIN_REQUESTS):
                break
            current = take()
            start = time.perf_counter()
            await send(client, load, n + 1, current, result)
            samples.append((time.perf_counter() - start) * 1000)
    result.seconds = time.perf_counter() - began
    result.p50_ms, result.p99_ms = percentiles(samples)
    return result


def lineage(count: int) -> Load:
    query = (
        f'{{ lineage(id: "{deepest(count)}", direction: UP, depth: 20) '
        "{ nodes { name distance } edges { parent child } } }"
    )
    return graphql("GraphQL lineage(id, UP, depth 20)", query)


PAGE = graphql("GraphQL page of 50 with parents", PAGE_QUERY)


def throughput(
    gen: Wrk | PythonLoad, server: Server, load: Load, ids: int, seconds: float
) -> Result:
    """A warm-up run, then the measured one, each on tokens enough for its requests at the
    rate seen before (each login costs the registry a password hash: not many spare)."""
    guess = server.rates.get(load.name, 3000.0)
    warm = gen.run(
        server.url, load, ids, WARMUP_SECONDS, server.tokens(needed(guess, WARMUP_SECONDS))
    )
    rate = warm.answered / max(warm.seconds, 1e-3)
    result = gen.run(server.url, load, ids, seconds, server.tokens(needed(rate, seconds)))
    server.rates[load.name] = result.answered / max(result.seconds, 1e-3)
    return result


def needed(rate: float, seconds: float) -> int:
    """Tokens for ``seconds`` at twice ``rate``, and one more."""
    return math.ceil(2 * rate * seconds / PER_TOKEN) + 1


# ---------------------------------------------------------------------------------------
# Processes


@contextmanager
def floor_app(work: Path, script: str, count: int) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, str(FLOOR / script), "--port", str(port), "--artifacts", str(count)]
    proc = spawn(argv, work / f"{script}.log")
    try:
        wait_for_port(port, proc, script)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def grow_store(data_dir: Path, start: int, count: int) -> None:
    """Artifacts ``start + 1`` to ``count`` written into the store `tmr serve` embeds under
    ``data_dir``, by the same server on the same files, while the registry is down."""
    (data_dir / "mongo").mkdir(parents=True, exist_ok=True)
    logs = data_dir / "logs"
    port = free_port()
    proc = spawn(
        mongo_server_command(data_dir / "mongo", port, logs / "seed.log"), logs / "seed.out"
    )
    try:
        wait_for_port(port, proc, "nx-27017")
        url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        asyncio.run(seed(url, Settings.model_fields["mongo_database"].default, count, start=start))
    finally:
        stop(proc)


# ---------------------------------------------------------------------------------------
# Measurement and report

KINDS = (("REST", REST_BY_ID), ("GraphQL", GRAPHQL_BY_ID))


@dataclass
class Scale:
    count: int
    rounds: int
    runs: dict[str, list[Result]] = field(default_factory=dict)

    def add(self, key: str, result: Result) -> None:
        self.runs.setdefault(key, []).append(result)


def measure(
    gen: Wrk | PythonLoad, registry: Server, floors: dict[str, Server], scale: Scale, seconds: float
) -> None:
    deep = lineage(scale.count)
    for n in range(scale.rounds):
        print(f"  round {n + 1}/{scale.rounds}", flush=True)
        for kind, load in KINDS:
            for server in (registry, floors[kind]):
                scale.add(
                    f"{kind} {server.name}", throughput(gen, server, load, scale.count, seconds)
                )
        for key, load in (("page", PAGE), ("lineage", deep)):
            scale.add(key, asyncio.run(latency(registry.url, load, seconds, registry.tokens)))
        graphql_floor = floors["GraphQL"]
        scale.add(
            "client",
            asyncio.run(latency(graphql_floor.url, GRAPHQL_BY_ID, 1.0, graphql_floor.tokens)),
        )


def measure_cold(registry: Server, scale: Scale, args: argparse.Namespace) -> None:
    deep = lineage(scale.count)
    for _ in range(args.rounds):
        for key, load in (("page cold", PAGE), ("lineage cold", deep)):
            scale.add(key, asyncio.run(latency(registry.url, load, args.seconds, registry.tokens)))


def spread(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    median = format(statistics.median(values), fmt)
    if len(values) == 1:
        return median
    return f"{median} ({min(values):{fmt}}-{max(values):{fmt}})"


def verdict(ok: bool) -> str:  # noqa: FBT001 - a figure's outcome
    return "PASS" if ok else "MISS"


def rates(scale: Scale, key: str) -> list[float]:
    return [r.rate for r in scale.runs.get(key, [])]


def paired_ratios(scale: Scale, kind: str) -> list[float]:
    """Registry over floor per round: each pair ran back to back, so a busy spell on the
    machine weighs on both sides of a ratio rather than on one median."""
    registry, floor = rates(scale, f"{kind} registry"), rates(scale, f"{kind} floor")
    return [r / f for r, f in zip(registry, floor, strict=True) if f]


def report_throughput(scale: Scale, *, wrk: bool) -> None:
    print(
        f"\nthroughput at {scale.count} artifacts, req/s: median (min-max) "
        f"over {scale.rounds} rounds"
    )
    print(f"{'':40} {'registry':>22} {'floor':>24} {'registry/floor':>24}  target")
    for (kind, load), target in zip(KINDS, (REST_RATIO_TARGET, GRAPHQL_RATIO_TARGET), strict=True):
        registry, floor = rates(scale, f"{kind} registry"), rates(scale, f"{kind} floor")
        ratios = paired_ratios(scale, kind)
        ratio = statistics.median(ratios) if ratios else 0.0
        print(
            f"{load.name:40} {spread(registry, '.0f'):>22} {spread(floor, '.0f'):>24} "
            f"{spread(ratios, '.3f'):>24}  ≥ {target:.2f} {verdict(ratio >= target)}"
        )
    if not wrk:
        print(
            "(the Python load is slower than the floors: it caps their rate and lifts the ratios; "
            "the targets are judged under wrk)"
        )


def report_latency(scale: Scale) -> None:
    print(
        f"\nlatency at {scale.count} artifacts, ms, sequential on one connection: median (min-max)"
    )
    print(f"{'':40} {'p50':>22} {'p99':>24} {'requests':>9}  target (p50, p99)")
    rows = (
        ("page", PAGE.name, PAGE_TARGET_MS),
        ("lineage", "GraphQL lineage(id, UP, depth 20)", LINEAGE_TARGET_MS),
        ("page cold", "  the same, read cache off", math.nan),
        ("lineage cold", "  the same, read cache off", math.nan),
        ("client", "floor artifact(id) (client + framework)", math.nan),
    )
    for key, name, target in rows:
        results = scale.runs.get(key, [])
        if not results:
            continue
        p50s, p99s = [r.p50_ms for r in results], [r.p99_ms for r in results]
        count = sum(r.answered + r.failed for r in results)
        goal = ""
        if not math.isnan(target):
            p50, p99 = statistics.median(p50s), statistics.median(p99s)
            goal = f"≤ {target:.0f} ms {verdict(p50 <= target)} {verdict(p99 <= target)}"
        print(f"{name:40} {spread(p50s, '.1f'):>22} {spread(p99s, '.1f'):>24} {count:>9}  {goal}")


def report_errors(scales: list[Scale]) -> None:
    lines = []
    for scale in scales:
        for key, results in scale.runs.items():
            bad, gql, failed = (
                sum(getattr(r, a) for r in results) for a in ("bad", "gql", "failed")
            )
            if bad or gql or failed:
                sample = next((r.sample for r in results if r.sample), "")
                lines.append(
                    f"  {scale.count} artifacts, {key}: {bad} not 2xx, {gql} GraphQL errors, "
                    f"{failed} unanswered; e.g. {sample[:200]}"
                )
    print("\nerrors (not counted as throughput):" + ("" if lines else " none"))
    for line in lines:
        print(line)


def report_scales(scales: list[Scale]) -> None:
    print("\nscale: medians; req/s registry / floor (median ratio of rounds); latency p50 / p99 ms")
    print(
        f"{'artifacts':>9} {'rounds':>6} {'REST':>26} {'GraphQL artifact(id)':>26} "
        f"{'page of 50':>16} {'lineage 20':>16}"
    )
    for scale in scales:
        cells = []
        for kind, _ in KINDS:
            registry = statistics.median(rates(scale, f"{kind} registry"))
            floor = statistics.median(rates(scale, f"{kind} floor"))
            ratio = statistics.median(paired_ratios(scale, kind) or [0.0])
            cells.append(f"{registry:.0f} / {floor:.0f} ({ratio:.3f})")
        for key in ("page", "lineage"):
            results = scale.runs[key]
            p50 = statistics.median(r.p50_ms for r in results)
            p99 = statistics.median(r.p99_ms for r in results)
            cells.append(f"{p50:.1f} / {p99:.1f}")
        print(
            f"{scale.count:>9} {scale.rounds:>6} {cells[0]:>26} {cells[1]:>26} "
            f"{cells[2]:>16} {cells[3]:>16}"
        )


def main(args: argparse.Namespace) -> None:
    scales = sorted({*args.scales, args.artifacts})
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("wrk") if args.load != "python" else None
        if binary is None and args.load == "wrk":
            sys.exit("wrk is not on PATH: apt-get install -y wrk (Debian), or --load python")
        gen: Wrk | PythonLoad = Wrk(binary, work) if binary else PythonLoad()
        print(f"load: {gen.label}; {args.seconds:g} s runs after {WARMUP_SECONDS:g} s of warm-up")
        if max(scales) < LARGE:
            print(
                f"(no {LARGE} artifacts: seeding them takes minutes; --scales 1000,10000,{LARGE})"
            )
        try:
            done = run_scales(gen, work, scales, args)
        except RuntimeError:
            log = work / "serve.log"
            if log.exists():
                print("".join(log.read_text().splitlines(keepends=True)[-5:])[-3000:])
            raise
    main_scale = next(s for s in done if s.count == args.artifacts)
    print(f"\nload: {gen.label}")
    report_throughput(main_scale, wrk=isinstance(gen, Wrk))
    report_latency(main_scale)
    report_scales(done)
    report_errors(done)


def run_scales(
    gen: Wrk | PythonLoad, work: Path, scales: list[int], args: argparse.Namespace
) -> list[Scale]:
    """Each scale in turn, the store grown to it while the registry is down; the floors stay
    up throughout."""
    done: list[Scale] = []
    with (
        floor_app(work, "floor_rest.py", max(scales)) as rest_url,
        floor_app(work, "floor_graphql.py", max(scales)) as graphql_url,
    ):
        floors = {
            "REST": Server("floor", rest_url, floor_tokens),
            "GraphQL": Server("floor", graphql_url, floor_tokens),
        }
        seeded = 0
        for count in scales:
            began = time.perf_counter()
            grow_store(work / "data", seeded, count)
            seeded = count
            print(f"{count} artifacts seeded ({time.perf_counter() - began:.0f} s)", flush=True)
            began = time.perf_counter()
            with serve_process(work, worker=False, ready_seconds=300) as url:
                registry = Server("registry", url, registry_tokens(url))
                scale = Scale(count, args.rounds if count == args.artifacts else args.scale_rounds)
                measure(gen, registry, floors, scale, args.seconds)
                done.append(scale)
            if count == args.artifacts:
                # Every read from the store, as the first read after a write is.
                with serve_process(
                    work, {"TMR_READ_CACHE_ENTRIES": "0"}, worker=False, ready_seconds=300
                ) as url:
                    measure_cold(Server("registry", url, registry_tokens(url)), scale, args)
            print(f"  measured ({time.perf_counter() - began:.0f} s)", flush=True)
    return done


def counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--artifacts",
        type=int,
        default=10_000,
        help="the store size of the main figures, measured over --rounds (default 10000)",
    )
    parser.add_argument(
        "--scales",
        type=counts,
        default=[1_000, 10_000],
        help="comma-separated store sizes for the scale table, each seeded on top of the last "
        "(default 1000,10000; 100000 adds about 4 minutes on 2 cores, most of it seeding)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the store and the servers' logs, kept after the run "
        "(default: a temporary one)",
    )
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk if on PATH (the default), else the Python one",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds at --artifacts (default 3)"
    )
    parser.add_argument(
        "--scale-rounds", type=int, default=1, help="rounds at the other scales (default 1)"
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="length of each measured run (default 3)"
    )
    main(parser.parse_args())
