from __future__ import annotations

import strawberry

from app.errors import AppError
from schema.context import GraphQLInfo
from schema.errors import (
    ConflictError,
    NotFoundError,
    UnavailableError,
    ValidationError,
    map_error,
)
from schema.ingest.inputs import IngestInput
from schema.ingest.payloads import IngestPayload, UpdatePayload
from schema.ingest.types import IngestJob


@strawberry.type
class IngestMutations:
    @strawberry.mutation(description="Queue an ingest; returns the job at once.")
    async def ingest(self, info: GraphQLInfo, input: IngestInput) -> IngestPayload:  # noqa: A002 - the API's name
        context = info.context
        try:
            job = await context.services.ingest.start(
                input.url, input.type, input.name, context.user
            )
        except AppError as exc:
            error = map_error(exc)
            if isinstance(error, ValidationError | ConflictError | UnavailableError):
                return IngestPayload(error=error)
            raise
        return IngestPayload(job=IngestJob.from_entity(job))

    @strawberry.mutation(
        description="Re-ingest an artifact from a URL through the queue; the stored version "
        "stays until the new one passes the gate, then is replaced under the same id."
    )
    async def update_artifact(
        self,
        info: GraphQLInfo,
        id: strawberry.ID,  # noqa: A002 - the API's name
        url: str,
    ) -> UpdatePayload:
        context = info.context
        try:
            job = await context.services.ingest.start_update(str(id), url, context.user)
        except AppError as exc:
            error = map_error(exc)
            if isinstance(
                error, NotFoundError | ValidationError | ConflictError | UnavailableError
            ):
                return UpdatePayload(error=error)
            raise
        return UpdatePayload(job=IngestJob.from_entity(job))
