"""Asking upstream whether the sources a rating was made from changed: each source once per
pass, conditionally when the registry holds a validator for the revision the rating saw. Kept
apart from the rescore itself so that an ingest can learn its sources' validators
(``SourceValidators.learn``) without depending on rescoring."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from app.artifacts.entities import Artifact
from app.rescoring.entities import PassReport, Source, SourceState
from app.rescoring.repository import SourceStates
from app.upstream.clients import Upstream, UpstreamView
from app.upstream.http import Revision


def sources_of(artifact: Artifact) -> list[Source]:
    """The upstream sources ``artifact``'s rating was made from, with the revisions it saw."""
    if artifact.rating is None:
        return []
    return rated_sources(artifact.source.repo_id, artifact.rating.revisions)


def rated_sources(model_id: str, revisions: Mapping[str, str]) -> list[Source]:
    """The sources a rating of ``model_id`` with these ``revisions`` was made from."""
    found = []
    for key, revision in revisions.items():
        kind, _, repo_id = key.partition(":")
        if kind == "model":
            found.append(Source(f"model:{model_id}", "models", model_id, revision))
        elif kind == "dataset" and repo_id:
            found.append(Source(key, "datasets", repo_id, revision))
        elif kind == "code" and repo_id:
            found.append(Source(key, "github", repo_id, revision))
    return found


class SourceChecks:
    """One pass's questions to upstream: each source asked at most once, conditionally when
    the registry holds a validator for the revision the rating saw."""

    def __init__(self, view: UpstreamView, states: SourceStates, report: PassReport) -> None:
        self._view = view
        self._states = states
        self._report = report
        self._asked: dict[str, asyncio.Future[str | None]] = {}
        self._known: dict[str, SourceState] = {}
        self._primed: set[str] = set()

    async def prime(self, sources: list[Source]) -> None:
        """Read the validators of ``sources`` in one round trip, ahead of their checks."""
        keys = sorted({s.key for s in sources} - self._primed)
        if keys:
            self._known.update(await self._states.get_many(keys))
            self._primed.update(keys)

    def validated(self, source: Source) -> bool:
        """Whether a validator is held for the revision ``source``'s rating saw (primed)."""
        known = self._known.get(source.key)
        return known is not None and known.revision == source.rated_revision and bool(known.etag)

    async def changed(self, source: Source) -> bool:
        future = self._asked.get(source.key)
        if future is None:
            future = asyncio.ensure_future(self._current(source))
            self._asked[source.key] = future
        current = await asyncio.shield(future)
        return current is not None and current != source.rated_revision

    async def _current(self, source: Source) -> str | None:
        """The source's revision now (None: unknown), from a 304 or the answer's body."""
        if source.key not in self._primed:
            self._known.update(await self._states.get_many([source.key]))
        known = self._known.get(source.key)
        etag = known.etag if known is not None and known.revision == source.rated_revision else None
        answer = await self._ask(source, etag)
        self._report.requests += 1
        if answer.not_modified:
            self._report.not_modified += 1
            return source.rated_revision
        if answer.revision is not None:
            await self._states.put(SourceState(source.key, answer.revision, answer.etag))
        return answer.revision

    async def _ask(self, source: Source, etag: str | None) -> Revision:
        if source.host_kind == "github":
            return await self._view.github.head(source.repo_id, etag)
        return await self._view.hf.revision(source.host_kind, source.repo_id, etag)


class SourceValidators:
    def __init__(self, upstream: Upstream, states: SourceStates) -> None:
        self._upstream = upstream
        self._states = states

    async def learn(self, model_id: str, revisions: Mapping[str, str]) -> None:
        """Each source of a new rating of ``model_id`` as upstream has it now, with the
        validator to ask again with: the first rescore is conditional already (GitHub's 304
        is free)."""
        sources = rated_sources(model_id, revisions)
        if not sources:
            return
        async with self._upstream.session() as view:
            checks = SourceChecks(view, self._states, PassReport())
            await checks.prime(sources)
            # a source another model links, already known at the revision this rating saw, is
            # asked nothing: a family of fine-tunes costs its linked repository one request
            unknown = [s for s in sources if not checks.validated(s)]
            await asyncio.gather(*(checks.changed(s) for s in unknown))
