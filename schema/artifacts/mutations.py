from __future__ import annotations

import strawberry

from app.errors import AppError
from schema.artifacts.payloads import DeletePayload
from schema.context import GraphQLInfo
from schema.errors import NotFoundError, UnavailableError, map_error


@strawberry.type
class ArtifactMutations:
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
