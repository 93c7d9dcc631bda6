"""A ScoringContext on the fake hub, for metric tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from app.rating.context import RegisteredParent, ScoringContext
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import RetryPolicy, open_upstream_http
from tests.fakehub import FakeHub

#: The metrics every model rating holds, as DESIGN §5 names them, and the weights_safety
#: check (stated here, not read from the code under test).
METRICS = {
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "size_score",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "reproducibility",
    "reviewedness",
    "tree_score",
    "weights_safety",
}


@asynccontextmanager
async def scoring_context(
    hub: FakeHub,
    model_id: str,
    registered: Sequence[RegisteredParent] = (),
    *,
    hf_token: str | None = None,
) -> AsyncIterator[ScoringContext]:
    """``registered``: parents the registry already holds, with their net scores;
    ``hf_token`` unlocks gated repos."""
    known = {p.repo_id.lower(): p for p in registered}

    async def lookup(repo_ids: list[str]) -> list[RegisteredParent]:
        return [known.get(r.lower(), RegisteredParent(r, None, None)) for r in repo_ids]

    async with open_upstream_http(RetryPolicy(2, 1.0), timeout_seconds=10) as http:
        upstream = Upstream(http, UpstreamConfig(hub.url, hf_token, hub.url, None))
        async with upstream.session() as view:
            yield ScoringContext(model_id, view, lookup)
