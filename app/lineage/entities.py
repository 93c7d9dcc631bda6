"""A model's lineage: base models (up) and fine-tunes (down), registered or only named."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.artifacts.entities import Artifact


class LineageDirection(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    BOTH = "BOTH"


@dataclass(frozen=True, slots=True)
class LineageNode:
    name: str  # the upstream repository id
    artifact: Artifact | None  # None: named as a parent but not registered
    distance: int  # steps from the queried model: negative up, positive down


@dataclass(frozen=True, slots=True)
class LineageEdge:
    parent: str  # node names; edges point parent -> child
    child: str
    source: str  # where the link was found: config_json | model_card
    relationship: str = "base_model"


@dataclass(frozen=True, slots=True)
class LineageGraph:
    root: Artifact
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]
