"""reviewedness: the share of the linked repo's recent code that arrived through reviewed PRs.

Window: the 20 most recently merged pull requests among the closed ones GitHub lists (up to
300), and the default branch's commits (up to 300) back to the oldest of their merge commits
(all listed commits when none of them is on the branch).

- A merged PR counts when its ``merge_commit_sha`` is among those commits. It is *reviewed*
  when someone other than its author (bots aside) left an APPROVED or CHANGES_REQUESTED review.
- Its size is the lines its file list adds to *code files* (:func:`is_code_file`: source,
  build, dependency and CI config), not docs, data, notebooks, weights or media.
- Every other commit in the window with a single parent was pushed straight to the branch.
  The commit list carries no line counts, so each counts as the median PR size of the sample
  (at least 1 line). Merges of branches (two parents) add no code of their own.

    reviewedness = reviewed PR code lines / (all PR code lines + direct commits * median)

A repo with neither counted PRs nor direct commits scores 0. No reachable linked GitHub repo
(none linked, a dead link, or a gated card that cannot be read): the metric does not apply,
and REST shows the course's -1 for it.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from typing import Any

from app.rating.context import LIST_ITEM_BYTES, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable
from app.rating.metrics.bus_factor import is_bot
from app.rating.metrics.code_quality import missing_repo_note

SAMPLE_PRS = 20  # two requests each (reviews, files): bounded cost per ingest
REVIEW_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED"})
# fmt: off
_CODE_SUFFIXES = frozenset({
    ".py", ".pyx", ".pxd", ".pyi", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".cu",
    ".cuh", ".rs", ".go", ".zig", ".java", ".kt", ".kts", ".scala", ".swift", ".m", ".mm", ".cs",
    ".fs", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".rb", ".php", ".jl", ".r", ".lua",
    ".sh", ".bash", ".zsh", ".ps1", ".proto", ".sql",
    # build, dependency and CI configuration changes what runs, so it counts as code
    ".toml", ".cfg", ".ini", ".yml", ".yaml", ".cmake", ".gradle", ".mk", ".bzl",
})
# fmt: on
_MERGE_PARENTS = 2
_CODE_NAMES = frozenset(
    {"Makefile", "Dockerfile", "CMakeLists.txt", "Jenkinsfile", "BUILD", "WORKSPACE"}
)


def is_code_file(path: str) -> bool:
    """Source, build, dependency and CI files: what a reviewer should see before it runs."""
    name = path.rsplit("/", 1)[-1]
    if name in _CODE_NAMES or (name.startswith("requirements") and name.endswith(".txt")):
        return True
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in _CODE_SUFFIXES


@dataclass(frozen=True, slots=True)
class PullData:
    """One merged PR as the metric needs it."""

    number: int
    author: str
    merge_sha: str
    reviews: list[dict[str, Any]]
    files: list[dict[str, Any]]


def _user(obj: dict[str, Any]) -> dict[str, Any]:
    user = obj.get("user")
    return user if isinstance(user, dict) else {}


def _login(obj: dict[str, Any]) -> str:
    return str(_user(obj).get("login") or "")


def is_reviewed(author: str, reviews: list[dict[str, Any]]) -> bool:
    """An APPROVED or CHANGES_REQUESTED review by a person other than the author."""
    for review in reviews:
        login = _login(review)
        by_other = login not in {"", author} and not is_bot(_user(review))
        if review.get("state") in REVIEW_STATES and by_other:
            return True
    return False


def code_lines(files: list[dict[str, Any]]) -> int:
    return sum(int(f.get("additions") or 0) for f in files if is_code_file(str(f.get("filename"))))


def score_history(
    repo_id: str, commits: list[dict[str, Any]], pulls: list[PullData], in_window: int
) -> Measured:
    """``commits`` newest first; ``in_window``: how many of them the window holds."""
    window = commits[:in_window]
    shas = {str(c.get("sha")) for c in window}
    counted = [p for p in pulls if p.merge_sha in shas]
    merge_shas = {p.merge_sha for p in counted}
    direct = [
        c
        for c in window
        if c.get("sha") not in merge_shas and len(c.get("parents") or []) < _MERGE_PARENTS
    ]
    sizes = {p.number: code_lines(p.files) for p in counted}
    reviewed = [p for p in counted if is_reviewed(p.author, p.reviews)]
    reviewed_lines = sum(sizes[p.number] for p in reviewed)
    pr_lines = sum(sizes.values())
    median = max(1.0, statistics.median(sizes.values())) if sizes else 1.0
    total = pr_lines + len(direct) * median
    if total == 0:
        return Measured(
            0.0,
            [f"{repo_id}: no merged pull requests or commits to judge"],
            "The linked repo shows no history, so none of its code is known to be reviewed.",
        )
    score = clamp(reviewed_lines / total)
    evidence = [
        f"{len(reviewed)} of {len(counted)} merged PRs reviewed (approved or changes requested)",
        f"{reviewed_lines} of {pr_lines} code lines added by merged PRs were reviewed",
        f"{len(direct)} commits pushed directly, counted as {median:g} lines each (median PR)",
        f"window: {len(window)} commits on the default branch",
    ]
    return Measured(
        score,
        evidence,
        f"About {score:.0%} of the code added in the window came through reviewed pull requests.",
    )


def window_size(commits: list[dict[str, Any]], pulls: list[dict[str, Any]]) -> int:
    """How many of the newest commits reach back to the oldest sampled PR's merge commit."""
    wanted = {str(p.get("merge_commit_sha")) for p in pulls}
    last = max((i for i, c in enumerate(commits) if c.get("sha") in wanted), default=-1)
    return len(commits) if last < 0 else last + 1


def sample_merged(pulls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The most recently merged PRs, newest first."""
    merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha")]
    merged.sort(key=lambda p: (str(p["merged_at"]), int(p.get("number") or 0)), reverse=True)
    return merged[:SAMPLE_PRS]


async def compute(ctx: ScoringContext) -> Measured:
    code = await ctx.code()
    if code is None:
        return not_applicable(
            await missing_repo_note(ctx),
            "Without a linked code repository reviewedness does not apply.",
            fallback=-1.0,
        )
    github = ctx.upstream.github
    commits, closed = await asyncio.gather(
        github.commits(code.repo_id, code.head_sha), github.closed_pulls(code.repo_id)
    )
    sample = sample_merged(closed)
    reviews, files = await asyncio.gather(
        asyncio.gather(*(github.reviews(code.repo_id, int(p["number"])) for p in sample)),
        asyncio.gather(*(github.pull_files(code.repo_id, int(p["number"])) for p in sample)),
    )
    pulls = [
        PullData(int(p["number"]), _login(p), str(p["merge_commit_sha"]), r, f)
        for p, r, f in zip(sample, reviews, files, strict=True)
    ]
    start = window_size(commits, sample)
    items = len(commits) + sum(len(p.reviews) + len(p.files) for p in pulls)
    return await ctx.cpu(
        score_history, code.repo_id, commits, pulls, start, size=items * LIST_ITEM_BYTES
    )


METRIC = Metric("reviewedness", compute)
