"""The upstream hubs as one object: a per-process connection pool, per-ingest sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from app.upstream.cache import UpstreamCache
from app.upstream.github import GitHubClient
from app.upstream.hosts import HostPolicy
from app.upstream.http import UpstreamHttp
from app.upstream.huggingface import HuggingFaceClient
from app.upstream.session import Subject, UpstreamSession


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    hf_endpoint: str
    hf_token: str | None
    github_api_url: str
    github_token: str | None
    #: Hosts redirects may lead to besides the endpoints and the hubs' own (app.upstream.hosts).
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpstreamView:
    """What one ingest sees: clients sharing one memo."""

    session: UpstreamSession
    hf: HuggingFaceClient
    github: GitHubClient


class Upstream:
    def __init__(
        self, http: UpstreamHttp, config: UpstreamConfig, cache: UpstreamCache | None = None
    ) -> None:
        self._http = http
        self._config = config
        self._cache = UpstreamCache(ttl_seconds=0, max_bytes=0) if cache is None else cache
        self._hosts = HostPolicy.for_hubs(
            config.hf_endpoint, config.github_api_url, extra=config.allowed_hosts
        )

    @asynccontextmanager
    async def session(
        self, subject: Subject | None = None, *, shared_links: bool = False
    ) -> AsyncIterator[UpstreamView]:
        """A view for one ingest about ``subject``, which is always read upstream. With
        ``shared_links``, what it links to may come from the process's shared cache; without,
        everything not addressed by a commit is read afresh (and refreshes the cache)."""
        session = UpstreamSession(
            self._http, self._cache, subject, shared_links=shared_links, hosts=self._hosts
        )
        try:
            yield UpstreamView(
                session=session,
                hf=HuggingFaceClient(session, self._config.hf_endpoint, self._config.hf_token),
                github=GitHubClient(
                    session, self._config.github_api_url, self._config.github_token
                ),
            )
        finally:
            await session.aclose()
