"""Ratings that stay current: a rescore asks upstream, conditionally, whether anything a model's
rating was made from changed (the model repo, its linked code repository, its datasets) and
rates it again only then, or when its scorer version is not the current one.

Each source is asked once per pass with ``If-None-Match`` (the hub and GitHub answer 304 when
nothing changed; GitHub does not count 304s against its rate limit), so an unchanged model costs
one small request per source, and sources shared by many models cost one request per pass.

A new rating joins the artifact's history with why it was made; the gate decides again under
the artifact's gate mode. A rating that now fails the policy deletes nothing: the decision is
recorded on the rating (``gatePassed`` false, visible in search and the UI), published on
``gateResults``, and each new rating on ``ratingChanged``. Children's tree scores follow
(``LineageRerating``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from app.artifacts.entities import Artifact, RatingReason, RatingRecord
from app.artifacts.rating_events import RATINGS_CHANNEL, publish_rating
from app.artifacts.service import ArtifactService
from app.clock import utcnow
from app.errors import NotFoundError, ValidationError
from app.ingest.gating import publish_redecision
from app.ingest.rerating import LineageRerating
from app.ingest.service import WATCH_RESYNC_SECONDS
from app.kinds import ArtifactType
from app.ports import EventBus
from app.rating.entities import Rating
from app.rating.gate import GatePolicy
from app.rating.service import SCORER_VERSION, RatingService
from app.rescoring.checks import SourceChecks, sources_of
from app.rescoring.entities import PassReport, RescoreOutcome
from app.rescoring.repository import SourceStates
from app.upstream.clients import Upstream

log = logging.getLogger(__name__)

#: Models checked at once in a pass: bounded so a pass never crowds out ingests upstream.
PASS_CONCURRENCY = 16
#: Models whose documents and validators a pass reads at once.
PASS_BATCH = 256
#: Re-reads of an artifact re-rated by someone else while it was being rescored.
_CAS_ATTEMPTS = 3


class RescoreService:
    def __init__(
        self,
        *,
        artifacts: ArtifactService,
        rating: RatingService,
        policy: GatePolicy,
        upstream: Upstream,
        events: EventBus,
        rerating: LineageRerating,
        states: SourceStates,
    ) -> None:
        self._artifacts = artifacts
        self._rating = rating
        self._policy = policy
        self._upstream = upstream
        self._events = events
        self._rerating = rerating
        self._states = states

    async def watch_ratings(self, artifact_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Each new rating from now on, of ``artifact_id`` or of every artifact."""
        async with self._events.subscribe(RATINGS_CHANNEL) as subscription:
            while True:
                event = await subscription.get(WATCH_RESYNC_SECONDS)
                if event is not None and artifact_id in (None, event.get("artifact_id")):
                    yield dict(event)

    async def reset(self) -> None:
        await self._states.delete_all()

    async def rescore(self, artifact_id: str, *, force: bool = False) -> RescoreOutcome:
        """One model, on request: rated again if upstream changed, its scorer is outdated, or
        ``force``; otherwise left as it is (the outcome's reason is None)."""
        artifact = await self._artifacts.get(artifact_id)
        if artifact.type is not ArtifactType.MODEL or artifact.rating is None:
            raise ValidationError(
                f"artifact {artifact_id} is an unrated {artifact.type.value}: "
                "only rated models are rescored",
                field="id",
            )
        async with self._upstream.session() as view:
            checks = SourceChecks(view, self._states, PassReport())
            return await self._check_and_rate(artifact, artifact.rating, checks, force=force)

    async def rescore_all(
        self,
        on_outcome: Callable[[RescoreOutcome], Awaitable[None]] | None = None,
        *,
        outdated_only: bool = False,
    ) -> PassReport:
        """Every rated model, a bounded number at once (with ``outdated_only``, only those
        rated by another scorer version, found by the store's query: nothing is asked
        upstream). A model whose check or
        scoring fails (an outage) is counted and left for the next pass."""
        started = time.perf_counter()
        report = PassReport()
        gate = asyncio.Semaphore(PASS_CONCURRENCY)
        async with self._upstream.session() as view:
            checks = SourceChecks(view, self._states, report)

            async def one(artifact: Artifact, rating: Rating) -> None:
                async with gate:
                    try:
                        outcome = await self._check_and_rate(artifact, rating, checks)
                    except Exception as exc:  # noqa: BLE001 - one model's outage ends no pass
                        report.failed += 1
                        log.warning("rescore of %s failed: %s", artifact.id, exc)
                        return
                    if outcome.reason is not None:
                        report.rescored += 1
                    if on_outcome is not None:
                        await on_outcome(outcome)

            ids = await self._artifacts.rated_model_ids(
                not_scored_by=SCORER_VERSION if outdated_only else None
            )
            for at in range(0, len(ids), PASS_BATCH):  # one read of documents and validators
                found = await self._artifacts.get_many(ids[at : at + PASS_BATCH])
                batch = [
                    (a, a.rating)
                    for a in found
                    if a is not None
                    and a.rating is not None
                    # rated again meanwhile (by an ingest, say): current already
                    and not (outdated_only and a.rating.scorer_version == SCORER_VERSION)
                ]
                report.checked += len(batch)
                if not outdated_only:
                    await checks.prime([s for a, _ in batch for s in sources_of(a)])
                async with asyncio.TaskGroup() as group:
                    for artifact, rating in batch:
                        group.create_task(one(artifact, rating))
        report.seconds = round(time.perf_counter() - started, 3)
        log.info(
            "rescore pass: %d checked, %d rescored, %d failed; %d requests, %d not modified",
            report.checked,
            report.rescored,
            report.failed,
            report.requests,
            report.not_modified,
        )
        return report

    async def _check_and_rate(
        self, artifact: Artifact, rating: Rating, checks: SourceChecks, *, force: bool = False
    ) -> RescoreOutcome:
        changed: tuple[str, ...] = ()
        if rating.scorer_version != SCORER_VERSION:
            reason = RatingReason.SCORER_UPGRADED
            note = f"rated by {rating.scorer_version}, now {SCORER_VERSION}"
        else:
            sources = sources_of(artifact)
            moved = await asyncio.gather(*(checks.changed(s) for s in sources))
            changed = tuple(s.key for s, m in zip(sources, moved, strict=True) if m)
            if changed:
                reason, note = RatingReason.UPSTREAM_CHANGED, "changed: " + ", ".join(changed)
            elif force:
                reason, note = RatingReason.ON_REQUEST, "nothing changed upstream"
            else:
                return RescoreOutcome(artifact.id, None, (), artifact)
        rated = await self._rate(artifact, reason, note)
        return RescoreOutcome(artifact.id, reason, changed, rated)

    async def _rate(self, artifact: Artifact, reason: RatingReason, note: str) -> Artifact:
        repo_id = artifact.source.repo_id
        current: Artifact | None = artifact
        for _ in range(_CAS_ATTEMPTS):
            if current is None:
                raise NotFoundError(f"artifact {artifact.id} was deleted while being rescored")
            async with self._upstream.session(subject=("model", repo_id)) as view:
                scored = await self._rating.score(repo_id, view, self._artifacts.registered_parents)
            decision = self._policy.evaluate(scored.rating.metrics, scored.rating.net_score)
            rating = replace(scored.rating, gate=decision)
            record = RatingRecord.of(rating, reason, note, at=utcnow())
            updated = await self._artifacts.set_rating(current, rating, record)
            if updated is not None:
                await publish_redecision(
                    self._events,
                    updated,
                    decision,
                    job_id=f"rescore:{updated.id}",
                    reason=f"{reason.value} ({note})",
                )
                await publish_rating(self._events, updated)
                await self._rerating.after_store(updated, f"rescore:{updated.id}")
                return await self._artifacts.get(updated.id)
            current = await self._artifacts.find(artifact.id)  # re-rated meanwhile: again
        raise ValidationError(f"artifact {artifact.id} kept changing while being rescored")
