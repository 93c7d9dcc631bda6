from __future__ import annotations

import strawberry

from app.errors import AppError
from schema.context import GraphQLInfo
from schema.errors import ConflictError, UnavailableError, ValidationError, map_error
from schema.ingest.inputs import IngestInput
from schema.ingest.payloads import IngestPayload
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
