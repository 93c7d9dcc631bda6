"""What a weight file holds that matters for trusting it, read by byte ranges and never whole:
the pickles inside a PyTorch zip checkpoint (found through the zip's central directory, at the
end of the file), the start of a legacy pickle, the header of a safetensors file. Every read
goes through a ``RangeReader`` and counts against a budget, so a multi-GB checkpoint costs a
few hundred KB."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeGuard

from app.safety.imports import ImportVerdict
from app.safety.pickles import LEGACY_PICKLES, ImportedGlobal, PickleScan, scan_pickle

#: Bytes ``[start, end)`` of the file.
RangeReader = Callable[[int, int], Awaitable[bytes]]

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
#: The end-of-central-directory record (22 bytes) and the longest comment it may carry; first
#: a short tail, which holds the record (and ZIP64's locator and record) when there is no comment.
_TAIL = 22 + 0xFFFF
_SHORT_TAIL = 1024
#: Read past a member's expected end with its local header, in case its extra field is longer.
_LOCAL_SLACK = 64
_STORED = 0
#: A 32-bit field that says "see the ZIP64 record".
_ZIP64 = 0xFFFFFFFF
_ZIP64_EXTRA = 1
#: A safetensors file begins with its header's length, 8 bytes; the first read takes this
#: much, which holds the whole header of most files.
_LENGTH_BYTES = 8
FIRST_HEADER_READ = 64 * 1024
_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


class BudgetExceededError(Exception):
    """The file needs more bytes read than its budget allows."""


@dataclass
class Budget:
    """What one file may read, and what it has."""

    limit: int
    spent: int = 0

    @property
    def left(self) -> int:
        return self.limit - self.spent

    async def read(self, reader: RangeReader, start: int, end: int) -> bytes:
        if self.spent + (end - start) > self.limit:
            raise BudgetExceededError(f"reading {end - start} bytes would pass {self.limit}")
        data = await reader(start, end)
        self.spent += len(data)
        return data


@dataclass(frozen=True, slots=True)
class WeightsScan:
    path: str
    format: str  # pytorch-zip | pickle | safetensors | unknown
    bytes_read: int
    imports: tuple[ImportedGlobal, ...] = ()
    #: What is wrong with the file's structure, or why it could not be read far enough.
    problems: tuple[str, ...] = ()
    #: Tensor parameters counted from a safetensors header, and per dtype.
    parameters: int | None = None
    dtypes: tuple[tuple[str, int], ...] = ()
    members: tuple[str, ...] = field(default=())
    #: The file needed more than its budget: what it says is only what was read.
    over_budget: bool = False

    @property
    def verdict(self) -> ImportVerdict:
        found = {g.verdict for g in self.imports}
        if ImportVerdict.DANGEROUS in found:
            return ImportVerdict.DANGEROUS
        if ImportVerdict.SUSPICIOUS in found or self.problems:
            return ImportVerdict.SUSPICIOUS
        return ImportVerdict.SAFE


#: Formats whose loading unpickles: their imports are what is checked.
PICKLED_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl"})
_GGUF = b"GGUF"
_GGUF_VERSIONS = frozenset({1, 2, 3})
#: The smallest a GGUF tensor description or metadata pair can be: a name (8-byte length and at
#: least one byte) and its type; counts that could not fit in the file are not believed.
_GGUF_MIN_ENTRY = 13
#: An ONNX model is a protobuf ModelProto whose first field is ``ir_version`` (field 1, varint).
_ONNX_IR_TAG = 0x08
_ONNX_MAX_IR_VERSION = 64


async def scan_weights(path: str, size: int, read: RangeReader, *, limit: int) -> WeightsScan:
    """The file at ``path`` (``size`` bytes), read through ``read`` within ``limit`` bytes.
    Formats with nothing checked here (HDF5, msgpack, ...) are not read at all."""
    suffix = PurePosixPath(path).suffix.lower()
    inspect = _INSPECTORS.get(suffix, _pickled if suffix in PICKLED_SUFFIXES else None)
    if inspect is None:
        return WeightsScan(path, "not inspected", 0)
    budget = Budget(limit)
    try:
        return await inspect(path, size, read, budget)
    except BudgetExceededError as exc:
        return WeightsScan(path, "unknown", budget.spent, problems=(str(exc),), over_budget=True)


async def _pickled(path: str, size: int, read: RangeReader, budget: Budget) -> WeightsScan:
    # The end first: a zip checkpoint (most of them) is then read in two or three requests.
    tail_start = max(0, size - _SHORT_TAIL)
    tail = await budget.read(read, tail_start, size)
    at = tail.rfind(_EOCD)
    if at >= 0:
        return await _torch_zip(path, size, read, budget, (tail_start, tail, at))
    head = tail[:4] if tail_start == 0 else await budget.read(read, 0, min(4, size))
    if head == _LOCAL:  # a zip whose comment pushed its end record further up
        return await _torch_zip(path, size, read, budget, await _end_record(size, read, budget))
    if head[:1] != b"\x80":  # the PROTO opcode: a pickle from its first byte
        # Neither a zip nor a pickle (Core ML or OpenVINO weights, GGML): torch.load refuses
        # it and nothing unpickles it, so loading it cannot run code.
        return WeightsScan(path, "not pickled", budget.spent)
    data = tail if tail_start == 0 else await budget.read(read, 0, min(size, budget.left))
    scan = scan_pickle(data, pickles=LEGACY_PICKLES)
    problems = (
        () if scan.incomplete is None else (f"pickle not read to its end: {scan.incomplete}",)
    )
    return WeightsScan(path, "pickle", budget.spent, scan.imports, problems)


async def _gguf(path: str, size: int, read: RangeReader, budget: Budget) -> WeightsScan:
    """Magic, version, and tensor and metadata counts that fit in the file."""
    header = await budget.read(read, 0, min(24, size))
    if len(header) < 24 or header[:4] != _GGUF:  # noqa: PLR2004 - the fixed header
        return WeightsScan(path, "gguf", budget.spent, problems=("no GGUF magic",))
    (version,) = struct.unpack_from("<I", header, 4)
    if version not in _GGUF_VERSIONS:
        return WeightsScan(
            path, "gguf", budget.spent, problems=(f"unknown GGUF version {version}",)
        )
    if version == 1:  # 32-bit counts
        tensors, pairs = struct.unpack_from("<II", header, 8)
    else:
        tensors, pairs = struct.unpack_from("<QQ", header, 8)
    problems: tuple[str, ...] = ()
    if (tensors + pairs) * _GGUF_MIN_ENTRY > size:
        problems = (f"{tensors} tensors and {pairs} metadata entries cannot fit in {size} bytes",)
    return WeightsScan(path, "gguf", budget.spent, problems=problems)


async def _onnx(path: str, size: int, read: RangeReader, budget: Budget) -> WeightsScan:
    """An ONNX model starts with its IR version: a varint field 1 of a small number."""
    head = await budget.read(read, 0, min(11, size))
    if len(head) < 2 or head[0] != _ONNX_IR_TAG:  # noqa: PLR2004 - a tag and a value
        return WeightsScan(
            path, "onnx", budget.spent, problems=("does not start with an IR version",)
        )
    version, shift = 0, 0
    for byte in head[1:]:
        version |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if not 1 <= version <= _ONNX_MAX_IR_VERSION:
        return WeightsScan(path, "onnx", budget.spent, problems=(f"IR version {version}",))
    return WeightsScan(path, "onnx", budget.spent)


async def _torch_zip(
    path: str, size: int, read: RangeReader, budget: Budget, end: tuple[int, bytes, int]
) -> WeightsScan:
    tail_start, tail, at = end
    if at < 0:
        return WeightsScan(
            path, "pytorch-zip", budget.spent, problems=("no zip directory at the end",)
        )
    cd_size, cd_offset = struct.unpack_from("<II", tail, at + 12)
    if _ZIP64 in (cd_size, cd_offset):
        cd_size, cd_offset = await _zip64_directory(tail, at, tail_start, read, budget)
    if cd_offset + cd_size > size:
        return WeightsScan(
            path, "pytorch-zip", budget.spent, problems=("zip directory outside the file",)
        )
    if cd_offset >= tail_start:  # a small archive's directory came with its tail
        directory = tail[cd_offset - tail_start : cd_offset - tail_start + cd_size]
    else:
        directory = await budget.read(read, cd_offset, cd_offset + cd_size)
    imports: dict[str, ImportedGlobal] = {}
    problems: list[str] = []
    members: list[str] = []
    for member in _entries(directory):
        members.append(member.name)
        if not member.name.endswith(".pkl"):
            continue
        scan = await _member(read, budget, size, member)
        if isinstance(scan, str):
            problems.append(f"{member.name}: {scan}")
            continue
        if scan.incomplete is not None:
            problems.append(f"{member.name}: {scan.incomplete}")
        imports.update({str(g): g for g in scan.imports})
    if not any(m.endswith("data.pkl") for m in members):
        problems.append("no data.pkl: not a PyTorch checkpoint")
    return WeightsScan(
        path,
        "pytorch-zip",
        budget.spent,
        tuple(imports.values()),
        tuple(problems),
        members=tuple(members),
    )


@dataclass(frozen=True, slots=True)
class _Member:
    """A zip member as the central directory lists it."""

    name: str
    compression: int
    length: int  # compressed size
    local: int  # where its local header starts
    extra: int  # the directory's extra field length


async def _member(read: RangeReader, budget: Budget, size: int, m: _Member) -> PickleScan | str:
    """A member's pickle, walked; or what keeps it from being read."""
    if m.compression != _STORED:
        return "compressed: not a checkpoint torch writes"
    local, length = m.local, m.length
    # The local header, then the pickle, in one read: its extra field is usually the
    # directory's (torch pads it to align data), and a little more is read in case.
    guess = min(size, local + 30 + len(m.name.encode()) + m.extra + length + _LOCAL_SLACK)
    chunk = await budget.read(read, local, max(local + 30, guess))
    if chunk[:4] != _LOCAL:
        return "no local header where the directory points"
    name_length, extra_length = struct.unpack_from("<HH", chunk, 26)
    start = 30 + name_length + extra_length
    if start + length > len(chunk):
        chunk += await budget.read(read, local + len(chunk), local + start + length)
    return scan_pickle(chunk[start : start + length])


async def _end_record(size: int, read: RangeReader, budget: Budget) -> tuple[int, bytes, int]:
    """Where the file's tail starts, the tail, and where the end record is in it (-1: none)."""
    tail_start = max(0, size - _SHORT_TAIL)
    tail = await budget.read(read, tail_start, size)
    at = tail.rfind(_EOCD)
    if at < 0 and tail_start > 0:  # a comment pushed the record further up
        tail_start = max(0, size - _TAIL)
        tail = await budget.read(read, tail_start, size)
        at = tail.rfind(_EOCD)
    return tail_start, tail, at


async def _zip64_directory(
    tail: bytes, eocd: int, tail_start: int, read: RangeReader, budget: Budget
) -> tuple[int, int]:
    locator = tail.rfind(_EOCD64_LOCATOR, 0, eocd)
    if locator < 0:
        raise BudgetExceededError("a ZIP64 archive without its locator")
    (record_offset,) = struct.unpack_from("<Q", tail, locator + 8)
    if record_offset >= tail_start:
        record = tail[record_offset - tail_start :]
    else:
        record = await budget.read(read, record_offset, record_offset + 56)
    cd_size, cd_offset = struct.unpack_from("<QQ", record, 40)
    return int(cd_size), int(cd_offset)


def _entries(directory: bytes) -> list[_Member]:
    """The members the central directory lists."""
    found = []
    at = 0
    while directory[at : at + 4] == _CENTRAL:
        (method,) = struct.unpack_from("<H", directory, at + 10)
        compressed, _ = struct.unpack_from("<II", directory, at + 20)
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", directory, at + 28)
        (local,) = struct.unpack_from("<I", directory, at + 42)
        name = directory[at + 46 : at + 46 + name_length].decode("utf-8", "replace")
        extra = directory[at + 46 + name_length : at + 46 + name_length + extra_length]
        compressed, local = _zip64_sizes(extra, compressed, local)
        found.append(_Member(name, method, compressed, local, extra_length))
        at += 46 + name_length + extra_length + comment_length
    return found


def _zip64_sizes(extra: bytes, compressed: int, local: int) -> tuple[int, int]:
    """Sizes and offset a ZIP64 extra field carries instead of the 32-bit ones."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == _ZIP64_EXTRA:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            if compressed == _ZIP64 and values:  # uncompressed size comes first
                values.pop(0)
                compressed = values.pop(0) if values else compressed
            if local == _ZIP64 and values:
                local = values[-1]
        at += 4 + length
    return compressed, local


async def _safetensors(path: str, size: int, read: RangeReader, budget: Budget) -> WeightsScan:
    if size < _LENGTH_BYTES:
        return WeightsScan(path, "safetensors", 0, problems=("shorter than its header length",))
    # Most headers (tens of KB) come with the first read; a longer one costs a second.
    first = await budget.read(read, 0, min(size, FIRST_HEADER_READ))
    (length,) = struct.unpack_from("<Q", first)
    if _LENGTH_BYTES + length > size:
        return WeightsScan(
            path, "safetensors", budget.spent, problems=("header longer than the file",)
        )
    end = _LENGTH_BYTES + length
    text = first[_LENGTH_BYTES:end]
    if end > len(first):
        text += await budget.read(read, len(first), end)
    try:
        header = json.loads(text)
    except ValueError:
        return WeightsScan(path, "safetensors", budget.spent, problems=("header is not JSON",))
    problems, dtypes = _check_tensors(header, size - 8 - length)
    return WeightsScan(
        path,
        "safetensors",
        budget.spent,
        problems=tuple(problems),
        parameters=sum(dtypes.values()),
        dtypes=tuple(sorted(dtypes.items())),
    )


def _check_tensors(header: object, data_size: int) -> tuple[list[str], dict[str, int]]:
    """Offsets contiguous from 0 to the end of the data; each span fits its dtype and shape."""
    if not isinstance(header, dict):
        return ["header is not a JSON object"], {}
    tensors = [(k, v) for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)]
    problems: list[str] = []
    dtypes: dict[str, int] = {}
    spans = []
    for name, t in tensors:
        dtype, shape, offsets = t.get("dtype"), t.get("shape"), t.get("data_offsets")
        if (
            dtype not in _DTYPE_BYTES
            or not _naturals(shape)
            or not _naturals(offsets)
            or len(offsets) != 2  # noqa: PLR2004 - begin and end
        ):
            problems.append(f"{name}: unreadable dtype, shape or offsets")
            continue
        count = math.prod(shape)
        begin, end = offsets
        if end - begin != count * _DTYPE_BYTES[dtype]:
            problems.append(f"{name}: {end - begin} bytes for {dtype} {shape}")
        dtypes[dtype] = dtypes.get(dtype, 0) + count
        spans.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            problems.append(f"{name}: starts at {begin}, not where the previous ends ({position})")
        position = max(position, end)
    if position != data_size:
        problems.append(f"tensors end at {position}, the data at {data_size}")
    return problems, dtypes


Inspector = Callable[[str, int, RangeReader, Budget], Awaitable[WeightsScan]]
_INSPECTORS: dict[str, Inspector] = {".safetensors": _safetensors, ".gguf": _gguf, ".onnx": _onnx}


def _naturals(value: object) -> TypeGuard[list[int]]:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    )
