"""A model's files copied into the blob store after its gate, checked against what the hub lists,
stored once per content, and downloaded whole or by part: on the fake hub's tmr-fixtures family
(real bytes, real checksums), through the worker, on the local store and on S3."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, registry_in_task

FIXTURES = Path(__file__).parents[1] / "fakehub" / "fixtures" / "hf" / "models" / "tmr-fixtures"
HUB = "https://huggingface.co/tmr-fixtures"
CAP = 64 * 1024 * 1024

FILES = """
query Files($id: ID!) {
  artifact(id: $id) {
    id storedBytes
    downloadUrl
    files { path sizeBytes sha256 part held reason upstreamUrl downloadUrl }
  }
}
"""
COST = "query($id: ID!) { cost(id: $id) { standaloneMb heldMb } }"
WATCH = """
subscription Watch($jobId: ID!) {
  ingestProgress(jobId: $jobId) {
    id state error { code message } artifact { id }
    files { path doneBytes totalBytes }
  }
}
"""


def mirroring(settings: Settings, hub: FakeHub, cap: int = CAP) -> Settings:
    """Copying on, and the fake CDN allowed: on loopback it is no hub host (the real CDN,
    ``*.hf.co`` over HTTPS, needs no setting), so it is allowed as an operator would."""
    return settings.model_copy(
        update={"mirror_max_bytes": cap, "upstream_allowed_hosts": [hub.hf.cdn_url]}
    )


@pytest.fixture(params=["local", "s3"])
async def registry(
    request: pytest.FixtureRequest, settings: Settings, hub: FakeHub
) -> AsyncIterator[Registry]:
    chosen = settings if request.param == "local" else request.getfixturevalue("s3_settings")
    async with registry_in_task(mirroring(chosen, hub)) as running:
        yield running


@pytest.fixture
async def local(settings: Settings, hub: FakeHub) -> AsyncIterator[Registry]:
    async with registry_in_task(mirroring(settings, hub)) as running:
        yield running


def shipped(repo: str, path: str) -> bytes:
    return (FIXTURES / repo / "files" / path).read_bytes()


def listed_sha256(repo: str, path: str) -> str:
    info = json.loads((FIXTURES / repo / "info.json").read_text())
    [sibling] = [s for s in info["siblings"] if s["rfilename"] == path]
    return str(sibling["lfs"]["sha256"])


async def ingest(registry: Registry, repo: str) -> list[dict[str, Any]]:
    """An ingest of a tmr-fixtures model (or of any model named ``org/name``), to its end."""
    url = f"https://huggingface.co/{repo}" if "/" in repo else f"{HUB}/{repo}"
    payload = (await registry.gql(queries.INGEST, url=url, type="MODEL", name=None))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(WATCH, jobId=payload["job"]["id"])
    return [e["data"]["ingestProgress"] for e in events]


async def stored(registry: Registry, repo: str) -> dict[str, Any]:
    events = await ingest(registry, repo)
    assert events[-1]["state"] == "DONE", events[-1]
    artifact_id = events[-1]["artifact"]["id"]
    found: dict[str, Any] = (await registry.gql(FILES, id=artifact_id))["artifact"]
    return found


async def fetch(
    registry: Registry, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A download link: the registry's own, or a presigned S3 one."""
    if url.startswith("http://registry.test"):
        return await registry.client.get(url, headers=headers)
    async with httpx.AsyncClient() as http:
        return await http.get(url, headers=headers)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def held_blobs(settings: Settings) -> set[str]:
    folder = settings.data_dir / "blobs" / "files"
    return {p.name for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


async def test_a_model_is_copied_verified_and_downloaded_whole_or_by_part(
    registry: Registry, hub: FakeHub
) -> None:
    hub.latency = 0.1  # slow enough that a watcher sees the copy under way
    events = await ingest(registry, "tiny-bert-base")
    assert events[-1]["state"] == "DONE", events[-1]
    copying = [e["files"] for e in events if e["state"] == "MIRRORING"]
    # live: files appear while MIRRORING, each reported again as it completes
    assert any(copying), events
    assert len(copying) > 1, copying
    done = events[-1]["files"]
    assert {f["path"] for f in done} >= {"model.safetensors", "config.json", "vocab.txt"}
    assert all(f["doneBytes"] == f["totalBytes"] for f in done)
    art = (await registry.gql(FILES, id=events[-1]["artifact"]["id"]))["artifact"]
    files = {f["path"]: f for f in art["files"]}

    weights = files["model.safetensors"]
    assert weights["held"]
    assert weights["part"] == "WEIGHTS"
    assert weights["sha256"] == listed_sha256("tiny-bert-base", "model.safetensors")
    duplicate = files["pytorch_model.bin"]
    assert not duplicate["held"]
    assert "safetensors" in duplicate["reason"]
    assert duplicate["upstreamUrl"].endswith(
        "/tmr-fixtures/tiny-bert-base/resolve/" + duplicate["upstreamUrl"].split("/resolve/")[1]
    )
    assert duplicate["downloadUrl"] is None
    assert files["vocab.txt"]["part"] == "CARD"
    assert art["storedBytes"] == sum(f["sizeBytes"] for f in art["files"] if f["held"])
    cost = (await registry.gql(COST, id=art["id"]))["cost"]
    assert cost["heldMb"] > art["storedBytes"] / 1e6  # the copies and the bundle
    assert cost["standaloneMb"] > cost["heldMb"]  # upstream also has the .bin

    package = unzip((await fetch(registry, art["downloadUrl"])).content)
    assert package["model.safetensors"] == shipped("tiny-bert-base", "model.safetensors")
    assert package["tokenizer.json"] == shipped("tiny-bert-base", "tokenizer.json")
    assert "registry.json" in package  # the registry's record of the version
    upstream = json.loads(package["UPSTREAM.json"])
    assert [f["path"] for f in upstream] == ["pytorch_model.bin"]

    async def part(name: str) -> dict[str, bytes]:
        answer = await registry.client.get(f"/artifacts/model/{art['id']}", params={"part": name})
        assert answer.status_code == 200, answer.text
        return unzip((await fetch(registry, answer.json()["data"]["download_url"])).content)

    assert set(await part("weights")) == {"model.safetensors", "UPSTREAM.json"}
    card = await part("card")
    assert {"README.md", "config.json", "tokenizer.json", "vocab.txt"} <= set(card)
    assert "model.safetensors" not in card
    assert await part("datasets") == {}  # it names no dataset
    refused = await registry.client.get(f"/artifacts/model/{art['id']}", params={"part": "all"})
    assert refused.status_code == 400

    # one file, and a byte range of it, as a client resuming a download asks
    whole = shipped("tiny-bert-base", "model.safetensors")
    ranged = await fetch(registry, weights["downloadUrl"], {"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.content == whole[100:200]
    tail = await fetch(registry, weights["downloadUrl"], {"Range": "bytes=-10"})
    assert tail.content == whole[-10:]
    assert (
        hashlib.sha256((await fetch(registry, weights["downloadUrl"])).content).hexdigest()
        == (weights["sha256"])
    )


async def test_a_checksum_mismatch_fails_the_ingest_and_keeps_nothing(
    local: Registry, settings: Settings
) -> None:
    events = await ingest(local, "tiny-bert-corrupt")
    assert events[-1]["state"] == "FAILED"
    error = events[-1]["error"]
    assert error["code"] == "checksum_mismatch"
    assert "model.safetensors" in error["message"]
    assert events[-1]["artifact"] is None
    assert held_blobs(settings) == set()  # the card files copied meanwhile went too
    # over REST: upstream's fault, a 502 naming the file, not a server error
    answer = await local.client.post(
        "/artifact/model", json={"url": f"{HUB}/tiny-bert-corrupt", "name": "corrupt-again"}
    )
    assert answer.status_code == 502, answer.text
    assert "model.safetensors" in answer.json()["detail"]


async def test_shared_files_are_stored_once_and_outlive_a_delete(
    local: Registry, settings: Settings
) -> None:
    base = await stored(local, "tiny-bert-base")
    tuned = await stored(local, "tiny-bert-tuned")
    copy = await stored(local, "tiny-bert-copy")

    def shas(art: dict[str, Any]) -> set[str]:
        return {f["sha256"] for f in art["files"] if f["held"]}

    # the tuned model shares the tokenizer and vocabulary, the copy the weights: stored once
    assert shas(base) & shas(tuned)
    assert shas(base) & shas(copy)
    assert held_blobs(settings) == shas(base) | shas(tuned) | shas(copy)

    deleted = await local.client.delete(f"/artifacts/model/{base['id']}")
    assert deleted.status_code == 200
    assert held_blobs(settings) == shas(tuned) | shas(copy)
    for art in (tuned, copy):
        for f in art["files"]:
            if f["held"]:
                body = (await fetch(local, f["downloadUrl"])).content
                assert hashlib.sha256(body).hexdigest() == f["sha256"]


async def test_over_the_cap_the_weights_stay_upstream(settings: Settings, hub: FakeHub) -> None:
    capped = mirroring(settings, hub, cap=200_000)
    async with registry_in_task(capped) as registry:
        art = await stored(registry, "tiny-bert-tuned")
    files = {f["path"]: f for f in art["files"]}
    assert not files["model.safetensors"]["held"]
    assert "cap of 200000 bytes" in files["model.safetensors"]["reason"]
    assert files["model.safetensors"]["upstreamUrl"].startswith(capped.hf_endpoint)
    assert files["tokenizer.json"]["held"]
    assert 0 < art["storedBytes"] <= 200_000


VERIFY = "mutation($sample: Int) { verifyStoredFiles(sample: $sample) { checked corrupt } }"


async def test_a_stored_file_that_rots_is_found_and_health_says_so(
    local: Registry, settings: Settings
) -> None:
    art = await stored(local, "tiny-bert-copy")
    before = (await local.client.get("/health")).json()
    [files] = [c for c in before["components"] if c["id"] == "files"]
    assert files["status"] == "ok"
    assert (await local.gql(VERIFY))["verifyStoredFiles"] == {
        "checked": len([f for f in art["files"] if f["held"]]),
        "corrupt": [],
    }

    weights = next(f for f in art["files"] if f["path"] == "model.safetensors")
    [blob] = (settings.data_dir / "blobs" / "files").rglob(weights["sha256"])
    damaged = bytearray(blob.read_bytes())
    damaged[1000] ^= 0x01  # one bit, as a disk loses it
    blob.write_bytes(bytes(damaged))

    assert (await local.gql(VERIFY, sample=100))["verifyStoredFiles"]["corrupt"] == [
        weights["sha256"]
    ]
    after = await local.client.get("/health")
    assert after.status_code == 200  # degraded, still serving: not down
    assert after.json()["status"] == "degraded"
    [files] = [c for c in after.json()["components"] if c["id"] == "files"]
    assert files["status"] == "degraded"
    assert weights["sha256"] in files["detail"]
    detail = (await local.client.get("/health/components")).json()
    [component] = [c for c in detail["components"] if c["id"] == "files"]
    assert component["status"] == "degraded"
    assert component["issues"][0]["code"] == "corrupt_files"
    refused = await local.execute(VERIFY, sample=0)
    assert refused["errors"][0]["extensions"]["field"] == "sample"


async def test_a_retried_ingest_continues_the_copy_where_it_stopped(
    hub: FakeHub, settings: Settings
) -> None:
    # The weights scan reads the same CDN object by range before the gate; with no scan
    # budget, the faults below reach the copy.
    unscanned = mirroring(settings, hub).model_copy(update={"scan_model_bytes": 0})
    weights = listed_sha256("tiny-bert-base", "model.safetensors")
    # every try of the first attempt at the weights fails; the job is retried
    hub.inject_fault(f"/cdn-lfs/{weights}", status=503, times=settings.upstream_max_attempts)
    async with registry_in_task(unscanned) as local:
        await _continues_the_copy(local, hub, settings, weights)


async def _continues_the_copy(
    local: Registry, hub: FakeHub, settings: Settings, weights: str
) -> None:
    events = await ingest(local, "tiny-bert-base")
    assert events[-1]["state"] == "DONE", events[-1]
    job = (await local.gql(queries.JOB, id=events[0]["id"]))["ingestJob"]
    assert job["attempts"] == 2

    # what the first attempt copied was referenced again, not fetched again
    copied_once = [r for r in hub.requests if r.path.endswith("/tokenizer.json")]
    assert len(copied_once) == 1, copied_once
    tries = [r for r in hub.requests if r.path == f"/cdn-lfs/{weights}"]
    assert len(tries) == settings.upstream_max_attempts + 1
    art = (await local.gql(FILES, id=events[-1]["artifact"]["id"]))["artifact"]
    assert held_blobs(settings) == {f["sha256"] for f in art["files"] if f["held"]}


async def test_a_file_the_registry_may_not_fetch_stays_upstream(settings: Settings) -> None:
    """The fake CDN on loopback, not allowed: the weights are listed upstream with why, the
    rest is copied, and the ingest succeeds."""
    closed = settings.model_copy(update={"mirror_max_bytes": CAP, "upstream_allowed_hosts": []})
    async with registry_in_task(closed) as registry:
        art = await stored(registry, "tiny-bert-tuned")
    files = {f["path"]: f for f in art["files"]}
    weights = files["model.safetensors"]
    assert not weights["held"]
    assert "could not be fetched" in weights["reason"]
    assert "refused" in weights["reason"]
    assert files["tokenizer.json"]["held"]
    assert held_blobs(settings) == {f["sha256"] for f in art["files"] if f["held"]}


async def test_the_datasets_part_holds_the_linked_datasets_bundles(local: Registry) -> None:
    dataset = await ingest_dataset(local, "https://huggingface.co/datasets/bookcorpus/bookcorpus")
    events = await ingest(local, "google-bert/bert-base-uncased")
    assert events[-1]["state"] == "DONE", events[-1]
    model_id = events[-1]["artifact"]["id"]
    answer = await local.client.get(f"/artifacts/model/{model_id}", params={"part": "datasets"})
    package = unzip((await fetch(local, answer.json()["data"]["download_url"])).content)
    [name] = package
    assert name.startswith("datasets/")
    bundle = unzip(package[name])
    assert json.loads(bundle["registry.json"])["id"] == dataset


async def ingest_dataset(registry: Registry, url: str) -> str:
    payload = (await registry.gql(queries.INGEST, url=url, type="DATASET", name=None))["ingest"]
    events = await registry.subscribe(WATCH, jobId=payload["job"]["id"])
    done = events[-1]["data"]["ingestProgress"]
    assert done["state"] == "DONE", done
    return str(done["artifact"]["id"])
