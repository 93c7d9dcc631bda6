from __future__ import annotations

import strawberry

from app.audit.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.audit.types import AuditConnection
from schema.context import GraphQLInfo


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description=(
            "Who did what, newest first: one artifact's entries, or every artifact's without "
            "artifactId. Pass the last edge's cursor as `after` for older entries; entries "
            "written meanwhile never shift a page. Reading an artifact's log is recorded as "
            f"AUDIT. At most {MAX_PAGE_SIZE} entries per page."
        )
    )
    async def audit_log(
        self,
        info: GraphQLInfo,
        artifact_id: strawberry.ID | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> AuditConnection:
        page = await info.context.services.audit.page(
            None if artifact_id is None else str(artifact_id),
            first=DEFAULT_PAGE_SIZE if first is None else first,
            after=after,
            reader=info.context.user,
        )
        return AuditConnection.from_page(page, after=after)
