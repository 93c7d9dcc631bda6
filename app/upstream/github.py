"""GitHub REST API, async over the shared upstream session."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from app.errors import UpstreamError, UpstreamNotFoundError
from app.upstream.http import Fetched, UpstreamSession

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
        fetched = await self._get(f"/repos/{_path(repo_id)}/readme", _RAW)
        if fetched.status == 404:  # noqa: PLR2004
            return None
        _raise_for_status(fetched, repo_id)
        return fetched.text()

    async def commit_sha(self, repo_id: str, ref: str) -> str:
        data = await self._json(f"/repos/{_path(repo_id)}/commits/{quote(ref, safe='')}", repo_id)
        if not isinstance(data, dict) or not isinstance(data.get("sha"), str):
            raise UpstreamError(f"GitHub sent no commit for {repo_id}@{ref}")
        return str(data["sha"])

    async def _json(self, path: str, repo_id: str) -> Any:  # noqa: ANN401 - JSON is untyped
        fetched = await self._get(path, _JSON)
        _raise_for_status(fetched, repo_id)
        try:
            return json.loads(fetched.content)
        except ValueError as exc:
            raise UpstreamError(f"GitHub sent malformed JSON for {repo_id}") from exc

    async def _get(self, path: str, accept: str) -> Fetched:
        return await self._session.get(f"{self._api}{path}", {**self._headers, "Accept": accept})


def _path(repo_id: str) -> str:
    return quote(repo_id, safe="/")


def _raise_for_status(fetched: Fetched, repo_id: str) -> None:
    if fetched.ok:
        return
    if fetched.status in {404, 410, 451}:
        raise UpstreamNotFoundError(f"{repo_id} was not found on GitHub")
    raise UpstreamError(f"GitHub answered {fetched.status} for {repo_id}")
