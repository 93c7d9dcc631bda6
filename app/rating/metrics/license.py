"""license: a clear licence that the registry's licence policy accepts.

Formula: the licence is read from the hub's card data (``license``, and ``license_name`` /
``license_link`` for ``other``), else from ``license:`` tags, and judged by
:func:`app.rating.licenses.check_compatibility` against the policy (compatible with LGPL-2.1
for "fine-tune + inference")::

    score = 1.0 if compatible, 0.5 if needs_review, 0.0 if incompatible

A missing, ``unknown`` or unrecognised licence is the ``unknown`` family, which the policy
rates incompatible, so it scores 0. The hub's card data is the card's front matter; reading it
from the model info keeps gated models scorable without their README.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.rating.context import ScoringContext
from app.rating.entities import Measured
from app.rating.licenses import (
    POLICY_VERSION,
    Compatibility,
    LicenseInfo,
    check_compatibility,
    license_from_metadata,
)
from app.rating.metrics.base import Metric, clamp

SCORES = {
    Compatibility.COMPATIBLE: 1.0,
    Compatibility.NEEDS_REVIEW: 0.5,
    Compatibility.INCOMPATIBLE: 0.0,
}
_VERDICT_PHRASES = {
    Compatibility.COMPATIBLE: "allows fine-tuning and inference under the registry's policy",
    Compatibility.NEEDS_REVIEW: "needs a human review before fine-tuning and inference",
    Compatibility.INCOMPATIBLE: "forbids fine-tuning and inference under the registry's policy",
}


def score_license(metadata: dict[str, Any], tags: Sequence[str]) -> Measured:
    licence = license_from_metadata(metadata, tags)
    verdict = check_compatibility(licence)
    evidence = [_source(metadata, tags, licence)]
    if licence.link:
        evidence.append(f"licence text: {licence.link}")
    evidence.append(f"policy {POLICY_VERSION}: {verdict.verdict} ({verdict.reason})")
    if licence.family == "unknown":
        explanation = "No usable licence is declared, so nobody may safely reuse the model."
    else:
        explanation = f"{licence.display} {_VERDICT_PHRASES[verdict.verdict]}."
    return Measured(
        score=clamp(SCORES[verdict.verdict]), evidence=evidence, explanation=explanation
    )


def _source(metadata: dict[str, Any], tags: Sequence[str], licence: LicenseInfo) -> str:
    if metadata.get("license"):
        named = metadata.get("license_name")
        extra = f", license_name {named}" if named else ""
        return f"card declares license {metadata['license']}{extra} -> {licence.display}"
    licence_tags = [t for t in tags if t.startswith("license:")]
    if licence_tags:
        return f"tags {', '.join(licence_tags)} -> {licence.display}"
    return "no licence in the card metadata or tags"


async def compute(ctx: ScoringContext) -> Measured:
    info = await ctx.info()
    card_data = info.card_data
    # huggingface_hub leaves CardData.to_dict unannotated; it returns the front matter dict.
    metadata = card_data.to_dict() if card_data is not None else {}  # type: ignore[no-untyped-call]
    # Parsing is memoized and the licence index is loaded when the worker starts.
    return score_license(metadata, list(info.tags or []))


METRIC = Metric("license", compute)
