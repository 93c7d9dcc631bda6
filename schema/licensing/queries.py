from __future__ import annotations

import strawberry

from app.errors import AppError
from schema.context import GraphQLInfo
from schema.errors import NotFoundError, UnavailableError, ValidationError, map_error
from schema.licensing.types import LicenseCheckResult, LicenseVerdict


@strawberry.type
class LicensingQueries:
    @strawberry.field(
        description="Whether a GitHub project's licence lets it fine-tune and run this model."
    )
    async def license_check(
        self,
        info: GraphQLInfo,
        id: strawberry.ID,  # noqa: A002 - the API's name
        github_url: str,
    ) -> LicenseCheckResult:
        try:
            check = await info.context.services.licensing.check(str(id), github_url)
        except AppError as exc:
            error = map_error(exc)
            if isinstance(error, NotFoundError | ValidationError | UnavailableError):
                return error
            raise
        return LicenseVerdict.from_entity(check)
