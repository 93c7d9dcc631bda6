"""Blobs in S3 (AWS, MinIO, Ceph, SeaweedFS...) through aioboto3; downloads by presigned URL."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from app.errors import BackendUnavailableError, ContentMismatchError, NotFoundError
from app.ports import StoredBlob

if TYPE_CHECKING:  # the stubs are a development dependency only
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef, ObjectIdentifierTypeDef

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
#: S3 parts are 5 MiB at least (but the last); 8 MiB keeps a 10 000-part upload over 80 GB.
PART_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024


class S3BlobStore:
    def __init__(self, client: S3Client, bucket: str, *, signing: S3Client | None = None) -> None:
        """``signing`` presigns download links when clients reach S3 at another address than
        the registry does (a compose network's ``s3:8333`` is not reachable from a laptop).
        Signature V4 signs the host, so a link is signed for the address it will be sent to
        rather than rewritten after signing; presigning makes no request."""
        self._s3 = client
        self._signing = client if signing is None else signing
        self._bucket = bucket

    async def ensure_bucket(self) -> None:
        try:
            await self._s3.head_bucket(Bucket=self._bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING and _code(exc) != "NoSuchBucket":
                raise
            await self._s3.create_bucket(Bucket=self._bucket)

    async def put(self, key: str, data: bytes, *, content_type: str) -> StoredBlob:
        digest = hashlib.sha256(data).hexdigest()
        try:
            await self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata={"sha256": digest},
            )
        except (ClientError, BotoCoreError) as exc:
            raise BackendUnavailableError(f"could not write blob {key}: {exc}") from exc
        return StoredBlob(key=key, size=len(data), sha256=digest)

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,
        expect_sha256: str | None = None,
    ) -> StoredBlob:
        """A multipart upload in parts of ``PART_BYTES`` (one plain PUT for a small blob).
        Parts are invisible until the upload completes; a failure aborts it, so nothing
        partial is ever stored under ``key``."""
        digest = hashlib.sha256()
        size = 0
        pending = bytearray()
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []
        try:
            async for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                pending += chunk
                if len(pending) >= PART_BYTES:
                    if upload_id is None:
                        started = await self._s3.create_multipart_upload(
                            Bucket=self._bucket, Key=key, ContentType=content_type
                        )
                        upload_id = started["UploadId"]
                    parts.append(await self._part(key, upload_id, len(parts) + 1, bytes(pending)))
                    pending.clear()
            _check_content(key, expect_sha256, digest.hexdigest())
            if upload_id is None:
                await self._s3.put_object(
                    Bucket=self._bucket,
                    Key=key,
                    Body=bytes(pending),
                    ContentType=content_type,
                    Metadata={"sha256": digest.hexdigest()},
                )
            else:
                if pending:
                    parts.append(await self._part(key, upload_id, len(parts) + 1, bytes(pending)))
                await self._s3.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException as exc:
            if upload_id is not None:
                with contextlib.suppress(ClientError, BotoCoreError):
                    await asyncio.shield(
                        self._s3.abort_multipart_upload(
                            Bucket=self._bucket, Key=key, UploadId=upload_id
                        )
                    )
            if isinstance(exc, (ClientError, BotoCoreError)):
                raise BackendUnavailableError(f"could not write blob {key}: {exc}") from exc
            raise
        return StoredBlob(key=key, size=size, sha256=digest.hexdigest())

    async def _part(
        self, key: str, upload_id: str, number: int, data: bytes
    ) -> CompletedPartTypeDef:
        answer = await self._s3.upload_part(
            Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"ETag": answer["ETag"], "PartNumber": number}

    async def read_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        wanted = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        if end is not None and end <= start:
            return
        try:
            response = await self._s3.get_object(Bucket=self._bucket, Key=key, Range=wanted)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFoundError(f"blob {key!r} does not exist") from None
            if _code(exc) == "InvalidRange":  # start at or past the end: nothing to send
                return
            raise BackendUnavailableError(f"could not read blob {key}: {exc}") from exc
        body = response["Body"]
        try:
            async for chunk in body.iter_chunks(_CHUNK_BYTES):
                yield chunk
        finally:
            body.close()

    async def get(self, key: str) -> bytes:
        try:
            response = await self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFoundError(f"blob {key!r} does not exist") from None
            raise BackendUnavailableError(f"could not read blob {key}: {exc}") from exc
        async with response["Body"] as body:
            return await body.read()

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except NotFoundError:
            return False
        return True

    async def size(self, key: str) -> int:
        try:
            head = await self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFoundError(f"blob {key!r} does not exist") from None
            raise BackendUnavailableError(f"could not read blob {key}: {exc}") from exc
        return int(head["ContentLength"])

    async def delete(self, key: str) -> None:
        try:
            await self._s3.delete_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise BackendUnavailableError(f"could not delete blob {key}: {exc}") from exc

    async def discard_partial(self, older_than_seconds: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        discarded = 0
        try:
            paginator = self._s3.get_paginator("list_multipart_uploads")
            async for page in paginator.paginate(Bucket=self._bucket):
                for upload in page.get("Uploads", []):
                    started = upload.get("Initiated")
                    if started is None or started > cutoff:
                        continue
                    await self._s3.abort_multipart_upload(
                        Bucket=self._bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    discarded += 1
        except (ClientError, BotoCoreError) as exc:
            raise BackendUnavailableError(f"could not list unfinished uploads: {exc}") from exc
        return discarded

    async def delete_prefix(self, prefix: str) -> int:
        deleted = 0
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": o["Key"]} for o in page.get("Contents", []) if "Key" in o
                ]
                if keys:  # at most 1000 per page, the limit of one DeleteObjects call
                    await self._s3.delete_objects(
                        Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    deleted += len(keys)
        except (ClientError, BotoCoreError) as exc:
            raise BackendUnavailableError(f"could not delete blobs under {prefix}: {exc}") from exc
        return deleted

    async def download_url(self, key: str, *, filename: str, ttl_seconds: int) -> str:
        return await self._signing.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=ttl_seconds,
        )

    async def ping(self) -> None:
        await self._s3.head_bucket(Bucket=self._bucket)


def _check_content(key: str, expected: str | None, found: str) -> None:
    if expected is not None and found != expected:
        raise ContentMismatchError(key, expected, found)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
