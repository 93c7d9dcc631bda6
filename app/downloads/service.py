from __future__ import annotations

from dataclasses import dataclass

from app.downloads.links import LinkSigner
from app.errors import ForbiddenError
from app.ports import BlobStore


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    data: bytes


class DownloadService:
    """Serves blobs behind links the registry signed itself."""

    def __init__(self, blobs: BlobStore, signer: LinkSigner) -> None:
        self._blobs = blobs
        self._signer = signer

    def authorizing_link(self, artifact_type: str, artifact_id: str) -> str:
        """A link to an artifact's bundle that works only with a token allowed to download:
        what a caller without the permission is shown where a link must be present."""
        return self._signer.artifact_link(artifact_type, artifact_id)

    async def open(self, blob_key: str, *, filename: str, expires: int, signature: str) -> Download:
        if not self._signer.verify(
            blob_key, filename=filename, expires=expires, signature=signature
        ):
            raise ForbiddenError("the download link is invalid or has expired")
        return Download(filename=filename, data=await self._blobs.get(blob_key))
