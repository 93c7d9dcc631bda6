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
from urllib.parse import quote, urlencode

from tests.fakehub.hf_store import HfRepo, HfStore, Kind
from tests.fakehub.wire import JSON, RateWindow, Reply, Request, git_blob_sha, json_reply

# The commits API pages like the hub: 50 a page unless `limit` says otherwise (clients ask for up
# to 1000), `p` counts pages from 0.
_COMMITS_PER_PAGE = 50
_MAX_COMMITS_PER_PAGE = 1000
# The hub's anonymous quotas, per 5-minute window (RateLimit / RateLimit-Policy headers).
_QUOTAS = {"api": 500, "resolvers": 3000}
_WINDOW_SECONDS = 300


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
            return self._cdn(segs[1])  # the CDN is not the hub: none of the hub's headers
        elif segs[:1] == ("datasets",):
            reply = self._resolve(req, "dataset", segs[1:])
        else:
            reply = self._resolve(req, "model", segs)
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

    def _cdn(self, sha256: str) -> Reply:
        # Stand-in for the LFS CDN: a short placeholder, never the object's real size.
        size = self.store.lfs_objects.get(sha256)
        if size is None:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain; charset=utf-8"})
        body = f"fakehub placeholder for LFS object {sha256} ({size} bytes upstream)\n".encode()
        return Reply(200, body, {"Content-Type": "application/octet-stream", "ETag": f'"{sha256}"'})


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
    data = repo.read(path)
    lfs: JSON | None = sibling.get("lfs")
    if data is None and lfs:
        # Large files are never stored here: answer like the hub, a redirect to its CDN whose
        # X-Linked-* headers carry the real size and sha256.
        location = f"{cdn_url}/cdn-lfs/{lfs['sha256']}"
        headers |= {
            "Location": location,
            "X-Linked-Size": str(lfs["size"]),
            "X-Linked-ETag": f'"{lfs["sha256"]}"',
            "ETag": f'"{sibling.get("blobId", "")}"',
            "Content-Type": "text/plain; charset=utf-8",
        }
        return Reply(302, f"Found. Redirecting to {location}".encode(), headers)
    if data is None:
        data = _filler(path, int(sibling.get("size") or 0))
        etag = str(sibling.get("blobId") or git_blob_sha(data))
    else:
        etag = lfs["sha256"] if lfs else git_blob_sha(data)
    try:
        data.decode()
        content_type = "text/plain; charset=utf-8"  # the hub serves every text file as text/plain
    except UnicodeDecodeError:
        content_type = "application/octet-stream"
    return Reply(200, data, headers | {"ETag": f'"{etag}"', "Content-Type": content_type})


def _filler(path: str, size: int) -> bytes:
    """Stand-in bytes for a small file the fixture lists but does not ship: right size only."""
    line = f"fakehub placeholder: {path} is listed but not stored in the fixtures\n".encode()
    return (line * (size // len(line) + 1))[:size]


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
