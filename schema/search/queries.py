from __future__ import annotations

from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from app.errors import ValidationError
from app.search.entities import DEFAULT_PAGE_SIZE
from schema.context import GraphQLInfo
from schema.search.inputs import ArtifactFilter
from schema.search.types import ArtifactConnection


class SearchValidationError(ValidationError):
    """A domain validation error as GraphQL reports it.

    ``artifacts`` returns ``ArtifactConnection!`` (DESIGN §7), so a bad argument cannot be a
    union member; it is a GraphQL error instead, typed by ``extensions`` the way the
    ``ValidationError`` object type is: ``{code: "validation", field}``. Still an AppError,
    so MaskErrors lets its message through (graphql-core copies ``extensions`` over).
    """

    def __init__(self, exc: ValidationError) -> None:
        field = None if exc.field is None else to_camel_case(exc.field)
        super().__init__(exc.message, field=field)
        self.extensions: dict[str, Any] = {"code": exc.code, "field": field}


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description=(
            "Artifacts matching every condition of the filter, oldest first: at most `first` "
            "(at most 100) past the cursor `after`."
        )
    )
    async def artifacts(
        self,
        info: GraphQLInfo,
        filter: ArtifactFilter | None = None,  # noqa: A002 - the API's name
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> ArtifactConnection:
        f = (filter or ArtifactFilter()).to_entity()
        try:
            page = await info.context.services.search.search(f, first=first, after=after)
        except ValidationError as exc:
            raise SearchValidationError(exc) from exc
        return ArtifactConnection.from_entity(page, f, after=after)
