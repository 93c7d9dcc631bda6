from __future__ import annotations

import strawberry

from app.errors import AppError
from schema.artifacts.types import Artifact
from schema.context import GraphQLInfo
from schema.errors import NotFoundError, UnavailableError, ValidationError, map_error
from schema.rescoring.types import RescorePass, RescorePayload


@strawberry.type
class RescoreMutations:
    @strawberry.mutation(
        description=(
            "Ask upstream, conditionally, whether anything the model's rating was made from "
            "changed (its repo, linked code, datasets) and rate it again if so, or if its "
            "scorer version is outdated, or with `force` (admin). The rating joins its history."
        )
    )
    async def rescore_artifact(
        self,
        info: GraphQLInfo,
        id: strawberry.ID,  # noqa: A002 - the API's name
        force: bool = False,  # noqa: FBT001, FBT002 - a GraphQL argument
    ) -> RescorePayload:
        try:
            outcome = await info.context.services.rescoring.rescore(str(id), force=force)
        except AppError as exc:
            error = map_error(exc)
            if isinstance(error, NotFoundError | ValidationError | UnavailableError):
                return RescorePayload(error=error)
            raise
        return RescorePayload(
            rescored=outcome.reason is not None,
            reason=outcome.reason,
            changed=list(outcome.changed),
            artifact=None if outcome.artifact is None else Artifact.from_entity(outcome.artifact),
        )

    @strawberry.mutation(
        description=(
            "Rescore every rated model now, as the worker's scheduled pass does "
            "(TMR_RESCORE_INTERVAL): each upstream source asked once, conditionally (admin)."
        )
    )
    async def rescore_all(self, info: GraphQLInfo) -> RescorePass:
        report = await info.context.services.rescoring.rescore_all()
        return RescorePass(
            checked=report.checked,
            rescored=report.rescored,
            failed=report.failed,
            requests=report.requests,
            not_modified=report.not_modified,
            seconds=report.seconds,
        )
