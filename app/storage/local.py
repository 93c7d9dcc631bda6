"""Blobs in a local folder, for the embedded registry. Downloads go through links the app
signs and serves itself."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO

from app.downloads.links import LinkSigner
from app.errors import (
    BackendUnavailableError,
    ContentMismatchError,
    NotFoundError,
    ValidationError,
)
from app.ports import StoredBlob


class LocalBlobStore:
    def __init__(self, root: Path, signer: LinkSigner) -> None:
        self._root = root.resolve()
        self._signer = signer

    async def put(self, key: str, data: bytes, *, content_type: str) -> StoredBlob:  # noqa: ARG002 - a file has no content type
        path = self._path(key)
        try:
            await _settled(_write_atomically, path, data)
        except OSError as exc:
            raise BackendUnavailableError(f"could not write blob {key}: {exc}") from exc
        return StoredBlob(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,  # noqa: ARG002 - a file has no content type
        expect_sha256: str | None = None,
    ) -> StoredBlob:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        digest = hashlib.sha256()
        size = 0
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            out = await asyncio.to_thread(tmp.open, "wb")
            try:
                async for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_sync_file, out)
            finally:
                out.close()
            if expect_sha256 is not None and digest.hexdigest() != expect_sha256:
                raise ContentMismatchError(key, expect_sha256, digest.hexdigest())
            await _settled(tmp.replace, path)
        except OSError as exc:
            raise BackendUnavailableError(f"could not write blob {key}: {exc}") from exc
        finally:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)
        return StoredBlob(key=key, size=size, sha256=digest.hexdigest())

    async def read_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            source = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {key!r} does not exist") from None
        try:
            await asyncio.to_thread(source.seek, start)
            position = start
            while end is None or position < end:
                want = _CHUNK if end is None else min(_CHUNK, end - position)
                chunk = await asyncio.to_thread(source.read, want)
                if not chunk:
                    return
                position += len(chunk)
                yield chunk
        finally:
            source.close()

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise NotFoundError(f"blob {key!r} does not exist") from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            raise NotFoundError(f"blob {key!r} does not exist") from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def discard_partial(self, older_than_seconds: float) -> int:
        return await asyncio.to_thread(self._discard_partial, older_than_seconds)

    def _discard_partial(self, older_than_seconds: float) -> int:
        if not self._root.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        stale = [
            p for p in self._root.rglob(".*.tmp") if p.is_file() and p.stat().st_mtime <= cutoff
        ]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    async def delete_prefix(self, prefix: str) -> int:
        return await asyncio.to_thread(self._delete_prefix, prefix)

    def _delete_prefix(self, prefix: str) -> int:
        if not self._root.is_dir():
            return 0
        doomed = [
            p
            for p in self._root.rglob("*")
            if p.is_file() and p.relative_to(self._root).as_posix().startswith(prefix)
        ]
        for path in doomed:
            path.unlink(missing_ok=True)
        return len(doomed)

    async def download_url(self, key: str, *, filename: str, ttl_seconds: int) -> str:
        return self._signer.sign(key, filename=filename, ttl_seconds=ttl_seconds)

    async def ping(self) -> None:
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)
        if not os.access(self._root, os.W_OK):
            raise OSError(f"{self._root} is not writable")

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not key or not path.is_relative_to(self._root) or path == self._root:
            raise ValidationError(f"invalid blob key {key!r}")
        return path


_CHUNK = 1024 * 1024


async def _settled(fn: Callable[..., object], *args: object) -> None:
    """``fn`` in a thread, waited for even when the caller is cancelled: a thread cannot be
    stopped, so a cancelled caller that went on would not know whether the file landed
    (and a clean-up after it could run before the write does)."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


def _sync_file(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())


def _write_atomically(path: Path, data: bytes) -> None:
    # Write beside, then rename: a reader never sees half a bundle.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
