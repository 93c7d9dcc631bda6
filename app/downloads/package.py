"""A ZIP written as it is sent: members are read from the blob store chunk by chunk and stored
uncompressed (weights do not compress), so a package of any size streams in constant memory.
Sizes are known up front; ZIP64 records are used where a member needs them."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

#: Opens a member's bytes, in chunks.
Opener = Callable[[], AsyncIterator[bytes]]


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    size: int
    open: Opener


class _Sink:
    """What zipfile writes, collected until the stream takes it; not seekable, so zipfile
    writes each member's sizes after its data (a data descriptor)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def seekable(self) -> bool:
        return False

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


async def zip_stream(members: Sequence[Member], *, when: datetime) -> AsyncIterator[bytes]:
    sink = _Sink()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[call-overload]
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = member.size
            with archive.open(info, "w", force_zip64=member.size >= zipfile.ZIP64_LIMIT) as out:
                async for chunk in member.open():
                    out.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data
