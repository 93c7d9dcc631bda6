"""The fake hub's weight files look like the real ones to a scanner that reads them by range:
famous models' safetensors headers hold the parameters their listing gives, their torch
checkpoints are zips with a benign state-dict pickle, the `tmr-fixtures` safety fixtures are
benign, dangerous or broken as their names say, and the hub counts the bytes it served.

The scanner is the registry's own (`app.safety.weights`), reading through HTTP Range requests
against a started hub. Nothing here unpickles anything: pickles are walked with pickletools.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickletools
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.safety.imports import ImportVerdict
from app.safety.weights import RangeReader, WeightsScan, scan_weights
from tests.fakehub import DEFAULT_FIXTURES, FakeHub, checkpoints
from tests.fakehub.hf_store import HfStore, LfsObject
from tests.fakehub.weights import (
    Layout,
    crc32_combine,
    filled_torch_zip,
    filler_crc,
    filler_slice,
    gguf_parts,
)

MIB = 1024 * 1024
LIMIT = MIB  # the registry's default budget per file
TOKEN = {"Authorization": "Bearer hf_test"}  # gated repos' files need one
BERT = "google-bert/bert-base-uncased"
MISTRAL = "mistralai/Mistral-7B-v0.1"
LLAMA = "meta-llama/Llama-3.2-1B"
FIXTURES = DEFAULT_FIXTURES / "hf/models/tmr-fixtures"


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=True, timeout=30, headers=TOKEN) as client:
        yield client


def _info(repo_id: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(
        (DEFAULT_FIXTURES / "hf/models" / repo_id / "info.json").read_text()
    )
    return info


def _size(repo_id: str, path: str) -> int:
    return next(int(s["size"]) for s in _info(repo_id)["siblings"] if s["rfilename"] == path)


def _reader(http: httpx.AsyncClient, url: str) -> RangeReader:
    """Byte ranges of the file at `url` (the resolve URL: the hub redirects to its CDN)."""

    async def read(start: int, end: int) -> bytes:
        if end <= start:
            return b""
        got = await http.get(url, headers={"Range": f"bytes={start}-{end - 1}"})
        assert got.status_code == 206, (url, got.status_code)
        return got.content

    return read


async def _scan(hub: FakeHub, http: httpx.AsyncClient, repo_id: str, path: str) -> WeightsScan:
    url = f"{hub.url}/{repo_id}/resolve/main/{path}"
    return await scan_weights(path, _size(repo_id, path), _reader(http, url), limit=LIMIT)


# -- famous models ----------------------------------------------------------------------------


async def test_bert_safetensors_header_is_sound_and_holds_the_listed_parameters(
    hub: FakeHub, http: httpx.AsyncClient
) -> None:
    scan = await _scan(hub, http, BERT, "model.safetensors")
    assert scan.format == "safetensors"
    assert scan.problems == ()
    assert scan.parameters == 110_106_428
    assert dict(scan.dtypes) == _info(BERT)["safetensors"]["parameters"]
    assert scan.verdict is ImportVerdict.SAFE
    assert scan.bytes_read <= LIMIT  # the header, not the 440 MB


async def test_bert_pytorch_checkpoint_is_a_torch_zip_with_a_benign_pickle(
    hub: FakeHub, http: httpx.AsyncClient
) -> None:
    scan = await _scan(hub, http, BERT, "pytorch_model.bin")
    assert scan.format == "pytorch-zip"
    assert scan.verdict is ImportVerdict.SAFE, scan
    assert scan.members[:2] == ("archive/data.pkl", "archive/byteorder")
    assert scan.members[-1] == "archive/version"
    assert {str(g) for g in scan.imports} == {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage",
    }


@pytest.mark.parametrize(
    ("repo_id", "paths"),
    [
        (BERT, ["model.safetensors"]),
        (LLAMA, ["model.safetensors"]),
        (MISTRAL, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]),
        ("patrickjohncyh/fashion-clip", ["model.safetensors"]),  # F32 and I64
        ("arnir0/Tiny-LLM", ["model.safetensors"]),  # 1 KB of header room
    ],
)
async def test_root_safetensors_headers_add_up_to_the_listing(
    repo_id: str, paths: list[str], hub: FakeHub, http: httpx.AsyncClient
) -> None:
    counts: dict[str, int] = {}
    for path in paths:
        scan = await _scan(hub, http, repo_id, path)
        assert scan.problems == (), (path, scan.problems)
        for dtype, n in scan.dtypes:
            counts[dtype] = counts.get(dtype, 0) + n
    assert counts == _info(repo_id)["safetensors"]["parameters"]


def test_every_famous_model_safetensors_agrees_with_its_listing() -> None:
    """Read from the store (no HTTP): the headers of every generated root safetensors file
    sum to the listing's parameters per dtype, and each header names distinct tensors."""
    store = HfStore(DEFAULT_FIXTURES)
    checked = 0
    for (kind, repo_id), repo in store.repos.items():
        listed = (repo.info.get("safetensors") or {}).get("parameters")
        shards = [p for p, s in repo.siblings.items() if "lfs" in s and p.endswith(".safetensors")]
        if kind != "model" or not listed or not shards or repo.shipped(shards[0]):
            continue
        counts: dict[str, int] = {}
        names: set[str] = set()
        for path in shards:
            obj = store.lfs_objects[repo.siblings[path]["lfs"]["sha256"]]
            (length,) = struct.unpack("<Q", obj.read(0, 8))
            header = json.loads(obj.read(8, 8 + length))
            header.pop("__metadata__")
            assert names.isdisjoint(header), repo_id
            names |= header.keys()
            end = max(t["data_offsets"][1] for t in header.values())
            assert 8 + length + end == obj.size, (repo_id, path)
            for t in header.values():
                count = 1
                for dim in t["shape"]:
                    count *= dim
                counts[t["dtype"]] = counts.get(t["dtype"], 0) + count
        assert counts == listed, repo_id
        checked += 1
    assert checked >= 15


async def test_a_multi_gb_shard_is_a_zip64_checkpoint_read_in_kilobytes(
    hub: FakeHub, http: httpx.AsyncClient
) -> None:
    path = "pytorch_model-00001-of-00002.bin"  # 9.9 GB: offsets past 4 GiB
    hub.clear_requests()
    scan = await _scan(hub, http, MISTRAL, path)
    assert scan.format == "pytorch-zip"
    assert scan.verdict is ImportVerdict.SAFE, scan
    assert "torch.BFloat16Storage" in {str(g) for g in scan.imports}  # the listing's dtype
    assert scan.bytes_read < 128 * 1024
    assert hub.served_bytes("/cdn-lfs/") == scan.bytes_read


def test_python_zipfile_reads_a_generated_checkpoint_and_its_crcs_hold() -> None:
    """The zip is sound beyond what the scanner reads: Python's zipfile finds every member
    through the ZIP64 records and the CRC-32 of each filler storage is right."""
    store = HfStore(DEFAULT_FIXTURES)
    repo = store.repos["model", "caidas/swin2SR-lightweight-x2-64"]
    obj = store.lfs_objects[repo.siblings["pytorch_model.bin"]["lfs"]["sha256"]]
    with zipfile.ZipFile(io.BytesIO(obj.read(0, obj.size))) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        pickle = archive.read("archive/data.pkl")
        assert archive.read("archive/byteorder") == b"little"
        assert archive.read("archive/version") == b"3\n"
    storages = [n for n in names if n.startswith("archive/data/")]
    assert storages == sorted(storages)  # keys as strings, as torch sorts them
    ops = [op.name for op, _, _ in pickletools.genops(pickle)]
    assert ops.count("BINPERSID") == len(storages)
    assert ops[-1] == "STOP"


def test_filler_crc_is_zlib_crc32() -> None:
    block = hashlib.shake_256(b"crc").digest(4096)
    for length in (0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 100_000):
        assert filler_crc(block, length) == zlib.crc32(filler_slice(block, 0, length)), length
    a, b = b"hello ", b"world"
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("size", [600, 40_000, 4_197_577, 5_000_000_000])
def test_a_generated_checkpoint_is_exactly_its_size(size: int) -> None:
    block = b"\x5a" * 4096
    layout = Layout(filled_torch_zip(size, "F32", 8, block), block)
    assert layout.size == size
    assert layout.read(size - 22, size)[:4] == b"PK\x05\x06"


async def test_other_formats_start_as_theirs_do(hub: FakeHub, http: httpx.AsyncClient) -> None:
    onnx = await _scan(hub, http, BERT, "model.onnx")
    assert (onnx.format, onnx.problems) == ("onnx", ())
    h5 = await _reader(http, f"{hub.url}/{BERT}/resolve/main/tf_model.h5")(0, 8)
    assert h5 == b"\x89HDF\r\n\x1a\n"
    size = 1_000_000
    layout = Layout(gguf_parts(size) or [], b"\0" * 64)

    async def read(start: int, end: int) -> bytes:
        return layout.read(start, end)

    gguf = await scan_weights("model.gguf", size, read, limit=LIMIT)
    assert (layout.size, gguf.format, gguf.problems) == (size, "gguf", ())


def test_a_head_builds_nothing() -> None:
    with FakeHub() as fresh:
        store = fresh.hf.store
        repo = store.repos["model", MISTRAL]
        obj: LfsObject = store.lfs_objects[
            repo.siblings["pytorch_model-00001-of-00002.bin"]["lfs"]["sha256"]
        ]
        got = httpx.head(f"{fresh.hf.cdn_url}/cdn-lfs/{obj.sha256}")
        assert int(got.headers["content-length"]) == obj.size
        assert "layout" not in vars(obj)  # built on first read, never for a HEAD
        httpx.get(f"{fresh.hf.cdn_url}/cdn-lfs/{obj.sha256}", headers={"Range": "bytes=-22"})
        assert "layout" in vars(obj)


# -- the safety fixtures ----------------------------------------------------------------------


async def test_benign_torch_is_safe(hub: FakeHub, http: httpx.AsyncClient) -> None:
    scan = await _scan(hub, http, "tmr-fixtures/benign-torch", "pytorch_model.bin")
    assert (scan.format, scan.verdict, scan.problems) == ("pytorch-zip", ImportVerdict.SAFE, ())


async def test_pickle_rce_is_dangerous(hub: FakeHub, http: httpx.AsyncClient) -> None:
    scan = await _scan(hub, http, "tmr-fixtures/pickle-rce", "pytorch_model.bin")
    assert scan.format == "pytorch-zip"
    assert scan.verdict is ImportVerdict.DANGEROUS
    dangerous = {str(g) for g in scan.imports if g.verdict is ImportVerdict.DANGEROUS}
    assert dangerous & {"posix.system", "os.system"}


async def test_legacy_pickle_rce_is_dangerous(hub: FakeHub, http: httpx.AsyncClient) -> None:
    scan = await _scan(hub, http, "tmr-fixtures/legacy-pickle-rce", "model.pt")
    assert scan.format == "pickle"
    assert scan.verdict is ImportVerdict.DANGEROUS
    assert "__builtin__.exec" in {str(g) for g in scan.imports}


async def test_bad_safetensors_has_problems(hub: FakeHub, http: httpx.AsyncClient) -> None:
    scan = await _scan(hub, http, "tmr-fixtures/bad-safetensors", "model.safetensors")
    assert scan.format == "safetensors"
    assert scan.verdict is ImportVerdict.SUSPICIOUS
    assert any("starts at 512" in p for p in scan.problems), scan.problems
    assert any("tensors end at 2560, the data at 1536" in p for p in scan.problems)


async def test_safetensors_only_is_safe(hub: FakeHub, http: httpx.AsyncClient) -> None:
    scan = await _scan(hub, http, "tmr-fixtures/safetensors-only", "model.safetensors")
    assert (scan.verdict, scan.problems, scan.parameters) == (ImportVerdict.SAFE, (), 4096)
    names = {s["rfilename"] for s in _info("tmr-fixtures/safetensors-only")["siblings"]}
    assert not any(n.endswith((".bin", ".pt", ".pth", ".ckpt", ".pkl")) for n in names)


async def test_big_checkpoint_scans_in_under_a_mib_and_the_hub_counts_it(
    hub: FakeHub, http: httpx.AsyncClient
) -> None:
    repo_id, path = "tmr-fixtures/big-checkpoint", "pytorch_model.bin"
    assert _size(repo_id, path) == 3_000_000_000
    hub.clear_requests()
    scan = await _scan(hub, http, repo_id, path)
    assert (scan.format, scan.verdict) == ("pytorch-zip", ImportVerdict.SAFE)
    served = hub.served_bytes("/cdn-lfs/")
    assert served == scan.bytes_read
    assert served < MIB


async def test_served_bytes_counts_a_ranged_read_exactly(
    hub: FakeHub, http: httpx.AsyncClient
) -> None:
    hub.clear_requests()
    url = f"{hub.url}/{BERT}/resolve/main/model.safetensors"
    assert len(await _reader(http, url)(100, 1124)) == 1024
    assert hub.served_bytes("/cdn-lfs/") == 1024
    redirect = hub.served_bytes(f"/{BERT}/resolve/")  # the 302's short body
    assert redirect > 0
    assert hub.served_bytes() == 1024 + redirect
    await http.head(url)
    assert hub.served_bytes("/cdn-lfs/") == 1024  # a HEAD sends no body
    hub.clear_requests()
    assert hub.served_bytes() == 0


def test_the_shipped_fixtures_are_what_the_generator_writes() -> None:
    for repo in checkpoints.repos():
        for path, data in repo.files.items():
            assert (FIXTURES / repo.name / "files" / path).read_bytes() == data, path
            assert len(data) < 64 * 1024, path  # weights too large to ship are generated


def test_shipped_lfs_files_hash_to_their_listing() -> None:
    """Every tmr-fixtures LFS file the fixtures ship matches its listed sha256 and size,
    except tiny-bert-corrupt's, which is damaged on purpose."""
    for info_path in sorted(FIXTURES.glob("*/info.json")):
        info = json.loads(info_path.read_text())
        for s in info["siblings"]:
            shipped = info_path.parent / "files" / s["rfilename"]
            if "lfs" not in s or not shipped.is_file() or info_path.parent.name.endswith("corrupt"):
                continue
            data = shipped.read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (
                s["lfs"]["sha256"],
                s["lfs"]["size"],
            ), shipped


def test_the_malicious_pickles_are_bytes_walked_never_loaded() -> None:
    """What the payloads are, read with pickletools: GLOBAL opcodes naming the call."""
    legacy = (FIXTURES / "legacy-pickle-rce/files/model.pt").read_bytes()
    assert legacy.startswith(b"\x80\x02")
    stream = io.BytesIO(legacy)
    pickles = [list(pickletools.genops(stream)) for _ in range(5)]  # torch's legacy layout
    assert pickles[0][1][0].name == "GLOBAL"
    assert pickles[0][1][1] == "__builtin__ exec"
    assert pickles[1][1][1] == 1001  # the legacy protocol version
    with zipfile.ZipFile(FIXTURES / "pickle-rce/files/pytorch_model.bin") as archive:
        data = archive.read("archive/data.pkl")
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    globals_ = [arg for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"]
    assert globals_[0] == "posix system"
