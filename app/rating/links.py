"""What a model points at: its training datasets, its code repository, its parent models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.rating.cards import Card

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Repositories cards link to for tooling rather than as the model's own code.
_TOOLING_OWNERS = frozenset(
    {"huggingface", "pytorch", "tensorflow", "onnx", "microsoft/onnxruntime"}
)
_CONFIG_PARENT_KEYS = ("base_model", "base_model_name_or_path", "_name_or_path", "teacher_model")


@dataclass(frozen=True, slots=True)
class NamedParent:
    """A parent model as the card or config names it, before the registry resolves it to an
    artifact (``app.artifacts.entities.ParentLink``)."""

    repo_id: str
    source: str  # "config_json" | "model_card"


@dataclass(frozen=True, slots=True)
class ParentLink:
    """A lineage link: the parent's upstream name, and its registry id when registered."""

    name: str
    artifact_id: str | None
    source: str  # "config_json" | "model_card"


def linked_datasets(card: Card, tags: list[str] | None) -> list[str]:
    """Dataset repo ids named by the card's ``datasets`` or by ``dataset:`` tags."""
    found: list[str] = []
    declared = card.metadata.get("datasets")
    for value in [declared] if isinstance(declared, str) else declared or []:
        if isinstance(value, str) and value and value not in found:
            found.append(value)
    for tag in tags or []:
        if tag.startswith("dataset:") and (name := tag.removeprefix("dataset:")) not in found:
            found.append(name)
    return found


def linked_code_repo(card: Card, model_id: str) -> str | None:
    """The GitHub repo a card names as the model's code: one of the model owner's repos if
    linked, else the first linked repo that is not general tooling."""
    owner = model_id.split("/", 1)[0].lower() if "/" in model_id else ""
    candidates = [r for r in card.github_repos if r.split("/", 1)[0].lower() not in _TOOLING_OWNERS]
    for repo in candidates:
        if repo.split("/", 1)[0].lower() == owner:
            return repo
    return candidates[0] if candidates else None


def parent_links(model_id: str, config: dict[str, Any] | None, card: Card) -> list[NamedParent]:
    """Parents named by config.json (``base_model``, ``_name_or_path`` naming another repo,
    ``teacher_model``...) and by the card's ``base_model``, first mention first."""
    parents: list[NamedParent] = []

    def add(value: object, source: str) -> None:
        for item in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
            if (
                isinstance(item, str)
                and _REPO_ID.match(item)
                and item.lower() != model_id.lower()
                and all(p.repo_id.lower() != item.lower() for p in parents)
            ):
                parents.append(NamedParent(item, source))

    for key in _CONFIG_PARENT_KEYS:
        add((config or {}).get(key), "config_json")
    add(card.metadata.get("base_model"), "model_card")
    return parents
