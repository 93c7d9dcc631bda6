"""Model and dataset cards: YAML front matter, markdown sections, code blocks, links.

Parsing a large card is CPU work: call :func:`parse_card` from a thread."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# libyaml's loader when the wheel has it: the pure-Python one dominates parsing a card.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE = re.compile(
    r"^(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE
)
_GITHUB_LINK = re.compile(r"https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)")


@dataclass(frozen=True, slots=True)
class CodeBlock:
    language: str
    code: str


@dataclass(frozen=True, slots=True)
class Card:
    metadata: dict[str, Any]
    body: str
    headings: tuple[str, ...]  # lower-cased heading texts, in order
    code_blocks: tuple[CodeBlock, ...]
    github_repos: tuple[str, ...] = field(default=())  # "owner/repo", in order of appearance

    @property
    def size(self) -> int:
        """Characters of the card's body: what scoring it walks."""
        return len(self.body)


def parse_card(text: str) -> Card:
    metadata: dict[str, Any] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.load(match.group(1), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            metadata = loaded
        body = text[match.end() :]
    headings = tuple(m.group(2).strip().lower() for m in _HEADING.finditer(_without_code(body)))
    blocks = tuple(
        CodeBlock(language=m.group(2).lower(), code=m.group(3)) for m in _FENCE.finditer(body)
    )
    repos: list[str] = []
    for owner, repo in _GITHUB_LINK.findall(text):
        name = f"{owner}/{repo.removesuffix('.git').rstrip('.')}"
        if name not in repos:
            repos.append(name)
    return Card(
        metadata=metadata,
        body=body,
        headings=headings,
        code_blocks=blocks,
        github_repos=tuple(repos),
    )


def _without_code(body: str) -> str:
    return _FENCE.sub("", body)
