"""bus_factor: how many people the project depends on.

With a reachable linked GitHub repo, from its contributors ranked by commits (up to 300; bots
are left out, since no knowledge leaves with them):

    share_i     = contributions_i / contributions of all listed humans
    significant = number of people with share_i >= 0.05
    bus_factor  = 0.5 * min(1, significant / 5) + 0.5 * min(1, (1 - top_share) / 0.6)

so five significant people and a top contributor holding at most 40 % of the commits score 1.

Without one, only the model card speaks, and weakly: the people its BibTeX ``author`` fields
name built the model, but say nothing about who maintains it, so

    bus_factor = 0.3 * min(1, named_authors / 4)
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from app.rating.context import LIST_ITEM_BYTES, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp
from app.rating.metrics.code_quality import missing_repo_note

SIGNIFICANT_SHARE = 0.05
FULL_COUNT = 5
FULL_SPREAD = 0.6  # 1 - top share at which concentration stops costing anything
CARD_CAP = 0.3
CARD_FULL_AUTHORS = 4
_SHOWN = 4  # names listed in one evidence line

# BibTeX ``author = {A and B}`` or ``author = "A and B"``, one level of nested braces allowed.
_AUTHOR_FIELD = re.compile(
    r"\bauthor\s*=\s*(?:\{((?:[^{}]|\{[^{}]*\})*)\}|\"([^\"]*)\")", re.IGNORECASE
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def is_bot(person: dict[str, Any]) -> bool:
    """A GitHub user object (or contributor) that is an app, such as dependabot."""
    login = str(person.get("login") or "")
    return person.get("type") == "Bot" or login.endswith("[bot]")


def score_contributors(repo_id: str, contributors: list[dict[str, Any]]) -> Measured:
    bots = sum(1 for c in contributors if is_bot(c))
    humans = [
        (str(c.get("login") or "?"), int(c.get("contributions") or 0))
        for c in contributors
        if not is_bot(c) and int(c.get("contributions") or 0) > 0
    ]
    total = sum(n for _, n in humans)
    if total == 0:
        return Measured(
            0.0,
            [f"{repo_id}: GitHub lists no human contributors with commits"],
            "Nobody can be shown to maintain the linked code, so the bus factor is unknown.",
        )
    top_login, top = max(humans, key=lambda h: (h[1], h[0]))
    top_share = top / total
    significant = [login for login, n in humans if n / total >= SIGNIFICANT_SHARE]
    count_part = min(1.0, len(significant) / FULL_COUNT)
    spread_part = min(1.0, (1 - top_share) / FULL_SPREAD)
    score = clamp(0.5 * count_part + 0.5 * spread_part)
    evidence = [
        f"{len(humans)} human contributors to {repo_id} with {total} commits"
        + (f", bots left out: {bots}" if bots else ""),
        f"{len(significant)} contributors at or above 5 % of commits: {_names(significant)}",
        f"top contributor {top_login} holds {top_share:.0%} of commits",
    ]
    return Measured(
        score,
        evidence,
        f"{len(significant)} people each made at least 5 % of the commits and the busiest made "
        f"{top_share:.0%}, which is how much the code depends on single people.",
    )


def _names(names: list[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (" ..." if len(names) > _SHOWN else "")


def card_authors(text: str) -> list[str]:
    """Distinct people named by the BibTeX ``author`` fields in a card."""
    names: list[str] = []
    seen: set[str] = set()
    for braced, quoted in _AUTHOR_FIELD.findall(text):
        for raw in _AND.split(braced or quoted):
            name = " ".join(raw.replace("{", "").replace("}", "").split())
            if name.count(",") == 1:  # BibTeX "Last, First"
                last, first = (part.strip() for part in name.split(","))
                name = f"{first} {last}".strip()
            key = name.casefold()
            if name and key not in {"others", "et al.", "et al"} and key not in seen:
                seen.add(key)
                names.append(name)
    return names


def score_card_authors(text: str, repo_note: str) -> Measured:
    authors = card_authors(text)
    score = clamp(CARD_CAP * min(1.0, len(authors) / CARD_FULL_AUTHORS))
    evidence = [repo_note]
    if authors:
        evidence.append(f"card citation names {len(authors)} authors: {_names(authors)}")
    else:
        evidence.append("card names no authors (no BibTeX author field)")
    evidence.append(f"without commit history the score is capped at {CARD_CAP}")
    return Measured(
        score,
        evidence,
        "No contributor history is available, so only the authors the card cites count, weakly.",
    )


async def compute(ctx: ScoringContext) -> Measured:
    code = await ctx.code()
    if code is not None:
        contributors = await ctx.upstream.github.contributors(code.repo_id)
        return await ctx.cpu(
            score_contributors,
            code.repo_id,
            contributors,
            size=len(contributors) * LIST_ITEM_BYTES,
        )
    card, note = await asyncio.gather(ctx.card(), missing_repo_note(ctx))
    return await ctx.cpu(score_card_authors, card.body, note, size=card.size)


METRIC = Metric("bus_factor", compute)
