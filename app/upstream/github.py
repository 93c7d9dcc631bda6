"""GitHub REST API, async over the shared upstream session."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app.errors import UpstreamError, UpstreamNotFoundError
from app.upstream.http import Fetched, Revision
from app.upstream.session import UpstreamSession

_JSON = "application/vnd.github+json"
_RAW = "application/vnd.github.raw"


class GitHubClient:
    def __init__(self, session: UpstreamSession, api_url: str, token: str | None) -> None:
        self._session = session
        self._api = api_url.rstrip("/")
        self._headers = {"X-GitHub-Api-Version": "2022-11-28"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    async def repo(self, repo_id: str) -> dict[str, Any]:
        data = await self._json(f"/repos/{_path(repo_id)}", repo_id)
        if not isinstance(data, dict):
            raise UpstreamError(f"GitHub sent an unexpected answer for {repo_id}")
        return data

    async def readme(self, repo_id: str) -> str | None:
        fetched = await self._get(f"/repos/{_path(repo_id)}/readme", _RAW, repo_id)
        if fetched.status == 404:  # noqa: PLR2004
            return None
        _raise_for_status(fetched, repo_id)
        return fetched.text()

    async def commit_sha(self, repo_id: str, ref: str) -> str:
        data = await self._json(
            f"/repos/{_path(repo_id)}/commits/{quote(ref, safe='')}", repo_id, revision=ref
        )
        if not isinstance(data, dict) or not isinstance(data.get("sha"), str):
            raise UpstreamError(f"GitHub sent no commit for {repo_id}@{ref}")
        return str(data["sha"])

    async def head(self, repo_id: str, etag: str | None) -> Revision:
        """The default branch's newest commit, asked conditionally: a 304 answer does not
        count against GitHub's rate limit."""
        headers = {**self._headers, "Accept": _JSON}
        if etag is not None:
            headers["If-None-Match"] = etag
        fetched = await self._session.get(
            f"{self._api}/repos/{_path(repo_id)}/commits?per_page=1", headers
        )
        if fetched.status == 304:  # noqa: PLR2004 - not modified
            return Revision(not_modified=True, revision=None, etag=etag)
        _raise_for_status(fetched, repo_id)
        data = _decode(fetched, repo_id)
        first = data[0] if isinstance(data, list) and data else None
        sha = first.get("sha") if isinstance(first, dict) else None
        return Revision(
            not_modified=False,
            revision=sha if isinstance(sha, str) else None,
            etag=fetched.headers.get("etag"),
        )

    async def license(self, repo_id: str) -> dict[str, Any] | None:
        """The repo's licence object (``license.spdx_id`` etc.); None when it has none."""
        fetched = await self._get(f"/repos/{_path(repo_id)}/license", _JSON, repo_id)
        if fetched.status == 404:  # noqa: PLR2004
            return None
        _raise_for_status(fetched, repo_id)
        data = _decode(fetched, repo_id)
        return data if isinstance(data, dict) else None

    async def contributors(self, repo_id: str) -> list[dict[str, Any]]:
        return await self._list(f"/repos/{_path(repo_id)}/contributors", repo_id)

    async def commits(self, repo_id: str, ref: str) -> list[dict[str, Any]]:
        return await self._list(
            f"/repos/{_path(repo_id)}/commits?sha={quote(ref, safe='')}", repo_id, revision=ref
        )

    async def closed_pulls(self, repo_id: str) -> list[dict[str, Any]]:
        return await self._list(
            f"/repos/{_path(repo_id)}/pulls?state=closed&sort=created&direction=desc", repo_id
        )

    async def reviews(self, repo_id: str, number: int) -> list[dict[str, Any]]:
        return await self._list(
            f"/repos/{_path(repo_id)}/pulls/{number}/reviews", repo_id, max_pages=1
        )

    async def pull_files(self, repo_id: str, number: int) -> list[dict[str, Any]]:
        return await self._list(
            f"/repos/{_path(repo_id)}/pulls/{number}/files", repo_id, max_pages=1
        )

    async def tree(self, repo_id: str, ref: str) -> list[dict[str, Any]]:
        data = await self._json(
            f"/repos/{_path(repo_id)}/git/trees/{quote(ref, safe='')}?recursive=1",
            repo_id,
            revision=ref,
        )
        tree = data.get("tree") if isinstance(data, dict) else None
        return [e for e in tree if isinstance(e, dict)] if isinstance(tree, list) else []

    async def _list(
        self, path: str, repo_id: str, *, max_pages: int = 3, revision: str | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``max_pages`` pages of 100: enough to judge a repo, bounded in cost."""
        items: list[dict[str, Any]] = []
        joiner = "&" if "?" in path else "?"
        for page in range(1, max_pages + 1):
            data = await self._json(
                f"{path}{joiner}per_page=100&page={page}", repo_id, revision=revision
            )
            if not isinstance(data, list):
                break
            items.extend(d for d in data if isinstance(d, dict))
            if len(data) < 100:  # noqa: PLR2004
                break
        return items

    async def _json(self, path: str, repo_id: str, *, revision: str | None = None) -> Any:  # noqa: ANN401 - JSON is untyped
        fetched = await self._get(path, _JSON, repo_id, revision)
        _raise_for_status(fetched, repo_id)
        return _decode(fetched, repo_id)

    async def _get(
        self, path: str, accept: str, repo_id: str, revision: str | None = None
    ) -> Fetched:
        return await self._session.get(
            f"{self._api}{path}",
            {**self._headers, "Accept": accept},
            self._session.freshness("github", repo_id, revision),
        )


def _decode(fetched: Fetched, repo_id: str) -> Any:  # noqa: ANN401 - JSON is untyped
    try:
        return fetched.json()
    except ValueError as exc:
        raise UpstreamError(f"GitHub sent malformed JSON for {repo_id}") from exc


def _path(repo_id: str) -> str:
    return quote(repo_id, safe="/")


def _raise_for_status(fetched: Fetched, repo_id: str) -> None:
    if fetched.ok:
        return
    if fetched.status in {404, 410, 451}:
        raise UpstreamNotFoundError(f"{repo_id} was not found on GitHub")
    raise UpstreamError(f"GitHub answered {fetched.status} for {repo_id}")
