"""Serving what the registry holds: blobs behind links it signed itself (a byte range of one, as
clients resuming a large file ask), and packages assembled as they are sent."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from app.artifacts.entities import Artifact
from app.artifacts.service import ArtifactService
from app.artifacts.sources import huggingface_source
from app.downloads.links import LinkSigner
from app.downloads.package import Member, Opener
from app.errors import ForbiddenError, ValidationError
from app.kinds import ArtifactType
from app.mirror.entities import FilePart, PackagePart, part_of
from app.ports import BlobStore

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
#: The package's list of files the registry left upstream, with why and where they are.
UPSTREAM_LIST = "UPSTREAM.json"


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    #: Bytes ``start`` to ``end`` (exclusive) of ``size``.
    start: int
    end: int
    size: int
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True, slots=True)
class Package:
    filename: str
    members: tuple[Member, ...]


class DownloadService:
    def __init__(self, blobs: BlobStore, signer: LinkSigner, artifacts: ArtifactService) -> None:
        self._blobs = blobs
        self._signer = signer
        self._artifacts = artifacts

    def authorizing_link(self, artifact_type: str, artifact_id: str) -> str:
        """A link to an artifact's bundle that works only with a token allowed to download:
        what a caller without the permission is shown where a link must be present."""
        return self._signer.artifact_link(artifact_type, artifact_id)

    async def open(
        self,
        blob_key: str,
        *,
        filename: str,
        expires: int,
        signature: str,
        byte_range: tuple[int | None, int | None] | None = None,
    ) -> Download:
        """A signed link's blob, whole or the ``byte_range`` asked (``(first, last)``
        inclusive, as HTTP writes it; ``(None, n)`` the last n bytes)."""
        if not self._signer.verify(
            blob_key, filename=filename, expires=expires, signature=signature
        ):
            raise ForbiddenError("the download link is invalid or has expired")
        size = await self._blobs.size(blob_key)
        start, end = _span(byte_range, size)
        return Download(filename, start, end, size, self._blobs.read_stream(blob_key, start, end))

    async def package(
        self, artifact_id: str, part: str, *, expires: int, signature: str
    ) -> Package:
        """The members of a signed package link: the model's files the registry holds that
        ``part`` covers, the bundle's record, and the list of what stayed upstream."""
        if not self._signer.verify_package(artifact_id, part, expires=expires, signature=signature):
            raise ForbiddenError("the download link is invalid or has expired")
        try:
            wanted = PackagePart(part)
        except ValueError:
            raise ValidationError(f"unknown package part {part!r}", field="part") from None
        artifact = await self._artifacts.get(artifact_id)
        stem = _UNSAFE_FILENAME.sub("_", artifact.name) or artifact.id
        if wanted is PackagePart.DATASETS:
            members = await self._datasets(artifact)
        else:
            members = await self._files(artifact, wanted)
        suffix = "" if wanted is PackagePart.FULL else f"-{wanted.value}"
        return Package(f"{stem}{suffix}.zip", tuple(members))

    async def _files(self, artifact: Artifact, part: PackagePart) -> list[Member]:
        def covered(path: str) -> bool:
            kind = part_of(path)
            if part is PackagePart.WEIGHTS:
                return kind is FilePart.WEIGHTS
            if part is PackagePart.CARD:
                return kind is FilePart.CARD
            return True

        manifest = artifact.manifest
        held = [] if manifest is None else [f for f in manifest.files if covered(f.path)]
        members = [Member(f.path, f.size, self._reader(f.key)) for f in held]
        if part is not PackagePart.WEIGHTS:
            # The bundle's card and config are the upstream files the copies already hold.
            taken = {f.path for f in held}
            bundle = await self._blobs.get(artifact.blob.key)
            members += [
                _in_memory(name, data)
                for name, data in _unzipped(bundle)
                if name not in taken and (part is PackagePart.FULL or covered(name))
            ]
        left = [] if manifest is None else [f for f in manifest.left_upstream if covered(f.path)]
        if left:
            listing = [
                {"path": f.path, "size": f.size, "reason": f.reason, "url": f.url} for f in left
            ]
            members.append(_in_memory(UPSTREAM_LIST, json.dumps(listing, indent=2).encode()))
        return sorted(members, key=lambda m: m.name)

    def _reader(self, key: str) -> Opener:
        return lambda: self._blobs.read_stream(key)

    async def _datasets(self, artifact: Artifact) -> list[Member]:
        keys = [huggingface_source(ArtifactType.DATASET, d).key for d in artifact.datasets]
        found = await self._artifacts.find_by_source_keys(keys) if keys else []
        return [
            Member(
                f"datasets/{_UNSAFE_FILENAME.sub('_', d.name) or d.id}.zip",
                d.blob.size,
                self._reader(d.blob.key),
            )
            for d in found
        ]


def _unzipped(bundle: bytes) -> Sequence[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def _in_memory(name: str, data: bytes) -> Member:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return Member(name, len(data), chunks)


def _span(byte_range: tuple[int | None, int | None] | None, size: int) -> tuple[int, int]:
    """``[start, end)`` of a ``size``-byte blob that an HTTP range asks for."""
    if byte_range is None:
        return 0, size
    first, last = byte_range
    if first is None:  # the last n bytes
        n = last or 0
        if n <= 0:
            raise RangeNotSatisfiableError(size)
        return max(size - n, 0), size
    if first >= size or (last is not None and last < first):
        raise RangeNotSatisfiableError(size)
    end = size if last is None else min(last + 1, size)
    return first, end


class RangeNotSatisfiableError(ValidationError):
    code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"the range asked lies outside the {size} bytes of the file")
        self.size = size
