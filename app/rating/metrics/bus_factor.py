"""bus_factor: how many people the project depends on.

People and their shares of the work come from the linked GitHub repo's contributors ranked by
commits (up to 300) when the card links a reachable one; otherwise from the Hugging Face repo's
own history, the hub's commits API (up to 300 commits from the scored revision), where a
commit's credit is split evenly between its human authors. Bots are left out either way, since
no knowledge leaves with them: GitHub's ``Bot`` accounts and ``[bot]`` logins, the hub's
conversion and librarian bots (``SFconvertbot``, ``librarian-bot``, ``*-bot``). Then

    share_i     = work_i / work of all humans listed
    significant = number of people with share_i >= 0.05
    bus_factor  = 0.5 * min(1, significant / 5) + 0.5 * min(1, (1 - top_share) / 0.6)

so five significant people and a top contributor holding at most 40 % of the work score 1;
one person alone scores 0.1. A history with no human work scores 0.
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.rating.context import LIST_ITEM_BYTES, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp
from app.rating.metrics.code_quality import missing_repo_note

SIGNIFICANT_SHARE = 0.05
FULL_COUNT = 5
FULL_SPREAD = 0.6  # 1 - top share at which concentration stops costing anything
_SHOWN = 4  # names listed in one evidence line
_HUB_BOTS = frozenset({"sfconvertbot", "librarian-bot", "system"})


def is_bot(person: dict[str, Any]) -> bool:
    """A GitHub user object (or contributor) that is an app, such as dependabot."""
    login = str(person.get("login") or "")
    return person.get("type") == "Bot" or login.endswith("[bot]")


def is_hub_bot(user: str) -> bool:
    """A Hugging Face account that commits for a tool (weights conversion, metadata PRs)."""
    name = user.lower()
    return name in _HUB_BOTS or name.endswith(("-bot", "[bot]"))


def score_shares(source: str, work: dict[str, float], bots: int, unit: str) -> Measured:
    """``work``: each human's share of the ``unit`` (commits) in ``source``, bots left out."""
    humans = {name: n for name, n in work.items() if n > 0}
    total = sum(humans.values())
    if total == 0:
        return Measured(
            0.0,
            [f"{source}: no human {unit} listed"],
            "Nobody can be shown to maintain the model, so the bus factor is unknown.",
        )
    top_name, top = min(humans.items(), key=lambda h: (-h[1], h[0]))  # ties: first by name
    top_share = top / total
    significant = sorted(
        (name for name, n in humans.items() if n / total >= SIGNIFICANT_SHARE),
        key=lambda name: (-humans[name], name),
    )
    count_part = min(1.0, len(significant) / FULL_COUNT)
    spread_part = min(1.0, (1 - top_share) / FULL_SPREAD)
    score = clamp(0.5 * count_part + 0.5 * spread_part)
    evidence = [
        f"{len(humans)} human contributors to {source} with {total:g} {unit}"
        + (f", bots left out: {bots}" if bots else ""),
        f"{len(significant)} contributors at or above 5 % of {unit}: {_names(significant)}",
        f"top contributor {top_name} holds {top_share:.0%} of {unit}",
    ]
    return Measured(
        score,
        evidence,
        f"{len(significant)} people each made at least 5 % of the {unit} and the busiest made "
        f"{top_share:.0%}, which is how much the project depends on single people.",
    )


def score_contributors(repo_id: str, contributors: list[dict[str, Any]]) -> Measured:
    """From GitHub's contributor list (login, contributions)."""
    bots = sum(1 for c in contributors if is_bot(c))
    work: dict[str, float] = {}
    for c in contributors:
        if not is_bot(c):
            login = str(c.get("login") or "?")
            work[login] = work.get(login, 0.0) + int(c.get("contributions") or 0)
    return score_shares(repo_id, work, bots, "commits")


def score_hub_commits(model_id: str, commits: list[dict[str, Any]], repo_note: str) -> Measured:
    """From the hub's commit list: each commit's credit split between its human authors."""
    work: dict[str, float] = {}
    bots: set[str] = set()
    for commit in commits:
        authors = commit.get("authors")
        names = (
            [str(a["user"]) for a in authors if isinstance(a, dict) and a.get("user")]
            if isinstance(authors, list)
            else []
        )
        bots.update(name for name in names if is_hub_bot(name))
        humans = [name for name in names if not is_hub_bot(name)]
        for name in humans:
            work[name] = work.get(name, 0.0) + 1 / len(humans)
    measured = score_shares(f"the hub repo {model_id}", work, len(bots), "commits")
    return Measured(measured.score, [repo_note, *measured.evidence], measured.explanation)


def _names(names: list[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (" ..." if len(names) > _SHOWN else "")


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
    commits, note = await asyncio.gather(ctx.hub_commits(), missing_repo_note(ctx))
    return await ctx.cpu(
        score_hub_commits, ctx.model_id, commits, note, size=len(commits) * LIST_ITEM_BYTES
    )


METRIC = Metric("bus_factor", compute)
