"""Scoring one model: the metrics, the net score, the links it names, and the gate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.rating.context import LinkedCards, ParentLookup, RegisteredParent, ScoringContext
from app.rating.engine import OnResult, score_all
from app.rating.entities import Rating
from app.rating.links import ParentLink
from app.rating.metrics.base import Metric
from app.rating.net import WEIGHTS, WEIGHTS_VERSION, net_score
from app.safety.service import ScanBudget
from app.upstream.clients import UpstreamView

#: 2.0: applicability with reasons, hub-history bus_factor, size and claims calibration.
SCORER_VERSION = "tmr-scorer/2.0"


@dataclass(frozen=True, slots=True)
class ModelLinks:
    parents: tuple[ParentLink, ...]
    datasets: tuple[str, ...]
    code_repo: str | None


@dataclass(frozen=True, slots=True)
class Scored:
    rating: Rating
    links: ModelLinks


class RatingService:
    def __init__(
        self,
        metrics: Sequence[Metric],
        *,
        metric_timeout: float,
        scan_budget: ScanBudget | None = None,
    ) -> None:
        self._metrics = tuple(metrics)
        self._metric_timeout = metric_timeout
        self._scan_budget = scan_budget
        self._linked_cards = LinkedCards()

    async def score(
        self,
        model_id: str,
        upstream: UpstreamView,
        lookup: ParentLookup,
        on_result: OnResult | None = None,
    ) -> Scored:
        ctx = ScoringContext(model_id, upstream, lookup, self._linked_cards, self._scan_budget)
        scores = await score_all(
            ctx, self._metrics, metric_timeout=self._metric_timeout, on_result=on_result
        )
        links, revisions = await asyncio.gather(_links(ctx), _revisions(ctx))
        rating = Rating(
            net_score=net_score(scores),
            metrics=scores,
            scorer_version=SCORER_VERSION,
            weights_version=WEIGHTS_VERSION,
            weights=dict(WEIGHTS),
            revisions=revisions,
        )
        return Scored(rating=rating, links=links)

    async def rescore_tree(self, rating: Rating, parents: list[RegisteredParent]) -> Rating:
        """``rating`` with tree_score recomputed from its parents' current net scores, and
        the net score with it; every other metric as it was (for a lineage change: a parent
        registered or re-rated after the model). The gate decision is left to the caller."""
        tree = [m for m in self._metrics if m.name == "tree_score"]
        [score] = await score_all(_KnownParents(parents), tree, metric_timeout=self._metric_timeout)
        metrics = tuple(score if m.name == score.name else m for m in rating.metrics)
        return replace(rating, metrics=metrics, net_score=net_score(metrics), gate=None)


class _KnownParents(ScoringContext):
    """A scoring context that knows only the model's registered parents: all tree_score
    asks of it."""

    def __init__(self, parents: list[RegisteredParent]) -> None:
        # No super().__init__(): there is no upstream view or lookup to hold.
        self._known_parents = parents

    async def registered_parents(self) -> list[RegisteredParent]:
        return self._known_parents


async def _links(ctx: ScoringContext) -> ModelLinks:
    links, registered, datasets, code = await asyncio.gather(
        ctx.parents(), ctx.registered_parents(), ctx.dataset_ids(), ctx.code_repo_id()
    )
    ids = {p.repo_id.lower(): p for p in registered}
    parents = tuple(
        ParentLink(
            name=p.repo_id, artifact_id=_registered_id(ids.get(p.repo_id.lower())), source=p.source
        )
        for p in links
    )
    return ModelLinks(parents=parents, datasets=tuple(datasets), code_repo=code)


def _registered_id(parent: RegisteredParent | None) -> str | None:
    return None if parent is None else parent.artifact_id


async def _revisions(ctx: ScoringContext) -> dict[str, str]:
    revisions = {"model": await ctx.revision()}
    code = await ctx.code()
    if code is not None:
        revisions[f"code:{code.repo_id}"] = code.head_sha
    for dataset in await ctx.datasets():
        if dataset.info.sha:
            revisions[f"dataset:{dataset.repo_id}"] = dataset.info.sha
    return revisions
