"""dataset_quality: how well documented, licensed and used the model's training datasets are.

For each linked dataset that exists on the hub, from the hub's public dataset metadata
(``/api/datasets/{id}``: ``cardData``, tags, downloads, likes, gated) and the card's text:

    quality     = 0.5 * completeness + 0.25 * licence + 0.25 * popularity
    completeness = (metadata fields present + card topics covered) / 11
        metadata (5): pretty_name, task_categories, size_categories, language,
                      a schema (dataset_info or configs), from cardData or the card's front
                      matter
        topics (6):   summary, structure (fields/instances/splits), provenance (source data,
                      curation, collection, annotations), considerations (biases, limitations,
                      sensitive data), licensing, citation; a topic counts when a heading
                      naming it has at least 3 words of content other than
                      "[More Information Needed]"
        A gated dataset's card text needs a token its metadata does not: read without one,
        completeness is the metadata fields present / 5.
    licence      = 1 for a named licence, 0.5 for "other" (custom terms), 0 if missing/unknown
    popularity   = 0.5 * min(1, log10(1 + downloads) / 6) + 0.5 * min(1, log10(1 + likes) / 3)
                   (a million downloads and a thousand likes score full marks)

    dataset_quality = mean quality over those datasets

Not applicable (REST fallback 0) when the model names no dataset, or when none of the named
ones is on the hub: there is nothing to judge, and dataset_and_code_score already counts the
missing or dead link.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from app.rating.context import DatasetData, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable

METADATA_FIELDS = ("pretty_name", "task_categories", "size_categories", "language")
TOPICS: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "description"),
    "structure": ("data fields", "data instances", "data splits", "structure"),
    "provenance": ("source data", "curation", "collection", "annotation", "creation"),
    "considerations": ("bias", "limitation", "consideration", "sensitive", "social impact"),
    "licensing": ("licens",),
    "citation": ("citation",),
}
CHECKS = len(METADATA_FIELDS) + 1 + len(TOPICS)
MIN_TOPIC_WORDS = 3
_PLACEHOLDER = re.compile(
    r"\[?(?:more information needed|needs more information)\]?", re.IGNORECASE
)
_FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_SHOWN = 5  # datasets listed one per evidence line


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """What the metric reads of one dataset, as plain data."""

    repo_id: str
    metadata: dict[str, Any]
    body: str
    tags: list[str]
    downloads: int
    likes: int
    #: False when the dataset is gated and its card text could not be read.
    card_readable: bool = True


def sections(body: str) -> dict[str, str]:
    """Lower-cased heading -> its text up to the next heading (code blocks count as text)."""
    # Blank out code blocks, keeping offsets, so a "# comment" in code is no heading.
    masked = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    found: dict[str, str] = {}
    matches = list(_HEADING.finditer(masked))
    for i, here in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        key = here.group(1).strip().lower()
        found[key] = (found.get(key, "") + " " + body[here.end() : end]).strip()
    return found


@functools.lru_cache(maxsize=64)
def covered_topics(body: str) -> tuple[str, ...]:
    """Memoized: models share their datasets, and a dataset card is long."""
    texts = sections(body)
    covered: list[str] = []
    for topic, words in TOPICS.items():
        for heading, text in texts.items():
            content = _PLACEHOLDER.sub("", text).split()
            if any(w in heading for w in words) and len(content) >= MIN_TOPIC_WORDS:
                covered.append(topic)
                break
    return tuple(covered)


def licence_value(metadata: dict[str, Any], tags: list[str]) -> tuple[float, str]:
    declared = metadata.get("license")
    values = [declared] if isinstance(declared, str) else list(declared or [])
    values += [t.removeprefix("license:") for t in tags if t.startswith("license:")]
    names = sorted({str(v).strip().lower() for v in values if str(v).strip()} - {"unknown"})
    if not names:
        return 0.0, "licence unknown"
    if names == ["other"]:
        return 0.5, "custom licence (other)"
    return 1.0, "licence " + ", ".join(n for n in names if n != "other")


def popularity(downloads: int, likes: int) -> float:
    return 0.5 * min(1.0, math.log10(1 + max(downloads, 0)) / 6) + 0.5 * min(
        1.0, math.log10(1 + max(likes, 0)) / 3
    )


def score_dataset(facts: DatasetFacts) -> tuple[float, str]:
    meta = [f for f in METADATA_FIELDS if facts.metadata.get(f)]
    schema = bool(facts.metadata.get("dataset_info") or facts.metadata.get("configs"))
    topics = covered_topics(facts.body) if facts.card_readable else ()
    checks = CHECKS if facts.card_readable else len(METADATA_FIELDS) + 1
    found = len(meta) + schema + len(topics)
    completeness = found / checks
    licence, licence_note = licence_value(facts.metadata, facts.tags)
    pop = popularity(facts.downloads, facts.likes)
    quality = 0.5 * completeness + 0.25 * licence + 0.25 * pop
    what = "card" if facts.card_readable else "metadata (gated card not read)"
    note = (
        f"{facts.repo_id} {quality:.2f}: {what} {found}/{checks} complete, {licence_note}, "
        f"{facts.downloads:,} downloads, {facts.likes:,} likes"
    )
    return quality, note


def score_datasets(named: list[str], datasets: list[DatasetFacts]) -> Measured:
    """``named``: the dataset ids the model names; ``datasets``: those that exist."""
    if not named:
        return not_applicable(
            "no training dataset named in the card or tags",
            "The model names no training dataset, so dataset quality does not apply.",
        )
    if not datasets:
        return not_applicable(
            f"none of the named datasets is on the hub: {', '.join(named[:_SHOWN])}",
            "No named training dataset can be read on the hub, so there is nothing to judge.",
        )
    scored = [score_dataset(d) for d in sorted(datasets, key=lambda d: d.repo_id.lower())]
    score = clamp(sum(q for q, _ in scored) / len(scored))
    evidence = [note for _, note in scored[:_SHOWN]]
    if missing := unreached(named, [d.repo_id for d in datasets]):
        evidence.append(f"left out, not on the hub: {', '.join(missing[:_SHOWN])}")
    return Measured(
        score,
        evidence,
        f"Mean over {len(scored)} reachable datasets of card completeness (half), licence "
        "clarity and popularity (a quarter each).",
    )


def unreached(named: list[str], found: list[str]) -> list[str]:
    """The named ids with no found dataset; a legacy id ("imagenet-1k") matches its canonical
    one ("ILSVRC/imagenet-1k")."""
    keys = {f.lower() for f in found} | {f.lower().rsplit("/", 1)[-1] for f in found}
    return [n for n in named if n.lower() not in keys]


def facts_of(data: DatasetData) -> DatasetFacts:
    # The hub's cardData is the card's front matter as the hub parsed it; the card's own
    # front matter wins where both speak (it is what this revision says).
    card_data = data.info.card_data.to_dict() if data.info.card_data else {}  # type: ignore[no-untyped-call]
    return DatasetFacts(
        repo_id=data.repo_id,
        metadata={**card_data, **data.card.metadata},
        body=data.card.body,
        tags=list(data.info.tags or []),
        downloads=int(data.info.downloads or 0),
        likes=int(data.info.likes or 0),
        card_readable=data.card_readable,
    )


async def compute(ctx: ScoringContext) -> Measured:
    named, datasets = await asyncio.gather(ctx.dataset_ids(), ctx.datasets())
    size = sum(d.card.size for d in datasets)
    return await ctx.cpu(score_datasets, named, [facts_of(d) for d in datasets], size=size)


METRIC = Metric("dataset_quality", compute)
