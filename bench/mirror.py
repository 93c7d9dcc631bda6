"""Mirroring a large model: the registry's copy of its files against the raw copy of the same
bytes, and the worker's peak memory as the file grows.

`uv run python bench/mirror.py [--sizes-mb 256,2048]` writes a model repository for each size
(a `model.safetensors` of that many MiB of random bytes, its card and config) into a fixture
folder, serves it from the fake hub in a process of its own (LFS files through its CDN, on a
second origin), and then, for each size:

* raw: this process streams the weights from the CDN into a local blob store in one stream
  (`LocalBlobStore.put_stream`, which also hashes them): the floor;
* registry: `tmr serve` (embedded backends, in-process worker, gate off, the CDN allowed)
  ingests the model; the copy's time is its job's MIRRORING → STORING interval, and the
  serve process's peak resident memory (`VmHWM`) is read after it.

Prints, per size, both throughputs, their ratio (target ≥ 0.70) and the peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp
import httpx

from app.downloads.links import LinkSigner
from app.embedded import free_port, spawn, stop, wait_for_port
from app.storage.local import LocalBlobStore
from tests.support.processes import admin_token, serve_process

MIB = 1024 * 1024
RATIO_TARGET = 0.70
JOB = "query($id: ID!) { ingestJob(id: $id) { state history { state at } error { message } } }"
INGEST = (
    "mutation($url: String!) { ingest(input: {url: $url, type: MODEL}) "
    "{ job { id } error { ... on Error { message } } } }"
)


def write_model(root: Path, name: str, size: int) -> str:
    """A repository with ``size`` bytes of weights; the weights' sha256."""
    folder = root / "hf" / "models" / "bench" / name
    files = folder / "files"
    files.mkdir(parents=True)
    digest = hashlib.sha256()
    with (files / "model.safetensors").open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MIB))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    card = b"---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# A large model\n"
    config = json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode()
    (files / "README.md").write_bytes(card)
    (files / "config.json").write_bytes(config)
    sha256 = digest.hexdigest()
    info = {
        "_id": hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:24],
        "id": f"bench/{name}",
        "modelId": f"bench/{name}",
        "author": "bench",
        "sha": hashlib.sha1(sha256.encode(), usedforsecurity=False).hexdigest(),
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 1000,
        "likes": 10,
        "library_name": "transformers",
        "pipeline_tag": "fill-mask",
        "tags": ["transformers", "safetensors", "license:apache-2.0"],
        "lastModified": "2026-01-01T00:00:00.000Z",
        "cardData": {"license": "apache-2.0"},
        "config": {"model_type": "bert"},
        "siblings": [
            {"rfilename": "README.md", "size": len(card), "blobId": _git_id(card)},
            {"rfilename": "config.json", "size": len(config), "blobId": _git_id(config)},
            {
                "rfilename": "model.safetensors",
                "size": size,
                "blobId": hashlib.sha1(sha256.encode(), usedforsecurity=False).hexdigest(),
                "lfs": {"sha256": sha256, "size": size, "pointerSize": 135},
            },
        ],
    }
    (folder / "info.json").write_text(json.dumps(info, indent=2))
    return sha256


def _git_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


async def raw_copy(cdn: str, sha256: str, into: Path) -> float:
    """Seconds to stream the object from the CDN into a local blob store."""
    store = LocalBlobStore(into, LinkSigner(b"k" * 32, "http://bench"))
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        began = time.perf_counter()
        async with session.get(f"{cdn}/cdn-lfs/{sha256}") as response:
            response.raise_for_status()
            stored = await store.put_stream(
                "raw", response.content.iter_chunked(MIB), content_type="application/octet-stream"
            )
        elapsed = time.perf_counter() - began
    assert stored.sha256 == sha256, "the CDN served other bytes"
    return elapsed


def mirrored(url: str, token: str, repo: str) -> float:
    """Seconds the registry's job spent copying ``repo``'s files."""
    headers = {"X-Authorization": token}
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": INGEST, "variables": {"url": f"https://huggingface.co/{repo}"}},
        headers=headers,
        timeout=60,
    ).json()
    if answer.get("errors") or answer["data"]["ingest"]["error"]:
        raise RuntimeError(f"the ingest of {repo} was refused: {answer}")
    job_id = answer["data"]["ingest"]["job"]["id"]
    while True:
        job = httpx.post(
            f"{url}/graphql",
            json={"query": JOB, "variables": {"id": job_id}},
            headers=headers,
            timeout=60,
        ).json()["data"]["ingestJob"]
        if job["state"] in {"DONE", "FAILED"}:
            break
        time.sleep(0.2)
    if job["state"] != "DONE":
        raise RuntimeError(f"the ingest of {repo} failed: {job['error']}")
    at = {h["state"]: datetime.fromisoformat(h["at"]) for h in job["history"]}
    return (at["STORING"] - at["MIRRORING"]).total_seconds()


def peak_rss_mib(port: int) -> float:
    found = subprocess.run(
        ["pgrep", "-f", f"tmr serve --port {port}"], capture_output=True, text=True, check=False
    ).stdout.split()
    status = Path(f"/proc/{found[0]}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def main(args: argparse.Namespace) -> None:
    sizes = [int(s) * MIB for s in args.sizes_mb.split(",")]
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        fixtures = work / "fixtures"
        digests = {}
        for size in sizes:
            began = time.perf_counter()
            digests[size] = write_model(fixtures, f"large-{size // MIB}", size)
            print(f"wrote a {size // MIB} MiB model ({time.perf_counter() - began:.0f} s)")
        hub_port = free_port()
        log = work / "hub.log"
        hub = spawn(
            [
                sys.executable,
                "-m",
                "tests.fakehub",
                "--port",
                str(hub_port),
                "--fixtures",
                str(fixtures),
                "--quiet",
            ],
            log,
        )
        try:
            wait_for_port(hub_port, hub, "fake hub")
            time.sleep(0.5)
            cdn = re.search(r"CDN (\S+)", log.read_text()).group(1)  # type: ignore[union-attr]
            hub_url = f"http://127.0.0.1:{hub_port}"
            env = {
                "TMR_HF_ENDPOINT": hub_url,
                "TMR_GITHUB_API_URL": hub_url,
                "TMR_GATE_ENABLED": "false",
                "TMR_MIRROR_MAX_BYTES": str(max(sizes) * 2),
                "TMR_UPSTREAM_ALLOWED_HOSTS": json.dumps([cdn]),
                "TMR_WORKER_JOB_TIMEOUT_SECONDS": "3600",
            }
            rows = []
            with serve_process(work / "registry", env) as url:
                port = int(url.rsplit(":", 1)[1])
                token = admin_token(url)
                for size in sizes:
                    raw = asyncio.run(raw_copy(cdn, digests[size], work / "raw"))
                    copy = mirrored(url, token, f"bench/large-{size // MIB}")
                    rows.append((size, raw, copy, peak_rss_mib(port)))
                    (work / "raw" / "raw").unlink(missing_ok=True)
        finally:
            stop(hub)
    print(f"\n{'weights':>10} {'raw copy':>16} {'registry copy':>18} {'ratio':>7} {'peak RSS':>10}")
    for size, raw, copy, rss in rows:
        mb = size / 1e6
        ratio = raw / copy
        verdict = "PASS" if ratio >= RATIO_TARGET else "MISS"
        print(
            f"{size // MIB:>7} MiB {mb / raw:>10.0f} MB/s {mb / copy:>12.0f} MB/s "
            f"{ratio:>7.2f} {rss:>7.0f} MiB  (≥ {RATIO_TARGET:.2f} {verdict})"
        )
    print("peak RSS is the serve process's high-water mark (API and worker) after each ingest")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes-mb", default="256,2048", help="weights sizes in MiB, in order")
    parser.add_argument("--work", type=Path, default=None, help="folder for the temporary files")
    main(parser.parse_args())
