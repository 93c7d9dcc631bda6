from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import NotFoundError, UnavailableError

DeleteArtifactError = Annotated[
    NotFoundError | UnavailableError, strawberry.union("DeleteArtifactError")
]


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    error: DeleteArtifactError | None = None
