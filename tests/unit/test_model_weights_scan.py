"""A model's weight files within one budget: pickled formats first, the worst file decides, and
files the budget did not reach make the model suspicious rather than safe."""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

from app.mirror.entities import RepoFile
from app.safety.imports import ImportVerdict
from app.safety.service import WAVE, ScanBudget, scan_model_weights
from app.safety.weights import RangeReader


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("true",)


def _zip(state: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
    return out.getvalue()


def _files(contents: dict[str, bytes]) -> tuple[list[RepoFile], dict[str, RangeReader]]:
    listed = [RepoFile(path, len(data), None, None) for path, data in contents.items()]

    def reader(data: bytes) -> RangeReader:
        async def read(start: int, end: int) -> bytes:
            return data[start:end]

        return read

    return listed, {path: reader(data) for path, data in contents.items()}


async def test_the_worst_file_decides_and_card_files_are_not_read() -> None:
    files, readers = _files(
        {
            "config.json": b"{}",
            "pytorch_model.bin": _zip(collections.OrderedDict(w=bytearray(4))),
            "extra/evil.pt": _zip({"x": _Payload()}),
        }
    )
    scan = await scan_model_weights(files, readers.__getitem__)
    assert [f.path for f in scan.files] == ["extra/evil.pt", "pytorch_model.bin"]
    assert scan.verdict is ImportVerdict.DANGEROUS
    assert scan.bytes_read > 0


async def test_files_past_the_budget_are_listed_unread_and_not_called_safe() -> None:
    state = collections.OrderedDict(w=bytearray(4))
    files, readers = _files({"a.bin": _zip(state), "b.bin": _zip(state)})
    scan = await scan_model_weights(
        files, readers.__getitem__, ScanBudget(model_bytes=1, file_bytes=1)
    )
    assert scan.unread == ("a.bin", "b.bin")  # no share of one byte to give either
    assert scan.verdict is ImportVerdict.SUSPICIOUS
    assert scan.bytes_read == 0


async def test_files_are_read_in_waves_within_the_model_budget() -> None:
    state = collections.OrderedDict(w=bytearray(4))
    contents = {f"shard-{i:02}.bin": _zip(state) for i in range(2 * WAVE + 1)}
    files, readers = _files(contents)
    size = len(next(iter(contents.values())))
    enough = ScanBudget(model_bytes=len(contents) * 4 * size, file_bytes=4 * size)
    scan = await scan_model_weights(files, readers.__getitem__, enough)
    assert [f.path for f in scan.files] == sorted(contents)
    assert scan.verdict is ImportVerdict.SAFE
    # one wave's worth: the first wave reads, the rest find nothing left to share
    tight = ScanBudget(model_bytes=WAVE * size, file_bytes=4 * size)
    scan = await scan_model_weights(files, readers.__getitem__, tight)
    assert scan.bytes_read <= tight.model_bytes
    assert len(scan.unread) == len(contents) - WAVE
    assert scan.verdict is ImportVerdict.SUSPICIOUS
