from __future__ import annotations

import strawberry

from app.cost.service import Cost as CostEntity
from schema.artifacts.types import Artifact


@strawberry.type
class CostItem:
    artifact: Artifact
    standalone_mb: float
    reason: str = strawberry.field(description="self, ancestor, dataset or code.")


@strawberry.type(description="Download size in MB, alone and with dependencies.")
class Cost:
    artifact_id: strawberry.ID
    standalone_mb: float
    total_mb: float
    items: list[CostItem]
    held_mb: float = strawberry.field(
        description="What the registry's own package of the artifact weighs: the files it "
        "holds (the rest stays upstream, linked) and its bundle."
    )

    @classmethod
    def from_entity(cls, c: CostEntity) -> Cost:
        return cls(
            artifact_id=strawberry.ID(c.artifact.id),
            standalone_mb=c.standalone_mb,
            total_mb=c.total_mb,
            held_mb=c.held_mb,
            items=[
                CostItem(
                    artifact=Artifact.from_entity(i.artifact),
                    standalone_mb=i.standalone_mb,
                    reason=i.reason,
                )
                for i in c.items
            ],
        )
