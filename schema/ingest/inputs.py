from __future__ import annotations

import strawberry

from schema.artifacts.types import ArtifactType


@strawberry.input
class IngestInput:
    url: str = strawberry.field(description="A Hugging Face model/dataset or GitHub repo URL.")
    type: ArtifactType
    name: str | None = strawberry.field(
        default=None, description="Name to store; defaults to the repository's name."
    )
