from __future__ import annotations

import strawberry

from app.lineage.entities import LineageDirection as DomainLineageDirection
from app.lineage.entities import LineageGraph as LineageGraphEntity
from schema.artifacts.types import Artifact

strawberry.enum(DomainLineageDirection, name="LineageDirection")
LineageDirection = DomainLineageDirection


@strawberry.type(description="A model in a lineage; unregistered parents appear by name only.")
class LineageNode:
    name: str = strawberry.field(description="The upstream repository id.")
    distance: int = strawberry.field(description="Steps from the queried model: up < 0 < down.")
    artifact: Artifact | None


@strawberry.type(description="A parent -> child link.")
class LineageEdge:
    parent: str
    child: str
    relationship: str
    source: str = strawberry.field(description="Where the link was found.")


@strawberry.type
class LineageGraph:
    root: Artifact
    nodes: list[LineageNode]
    edges: list[LineageEdge]

    @classmethod
    def from_entity(cls, g: LineageGraphEntity) -> LineageGraph:
        return cls(
            root=Artifact.from_entity(g.root),
            nodes=[
                LineageNode(
                    name=n.name,
                    distance=n.distance,
                    artifact=None if n.artifact is None else Artifact.from_entity(n.artifact),
                )
                for n in g.nodes
            ],
            edges=[
                LineageEdge(
                    parent=e.parent, child=e.child, relationship=e.relationship, source=e.source
                )
                for e in g.edges
            ],
        )
