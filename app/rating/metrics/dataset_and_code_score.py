"""dataset_and_code_score: are the training data and the code named, and can they be reached?

    score = datasets + code
    datasets = 0.2 if the card or the tags name a dataset
             + 0.3 * (datasets that exist on the hub / datasets named)
    code     = 0.3 if the card links a GitHub repo that answers (0.1 if it is named but does not)
             + 0.2 if the card shows example code: a fenced block in a programming or shell
               language, or an untagged block that imports, installs or runs something

Naming earns a little; reachability earns the rest, since a dead link documents nothing.
This is the one metric that counts a missing or dead link: dataset_quality and code_quality
do not apply without a reachable dataset or repo.

Not applicable (REST fallback 0) for a gated model read without a token: its card, which names
the code and shows the examples, cannot be read.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from app.rating.cards import CodeBlock
from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable
from app.rating.metrics.dataset_quality import unreached

NAMED_DATASETS = 0.2
REACHABLE_DATASETS = 0.3
REACHABLE_CODE = 0.3
NAMED_CODE = 0.1
EXAMPLE_CODE = 0.2
_CODE_LANGUAGES = frozenset(
    {"python", "py", "python3", "pycon", "ipython", "bash", "sh", "shell", "console", "zsh"}
    | {"javascript", "js", "typescript", "ts", "rust", "go", "java", "cpp", "c", "julia", "r"}
)
# An untagged block is code when a line imports, installs or runs something.
_LOOKS_LIKE_CODE = re.compile(
    r"^\s*(?:import\s|from\s+\S+\s+import\s|pip\s+install|python\s|\$\s|>>>)", re.MULTILINE
)
_SHOWN = 3


def is_example(block: CodeBlock) -> bool:
    if block.language:
        return block.language in _CODE_LANGUAGES
    return bool(_LOOKS_LIKE_CODE.search(block.code))


@dataclass(frozen=True, slots=True)
class Links:
    """What the card names and what of it answered upstream."""

    datasets_named: list[str]
    datasets_found: list[str]
    code_named: str | None  # the repo taken as the model's code
    code_found: str | None  # the same, if GitHub answered
    github_linked: list[str]  # every GitHub repo the card links, tooling included
    blocks: list[CodeBlock]


def score_links(links: Links) -> Measured:
    named, found = links.datasets_named, links.datasets_found
    code_named, code_found, blocks = links.code_named, links.code_found, links.blocks
    examples = [b for b in blocks if is_example(b)]
    datasets = 0.0
    if named:
        datasets = NAMED_DATASETS + REACHABLE_DATASETS * min(1.0, len(found) / len(named))
    code = REACHABLE_CODE if code_found else NAMED_CODE if code_named else 0.0
    code += EXAMPLE_CODE if examples else 0.0
    score = clamp(datasets + code)
    evidence = [
        _datasets_line(named, found),
        _code_line(code_named, code_found, links.github_linked),
        f"{len(examples)} example code blocks in the card" if examples else "no example code",
    ]
    return Measured(
        score,
        evidence,
        f"Training data scores {datasets:.2f} of 0.5 and code {code:.2f} of 0.5, "
        "for naming them and for links that resolve.",
    )


def _datasets_line(named: list[str], found: list[str]) -> str:
    if not named:
        return "no training dataset named in the card or tags"
    line = f"{min(len(found), len(named))} of {len(named)} named datasets exist on the hub"
    missing = unreached(named, found) if len(found) < len(named) else []
    return line + (f"; not reachable: {_shown(missing)}" if missing else "")


def _code_line(code_named: str | None, code_found: str | None, linked: list[str]) -> str:
    if code_found:
        return f"GitHub repo {code_found} reachable"
    if code_named:
        return f"GitHub repo {code_named} named but not reachable"
    if linked:
        return f"card links only general tooling on GitHub: {_shown(linked)}"
    return "no GitHub code repository linked"


def _shown(names: list[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (" ..." if len(names) > _SHOWN else "")


async def compute(ctx: ScoringContext) -> Measured:
    if await ctx.files_gated():
        return not_applicable(
            GATED_REASON,
            "The model's card cannot be read, so what it names and shows is unknown.",
        )
    named, found, code_named, code, card = await asyncio.gather(
        ctx.dataset_ids(), ctx.datasets(), ctx.code_repo_id(), ctx.code(), ctx.card()
    )
    links = Links(
        datasets_named=named,
        datasets_found=[d.repo_id for d in found],
        code_named=code_named,
        code_found=None if code is None else code.repo_id,
        github_linked=list(card.github_repos),
        blocks=list(card.code_blocks),
    )
    return score_links(links)


METRIC = Metric("dataset_and_code_score", compute)
