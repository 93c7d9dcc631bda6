from __future__ import annotations

from datetime import datetime

import strawberry

from app.errors import AppError, ValidationError
from schema.artifacts.payloads import DeletePayload
from schema.context import GraphQLInfo
from schema.errors import ArgumentError, NotFoundError, UnavailableError, map_error

#: Files one on-demand pass hashes at most.
MAX_SAMPLE = 100_000


@strawberry.type(description="A pass over the model files the registry holds.")
class FileCheck:
    at: datetime
    checked: int = strawberry.field(description="Files hashed again.")
    corrupt: list[str] = strawberry.field(
        description="The sha256 of each stored content that no longer hashes to it."
    )


@strawberry.type
class ArtifactMutations:
    @strawberry.mutation(
        description=(
            "Hash the stored model files again, `sample` of them picked at random (all "
            "without it), and report any that no longer match (admin). Health shows the last "
            "pass; the worker also makes one every TMR_VERIFY_INTERVAL_SECONDS."
        )
    )
    async def verify_stored_files(self, info: GraphQLInfo, sample: int | None = None) -> FileCheck:
        if sample is not None and not 1 <= sample <= MAX_SAMPLE:
            raise ArgumentError(
                ValidationError(f"sample must be between 1 and {MAX_SAMPLE}", field="sample")
            )
        check = await info.context.services.files.verify(sample)
        return FileCheck(at=check.at, checked=check.checked, corrupt=list(check.corrupt))

    @strawberry.mutation(description="Remove an artifact: its document and its bundle.")
    async def delete_artifact(self, info: GraphQLInfo, id: strawberry.ID) -> DeletePayload:  # noqa: A002 - the API's name
        try:
            deleted = await info.context.services.artifacts.delete(str(id), user=info.context.user)
        except AppError as exc:
            error = map_error(exc)
            if isinstance(error, NotFoundError | UnavailableError):
                return DeletePayload(error=error)
            raise
        return DeletePayload(deleted_id=strawberry.ID(deleted.id))
