"""Hugging Face Hub API, async over the shared upstream session.

huggingface_hub's ``HfApi`` is synchronous and reads its endpoint at import time, so requests
go through the shared async HTTP pool here; the library still provides the URL helper and the
typed info objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from huggingface_hub import DatasetInfo, ModelInfo, hf_hub_url

from app.errors import (
    UpstreamError,
    UpstreamGatedError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from app.upstream.http import Fetched, Revision
from app.upstream.session import UpstreamSession

#: What a CDN answers a signed location that has expired.
_EXPIRED = frozenset({401, 403, 404, 410})
#: Commits per page of the hub's commits API (it allows up to 1000; its own clients ask 100).
COMMITS_PAGE = 100


class HuggingFaceClient:
    def __init__(self, session: UpstreamSession, endpoint: str, token: str | None) -> None:
        self._session = session
        self._endpoint = endpoint.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        #: Where the hub redirected each file's resolve URL (its CDN), for further reads.
        self._located: dict[str, str] = {}

    async def model_info(self, repo_id: str) -> tuple[ModelInfo, dict[str, Any]]:
        raw = await self._info("models", repo_id)
        return ModelInfo(**raw), raw  # type: ignore[no-untyped-call]  # untyped **kwargs init

    async def dataset_info(
        self, repo_id: str, *, file_sizes: bool = True
    ) -> tuple[DatasetInfo, dict[str, Any]]:
        """``file_sizes=False`` skips per-file sizes: a large dataset lists thousands of files,
        and a model's scoring needs only the dataset's card and popularity."""
        raw = await self._info("datasets", repo_id, blobs=file_sizes)
        return DatasetInfo(**raw), raw  # type: ignore[no-untyped-call]  # untyped **kwargs init

    async def commits(
        self, repo_id: str, *, revision: str, max_pages: int = 3
    ) -> list[dict[str, Any]]:
        """The repo's history from ``revision``, newest first, as the hub's commits API lists
        it (``{id, title, message, authors: [{user, avatar}], date}``): up to ``max_pages``
        pages of 100, enough to judge who maintains a model, bounded in cost. The history is
        public even for a gated repo."""
        base = f"{self._endpoint}/api/models/{quote(repo_id, safe='/')}/commits/"
        base += quote(revision, safe="")
        freshness = self._session.freshness("model", repo_id, revision)
        commits: list[dict[str, Any]] = []
        for page in range(max_pages):
            fetched = await self._session.get(
                f"{base}?p={page}&limit={COMMITS_PAGE}", self._headers, freshness
            )
            _raise_for_status(fetched, repo_id)
            try:
                data = fetched.json()
            except ValueError as exc:
                raise UpstreamError(f"Hugging Face sent malformed JSON for {repo_id}") from exc
            if not isinstance(data, list):
                raise UpstreamError(f"Hugging Face sent an unexpected history for {repo_id}")
            commits.extend(c for c in data if isinstance(c, dict))
            if len(data) < COMMITS_PAGE:
                break
        return commits

    async def file(
        self, repo_id: str, path: str, *, revision: str, repo_type: str = "model"
    ) -> bytes | None:
        """A file of the repo at ``revision``; None when the repo has no such file."""
        url = hf_hub_url(
            repo_id,
            path,
            revision=revision,
            endpoint=self._endpoint,
            repo_type=None if repo_type == "model" else repo_type,
        )
        freshness = self._session.freshness(repo_type, repo_id, revision)
        fetched = await self._session.get(url, self._headers, freshness)
        if fetched.status == 404 and _error_code(fetched) == "EntryNotFound":  # noqa: PLR2004
            return None
        _raise_for_status(fetched, repo_id)
        return fetched.content

    @asynccontextmanager
    async def open_file(
        self, repo_id: str, path: str, *, revision: str
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """A model file's bytes at ``revision``, in chunks (from the hub's CDN for large ones);
        a refusal raises as for any request to the hub."""
        url = hf_hub_url(repo_id, path, revision=revision, endpoint=self._endpoint)
        async with self._session.stream(url, self._headers) as body:
            _raise_for_download(body.status, f"{repo_id}/{path}")
            yield body.chunks

    async def read_range(
        self, repo_id: str, path: str, *, revision: str, start: int, end: int
    ) -> bytes:
        """Bytes ``[start, end)`` of a model file, by an HTTP range request (the CDN honours
        them); never more, even from a server that answers the whole file. The hub redirects
        a large file to its CDN: later reads of the same file go there at once, a round trip
        fewer, without the hub's credentials; a location that has expired is asked anew."""
        if end <= start:
            return b""
        resolve = hf_hub_url(repo_id, path, revision=revision, endpoint=self._endpoint)
        located = self._located.get(resolve)
        if located is not None:
            data = await self._range(located, {}, f"{repo_id}/{path}", start, end, remembered=True)
            if data is not None:
                return data
            del self._located[resolve]
        data = await self._range(
            resolve, self._headers, f"{repo_id}/{path}", start, end, remembered=False
        )
        return b"" if data is None else data

    async def _range(
        self,
        url: str,
        headers: dict[str, str],
        what: str,
        start: int,
        end: int,
        *,
        remembered: bool,
    ) -> bytes | None:
        """None when a ``remembered`` location no longer answers (for the caller to ask the
        hub anew)."""
        sent = {**headers, "Range": f"bytes={start}-{end - 1}"}
        async with self._session.stream(url, sent) as body:
            if body.status == 416:  # noqa: PLR2004 - nothing there: past the end
                return b""
            if remembered and body.status in _EXPIRED:
                return None
            _raise_for_download(body.status, what)
            if not remembered and body.url and body.url != url:
                self._located[url] = body.url
            skip = start if body.status == 200 else 0  # noqa: PLR2004 - Range ignored
            wanted = end - start
            data = bytearray()
            async for chunk in body.chunks:
                cut = min(skip, len(chunk))
                skip -= cut
                data += chunk[cut:]
                if len(data) >= wanted:
                    break
            return bytes(data[:wanted])

    async def revision(self, kind: str, repo_id: str, etag: str | None) -> Revision:
        """The repository's current commit, asked conditionally: ``kind`` is "models" or
        "datasets". Only the ``sha`` field is asked for, so an answer is a few bytes when the
        hub does not answer 304."""
        url = f"{self._endpoint}/api/{kind}/{quote(repo_id, safe='/')}?expand[]=sha"
        headers = self._headers if etag is None else {**self._headers, "If-None-Match": etag}
        fetched = await self._session.get(url, headers)
        if fetched.status == 304:  # noqa: PLR2004 - not modified
            return Revision(not_modified=True, revision=None, etag=etag)
        _raise_for_status(fetched, repo_id)
        try:
            data = fetched.json()
        except ValueError as exc:
            raise UpstreamError(f"Hugging Face sent malformed JSON for {repo_id}") from exc
        sha = data.get("sha") if isinstance(data, dict) else None
        return Revision(
            not_modified=False,
            revision=sha if isinstance(sha, str) else None,
            etag=fetched.headers.get("etag"),
        )

    def file_url(self, repo_id: str, path: str, *, revision: str) -> str:
        """Where anyone can fetch a model file pinned to ``revision``: the hub's resolve URL."""
        return hf_hub_url(repo_id, path, revision=revision, endpoint=self._endpoint)

    async def _info(self, kind: str, repo_id: str, *, blobs: bool = True) -> dict[str, Any]:
        url = f"{self._endpoint}/api/{kind}/{quote(repo_id, safe='/')}"
        if blobs:
            url += "?blobs=true"
        freshness = self._session.freshness(kind.removesuffix("s"), repo_id)
        fetched = await self._session.get(url, self._headers, freshness)
        _raise_for_status(fetched, repo_id)
        try:
            data = fetched.json()
        except ValueError as exc:
            raise UpstreamError(f"Hugging Face sent malformed JSON for {repo_id}") from exc
        if not isinstance(data, dict):
            raise UpstreamError(f"Hugging Face sent an unexpected answer for {repo_id}")
        return data


def _error_code(fetched: Fetched) -> str | None:
    return fetched.headers.get("x-error-code")


def _raise_for_download(status: int, what: str) -> None:
    """A file's answer, read as a stream: statuses only (its body is the file). One still
    failing after the retries (429, 5xx) is for the queue to try later."""
    if 200 <= status < 300:  # noqa: PLR2004
        return
    if status == 429 or status >= 500:  # noqa: PLR2004
        raise UpstreamUnavailableError(f"Hugging Face answered {status} for {what}")
    _raise_for_status(Fetched(what, status, {}, b""), what)


def _raise_for_status(fetched: Fetched, repo_id: str) -> None:
    if fetched.ok:
        return
    code = _error_code(fetched)
    if code == "GatedRepo":
        raise UpstreamGatedError(
            f"{repo_id} is gated on Hugging Face: set TMR_HF_TOKEN to a token with access"
        )
    # The hub answers 401 for unknown repos to anonymous callers, so as not to leak private ones.
    if code in {"RepoNotFound", "RevisionNotFound", "EntryNotFound"} or fetched.status in {
        401,
        404,
        410,
    }:
        raise UpstreamNotFoundError(f"{repo_id} was not found on Hugging Face")
    if fetched.status == 403:  # noqa: PLR2004
        raise UpstreamGatedError(f"access to {repo_id} on Hugging Face is forbidden")
    raise UpstreamError(f"Hugging Face answered {fetched.status} for {repo_id}")
