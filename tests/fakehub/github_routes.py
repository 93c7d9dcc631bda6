"""The GitHub REST v3 routes the registry reads, with GitHub's headers, paging and errors."""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

from tests.fakehub.github_store import GitHubRepo, GitHubStore
from tests.fakehub.wire import (
    JSON,
    RateWindow,
    Reply,
    Request,
    git_blob_sha,
    json_reply,
    not_modified,
)

API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
_RAW_MEDIA_TYPES = ("application/vnd.github.raw", "application/vnd.github.v3.raw")
_ANONYMOUS_LIMIT = 60
_TOKEN_LIMIT = 5000
_BASE64_LINE = 60  # GitHub wraps `content` every 60 characters
_MAX_PER_PAGE = 100
_DEFAULT_PER_PAGE = 30


class GitHubApi:
    def __init__(self, fixtures: Path) -> None:
        self.store = GitHubStore(fixtures)
        self._window = RateWindow(3600)
        # Repos changed by `push`, as loaded: (repo, commits) restored by `restore`.
        self._loaded: dict[str, tuple[JSON, list[JSON]]] = {}

    def handle(self, req: Request) -> Reply:
        match req.segments:
            case ("repos", owner, name, *rest):
                repo = self.store.get(owner, name)
            case ("repositories", repo_id, *rest):
                repo = self.store.by_id.get(repo_id)
            case _:
                repo, rest = None, []
        reply = _not_found() if repo is None else _route(req, repo, tuple(rest))
        unchanged = not_modified(req, reply)
        if unchanged is not None:  # GitHub does not count a 304 against the rate limit
            return self._stamp(req, unchanged, count=False)
        return self._stamp(req, reply)

    def push(self, repo_id: str, message: str) -> str:
        """A new commit on `repo_id`'s default branch (its newest, same tree); its sha."""
        owner, _, name = repo_id.partition("/")
        repo = self.store.get(owner, name)
        if repo is None or not repo.commits:
            raise KeyError(f"no GitHub fixture {repo_id} with commits")
        self._loaded.setdefault(repo.full_name, copy.deepcopy((repo.repo, repo.commits)))
        sha = secrets.token_hex(20)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        head = repo.commits[0]
        commit = json.loads(json.dumps(head))  # a deep copy: its author and shape
        commit["sha"] = sha
        commit["commit"]["message"] = message
        for role in ("author", "committer"):
            if isinstance(commit["commit"].get(role), dict):
                commit["commit"][role]["date"] = now
        commit["parents"] = [{"sha": head["sha"]}]
        repo.commits.insert(0, commit)
        repo.repo["pushed_at"] = repo.repo["updated_at"] = now
        return sha

    def restore(self) -> None:
        """Every repo `push` changed, back as the fixture has it."""
        for full_name, (loaded, commits) in self._loaded.items():
            repo = self.store.repos[full_name.lower()]
            repo.repo.clear()
            repo.repo.update(copy.deepcopy(loaded))
            repo.commits[:] = copy.deepcopy(commits)
        self._loaded.clear()

    def fault(
        self, req: Request, status: int, retry_after: float | None, body: JSON | None
    ) -> Reply:
        limited = status in (HTTPStatus.FORBIDDEN, HTTPStatus.TOO_MANY_REQUESTS)
        if body is None:
            message = (
                "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
                "requests get a higher rate limit. Check out the documentation for more details.)"
                if limited
                else HTTPStatus(status).phrase
            )
            body = {"message": message, "documentation_url": DOCS, "status": str(status)}
        reply = self._stamp(req, json_reply(status, body))
        if retry_after is not None:
            reply.headers["Retry-After"] = f"{retry_after:g}"
        if limited:
            reset = int(time.time()) + math.ceil(retry_after or 1)
            reply.headers |= {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
        return reply

    def _stamp(self, req: Request, reply: Reply, *, count: bool = True) -> Reply:
        authorized = "authorization" in req.headers
        limit = _TOKEN_LIMIT if authorized else _ANONYMOUS_LIMIT
        # Anonymous and token callers have separate quotas, as on GitHub.
        used, remaining, reset = self._window.take(f"core:{authorized}", limit, count=count)
        visibility = "private" if authorized else "public"
        request_id = ":".join(secrets.token_hex(n).upper() for n in (2, 3, 4, 4, 4))
        reply.headers.setdefault("x-github-media-type", "github.v3; format=json")
        reply.headers |= {
            "x-github-api-version-selected": API_VERSION,
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": request_id,
            "x-content-type-options": "nosniff",
            "access-control-allow-origin": "*",
            "cache-control": f"{visibility}, max-age=60, s-maxage=60",
            "vary": "Accept, Accept-Encoding, Accept, X-Requested-With",
        }
        return reply


def _not_found() -> Reply:
    return json_reply(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


def _route(req: Request, repo: GitHubRepo, rest: tuple[str, ...]) -> Reply:
    match rest:
        case ():
            reply = json_reply(200, repo.repo)
        case ("readme",):
            reply = _content(req, repo, "README.md", repo.readme)
        case ("license",):
            reply = _license(req, repo)
        case ("contributors",):
            ranked = sorted(repo.contributors, key=lambda c: -int(c["contributions"]))
            reply = _paged(req, repo, "contributors", ranked)
        case ("commits",):
            reply = _commits(req, repo)
        case ("commits", ref):
            reply = _commit(repo, ref)
        case ("pulls", *more):
            reply = _route_pulls(req, repo, tuple(more))
        case ("git", "trees", sha):
            reply = _tree(req, repo, sha)
        case _:
            reply = _not_found()
    return reply


def _route_pulls(req: Request, repo: GitHubRepo, rest: tuple[str, ...]) -> Reply:
    match rest:
        case ():
            return _pulls(req, repo)
        case (number,):
            return _pull(repo, number)
        case (number, "reviews" | "files" as what) if repo.pull(number) is not None:
            source = repo.reviews if what == "reviews" else repo.pull_files
            return _paged(req, repo, f"pulls/{number}/{what}", source.get(int(number), []))
    return _not_found()


def _paged(req: Request, repo: GitHubRepo, path: str, items: list[JSON]) -> Reply:
    """One page of `items`, with GitHub's `Link` header when there is more than one page."""
    per_page = min(max(req.int_param("per_page", _DEFAULT_PER_PAGE), 1), _MAX_PER_PAGE)
    page = max(req.int_param("page", 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    reply = json_reply(200, items[(page - 1) * per_page : page * per_page])
    if last == 1:
        return reply
    # GitHub points pagination links at /repositories/{id}/...; here they lead back to the fake.
    base = f"{req.base_url}/repositories/{repo.repo['id']}/{path}"

    def link(target: int, rel: str) -> str:
        query = {k: v[-1] for k, v in req.query.items()} | {"page": str(target)}
        return f'<{base}?{urlencode(query)}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    reply.headers["Link"] = ", ".join(links)
    return reply


def _wants_raw(req: Request) -> bool:
    accept = req.headers.get("accept", "")
    return any(media in accept for media in _RAW_MEDIA_TYPES)


def _content_object(repo: GitHubRepo, path: str, data: bytes) -> JSON:
    sha = git_blob_sha(data)
    api = f"https://api.github.com/repos/{repo.full_name}"
    branch = repo.default_branch
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)]
    links = {
        "self": f"{api}/contents/{path}?ref={branch}",
        "git": f"{api}/git/blobs/{sha}",
        "html": f"https://github.com/{repo.full_name}/blob/{branch}/{path}",
    }
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": len(data),
        "url": links["self"],
        "html_url": links["html"],
        "git_url": links["git"],
        "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{branch}/{path}",
        "type": "file",
        "content": "".join(line + "\n" for line in lines),
        "encoding": "base64",
        "_links": links,
    }


def _content(req: Request, repo: GitHubRepo, path: str, data: bytes | None) -> Reply:
    if data is None:
        return _not_found()
    if _wants_raw(req):
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "x-github-media-type": "github.v3; param=raw",
        }
        return Reply(200, data, headers | {"ETag": f'"{git_blob_sha(data)}"'})
    return json_reply(200, _content_object(repo, path, data))


def _license(req: Request, repo: GitHubRepo) -> Reply:
    licence = repo.repo.get("license")
    if not licence or repo.license_text is None or repo.license_name is None:
        return _not_found()
    if _wants_raw(req):
        return _content(req, repo, repo.license_name, repo.license_text)
    body = _content_object(repo, repo.license_name, repo.license_text) | {"license": licence}
    return json_reply(200, body)


def _date(commit: JSON) -> datetime:
    return datetime.fromisoformat(str(commit["commit"]["committer"]["date"]))


def _commits(req: Request, repo: GitHubRepo) -> Reply:
    start = repo.commit_index(req.param("sha") or repo.default_branch)
    if start is None:
        return _not_found()
    commits = repo.commits[start:]
    bounds: list[tuple[str, Callable[[datetime, datetime], bool]]] = [
        ("since", lambda d, b: d >= b),
        ("until", lambda d, b: d <= b),
    ]
    for name, keep in bounds:
        if (value := req.param(name)) is not None:
            bound = datetime.fromisoformat(value)
            commits = [c for c in commits if keep(_date(c), bound)]
    listed = [{k: v for k, v in c.items() if k not in ("stats", "files")} for c in commits]
    return _paged(req, repo, "commits", listed)


def _commit(repo: GitHubRepo, ref: str) -> Reply:
    index = repo.commit_index(ref)
    if index is None:
        body = {
            "message": f"No commit found for SHA: {ref}",
            "documentation_url": f"{DOCS}/commits/commits#get-a-commit",
            "status": "422",
        }
        return json_reply(422, body)
    return json_reply(200, {"files": [], **repo.commits[index]})


def _pulls(req: Request, repo: GitHubRepo) -> Reply:
    state = req.param("state", "open")
    pulls = [p for p in repo.pulls if state == "all" or p["state"] == state]
    key = "updated_at" if req.param("sort") == "updated" else "created_at"
    pulls.sort(key=lambda p: str(p[key]), reverse=req.param("direction", "desc") != "asc")
    return _paged(req, repo, "pulls", pulls)


def _pull(repo: GitHubRepo, number: str) -> Reply:
    pull = repo.pull(number)
    if pull is None:
        return _not_found()
    files = repo.pull_files.get(int(number), [])
    reviews = repo.reviews.get(int(number), [])
    # The single-pull view adds counters the list view leaves out.
    details = {
        "merged": pull.get("merged_at") is not None,
        "mergeable": None if pull["state"] == "closed" else True,
        "comments": 0,
        "review_comments": sum(1 for r in reviews if r.get("body")),
        "commits": max(len(files), 1),
        "additions": sum(int(f["additions"]) for f in files),
        "deletions": sum(int(f["deletions"]) for f in files),
        "changed_files": len(files),
    }
    return json_reply(200, pull | details)


def _tree(req: Request, repo: GitHubRepo, sha: str) -> Reply:
    tree = repo.tree
    if tree is None:
        return _not_found()
    entries: list[JSON] = tree["tree"]
    head = repo.commits[0]["sha"] if repo.commits else None
    if sha in (tree["sha"], repo.default_branch, "HEAD", head):
        prefix, tree_sha = "", tree["sha"]
    else:
        folder = next((e for e in entries if e["type"] == "tree" and e["sha"] == sha), None)
        if folder is None:
            return _not_found()
        prefix, tree_sha = folder["path"] + "/", sha
    inside = [
        e | {"path": e["path"][len(prefix) :]} for e in entries if e["path"].startswith(prefix)
    ]
    if not req.param("recursive"):
        inside = [e for e in inside if "/" not in e["path"]]
    url = f"https://api.github.com/repos/{repo.full_name}/git/trees/{tree_sha}"
    return json_reply(200, {"sha": tree_sha, "url": url, "tree": inside, "truncated": False})
