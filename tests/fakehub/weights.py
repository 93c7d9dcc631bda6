"""What the stand-in CDN serves for a weight file the fixtures list but do not store: the file's
structure as the real format has it, with filler only where tensor data goes, exactly the listed
size. A reader that checks structure by byte ranges (a safetensors header, a torch checkpoint's
zip directory and pickle, a GGUF or ONNX start) sees a well-formed file of its kind, as it would
on the real hub; only the sha256 differs, as it always did with filler.

An object is a `Layout`: a list of parts, each either bytes (headers, pickles, zip records) or a
run of filler (tensor data). Parts are built when the object is first read, never for a `HEAD`,
and hold only headers: a slice of a multi-GB shard is cut from the parts it overlaps.

Everything written here is bytes for a reader to inspect; nothing in the fake hub unpickles.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

#: Bytes (a header, a pickle, a zip record) or that many bytes of filler (tensor data).
Part = bytes | int
#: Builds an object's parts from its listed size and its filler block.
Recipe = Callable[[int, bytes], list[Part]]

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip
#: The typed storage torch names in a checkpoint's persistent ids, per safetensors dtype.
TORCH_STORAGES = {
    "F32": "FloatStorage",
    "F16": "HalfStorage",
    "BF16": "BFloat16Storage",
    "F64": "DoubleStorage",
    "I64": "LongStorage",
    "I32": "IntStorage",
    "I16": "ShortStorage",
    "I8": "CharStorage",
    "U8": "ByteStorage",
    "BOOL": "BoolStorage",
}
_FLOATS = frozenset({"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"})


# -- layouts --------------------------------------------------------------------------------


class Layout:
    """An object as parts; `read` cuts any slice from the parts it overlaps. A filler run
    repeats the object's block from the run's own start."""

    def __init__(self, parts: Sequence[Part], block: bytes) -> None:
        self.parts = list(parts)
        self.block = block
        self.starts = [0, *itertools.accumulate(_length(p) for p in self.parts)]

    @property
    def size(self) -> int:
        return self.starts[-1]

    def read(self, start: int, end: int) -> bytes:
        start, end = max(start, 0), min(end, self.size)
        out = []
        # bisect_right skips empty parts that start where the slice does
        at = bisect.bisect_right(self.starts, start) - 1
        while start < end:
            part, part_start = self.parts[at], self.starts[at]
            stop = min(end, self.starts[at + 1])
            offset = start - part_start
            if isinstance(part, bytes):
                out.append(part[offset : stop - part_start])
            else:
                out.append(filler_slice(self.block, offset, stop - start))
            start = stop
            at += 1
        return b"".join(out)


def _length(part: Part) -> int:
    return len(part) if isinstance(part, bytes) else part


def filler_slice(block: bytes, offset: int, length: int) -> bytes:
    """Bytes `[offset, offset + length)` of `block` repeated without end."""
    if length <= 0:
        return b""
    at = offset % len(block)
    copies = (at + length) // len(block) + 1
    return (block * copies)[at : at + length]


# -- CRC-32 of filler, without building it ------------------------------------------------------
# A zip records each member's CRC-32; a member of filler may be GBs, so its CRC is combined from
# the block's (zlib's crc32_combine, in GF(2) polynomial arithmetic).

_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a(x) * b(x) modulo the CRC polynomial (bit-reflected, as zlib has it)."""
    m, p = 1 << 31, 0
    while m:
        if a & m:
            p ^= b
            if not a & (m - 1):
                break
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


def _x2n_table() -> list[int]:
    table = [1 << 30]  # x^1
    for _ in range(31):
        table.append(_multmodp(table[-1], table[-1]))
    return table


_X2N = _x2n_table()


def _x2nmodp(n: int, k: int) -> int:
    """x^(n * 2^k) modulo the CRC polynomial."""
    p = 1 << 31  # x^0
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from crc(A), crc(B) and len(B)."""
    return _multmodp(_x2nmodp(length2, 3), crc1) ^ crc2


@functools.lru_cache(maxsize=256)
def filler_crc(block: bytes, length: int) -> int:
    """`zlib.crc32(filler_slice(block, 0, length))` in O(log length) steps."""
    whole, rest = divmod(length, len(block))
    unit, unit_length, crc = zlib.crc32(block), len(block), 0
    while whole:
        if whole & 1:
            crc = crc32_combine(crc, unit, unit_length)
        unit = crc32_combine(unit, unit, unit_length)
        unit_length *= 2
        whole >>= 1
    return crc32_combine(crc, zlib.crc32(block[:rest]), rest)


# -- tensors ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tensor:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * DTYPE_BYTES[self.dtype]


def plan_shapes(count: int, pieces: int) -> list[tuple[int, ...]]:
    """About `pieces` shapes whose element counts sum to `count`: matrices of one width (a power
    of two, as hidden sizes are), then what is left as a narrower matrix and a vector."""
    if count <= 0:
        return []
    per = max(1, count // max(1, pieces))
    cols = min(4096, 1 << (max(1, math.isqrt(per)).bit_length() - 1))
    rows = per // cols
    shapes: list[tuple[int, ...]] = [(rows, cols)] * (count // (rows * cols))
    rest = count - len(shapes) * rows * cols
    if rest >= cols:
        shapes.append((rest // cols, cols))
    if rest % cols:
        shapes.append((rest % cols,))
    return shapes


def filling_shapes(estimate: int, pieces: int) -> Callable[[int], list[tuple[int, ...]]]:
    """Shapes for a file filled to an exact size, as a function of the element count: always
    `pieces` matrices of one width (chosen from `estimate`) and a vector of what is left, so a
    count a little larger or smaller changes only dimensions, never how many tensors there
    are (which would move the file's size by a whole record)."""
    per = max(1, estimate // pieces)
    cols = min(4096, 1 << (max(1, math.isqrt(per)).bit_length() - 1))

    def shapes(count: int) -> list[tuple[int, ...]]:
        rows = max(0, count - 1) // (pieces * cols)  # the vector keeps at least one element
        rest = count - pieces * rows * cols
        return ([(rest,)] if rest else []) + ([(rows, cols)] * pieces if rows else [])

    return shapes


def name_tensors(groups: Iterable[tuple[str, list[tuple[int, ...]]]], first: int) -> list[Tensor]:
    """Names as a state dict has them, numbered from `first` (shards continue the count):
    `model.layers.N.weight` for matrices, `.bias` for vectors, `model.buffers.N` for integer
    tensors (position ids and the like)."""
    out = []
    index = first
    for dtype, shapes in groups:
        for shape in shapes:
            if dtype not in _FLOATS:
                name = f"model.buffers.{index}"
            else:
                name = f"model.layers.{index}.{'weight' if len(shape) > 1 else 'bias'}"
            out.append(Tensor(name, dtype, shape))
            index += 1
    return out


# -- safetensors ------------------------------------------------------------------------------


def header_json(tensors: Sequence[Tensor]) -> bytes:
    """A safetensors JSON header, offsets contiguous in `tensors`' order."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for t in tensors:
        header[t.name] = {
            "dtype": t.dtype,
            "shape": list(t.shape),
            "data_offsets": [offset, offset + t.nbytes],
        }
        offset += t.nbytes
    return json.dumps(header, separators=(",", ":")).encode()


def safetensors_header(tensors: Sequence[Tensor], length: int | None = None) -> bytes:
    """The 8-byte header length and the JSON header, padded with spaces to `length` bytes when
    given (or to a multiple of 8, as the library writes it). Raises ValueError when the JSON is
    longer than `length`."""
    text = header_json(tensors)
    if length is None:
        length = len(text) + (-len(text) % 8)
    if len(text) > length:
        raise ValueError(f"a header of {len(text)} bytes does not fit in {length}")
    return struct.pack("<Q", length) + text.ljust(length, b" ")


def safetensors_parts(tensors: Sequence[Tensor], size: int) -> list[Part]:
    data = sum(t.nbytes for t in tensors)
    return [safetensors_header(tensors, size - 8 - data), data]


#: Most tensors a generated header holds (a large model's shard has a few hundred), and the
#: most padding it may carry: a header a few MB longer than its tensors need is not what a
#: writer makes, so counts that leave that much room are not believed.
_MAX_TENSORS = 4096
_MAX_PADDING = 64 * 1024


def fit_counts(counts: dict[str, int], budget: int, first: int) -> list[Tensor] | None:
    """Tensors holding exactly `counts` elements per dtype whose JSON header fills `budget`
    bytes as closely as tensor names allow (real headers fill theirs), or None when one tensor
    per dtype does not fit or the most tensors leave more than `_MAX_PADDING` unused."""
    total = sum(counts.values()) or 1

    def tensors(pieces: int) -> list[Tensor]:
        groups = [(d, plan_shapes(n, max(1, round(pieces * n / total)))) for d, n in counts.items()]
        return name_tensors(groups, first)

    def fits(pieces: int) -> bool:
        return len(header_json(tensors(pieces))) <= budget

    if not fits(1):
        return None
    low, high = 1, _MAX_TENSORS
    while low < high:  # the largest count that fits (the header grows with it)
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    best = tensors(low)
    return best if budget - len(header_json(best)) <= _MAX_PADDING else None


def filled_safetensors(size: int, dtype: str, pieces: int, first: int = 0) -> list[Tensor]:
    """Tensors of `dtype` that, with their header, fill a `size`-byte file (padding under a
    few bytes): for a file whose parameters the listing does not give, or cannot hold."""
    width = DTYPE_BYTES[dtype]
    count = max(0, (size - 8) // width)
    plan = filling_shapes(count, pieces)
    tensors: list[Tensor] = []
    for _ in range(64):
        tensors = name_tensors([(dtype, plan(count))], first)
        need = len(header_json(tensors))
        room = size - 8 - count * width
        if need <= room < need + width + 8 or (count == 0 and need <= room):
            return tensors
        count = max(0, count + (room - need) // width)
    return tensors


# -- pickles ----------------------------------------------------------------------------------


class PickleWriter:
    """Protocol-2 pickle opcodes, emitted the way CPython's pickler emits them for a torch
    state dict (memo puts after globals, strings and tuples; ints in their shortest form), so
    the bytes read like `torch.save`'s without torch or any object being pickled."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self._memo: dict[object, int] = {}

    def bytes(self) -> bytes:
        return bytes(self.out) + b"."  # STOP

    def _put(self, key: object) -> None:
        index = len(self._memo)
        self._memo[key] = index
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def _get(self, key: object) -> bool:
        index = self._memo.get(key)
        if index is None:
            return False
        self.out += b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
        return True

    def global_(self, module: str, name: str) -> None:
        if not self._get(("global", module, name)):
            self.out += f"c{module}\n{name}\n".encode()  # GLOBAL
            self._put(("global", module, name))

    def string(self, text: str) -> None:
        if not self._get(("str", text)):
            data = text.encode()
            self.out += b"X" + struct.pack("<I", len(data)) + data  # BINUNICODE
            self._put(("str", text))

    def int_(self, value: int) -> None:
        if 0 <= value < 1 << 8:
            self.out += b"K" + bytes([value])  # BININT1
        elif 0 <= value < 1 << 16:
            self.out += b"M" + struct.pack("<H", value)  # BININT2
        elif -(1 << 31) <= value < 1 << 31:
            self.out += b"J" + struct.pack("<i", value)  # BININT
        else:
            data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(data)]) + data  # LONG1

    def tuple_(self, items: Sequence[Callable[[], None]]) -> None:
        if not items:
            self.out += b")"  # EMPTY_TUPLE
            return
        if len(items) > 3:
            self.out += b"("  # MARK
        for item in items:
            item()
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t")
        self._put(("tuple", len(self._memo)))  # every tuple is its own object

    def ints(self, values: Sequence[int]) -> None:
        self.tuple_([functools.partial(self.int_, v) for v in values])

    def reduce(self) -> None:
        self.out += b"R"
        self._put(("object", len(self._memo)))


def state_dict_pickle(tensors: Sequence[Tensor], *, prelude: bytes = b"") -> bytes:
    """`torch.save(state_dict)`'s data.pkl: an OrderedDict whose values are rebuilt by
    `torch._utils._rebuild_tensor_v2` from storages named by persistent id
    `('storage', torch.<Type>Storage, '<key>', 'cpu', numel)`, key `i` for the i-th tensor.
    `prelude` is spliced in after the protocol opcode (opcodes that leave the stack empty)."""
    w = PickleWriter()
    w.out += prelude
    w.global_("collections", "OrderedDict")
    w.tuple_([])
    w.reduce()
    items = list(enumerate(tensors))
    for at in range(0, len(items), 1000):  # the pickler's SETITEMS batches
        batch = items[at : at + 1000]
        if len(batch) > 1:
            w.out += b"("  # MARK
        for key, t in batch:
            w.string(t.name)
            _tensor(w, t, str(key))
        w.out += b"u" if len(batch) > 1 else b"s"  # SETITEMS / SETITEM
    return w.bytes()


def _tensor(w: PickleWriter, t: Tensor, key: str) -> None:
    strides = [math.prod(t.shape[i + 1 :]) for i in range(len(t.shape))]

    def storage() -> None:
        w.tuple_(
            [
                functools.partial(w.string, "storage"),
                functools.partial(w.global_, "torch", TORCH_STORAGES[t.dtype]),
                functools.partial(w.string, key),
                functools.partial(w.string, "cpu"),
                functools.partial(w.int_, t.count),
            ]
        )
        w.out += b"Q"  # BINPERSID

    def hooks() -> None:  # backward_hooks: an empty OrderedDict
        w.global_("collections", "OrderedDict")
        w.tuple_([])
        w.reduce()

    w.global_("torch._utils", "_rebuild_tensor_v2")
    w.tuple_(
        [
            storage,
            functools.partial(w.int_, 0),
            functools.partial(w.ints, t.shape),
            functools.partial(w.ints, strides),
            lambda: w.out.extend(b"\x89"),  # NEWFALSE: requires_grad
            hooks,
        ]
    )
    w.reduce()


# -- zip (torch.save's container) -------------------------------------------------------------

_LOCAL = 0x04034B50
_CENTRAL = 0x02014B50
_EOCD = 0x06054B50
_EOCD64 = 0x06064B50
_EOCD64_LOCATOR = 0x07064B50
_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
#: torch aligns every member's data to 64 bytes with an extra field "FB" of 'Z's.
_ALIGNMENT = 64
_FB = 0x4246
_ZIP64_TAG = 1
#: 1980-01-01 00:00, the earliest DOS date (torch's writer records no meaningful time).
_DOS_TIME, _DOS_DATE = 0, 0x21


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    data: Part  # bytes, or that many bytes of filler


def zip_parts(members: Sequence[Member], block: bytes = b"", *, slack: int = 0) -> list[Part]:
    """A STORED zip as torch's writer (miniz with ZIP64 on) lays it out: each member's data
    aligned to 64 bytes, ZIP64 extra fields where a size or offset passes 32 bits, and ZIP64
    end records always (the 32-bit ones say 0xFFFFFFFF only where a value does not fit).
    `block` is the filler of filler members, for their CRC (none: CRCs left 0, when only the
    layout's size matters). `slack` extra bytes go into the last member's padding, to land on
    an exact file size."""
    parts: list[Part] = []
    central = bytearray()
    offset = 0
    for i, m in enumerate(members):
        name = m.name.encode()
        length = _length(m.data)
        if isinstance(m.data, bytes):
            crc = zlib.crc32(m.data)
        else:
            crc = filler_crc(block, length) if block else 0
        zip64 = bytearray()
        if length >= _MAX32:
            zip64 += struct.pack("<QQ", length, length)
        if offset >= _MAX32:
            zip64 += struct.pack("<Q", offset)
        local_extra = struct.pack("<HH", _ZIP64_TAG, len(zip64)) + zip64 if zip64 else b""
        start = offset + 30 + len(name) + len(local_extra) + 4
        pad = -start % _ALIGNMENT + (slack if i == len(members) - 1 else 0)
        local_extra += struct.pack("<HH", _FB, pad) + b"Z" * pad
        size32 = min(length, _MAX32)
        version = 45 if zip64 else 20
        local = struct.pack(
            "<IHHHHHIIIHH",
            _LOCAL, version, 0, 0, _DOS_TIME, _DOS_DATE, crc, size32, size32,
            len(name), len(local_extra),
        )  # fmt: skip
        parts += [local + name + local_extra, m.data]
        central_extra = bytearray()
        if length >= _MAX32:
            central_extra += struct.pack("<QQ", length, length)
        if offset >= _MAX32:
            central_extra += struct.pack("<Q", offset)
        if central_extra:
            central_extra[:0] = struct.pack("<HH", _ZIP64_TAG, len(central_extra))
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            _CENTRAL, 45, version, 0, 0, _DOS_TIME, _DOS_DATE, crc, size32, size32,
            len(name), len(central_extra), 0, 0, 0, 0, min(offset, _MAX32),
        )  # fmt: skip
        central += name + central_extra
        offset += len(local) + len(name) + len(local_extra) + length
    count = len(members)
    eocd64 = struct.pack(
        "<IQHHIIQQQQ", _EOCD64, 44, 45, 45, 0, 0, count, count, len(central), offset
    )
    locator = struct.pack("<IIQI", _EOCD64_LOCATOR, 0, offset + len(central), 1)
    eocd = struct.pack(
        "<IHHHHIIH",
        _EOCD, 0, 0, min(count, _MAX16), min(count, _MAX16),
        min(len(central), _MAX32), min(offset, _MAX32), 0,
    )  # fmt: skip
    parts.append(bytes(central) + eocd64 + locator + eocd)
    return parts


def torch_members(
    tensors: Sequence[Tensor],
    data: Sequence[Part],
    *,
    pickle: bytes | None = None,
    archive: str = "archive",
) -> list[Member]:
    """What `torch.save` writes for a state dict: data.pkl, byteorder, each storage as
    `data/<key>` in sorted key order (keys sort as strings: 0, 1, 10, 100, 11, ...), version."""
    storages = sorted((str(i), d) for i, d in enumerate(data))
    return [
        Member(f"{archive}/data.pkl", pickle or state_dict_pickle(tensors)),
        Member(f"{archive}/byteorder", b"little"),
        *(Member(f"{archive}/data/{key}", d) for key, d in storages),
        Member(f"{archive}/version", b"3\n"),
    ]


def filled_torch_zip(size: int, dtype: str, pieces: int, block: bytes) -> list[Part]:
    """A torch checkpoint of `size` bytes: a state dict of about `pieces` `dtype` tensors whose
    storages are filler, sized so the archive is exactly `size` bytes."""
    width = DTYPE_BYTES[dtype]
    count = max(0, (size - 4096) // width)
    # The vector comes first: its storage is data/0, first in the file, so the members after
    # it keep their alignment whatever its size.
    plan = filling_shapes(count, pieces)

    def build(count: int, slack: int = 0, *, crcs: bool = False) -> list[Part]:
        tensors = name_tensors([(dtype, plan(count))], 0)
        members = torch_members(tensors, [t.nbytes for t in tensors])
        return zip_parts(members, block if crcs else b"", slack=slack)

    for _ in range(100):
        total = sum(_length(p) for p in build(count))
        if 0 <= size - total < 256:
            return build(count, size - total, crcs=True)
        count = max(0, count + (size - total) // width)
    raise ValueError(f"no torch checkpoint layout of exactly {size} bytes")


# -- other formats: a true start, filler after ---------------------------------------------


def gguf_parts(size: int) -> list[Part] | None:
    """GGUF v3: 2 metadata pairs (architecture, alignment), one I8 tensor filling the rest."""

    def text(value: str) -> bytes:
        return struct.pack("<Q", len(value)) + value.encode()

    alignment = 32
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 2)
    head += text("general.architecture") + struct.pack("<I", 8) + text("llama")
    head += text("general.alignment") + struct.pack("<II", 4, alignment)
    head += text("token_embd.weight") + struct.pack("<I", 1)
    dims_at = len(head)
    head += struct.pack("<QIQ", 0, 24, 0)  # dims[0] (below), GGML_TYPE_I8, offset 0
    head += b"\0" * (-len(head) % alignment)
    data = size - len(head)
    if data <= 0:
        return None
    head = head[:dims_at] + struct.pack("<Q", data) + head[dims_at + 8 :]
    return [head, data]


def hdf5_parts(size: int) -> list[Part] | None:
    signature = b"\x89HDF\r\n\x1a\n"
    return [signature, size - len(signature)] if size > len(signature) else None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def onnx_parts(size: int) -> list[Part] | None:
    """A ModelProto: ir_version, producer, a graph holding one UINT8 initializer whose raw_data
    is the filler, and an opset import; a doc string takes up what is left over."""
    head = b"\x08\x08" + _field(2, b"pytorch") + _field(3, b"2.1.0")
    tail = _field(8, b"\x10\x11")  # opset_import { version: 17 }

    def around(data: int, doc: int) -> tuple[bytes, bytes]:
        tensor_head = b"\x08" + _varint(data) + b"\x10\x02" + _field(8, b"onnx::weight")
        tensor_head += _varint(9 << 3 | 2) + _varint(data)  # raw_data
        tensor_length = len(tensor_head) + data
        graph_head = _field(2, b"main_graph") + _field(10, b" " * doc)
        graph_head += _varint(5 << 3 | 2) + _varint(tensor_length)  # initializer
        graph_length = len(graph_head) + tensor_length
        before = head + _varint(7 << 3 | 2) + _varint(graph_length) + graph_head + tensor_head
        return before, tail

    def total(data: int, doc: int) -> int:
        before, after = around(data, doc)
        return len(before) + data + len(after)

    data = size - 128
    for _ in range(64):
        if data <= 0:
            return None
        spare = size - total(data, 0)
        if 0 <= spare < 100:
            if total(data, spare) == size:
                before, after = around(data, spare)
                return [before, data, after]
            data -= 1  # the doc string lengthened a length: leave it a byte more
        else:
            data += spare
    return None


def coreml_weights_parts(size: int) -> list[Part] | None:
    """A Core ML weight.bin (MIL blob storage v2): the file header, one blob's metadata with
    its 0xDEADBEEF sentinel, the blob's bytes from offset 128."""
    if size <= 128:
        return None
    header = struct.pack("<II", 1, 2).ljust(64, b"\0")
    metadata = struct.pack("<IIQQ", 0xDEADBEEF, 2, size - 128, 128).ljust(64, b"\0")
    return [header + metadata, size - 128]


def tflite_parts(size: int) -> list[Part] | None:
    """A FlatBuffer root offset and the TFLite file identifier `TFL3`."""
    start = struct.pack("<I", 0x1C) + b"TFL3"
    return [start, size - len(start)] if size > len(start) else None


def msgpack_parts(size: int) -> list[Part] | None:
    """A map with one key, `params`, whose value is a bin32 of filler (flax's state dicts are
    nested maps; one level is enough to read as msgpack)."""
    head = b"\x81\xa6params\xc6"
    data = size - len(head) - 4
    if not 0 < data <= _MAX32:
        return None
    return [head + struct.pack(">I", data), data]


# -- which recipe a listed file gets --------------------------------------------------------

#: Pickled files that are not state dicts (a Trainer's arguments, optimizer and RNG state):
#: left as filler.
_NOT_STATE_DICTS = ("training_args.bin", "optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state")
_TORCH_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt"})
_SIMPLE: dict[str, Callable[[int], list[Part] | None]] = {
    ".gguf": gguf_parts,
    ".h5": hdf5_parts,
    ".hdf5": hdf5_parts,
    ".onnx": onnx_parts,
    ".tflite": tflite_parts,
    ".msgpack": msgpack_parts,
}


def _pieces(size: int) -> int:
    """How many tensors a generated checkpoint of `size` bytes holds: about one per 2 MiB,
    between 4 and 256 (a large model's shard has a few hundred)."""
    return max(4, min(256, size // (2 << 20)))


class ModelWeights:
    """The weight layouts of one model repo, from its listing: root-level safetensors files
    share the listing's `safetensors.parameters` in proportion to their sizes; everything else
    gets a layout of its own. Cheap to make; headers are built when a file is first read."""

    def __init__(self, parameters: dict[str, int] | None, shards: dict[str, int]) -> None:
        self.parameters = dict(parameters or {})
        self.dtype = max(self.parameters, key=self.parameters.__getitem__, default="F32")
        if self.dtype not in TORCH_STORAGES:
            self.dtype = "F32"
        self.shards = dict(sorted(shards.items()))
        self._headers: dict[str, list[Tensor]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_listing(cls, info: dict[str, Any], lfs: dict[str, int]) -> ModelWeights:
        """`lfs`: path -> listed size of the LFS files the fake generates."""
        block = info.get("safetensors")
        parameters = block.get("parameters") if isinstance(block, dict) else None
        shards = {p: s for p, s in lfs.items() if p.endswith(".safetensors") and "/" not in p}
        return cls(parameters, shards)

    def recipe(self, path: str) -> Recipe | None:
        """How to build `path`, or None for plain filler."""
        name = PurePosixPath(path).name.lower()
        suffix = PurePosixPath(name).suffix
        if suffix == ".safetensors":
            return functools.partial(self._safetensors, path)
        if name == "weight.bin" and ".mlpackage/" in path:
            return _simple(coreml_weights_parts)
        if suffix in _TORCH_SUFFIXES:
            return None if name.startswith(_NOT_STATE_DICTS) else self._torch
        simple = _SIMPLE.get(suffix)
        return None if simple is None else _simple(simple)

    def tensors(self, path: str, size: int) -> list[Tensor]:
        """The tensors in the safetensors file `path` (`size` bytes)."""
        if path in self.shards:
            with self._lock:
                if self._headers is None:
                    self._headers = self._split()
            return self._headers[path]
        return filled_safetensors(size, self.dtype, _pieces(size))

    def _torch(self, size: int, block: bytes) -> list[Part]:
        try:
            return filled_torch_zip(size, self.dtype, _pieces(size), block)
        except ValueError:  # too small for a checkpoint's records: filler, as before
            return [size]

    def _safetensors(self, path: str, size: int, block: bytes) -> list[Part]:  # noqa: ARG002
        try:
            return safetensors_parts(self.tensors(path, size), size)
        except ValueError:  # too small for any header: filler, as before
            return [size]

    def _split(self) -> dict[str, list[Tensor]]:
        """Each shard's tensors: the listing's counts split in proportion to file size (the
        last shard takes what rounding leaves), numbered on across shards. A shard the counts
        cannot fit gets a layout that fills it instead."""
        total = sum(self.shards.values())
        left = dict(self.parameters)
        out: dict[str, list[Tensor]] = {}
        first = 0
        for i, (path, size) in enumerate(self.shards.items()):
            if i == len(self.shards) - 1:
                counts = dict(left)
            else:
                counts = {d: n * size // total for d, n in self.parameters.items()}
            for d, n in counts.items():
                left[d] -= n
            counts = {d: n for d, n in counts.items() if n}
            fitted = None
            if counts and all(d in DTYPE_BYTES for d in counts):
                budget = size - 8 - sum(n * DTYPE_BYTES[d] for d, n in counts.items())
                fitted = fit_counts(counts, budget, first) if budget > 0 else None
            if fitted is None:
                fitted = filled_safetensors(size, self.dtype, _pieces(size), first)
            out[path] = fitted
            first += len(fitted)
        return out


def _simple(build: Callable[[int], list[Part] | None]) -> Recipe:
    def recipe(size: int, block: bytes) -> list[Part]:
        return build(size) or [size]

    return recipe
