"""The Hugging Face Hub routes: repo info, commit history and file resolution, with the hub's
error contract.

The error shapes follow what `huggingface_hub.utils.hf_raise_for_status` keys on
(`X-Error-Code`, `X-Error-Message`), so clients built on it map them to the same exceptions
as against huggingface.co.
"""

from __future__ import annotations

import copy
import html
import math
import secrets
import time
from http import HTTPStatus
from pathlib import Path
from typing import Self, SupportsIndex, overload
from urllib.parse import quote, urlencode

from tests.fakehub.hf_store import HfRepo, HfStore, Kind, LfsObject, filler
from tests.fakehub.wire import JSON, RateWindow, Reply, Request, json_reply, not_modified

# The commits API pages like the hub: 50 a page unless `limit` says otherwise (clients ask for up
# to 1000), `p` counts pages from 0.
_COMMITS_PER_PAGE = 50
_MAX_COMMITS_PER_PAGE = 1000
# The hub's anonymous quotas, per 5-minute window (RateLimit / RateLimit-Policy headers).
_QUOTAS = {"api": 500, "resolvers": 3000}
_WINDOW_SECONDS = 300
# Larger CDN answers are streamed chunked (without Content-Length) rather than built in memory.
_MAX_BODY = 64 * 1024 * 1024


class HuggingFaceHub:
    def __init__(self, fixtures: Path) -> None:
        self.store = HfStore(fixtures)
        self._window = RateWindow(_WINDOW_SECONDS)
        # Where LFS redirects point: a separate origin standing in for the hub's CDN.
        self.cdn_url = ""

    def handle(self, req: Request) -> Reply:
        segs = req.segments
        if len(segs) >= 3 and segs[0] == "api" and segs[1] in ("models", "datasets"):
            kind: Kind = "model" if segs[1] == "models" else "dataset"
            reply = self._api(req, kind, segs[2:])
        elif len(segs) == 2 and segs[0] == "cdn-lfs":
            return self._cdn(req, segs[1])  # the CDN is not the hub: none of its headers
        elif segs[:1] == ("datasets",):
            reply = self._resolve(req, "dataset", segs[1:])
        else:
            reply = self._resolve(req, "model", segs)
        if segs[:1] != ("api",):  # the hub answers 304 on resolve (huggingface.js#1713)
            reply = not_modified(req, reply) or reply
        return self._stamp(req, reply)

    def fault(
        self, req: Request, status: int, retry_after: float | None, body: JSON | None
    ) -> Reply:
        reply = json_reply(status, body or {"error": HTTPStatus(status).phrase})
        if retry_after is not None:
            reply.headers["Retry-After"] = f"{retry_after:g}"
        reply = self._stamp(req, reply)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = math.ceil(retry_after or 1)
            reply.headers["RateLimit"] = f'"{_bucket(req)}";r=0;t={wait}'
        return reply

    def _stamp(self, req: Request, reply: Reply) -> Reply:
        bucket = _bucket(req)
        quota = _QUOTAS[bucket]
        _, remaining, reset_at = self._window.take(bucket, quota)
        wait = max(reset_at - int(time.time()), 0)
        reply.headers.update(
            {
                "X-Request-Id": f"Root=1-{secrets.token_hex(4)}-{secrets.token_hex(12)}",
                "RateLimit": f'"{bucket}";r={remaining};t={wait}',
                "RateLimit-Policy": f'"fixed window";"{bucket}";q={quota};w={_WINDOW_SECONDS}',
                "Access-Control-Allow-Origin": "https://huggingface.co",
                "Vary": "Origin",
            }
        )
        return reply

    @staticmethod
    def _split(segs: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
        """Split `org/name/rest...` or a legacy `name/rest...` into (repo id, rest)."""
        match segs:
            case (org, name) | (org, name, "revision" | "resolve" | "commits", *_):
                return f"{org}/{name}", segs[2:]
            case (name,) | (name, "revision" | "resolve" | "commits", *_):
                return name, segs[1:]
        return None

    def _lookup(self, req: Request, kind: Kind, repo_id: str, path: str) -> HfRepo | Reply:
        found = self.store.find(kind, repo_id)
        if found is None:
            return _repo_not_found(req)
        if isinstance(found, str):
            # A moved repo's old id answers 307 with a relative Location, as the hub does; a
            # miscased id is found directly (HfStore.find) and answers with the canonical id.
            location = quote(path.replace(repo_id, found, 1))
            if req.query:
                location += "?" + urlencode(req.query, doseq=True)
            body = f"Temporary Redirect. Redirecting to {location}".encode()
            headers = {"Location": location, "Content-Type": "text/plain; charset=utf-8"}
            return Reply(307, body, headers)
        return found

    def _api(self, req: Request, kind: Kind, segs: tuple[str, ...]) -> Reply:
        match self._split(segs):
            case (repo_id, ()):
                revision, commits = "main", False
            case (repo_id, ("revision", revision)):
                commits = False
            case (repo_id, ("commits", revision)):
                commits = True
            case _:
                return _page_not_found()
        folder = "models" if kind == "model" else "datasets"
        repo = self._lookup(req, kind, repo_id, f"/api/{folder}/" + "/".join(segs))
        if isinstance(repo, Reply):
            return repo
        if commits:
            # The history is public, like the metadata, even for a gated repo.
            return _commits(req, repo, revision)
        if revision not in ("main", repo.sha):
            return _revision_not_found(revision)
        return json_reply(200, _info_view(repo.info, req))

    def _resolve(self, req: Request, kind: Kind, segs: tuple[str, ...]) -> Reply:
        match self._split(segs):
            case (repo_id, ("resolve", revision, first, *more)):
                path = "/".join((first, *more))
            case _:
                return _page_not_found()
        prefix = "/datasets/" if kind == "dataset" else "/"
        repo = self._lookup(req, kind, repo_id, prefix + "/".join(segs))
        if isinstance(repo, Reply):
            return repo
        if repo.gated and not req.bearer:
            return _gated(repo)
        if revision not in ("main", repo.sha):
            return _revision_not_found(revision)
        return _serve_file(repo, path, self.cdn_url or req.base_url)

    def _cdn(self, req: Request, sha256: str) -> Reply:
        """Stand-in for the LFS CDN: the object's bytes (shipped, or filler of its listed size),
        whole or one `Range`, generated slice by slice so a multi-GB object is never built."""
        obj = self.store.lfs_objects.get(sha256)
        if obj is None:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain; charset=utf-8"})
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "ETag": f'"{sha256}"',
        }
        status, start, end = 200, 0, obj.size
        if (asked := req.headers.get("range")) is not None and (span := _range(asked)):
            first, last = span
            if first is None:  # bytes=-n: the last n bytes
                start = max(obj.size - (last or 0), 0)
            else:
                start, end = first, obj.size if last is None else min(last + 1, obj.size)
            if start >= end:
                headers["Content-Range"] = f"bytes */{obj.size}"
                return Reply(416, b"", headers)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{obj.size}"
        if req.method == "HEAD" or end - start > _MAX_BODY:
            if req.method != "HEAD":
                headers["Transfer-Encoding"] = "chunked"
            return Reply(status, _LazyBody(obj, start, end), headers)
        return Reply(status, obj.read(start, end), headers)


def _range(value: str) -> tuple[int | None, int | None] | None:
    """One `bytes=a-b`, `bytes=a-` or `bytes=-n` range as (a, b), (a, None) or (None, n); None
    for anything else (several ranges, other units, garbage), which is answered in full, as
    RFC 9110 lets a server ignore a Range it does not support."""
    unit, _, spec = value.strip().partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or "," in spec:
        return None
    if not (first or last) or not (first or "0").isdigit() or not (last or "0").isdigit():
        return None
    a, b = (int(first) if first else None), (int(last) if last else None)
    if a is not None and b is not None and b < a:
        return None
    return a, b


class _LazyBody(bytes):
    """A body that is never held whole: `len()` is the span's length and slicing reads only the
    slice. The server takes `Content-Length` from `len(body)` and writes nothing for HEAD, and
    writes a chunked body slice by slice, so a HEAD or a chunked GET of a multi-GB object
    costs one chunk of memory. Any other use of it as plain bytes would see it empty."""

    _obj: LfsObject
    _start: int
    _length: int

    def __new__(cls, obj: LfsObject, start: int, end: int) -> Self:
        body = super().__new__(cls)
        body._obj, body._start, body._length = obj, start, end - start
        return body

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, key: SupportsIndex, /) -> int: ...
    @overload
    def __getitem__(self, key: slice, /) -> bytes: ...
    def __getitem__(self, key: SupportsIndex | slice, /) -> int | bytes:
        if not isinstance(key, slice):
            index = range(self._length)[key]
            return self._obj.read(self._start + index, self._start + index + 1)[0]
        start, stop, step = key.indices(self._length)
        if step != 1:
            raise ValueError("only contiguous slices of a lazy body")
        return self._obj.read(self._start + start, self._start + max(stop, start))


def _bucket(req: Request) -> str:
    return "api" if req.segments[:1] == ("api",) else "resolvers"


def _info_view(info: JSON, req: Request) -> JSON:
    """What the hub sends: file metadata only with `blobs=true`, only asked fields with `expand`."""
    view = copy.deepcopy(info)
    if req.param("blobs", "false") not in ("true", "1", "True"):
        view["siblings"] = [{"rfilename": s["rfilename"]} for s in view.get("siblings", [])]
    expand = [*req.query.get("expand", []), *req.query.get("expand[]", [])]
    if expand:
        view = {k: v for k, v in view.items() if k in ("_id", "id") or k in expand}
    return view


def _commits(req: Request, repo: HfRepo, revision: str) -> Reply:
    """One page of the history from `revision`, with the hub's `X-Total-Count` and, when more
    pages follow, a `Link: <...?p=N&limit=L>; rel="next"` pointing back at the fake."""
    history = repo.history(revision)
    if history is None:
        return _revision_not_found(revision)
    limit = min(max(req.int_param("limit", _COMMITS_PER_PAGE), 1), _MAX_COMMITS_PER_PAGE)
    page = max(req.int_param("p", 0), 0)
    items = history[page * limit : (page + 1) * limit]
    expand = [*req.query.get("expand", []), *req.query.get("expand[]", [])]
    if "formatted" in expand:
        items = [c | {"formatted": _formatted(c)} for c in items]
    headers = {"X-Total-Count": str(len(history))}
    if (page + 1) * limit < len(history):
        folder = "models" if repo.kind == "model" else "datasets"
        path = f"/api/{folder}/{repo.repo_id}/commits/{quote(revision, safe='')}"
        query = urlencode({"p": page + 1, "limit": limit})
        headers["Link"] = f'<{req.base_url}{path}?{query}>; rel="next"'
    return json_reply(200, items, headers)


def _formatted(commit: JSON) -> JSON:
    return {
        "title": html.escape(str(commit["title"])),
        "message": "<p>" + html.escape(str(commit["message"])).strip() + "</p>\n",
    }


def _serve_file(repo: HfRepo, path: str, cdn_url: str) -> Reply:
    sibling = repo.siblings.get(path)
    if sibling is None:
        return _hub_error(404, "EntryNotFound", "Entry not found", sha=repo.sha, text=True)
    headers = {
        "X-Repo-Commit": repo.sha,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(Path(path).name)}; "
        f'filename="{Path(path).name}";',
    }
    lfs: JSON | None = sibling.get("lfs")
    if lfs:
        # LFS files always go through the CDN, shipped or not, as on the hub: a redirect whose
        # X-Linked-* headers carry the listed size and sha256.
        location = f"{cdn_url}/cdn-lfs/{lfs['sha256']}"
        headers |= {
            "Location": location,
            "X-Linked-Size": str(lfs["size"]),
            "X-Linked-ETag": f'"{lfs["sha256"]}"',
            "ETag": f'"{sibling.get("blobId", "")}"',
            "Content-Type": "text/plain; charset=utf-8",
        }
        return Reply(302, f"Found. Redirecting to {location}".encode(), headers)
    data = repo.read(path)
    if data is None:
        data = filler(path, int(sibling.get("size") or 0))
    try:
        data.decode()
        content_type = "text/plain; charset=utf-8"  # the hub serves every text file as text/plain
    except UnicodeDecodeError:
        content_type = "application/octet-stream"
    # HfStore made the listed blobId that of these bytes, shipped or filler.
    etag = f'"{sibling["blobId"]}"'
    return Reply(200, data, headers | {"ETag": etag, "Content-Type": content_type})


def _hub_error(
    status: int, code: str, message: str, *, sha: str | None = None, text: bool = False
) -> Reply:
    headers = {"X-Error-Code": code, "X-Error-Message": message}
    if sha:
        headers["X-Repo-Commit"] = sha
    if text:
        return Reply(
            status, message.encode(), headers | {"Content-Type": "text/plain; charset=utf-8"}
        )
    return json_reply(status, {"error": message}, headers)


def _repo_not_found(req: Request) -> Reply:
    # Anonymous callers get 401 so that private repos can't be told from missing ones.
    headers = {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}
    return json_reply(404 if req.bearer else 401, {"error": "Repository Not Found"}, headers)


def _revision_not_found(revision: str) -> Reply:
    return _hub_error(404, "RevisionNotFound", f"Invalid rev id: {revision}")


def _gated(repo: HfRepo) -> Reply:
    message = (
        f"Access to {repo.kind} {repo.repo_id} is restricted. You must have access to it and be "
        "authenticated to access it. Please log in."
    )
    return _hub_error(401, "GatedRepo", message)


def _page_not_found() -> Reply:
    return json_reply(404, {"error": "Sorry, we can't find the page you are looking for."})
