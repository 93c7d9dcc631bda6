"""Copying a model's files into the blob store after its gate, and letting them go with it.

Each file is streamed from upstream into the store (multipart on S3), hashed on the way, and
checked against what the hub's API lists: the sha256 of a Git LFS file, the git blob id of any
other. Content is stored once under its sha256 (``app.mirror.entities.blob_key``) and counted
per artifact (``app.mirror.repository``); a file already stored, by this model's earlier attempt
or by another model, is only referenced again, so a retried job continues where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from app.clock import utcnow
from app.errors import (
    AppError,
    ContentMismatchError,
    NotFoundError,
    UpstreamError,
    UpstreamGatedError,
    UpstreamNotFoundError,
)
from app.mirror.entities import (
    FILES_PREFIX,
    FileCheck,
    FileProgress,
    LeftUpstream,
    Manifest,
    MirroredFile,
    RepoFile,
    blob_key,
)
from app.mirror.errors import ChecksumMismatchError
from app.mirror.policy import MirrorPolicy
from app.mirror.repository import FileReferences
from app.outages import outage
from app.ports import BlobStore
from app.upstream.hosts import UpstreamRefusedError

log = logging.getLogger(__name__)

#: Opens one file of the repository being mirrored, by path: its bytes in chunks.
FileSource = Callable[[str], AbstractAsyncContextManager[AsyncIterator[bytes]]]
Progress = Callable[[FileProgress], Awaitable[None]]
#: A file whose content only its git blob id names is read whole before it is stored (its
#: key is its sha256): such files are small on the hubs, which keep large ones in LFS.
MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024
_CONTENT_TYPE = "application/octet-stream"
#: Progress is published at most this often per file, in bytes.
_PROGRESS_STEP = 8 * 1024 * 1024


class MirrorService:
    def __init__(
        self,
        blobs: BlobStore,
        references: FileReferences,
        policy: MirrorPolicy,
        *,
        concurrency: int = 4,
    ) -> None:
        self._blobs = blobs
        self._references = references
        self._policy = policy
        self._concurrency = concurrency

    async def mirror(
        self,
        artifact_id: str,
        files: Sequence[RepoFile],
        source: FileSource,
        url_of: Callable[[str], str],
        progress: Progress | None = None,
        *,
        keep: Manifest | None = None,
    ) -> Manifest:
        """Copy what the policy picks of ``files``; the manifest of what is held and what was
        left upstream. A checksum mismatch fails the whole copy (``ChecksumMismatchError``);
        on any failure the references taken are dropped again, but for the files of ``keep``
        (the version an update replaces), so nothing partial stays behind."""
        chosen, left = self._policy.plan(files, url_of)
        slots = asyncio.Semaphore(self._concurrency)
        held: list[str] = []
        kept = set() if keep is None else {f.sha256 for f in keep.files}

        async def one(f: RepoFile) -> MirroredFile | LeftUpstream:
            async with slots:
                try:
                    return await self._copy(artifact_id, f, source, progress, held)
                except (UpstreamRefusedError, UpstreamNotFoundError, UpstreamGatedError) as exc:
                    # Not the copy upstream lists failing its check, but a file the registry
                    # may not or cannot fetch: it stays upstream, linked, with why.
                    return await self._left(artifact_id, f, exc, held, kept, url_of)

        try:
            # a task group: on a failure the other copies are cancelled and waited for, so
            # none takes a reference after the ones taken are dropped
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(f)) for f in chosen]
            outcomes = [t.result() for t in tasks]
        except BaseException as exc:
            failure = exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) else exc
            if not _retried(failure):
                dropped = [sha for sha in held if sha not in kept]
                await asyncio.shield(self.release(artifact_id, dropped))
            if failure is exc:
                raise
            raise failure from None
        copied = tuple(o for o in outcomes if isinstance(o, MirroredFile))
        unfetched = [o for o in outcomes if isinstance(o, LeftUpstream)]
        return Manifest(
            files=copied, left_upstream=tuple(sorted(left + unfetched, key=lambda f: f.path))
        )

    async def _left(  # noqa: PLR0917 - a private step of `mirror`
        self,
        artifact_id: str,
        f: RepoFile,
        exc: UpstreamError,
        held: list[str],
        kept: set[str],
        url_of: Callable[[str], str],
    ) -> LeftUpstream:
        if f.sha256 is not None and f.sha256 in held:
            held.remove(f.sha256)
            if f.sha256 not in kept:
                await self.release(artifact_id, [f.sha256])
        log.warning("%s stays upstream: %s", f.path, exc.message)
        return LeftUpstream(f.path, f.size, f"could not be fetched: {exc.message}", url_of(f.path))

    async def abandon(self, artifact_id: str, keep: Manifest | None = None) -> int:
        """An ingest that will not store ``artifact_id`` gives back what its copies took (all
        but the files of ``keep``, the version an update would have replaced)."""
        kept = set() if keep is None else {f.sha256 for f in keep.files}
        held = [sha for sha in await self._references.held_by(artifact_id) if sha not in kept]
        return await self.release(artifact_id, held)

    async def release(self, artifact_id: str, sha256s: Sequence[str]) -> int:
        """Let go of an artifact's files (by content); those no other artifact holds are
        deleted. How many."""
        orphans = await self._references.release(artifact_id, sha256s)
        for sha256 in orphans:
            await self._blobs.delete(blob_key(sha256))
        return len(orphans)

    async def reset(self) -> None:
        """Every mirrored file and reference (the registry's reset)."""
        await self._references.delete_all()
        await self._blobs.delete_prefix(FILES_PREFIX)

    async def verify(self, sample: int | None = None) -> FileCheck:
        """Hash stored files again (``sample`` of them picked at random, or all) and record
        which no longer match their key; the registry's health shows the last pass."""
        contents = await self._references.contents()
        if sample is not None and sample < len(contents):
            contents = random.sample(contents, sample)
        corrupt = []
        for sha256, _ in contents:
            digest = hashlib.sha256()
            try:
                async for chunk in self._blobs.read_stream(blob_key(sha256)):
                    digest.update(chunk)
            except NotFoundError:
                corrupt.append(sha256)
                continue
            if digest.hexdigest() != sha256:
                corrupt.append(sha256)
        check = FileCheck(utcnow(), len(contents), tuple(corrupt))
        if corrupt:
            log.error("stored files no longer match their checksum: %s", ", ".join(corrupt))
        await self._references.save_check(check)
        return check

    async def discard_partial(self, older_than_seconds: float) -> int:
        """Uploads a killed worker left unfinished (the retried job copies those files anew)."""
        return await self._blobs.discard_partial(older_than_seconds)

    async def last_check(self) -> FileCheck | None:
        return await self._references.last_check()

    async def stored_bytes(self) -> int:
        return await self._references.stored_bytes()

    async def _copy(
        self,
        artifact_id: str,
        f: RepoFile,
        source: FileSource,
        progress: Progress | None,
        held: list[str],
    ) -> MirroredFile:
        report = _Reporter(f, progress)
        if f.sha256 is not None:
            # Held before it is looked for: a delete of the last other holder then keeps it.
            await self._references.hold(f.sha256, f.size, artifact_id)
            held.append(f.sha256)
            if not await self._blobs.exists(blob_key(f.sha256)):
                async with source(f.path) as chunks:
                    try:
                        # the store hashes what it writes, and keeps it only if it matches
                        await self._blobs.put_stream(
                            blob_key(f.sha256),
                            _counted(f, chunks, report),
                            content_type=_CONTENT_TYPE,
                            expect_sha256=f.sha256,
                        )
                    except ContentMismatchError as exc:
                        raise ChecksumMismatchError(
                            f.path, f"sha256 {f.sha256} ({f.size} bytes)", exc.found
                        ) from None
            await report.finished()
            return MirroredFile(f.path, f.size, f.sha256)
        known = None if f.blob_id is None else await self._references.by_blob_id(f.blob_id)
        if known is not None:
            # Stored before under its git blob id (an earlier attempt, another model): held
            # first, then looked for, as above.
            await self._references.hold(known, f.size, artifact_id, blob_id=f.blob_id)
            held.append(known)
            if await self._blobs.exists(blob_key(known)):
                await report.finished()
                return MirroredFile(f.path, f.size, known)
        data = await _read_small(f, source, report)
        sha256 = hashlib.sha256(data).hexdigest()
        await self._references.hold(sha256, len(data), artifact_id, blob_id=f.blob_id)
        held.append(sha256)
        if not await self._blobs.exists(blob_key(sha256)):
            await self._blobs.put(blob_key(sha256), data, content_type=_CONTENT_TYPE)
        await report.finished()
        return MirroredFile(f.path, len(data), sha256)


def _retried(failure: BaseException) -> bool:
    """Whether the job is tried again after ``failure``: then what was copied is kept for the
    next attempt, which references it instead of copying it again."""
    if isinstance(failure, asyncio.CancelledError):  # the worker stopping: the job is requeued
        return True
    return (isinstance(failure, AppError) and failure.retryable) or outage(failure) is not None


class _Reporter:
    """A file's progress as watchers see it: all its bytes only once it is stored and held,
    so a file shown complete is one a retried job will not fetch again."""

    def __init__(self, f: RepoFile, progress: Progress | None) -> None:
        self._file = f
        self._progress = progress
        self.done = 0
        self._reported = -_PROGRESS_STEP

    async def add(self, count: int) -> None:
        self.done += count
        if self._progress is not None and self.done - self._reported >= _PROGRESS_STEP:
            self._reported = self.done
            shown = min(self.done, max(self._file.size - 1, 0))
            await self._progress(FileProgress(self._file.path, shown, self._file.size))

    async def finished(self) -> None:
        if self._progress is not None:
            await self._progress(FileProgress(self._file.path, self._file.size, self._file.size))


async def _counted(
    f: RepoFile, chunks: AsyncIterator[bytes], report: _Reporter
) -> AsyncIterator[bytes]:
    """The chunks, counted for progress; raises (so the store discards the upload) as soon
    as upstream sends more than the file it lists, or at the end if it sent less."""
    async for chunk in chunks:
        await report.add(len(chunk))
        if report.done > f.size:
            raise UpstreamError(f"{f.path}: upstream sent more than the {f.size} bytes it lists")
        yield chunk
    if report.done != f.size:
        raise ChecksumMismatchError(f.path, f"{f.size} bytes", f"{report.done} bytes, cut short")


async def _read_small(f: RepoFile, source: FileSource, report: _Reporter) -> bytes:
    limit = min(max(f.size, 0), MAX_SMALL_FILE_BYTES)
    data = bytearray()
    async with source(f.path) as chunks:
        async for chunk in chunks:
            data += chunk
            await report.add(len(chunk))
            if len(data) > limit:
                raise UpstreamError(
                    f"{f.path}: upstream sent more than the {f.size} bytes it lists"
                )
    found = git_blob_id(bytes(data))
    if f.blob_id is not None and found != f.blob_id:
        raise ChecksumMismatchError(f.path, f"git blob {f.blob_id}", found)
    return bytes(data)


def git_blob_id(data: bytes) -> str:
    """The id git (and so the hub's API) gives a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
