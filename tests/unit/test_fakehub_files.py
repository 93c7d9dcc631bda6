"""The fake hub serves checkable bytes: the CDN honours Range, shipped LFS files hash to their
listing (except the corrupt fixture's), every non-LFS file matches its blobId, and filler for
multi-GB objects is served without building them."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import struct
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from huggingface_hub import hf_hub_download

from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.fakehub.hf_store import HfStore
from tests.fakehub.wire import git_blob_sha

TINY = DEFAULT_FIXTURES / "hf/models/tmr-fixtures"
BASE, TUNED = "tmr-fixtures/tiny-bert-base", "tmr-fixtures/tiny-bert-tuned"
COPY, CORRUPT = "tmr-fixtures/tiny-bert-copy", "tmr-fixtures/tiny-bert-corrupt"
MISTRAL = "mistralai/Mistral-7B-v0.1"
TOKEN = {"Authorization": "Bearer hf_test"}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        yield server


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url, timeout=10) as http:
        yield http


def _siblings(client: httpx.Client, repo_id: str) -> dict[str, dict[str, Any]]:
    info = client.get(f"/api/models/{repo_id}", params={"blobs": "true"}).json()
    return {s["rfilename"]: s for s in info["siblings"]}


def _cdn(client: httpx.Client, repo_id: str, path: str) -> str:
    got = client.head(f"/{repo_id}/resolve/main/{path}", headers=TOKEN)
    assert got.status_code == 302
    return got.headers["location"]


def test_cdn_honours_each_range_form(client: httpx.Client) -> None:
    data = (TINY / "tiny-bert-base/files/model.safetensors").read_bytes()
    url, size = _cdn(client, BASE, "model.safetensors"), len(data)
    whole = httpx.get(url)
    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert int(whole.headers["content-length"]) == size
    cases = {
        "bytes=0-9": (0, 9),
        f"bytes={size - 10}-": (size - 10, size - 1),
        "bytes=-7": (size - 7, size - 1),
        f"bytes=100-{size + 500}": (100, size - 1),  # an end past the object is clamped
        f"bytes=-{size + 5}": (0, size - 1),
    }
    for asked, (first, last) in cases.items():
        got = httpx.get(url, headers={"Range": asked})
        assert got.status_code == 206, asked
        assert got.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert int(got.headers["content-length"]) == last - first + 1
        assert got.content == data[first : last + 1]
    for asked in (f"bytes={size}-", f"bytes={size + 1}-{size + 9}", "bytes=-0"):
        got = httpx.get(url, headers={"Range": asked})
        assert got.status_code == 416, asked
        assert got.headers["content-range"] == f"bytes */{size}"
    for ignored in ("bytes=9-2", "bytes=0-1,4-5", "items=0-1", "bytes=x-"):
        assert httpx.get(url, headers={"Range": ignored}).content == data
    assert httpx.get(url.rsplit("/", 1)[0] + "/" + "0" * 64).status_code == 404


@pytest.mark.parametrize("repo_id", [BASE, TUNED, COPY, CORRUPT])
def test_shipped_lfs_files_hash_to_their_listing_unless_corrupt(
    repo_id: str, client: httpx.Client
) -> None:
    lfs_files = {p: s for p, s in _siblings(client, repo_id).items() if "lfs" in s}
    assert "model.safetensors" in lfs_files
    for path, sibling in lfs_files.items():
        redirect = client.get(f"/{repo_id}/resolve/main/{path}")
        assert redirect.status_code == 302  # shipped or not, LFS goes through the CDN
        assert redirect.headers["x-linked-size"] == str(sibling["lfs"]["size"])
        assert redirect.headers["x-linked-etag"] == f'"{sibling["lfs"]["sha256"]}"'
        data = httpx.get(redirect.headers["location"]).content
        assert len(data) == sibling["size"] == sibling["lfs"]["size"]
        matches = hashlib.sha256(data).hexdigest() == sibling["lfs"]["sha256"]
        assert matches == (repo_id != CORRUPT), path
        if path.endswith(".safetensors"):
            _check_safetensors(data)


def _check_safetensors(data: bytes) -> None:
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header.pop("__metadata__", None)
    spans = sorted(t["data_offsets"] for t in header.values())
    assert spans[0][0] == 0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # contiguous
    assert spans[-1][1] == len(data) - 8 - length
    for tensor in header.values():
        count = 4
        for dim in tensor["shape"]:
            count *= dim
        assert tensor["dtype"] == "F32"
        assert tensor["data_offsets"][1] - tensor["data_offsets"][0] == count


def test_tiny_family_shares_what_it_says(client: httpx.Client) -> None:
    def sha(repo_id: str, path: str) -> str:
        sibling = _siblings(client, repo_id)[path]
        return str(sibling["lfs"]["sha256"] if "lfs" in sibling else sibling["blobId"])

    for path in ("vocab.txt", "tokenizer.json"):
        assert sha(BASE, path) == sha(TUNED, path)
    assert sha(COPY, "model.safetensors") == sha(BASE, "model.safetensors")
    assert len({sha(r, "model.safetensors") for r in (BASE, TUNED, CORRUPT)}) == 3
    assert "pytorch_model.bin" not in _siblings(client, TUNED)
    tuned = client.get(f"/api/models/{TUNED}").json()
    assert tuned["cardData"]["base_model"] == BASE
    assert "base_model:finetune:" + BASE in tuned["tags"]


def test_every_non_lfs_file_matches_its_blob_id(client: httpx.Client) -> None:
    served = 0
    for info_path in sorted(DEFAULT_FIXTURES.glob("hf/*/*/*/info.json")):
        kind = "datasets" if info_path.parts[-4] == "datasets" else "models"
        repo_id = f"{info_path.parts[-3]}/{info_path.parts[-2]}"
        info = client.get(f"/api/{kind}/{repo_id}", params={"blobs": "true"}).json()
        prefix = "/datasets" if kind == "datasets" else ""
        for sibling in info["siblings"]:
            if "lfs" in sibling:
                continue
            url = f"{prefix}/{repo_id}/resolve/main/{sibling['rfilename']}"
            got = client.get(url, headers=TOKEN)
            assert got.status_code == 200, url
            assert git_blob_sha(got.content) == sibling["blobId"], url
            assert len(got.content) == sibling["size"], url
            assert got.headers["etag"] == f'"{sibling["blobId"]}"'
            served += 1
    assert served > 50


def test_filler_of_a_huge_object_is_never_built(client: httpx.Client) -> None:
    shard = _siblings(client, MISTRAL)["model-00001-of-00002.safetensors"]
    size = shard["lfs"]["size"]
    assert size > 9_000_000_000
    url = _cdn(client, MISTRAL, "model-00001-of-00002.safetensors")
    tracemalloc.start()
    try:
        head = httpx.head(url)
        tail = httpx.get(url, headers={"Range": "bytes=-16"})
        middle = httpx.get(url, headers={"Range": f"bytes={size // 2}-{size // 2 + 99}"})
        streamed = 0
        # A span past the in-memory ceiling is streamed chunked instead of built.
        with httpx.stream("GET", url, headers={"Range": f"bytes=100-{100 + 65 * MIB}"}) as big:
            assert big.status_code == 206
            assert "content-length" not in big.headers
            for chunk in big.iter_bytes():
                streamed += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB
    assert streamed == 65 * MIB + 1
    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["content-length"]) == size
    assert head.headers["etag"] == f'"{shard["lfs"]["sha256"]}"'
    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes {size - 16}-{size - 1}/{size}"
    assert (tail.headers["content-length"], len(tail.content)) == ("16", 16)
    assert len(middle.content) == 100
    assert httpx.get(url, headers={"Range": "bytes=-16"}).content == tail.content  # stable


def test_huggingface_hub_downloads_and_sizes_a_shipped_lfs_file(
    hub: FakeHub, tmp_path: Path
) -> None:
    path = hf_hub_download(
        BASE, "model.safetensors", cache_dir=tmp_path, endpoint=hub.url, token=False
    )
    data = (TINY / "tiny-bert-base/files/model.safetensors").read_bytes()
    assert Path(path).read_bytes() == data


def test_listing_is_made_to_agree_with_the_served_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "hf/models/tmr-fixtures/tiny-bert-copy"
    shutil.copytree(TINY / "tiny-bert-copy", folder)
    info = json.loads((folder / "info.json").read_text())
    for sibling in info["siblings"]:
        if sibling["rfilename"] == "config.json":
            sibling.update(blobId="0" * 40, size=1)  # stale, as after editing the file by hand
    info["siblings"].append({"rfilename": "vocab.txt", "blobId": "1" * 40, "size": 300})
    (folder / "info.json").write_text(json.dumps(info))
    repo = HfStore(tmp_path).repos["model", "tmr-fixtures/tiny-bert-copy"]
    config = (folder / "files/config.json").read_bytes()
    assert repo.siblings["config.json"]["blobId"] == git_blob_sha(config)
    assert repo.siblings["config.json"]["size"] == len(config)
    assert repo.siblings["vocab.txt"]["size"] == 300
    assert repo.siblings["vocab.txt"]["blobId"] != "1" * 40
