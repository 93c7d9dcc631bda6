"""Weight files read by byte ranges within a budget: a PyTorch zip checkpoint's pickles found
through its central directory (a benign one safe, one whose pickle calls ``os.system``
dangerous, neither ever unpickled), a multi-GB checkpoint read in a few KB, and safetensors
headers checked against the data they describe."""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from app.safety.imports import ImportVerdict
from app.safety.weights import FIRST_HEADER_READ, RangeReader, scan_weights

LIMIT = 4 * 1024 * 1024


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def checkpoint(state: object, *, padding: int = 0) -> bytes:
    """A zip laid out as ``torch.save`` writes it: stored members under ``archive/``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
        archive.writestr("archive/byteorder", b"little")
        if padding:
            archive.writestr("archive/data/0", b"\0" * padding)
        archive.writestr("archive/version", b"3\n")
    return out.getvalue()


class Reader:
    """Serves byte ranges of a file and counts them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = 0

    async def __call__(self, start: int, end: int) -> bytes:
        self.read += end - start
        return self.data[start:end]


async def test_a_benign_checkpoint_is_safe() -> None:
    data = checkpoint(collections.OrderedDict(weight=bytearray(8)))
    scan = await scan_weights("pytorch_model.bin", len(data), Reader(data), limit=LIMIT)
    assert scan.format == "pytorch-zip"
    assert "archive/data.pkl" in scan.members
    assert scan.verdict is ImportVerdict.SAFE, scan


async def test_a_checkpoint_whose_pickle_runs_a_command_is_dangerous(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = checkpoint({"model": _Payload(marker)})
    scan = await scan_weights("model.pt", len(data), Reader(data), limit=LIMIT)
    assert scan.verdict is ImportVerdict.DANGEROUS
    assert any(g.name == "system" for g in scan.imports), scan.imports
    assert not marker.exists()


async def test_a_large_checkpoint_costs_its_directory_and_pickle_only() -> None:
    """100 MB of tensor data in the zip: only its tail, directory and data.pkl are read."""
    data = checkpoint(collections.OrderedDict(weight=bytearray(8)), padding=100_000_000)
    reader = Reader(data)
    scan = await scan_weights("pytorch_model.bin", len(data), reader, limit=LIMIT)
    assert scan.verdict is ImportVerdict.SAFE
    assert reader.read == scan.bytes_read < 100_000  # the tail, the directory, one pickle


async def test_a_legacy_pickle_is_read_from_its_start_within_the_budget() -> None:
    data = pickle.dumps({"state": collections.OrderedDict(a=1)}, protocol=2) + b"\0" * 10_000
    scan = await scan_weights("model.pkl", len(data), Reader(data), limit=LIMIT)
    assert scan.format == "pickle"
    assert scan.verdict is ImportVerdict.SAFE
    small = await scan_weights("model.pkl", len(data), Reader(data), limit=16)
    assert small.verdict is ImportVerdict.SUSPICIOUS  # not read to its end: not called safe
    assert small.bytes_read <= 16


async def test_every_pickle_of_a_legacy_checkpoint_is_walked(tmp_path: Path) -> None:
    """``torch.save``'s legacy format writes five pickles before the storage bytes; a payload
    in the state's pickle (the fourth) is found, not only what the first imports."""
    magic, version, info = 0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}
    state = {"weight": _Payload(tmp_path / "ran")}
    pickles = [magic, version, info, state, ["0"]]
    data = b"".join(pickle.dumps(p, protocol=2) for p in pickles) + b"\x80" + b"\0" * 64
    scan = await scan_weights("model.pt", len(data), Reader(data), limit=LIMIT)
    assert scan.verdict is ImportVerdict.DANGEROUS
    assert "posix.system" in {str(g) for g in scan.imports}
    assert not scan.problems  # the storage bytes after the fifth pickle are not walked
    assert not (tmp_path / "ran").exists()


def safetensors(tensors: dict[str, tuple[str, list[int], tuple[int, int]]], data: int) -> bytes:
    header = {
        name: {"dtype": dtype, "shape": shape, "data_offsets": list(offsets)}
        for name, (dtype, shape, offsets) in tensors.items()
    }
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * data


async def test_a_valid_safetensors_header_counts_its_parameters() -> None:
    data = safetensors({"a": ("F32", [2, 3], (0, 24)), "b": ("F16", [4], (24, 32))}, 32)
    scan = await scan_weights("model.safetensors", len(data), Reader(data), limit=LIMIT)
    assert scan.problems == ()
    assert scan.parameters == 10
    assert scan.verdict is ImportVerdict.SAFE


@pytest.mark.parametrize(
    ("tensors", "data", "problem"),
    [
        ({"a": ("F32", [2, 3], (0, 24)), "b": ("F32", [2], (16, 24))}, 24, "starts at 16"),
        ({"a": ("F32", [2, 3], (0, 20))}, 20, "20 bytes for F32"),
        ({"a": ("F32", [2], (0, 8))}, 64, "the data at 64"),
        ({"a": ("Q9", [2], (0, 8))}, 8, "unreadable dtype"),
    ],
    ids=["overlapping", "size and shape disagree", "data past the tensors", "unknown dtype"],
)
async def test_a_broken_safetensors_header_is_named(
    tensors: dict[str, tuple[str, list[int], tuple[int, int]]], data: int, problem: str
) -> None:
    raw = safetensors(tensors, data)
    scan = await scan_weights("model.safetensors", len(raw), Reader(raw), limit=LIMIT)
    assert any(problem in p for p in scan.problems), scan.problems
    assert scan.verdict is ImportVerdict.SUSPICIOUS


async def test_a_header_longer_than_its_file_is_refused_without_reading_it() -> None:
    raw = struct.pack("<Q", 10**12) + b"{}" + bytes(2 * FIRST_HEADER_READ)
    reader: RangeReader = Reader(raw)
    scan = await scan_weights("model.safetensors", len(raw), reader, limit=LIMIT)
    assert scan.problems == ("header longer than the file",)
    assert scan.bytes_read == FIRST_HEADER_READ  # the first read only
