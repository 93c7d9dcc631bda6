"""Tree scores follow the lineage (DESIGN §5): a model's tree_score is the mean net score of its
registered parents, so when a model is stored (registered or re-rated), the registered models
below it are rated again, generation by generation, and a model whose own parents were stored
while it was being scored is brought up to date too. Ingest order then no longer changes a
model's final rating.

Only tree_score and the net score change (the formulas are the scoring domain's:
RatingService.rescore_tree); the new rating joins the artifact's rating history with the
reason, and the gate decides again under the artifact's mode, published like every decision.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import replace

from app.artifacts.entities import Artifact, RatingReason, RatingRecord
from app.artifacts.rating_events import publish_rating
from app.artifacts.service import ArtifactService
from app.clock import utcnow
from app.ingest.gating import publish_redecision
from app.kinds import ArtifactType
from app.ports import EventBus
from app.rating.entities import Rating
from app.rating.gate import GatePolicy
from app.rating.service import RatingService

log = logging.getLogger(__name__)

#: Re-reads of one artifact when others re-rate it at the same moment.
_CAS_ATTEMPTS = 5
#: Models re-rated after one store, at most: a bound on a pathological lineage.
MAX_RERATED = 1000


class LineageRerating:
    def __init__(
        self,
        *,
        artifacts: ArtifactService,
        rating: RatingService,
        policy: GatePolicy,
        events: EventBus,
    ) -> None:
        self._artifacts = artifacts
        self._rating = rating
        self._policy = policy
        self._events = events

    async def after_store(self, stored: Artifact, job_id: str) -> list[Artifact]:
        """Re-rate ``stored`` against its parents as registered now, then every registered
        descendant whose parent's net score changed. Returns the artifacts re-rated."""
        if stored.type is not ArtifactType.MODEL:
            return []
        rerated: list[Artifact] = []
        own = await self._rerate(stored, "parents registered while it was being scored", job_id)
        if own is not None:
            rerated.append(own)
            stored = own
        pending = deque([stored])
        seen = {stored.id}
        while pending and len(rerated) < MAX_RERATED:
            parent = pending.popleft()
            reason = f"parent {parent.source.repo_id} (artifact {parent.id}) rated {_net(parent)}"
            for child in await self._artifacts.children([parent.source.repo_id]):
                if child.id in seen or child.rating is None:
                    continue
                seen.add(child.id)
                changed = await self._rerate(child, reason, job_id)
                if changed is not None:  # its own children depend on its net score
                    rerated.append(changed)
                    pending.append(changed)
        return rerated

    async def _rerate(self, artifact: Artifact, reason: str, job_id: str) -> Artifact | None:
        """The artifact with its rating brought in line with its registered parents, or None
        when it already is (or it is gone)."""
        current: Artifact | None = artifact
        for _ in range(_CAS_ATTEMPTS):
            if current is None or current.rating is None:
                return None
            names = [p.name for p in current.parents]
            if not names:
                return None
            parents = await self._artifacts.registered_parents(names)
            rescored = await self._rating.rescore_tree(current.rating, parents)
            if _same(rescored, current.rating):
                return None
            rating = replace(
                rescored, gate=self._policy.evaluate(rescored.metrics, rescored.net_score)
            )
            record = RatingRecord.of(rating, RatingReason.PARENT_RERATED, reason, at=utcnow())
            updated = await self._artifacts.set_rating(current, rating, record)
            if updated is not None:
                if rating.gate is not None:
                    await publish_redecision(
                        self._events, updated, rating.gate, job_id=job_id, reason=reason
                    )
                await publish_rating(self._events, updated)
                return updated
            current = await self._artifacts.find(artifact.id)  # re-rated meanwhile: again
        log.warning("artifact %s: gave up re-rating it after %d tries", artifact.id, _CAS_ATTEMPTS)
        return None


def _tree(rating: Rating) -> tuple[float, bool] | None:
    tree = rating.metric("tree_score")
    return None if tree is None else (tree.score, tree.applicable)


def _same(a: Rating, b: Rating) -> bool:
    return a.net_score == b.net_score and _tree(a) == _tree(b)


def _net(artifact: Artifact) -> str:
    return "unrated" if artifact.rating is None else f"{artifact.rating.net_score:.4f}"
