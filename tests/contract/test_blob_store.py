"""One contract, every BlobStore: the local folder and S3 (SeaweedFS, a real S3 server)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aioboto3
import httpx
import pytest
from aiobotocore.config import AioConfig
from types_aiobotocore_s3.client import S3Client

from app.downloads.links import LinkSigner
from app.errors import (
    BackendUnavailableError,
    ContentMismatchError,
    NotFoundError,
    ValidationError,
)
from app.ports import BlobStore
from app.storage.local import LocalBlobStore
from app.storage.s3 import S3BlobStore

SIGNING_KEY = b"k" * 32


@asynccontextmanager
async def s3_client(endpoint: str) -> AsyncIterator[S3Client]:
    session = aioboto3.Session(
        aws_access_key_id="any", aws_secret_access_key="any", region_name="us-east-1"
    )
    async with session.client(
        "s3", endpoint_url=endpoint, config=AioConfig(s3={"addressing_style": "path"})
    ) as client:
        yield client


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs", LinkSigner(SIGNING_KEY, "http://registry.test"))
        return
    endpoint: str = request.getfixturevalue("s3_endpoint")
    async with s3_client(endpoint) as client:
        s3 = S3BlobStore(client, f"contract-{uuid.uuid4().hex[:16]}")
        await s3.ensure_bucket()
        yield s3


async def test_put_then_get_returns_the_same_bytes(store: BlobStore) -> None:
    data = b"PK\x03\x04 not really a zip" * 100
    stored = await store.put("artifacts/1/bundle.zip", data, content_type="application/zip")
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get("artifacts/1/bundle.zip") == data
    assert await store.exists("artifacts/1/bundle.zip")


async def test_put_overwrites(store: BlobStore) -> None:
    await store.put("k/a.zip", b"one", content_type="application/zip")
    await store.put("k/a.zip", b"two", content_type="application/zip")
    assert await store.get("k/a.zip") == b"two"


async def test_missing_key_is_not_found(store: BlobStore) -> None:
    assert not await store.exists("nope/none.zip")
    with pytest.raises(NotFoundError):
        await store.get("nope/none.zip")


async def test_delete_removes_and_is_idempotent(store: BlobStore) -> None:
    await store.put("d/x.zip", b"x", content_type="application/zip")
    await store.delete("d/x.zip")
    assert not await store.exists("d/x.zip")
    await store.delete("d/x.zip")


async def test_ping_succeeds_on_a_working_store(store: BlobStore) -> None:
    await store.ping()


async def test_download_url_names_the_file(store: BlobStore) -> None:
    await store.put("u/bundle.zip", b"zip", content_type="application/zip")
    url = await store.download_url("u/bundle.zip", filename="bert.zip", ttl_seconds=60)
    assert url.startswith("http")
    assert "bert.zip" in url


async def test_s3_presigned_url_downloads_the_blob(s3_endpoint: str) -> None:
    async with s3_client(s3_endpoint) as client:
        s3 = S3BlobStore(client, "contract-presign")
        await s3.ensure_bucket()
        await s3.put("p/bundle.zip", b"zip bytes", content_type="application/zip")
        url = await s3.download_url("p/bundle.zip", filename="b.zip", ttl_seconds=60)
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"zip bytes"


async def test_s3_links_are_signed_for_the_signing_clients_endpoint(s3_endpoint: str) -> None:
    # One server under two names: the store's (127.0.0.1) and its download clients' (localhost).
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    async with s3_client(s3_endpoint) as client, s3_client(public) as signing:
        s3 = S3BlobStore(client, "contract-public", signing=signing)
        await s3.ensure_bucket()
        await s3.put("p/bundle.zip", b"zip bytes", content_type="application/zip")
        url = await s3.download_url("p/bundle.zip", filename="b.zip", ttl_seconds=60)
    assert url.startswith(f"{public}/contract-public/p/bundle.zip?")
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"zip bytes"


async def test_s3_write_to_a_missing_bucket_is_a_backend_error(s3_endpoint: str) -> None:
    async with s3_client(s3_endpoint) as client:
        s3 = S3BlobStore(client, "no-such-bucket-here")
        with pytest.raises(BackendUnavailableError):
            await s3.put("a.zip", b"x", content_type="application/zip")


def test_local_links_are_signed_and_expire() -> None:
    signer = LinkSigner(SIGNING_KEY, "http://registry.test")
    url = httpx.URL(signer.sign("a/b.zip", filename="b.zip", ttl_seconds=60))
    expires = int(url.params["expires"])
    signature = url.params["signature"]
    assert signer.verify("a/b.zip", filename="b.zip", expires=expires, signature=signature)
    assert not signer.verify("a/c.zip", filename="b.zip", expires=expires, signature=signature)
    assert not signer.verify("a/b.zip", filename="x.zip", expires=expires, signature=signature)
    assert not signer.verify("a/b.zip", filename="b.zip", expires=expires + 1, signature=signature)
    assert not signer.verify("a/b.zip", filename="b.zip", expires=1, signature=signature)


async def test_local_store_refuses_keys_outside_its_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs", LinkSigner(SIGNING_KEY, "http://r"))
    with pytest.raises(ValidationError):
        await store.put("../escape.zip", b"x", content_type="application/zip")
    assert not (tmp_path / "escape.zip").exists()


async def test_delete_prefix_removes_only_that_prefix(store: BlobStore) -> None:
    for key in ("artifacts/1/a.zip", "artifacts/2/b.zip", "other/c.zip"):
        await store.put(key, b"x", content_type="application/zip")
    assert await store.delete_prefix("artifacts/") == 2
    assert not await store.exists("artifacts/1/a.zip")
    assert not await store.exists("artifacts/2/b.zip")
    assert await store.exists("other/c.zip")
    assert await store.delete_prefix("artifacts/") == 0


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_stream_larger_than_a_part_is_stored_whole_and_read_by_range(
    store: BlobStore,
) -> None:
    # over one 8 MiB S3 part: a multipart upload of two parts
    data = bytes(range(256)) * (9 * 1024 * 4)
    stored = await store.put_stream(
        "files/big", _pieces(data, 1 << 20), content_type="application/octet-stream"
    )
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert await store.size("files/big") == len(data)
    assert b"".join([c async for c in store.read_stream("files/big")]) == data
    middle = b"".join([c async for c in store.read_stream("files/big", 100, 5000)])
    assert middle == data[100:5000]


async def test_a_stream_that_fails_or_mismatches_stores_nothing(store: BlobStore) -> None:
    data = b"x" * (9 << 20)

    async def broken() -> AsyncIterator[bytes]:
        yield data
        raise RuntimeError("upstream went away")

    with pytest.raises(RuntimeError):
        await store.put_stream("files/broken", broken(), content_type="application/octet-stream")
    assert not await store.exists("files/broken")
    with pytest.raises(ContentMismatchError):
        await store.put_stream(
            "files/wrong",
            _pieces(data, 1 << 20),
            content_type="application/octet-stream",
            expect_sha256="0" * 64,
        )
    assert not await store.exists("files/wrong")
    with pytest.raises(NotFoundError):
        await store.size("files/wrong")


async def test_uploads_left_unfinished_are_swept_once_old_enough(store: BlobStore) -> None:
    """What a worker killed mid-upload leaves: a temporary file, or an S3 multipart upload."""
    if isinstance(store, LocalBlobStore):
        await store.put("files/kept", b"whole", content_type="application/octet-stream")
        left = store._path("files/.half.bin.0123.tmp")
        left.write_bytes(b"half")
    else:
        assert isinstance(store, S3BlobStore)
        await store._s3.create_multipart_upload(Bucket=store._bucket, Key="files/half")
    assert await store.discard_partial(3600) == 0  # too recent: maybe a copy under way
    assert await store.discard_partial(0) == 1
    assert await store.discard_partial(0) == 0
