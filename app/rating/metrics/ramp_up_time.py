"""ramp_up_time: how quickly a newcomer can start using the model, judged from its card.

``prose`` counts the words of the card body outside code blocks, headings, HTML comments and
placeholders ("More information needed"). The stock sentences of the hub's default model card
template ("This is the model card of a 🤗 transformers model that has been pushed on the Hub",
"Use the code below to get started with the model", ...) and its field labels left empty
("- **Developed by:** [More Information Needed]") say nothing about the model and count as
placeholders, so an unfilled template is as empty as a blank card.
A card with fewer than 20 words of prose (a title and a tagline) is empty and scores 0.
Otherwise::

    length   = min(1, prose / 500)
    sections = found / 6 of: usage, installation, intended uses, limitations, training,
               evaluation. A section is found when a heading names it and has at least 5 words
               under it (subsections included) besides "More information needed"-style
               placeholders; installation is also found when the card shows ``pip install``.
    code     = 1 for a usage example (a block that imports or loads something), 0.5 for other
               code such as shell commands, 0 for none (citations do not count)
    metadata = (pipeline_tag declared + library_name declared) / 2, from the hub or the card

    score = 0.2 length + 0.35 sections + 0.3 code + 0.15 metadata

Not applicable (REST fallback 0) for a gated model read without a token: its card's text is
one of the files the hub gates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.rating.cards import Card, CodeBlock
from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable

MIN_PROSE = 20
FULL_PROSE = 500
MIN_SECTION_WORDS = 5
WEIGHTS = {"length": 0.2, "sections": 0.35, "code": 0.3, "metadata": 0.15}
SECTIONS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"\b({pattern})\b")
    for name, pattern in {
        "usage": r"usage|how to (use|get started)|get(ting)? started|quick ?start|use with"
        r"|examples?|inference",
        "installation": r"install(ation|ing)?|setup|set up|requirements|dependencies",
        "intended uses": r"intended uses?|uses|use cases?|direct use|downstream use|evaluated use",
        "limitations": r"limitations?|bias(es)?|risks?|ethic(s|al)|caveats|out[- ]of[- ]scope"
        r"|implications",
        "training": r"train(ing)?|fine-?tun(e|ing)|pre-?train(ing)?|hyper-?parameters",
        "evaluation": r"evaluation|eval|results|benchmarks?|performance|metrics",
    }.items()
}
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_PLACEHOLDER = re.compile(
    r"\[?more information needed\]?|\[?needs more information\]?|\btodo\b|\btbd\b|coming soon",
    re.IGNORECASE,
)
_PLACEHOLDER_PHRASES = (
    "more information needed",
    "needs more information",
    "todo",
    "tbd",
    "coming soon",
)
_INSTALL = re.compile(r"\b(pip3?|conda|uv pip) install\b|\bnpm (i|install)\b")
_USAGE = re.compile(r"^(>>>)?\s*(from|import)\s|\bfrom_pretrained\(|\bpipeline\(", re.MULTILINE)
_COMMAND = re.compile(
    r"^\s*\$?\s*(pip3?|python3?|huggingface-cli|hf|git|curl|wget|docker|conda|npm|ollama)\s",
    re.MULTILINE,
)
_CITATION = frozenset({"bibtex", "bib", "tex", "latex"})


@dataclass(frozen=True, slots=True)
class Outline:
    prose_words: int
    sections: dict[str, int]  # lower-cased heading -> words under it, subsections included


def outline(body: str) -> Outline:
    """Headings with the size of what they cover, and the prose word count."""
    text = _COMMENT.sub("", body) if "<!--" in body else body
    lines = text.splitlines()
    cleaned = _without_placeholders(text).splitlines()  # placeholders never span lines
    headings: list[tuple[int, int, str]] = []  # (line, level, lower-cased title)
    words = [0] * len(lines)
    prose, fence = 0, ""
    for i, line in enumerate(lines):
        if match := _FENCE.match(line):
            fence = "" if fence and match.group(1).startswith(fence) else fence or match.group(1)
        elif not fence and (heading := _HEADING.match(line)):
            headings.append((i, len(heading.group(1)), heading.group(2).lower()))
            continue
        words[i] = len(cleaned[i].split())
        prose += 0 if fence or match else words[i]
    sections: dict[str, int] = {}
    for n, (start, level, title) in enumerate(headings):
        end = next((ln for ln, lv, _ in headings[n + 1 :] if lv <= level), len(lines))
        sections[title] = sections.get(title, 0) + sum(words[start + 1 : end])
    return Outline(prose, sections)


#: Sentences of huggingface_hub's default model card template (modelcard_template.md) that
#: stay the same whatever the model.
_TEMPLATE_SENTENCES = (
    "This is the model card of a 🤗 transformers model that has been pushed on the Hub.",
    "This model card has been automatically generated.",
    "Use the code below to get started with the model.",
    (
        "Users (both direct and downstream) should be made aware of the risks, biases and "
        "limitations of the model."
    ),
    "More information needed for further recommendations.",
    (
        "Carbon emissions can be estimated using the [Machine Learning Impact calculator]"
        "(https://mlco2.github.io/impact#compute) presented in [Lacoste et al. (2019)]"
        "(https://arxiv.org/abs/1910.09700)."
    ),
)
# A template field whose value was a placeholder: "- **Developed by:**" and nothing else.
_EMPTY_FIELD = re.compile(r"^[ \t]*(?:[-*+][ \t]*)?\*\*[^*\n]{1,80}\*\*[ \t]*$", re.MULTILINE)


def _without_placeholders(text: str) -> str:
    for sentence in _TEMPLATE_SENTENCES:
        if sentence in text:
            text = text.replace(sentence, "")
    # The case-insensitive pattern scans slowly; most cards hold none of its phrases, which a
    # case-folded substring test rules out first.
    folded = text.casefold()
    if not any(phrase in folded for phrase in _PLACEHOLDER_PHRASES):
        return text
    return _EMPTY_FIELD.sub("", _PLACEHOLDER.sub("", text))


def code_level(blocks: Sequence[CodeBlock]) -> float:
    code = [b for b in blocks if b.language not in _CITATION]
    if any(_USAGE.search(b.code) for b in code):
        return 1.0
    if any(b.language not in {"", "text", "txt"} or _COMMAND.search(b.code) for b in code):
        return 0.5
    return 0.0


def score_card(card: Card, pipeline_tag: str | None, library_name: str | None) -> Measured:
    shape = outline(card.body)
    if shape.prose_words < MIN_PROSE:
        return Measured(
            score=0.0,
            evidence=[
                f"card has {shape.prose_words} words of prose (under {MIN_PROSE}: empty)",
                f"{len(shape.sections)} heading(s), {len(card.code_blocks)} code block(s)",
            ],
            explanation="The model card is empty, so a newcomer has nothing to start from.",
        )
    found = [
        name
        for name, pattern in SECTIONS.items()
        if any(
            pattern.search(title) and size >= MIN_SECTION_WORDS
            for title, size in shape.sections.items()
        )
        or (name == "installation" and _INSTALL.search(card.body))
    ]
    missing = [name for name in SECTIONS if name not in found]
    declared = {"pipeline_tag": pipeline_tag, "library_name": library_name}
    parts = {
        "length": min(1.0, shape.prose_words / FULL_PROSE),
        "sections": len(found) / len(SECTIONS),
        "code": code_level(card.code_blocks),
        "metadata": sum(1 for v in declared.values() if v) / len(declared),
    }
    code_kind = {1.0: "a usage example", 0.5: "code but no usage example", 0.0: "no code"}
    evidence = [
        f"card has {shape.prose_words} words of prose",
        f"card has {len(found)} of {len(SECTIONS)} sections: {', '.join(found) or 'none'}"
        + (f" (missing {', '.join(missing)})" if missing else ""),
        f"code: {code_kind[parts['code']]} in {len(card.code_blocks)} code block(s)",
        "declared: " + ", ".join(f"{k} {v or 'missing'}" for k, v in declared.items()),
    ]
    score = clamp(sum(WEIGHTS[k] * v for k, v in parts.items()))
    quality = "well" if score >= 0.7 else "partly" if score >= 0.4 else "poorly"  # noqa: PLR2004
    return Measured(score, evidence, f"The card {quality} prepares a newcomer to use the model.")


async def compute(ctx: ScoringContext) -> Measured:
    if await ctx.files_gated():
        return not_applicable(
            GATED_REASON, "The model's card cannot be read, so how it helps a newcomer is unknown."
        )
    card = await ctx.card()
    info = await ctx.info()
    pipeline_tag = info.pipeline_tag or card.metadata.get("pipeline_tag")
    library_name = info.library_name or card.metadata.get("library_name")
    return await ctx.cpu(
        score_card,
        card,
        str(pipeline_tag) if pipeline_tag else None,
        str(library_name) if library_name else None,
        size=card.size,
    )


METRIC = Metric("ramp_up_time", compute)
