"""tree_score: how trustworthy the model's ancestry is.

    tree_score = mean(net_score of each parent that is registered and rated)

Parents come from config.json and the card's ``base_model``. With no registered, rated parent
the metric does not apply (REST fallback 0): the gate skips it and the net score leaves it
out."""

from __future__ import annotations

from app.rating.context import ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable


async def compute(ctx: ScoringContext) -> Measured:
    parents = await ctx.registered_parents()
    rated = [p for p in parents if p.net_score is not None]
    if not parents:
        return not_applicable(
            "no parent model named in config.json or the card",
            "The model names no base model, so there is no lineage to score.",
        )
    if not rated:
        names = ", ".join(p.repo_id for p in parents)
        return not_applicable(
            f"parents not in the registry: {names}",
            "None of the model's parents is registered, so their trust is unknown.",
        )
    evidence = [
        f"parent {p.repo_id} (artifact {p.artifact_id}) net score {p.net_score:.2f}" for p in rated
    ]
    missing = [p.repo_id for p in parents if p.net_score is None]
    if missing:
        evidence.append(f"not registered: {', '.join(missing)}")
    score = clamp(sum(p.net_score or 0.0 for p in rated) / len(rated))
    return Measured(score, evidence[:6], f"Mean net score of {len(rated)} registered parent(s).")


METRIC = Metric("tree_score", compute)
