from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import ConflictError, NotFoundError, UnavailableError, ValidationError
from schema.ingest.types import IngestJob

IngestError = Annotated[
    ValidationError | ConflictError | UnavailableError, strawberry.union("IngestError")
]


@strawberry.type
class IngestPayload:
    job: IngestJob | None = None
    error: IngestError | None = None


UpdateArtifactError = Annotated[
    NotFoundError | ValidationError | ConflictError | UnavailableError,
    strawberry.union("UpdateArtifactError"),
]


@strawberry.type
class UpdatePayload:
    job: IngestJob | None = None
    error: UpdateArtifactError | None = None
