"""GraphQL error types, and the one mapper from domain errors to them.

Expected failures are data in each mutation's payload; anything else is an exception that
MaskErrors hides from clients (the server log keeps it in full)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

from app.artifacts.errors import DuplicateSourceError
from app.errors import AppError, BackendUnavailableError
from app.errors import ConflictError as DomainConflict
from app.errors import ForbiddenError as DomainForbidden
from app.errors import NotFoundError as DomainNotFound
from app.errors import ValidationError as DomainValidation


@strawberry.interface(description="An expected failure, returned as data.")
class Error:
    code: str
    message: str


@strawberry.type
class ValidationError(Error):
    field: str | None = None


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class ConflictError(Error):
    existing_id: strawberry.ID | None = None


@strawberry.type
class ForbiddenError(Error):
    pass


@strawberry.type
class UnavailableError(Error):
    pass


MappedError = ValidationError | NotFoundError | ConflictError | ForbiddenError | UnavailableError


def map_error(exc: AppError) -> MappedError:
    if isinstance(exc, DomainValidation):
        return ValidationError(code=exc.code, message=exc.message, field=exc.field)
    if isinstance(exc, DomainNotFound):
        return NotFoundError(code=exc.code, message=exc.message)
    if isinstance(exc, DuplicateSourceError):
        existing = strawberry.ID(exc.existing_id) if exc.existing_id else None
        return ConflictError(code=exc.code, message=exc.message, existing_id=existing)
    if isinstance(exc, DomainConflict):
        return ConflictError(code=exc.code, message=exc.message)
    if isinstance(exc, DomainForbidden):
        return ForbiddenError(code=exc.code, message=exc.message)
    return UnavailableError(code=exc.code, message=exc.message)


def should_mask(error: GraphQLError) -> bool:
    """Domain errors raised from queries, and GraphQL errors the schema raises on purpose
    (a refused field), carry messages meant for clients; the rest do not."""
    original = error.original_error
    return original is not None and not isinstance(original, AppError | GraphQLError)


class RegistryMaskErrors(MaskErrors):
    """MaskErrors with a third outcome. A backend outage (``app.outages``) is neither the
    client's doing nor a bug to hide: it becomes an error with ``extensions.code``
    UNAVAILABLE, the same for every field, so clients know to retry. Mutations report it as
    their typed ``UnavailableError`` instead (``map_error``)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_replaced)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        # A domain error raised by a query or subscription (an unknown job, a bad argument)
        # keeps its message and gains its code, as the typed errors of mutations carry one.
        for error in errors:
            original = error.original_error
            if isinstance(original, AppError) and not isinstance(original, BackendUnavailableError):
                error.extensions = {"code": original.code, **(error.extensions or {})}
        return super()._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, BackendUnavailableError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "UNAVAILABLE"},
            )
        return super().anonymise_error(error)


def _replaced(error: GraphQLError) -> bool:
    return should_mask(error) or isinstance(error.original_error, BackendUnavailableError)


class ArgumentError(DomainValidation):
    """A bad argument of a field whose type has no error member (``artifacts`` returns
    ``ArtifactConnection!``, DESIGN §7): a GraphQL error instead, typed by ``extensions`` the
    way the ``ValidationError`` object type is: ``{code: "validation", field}``. Still an
    AppError, so MaskErrors lets its message through (graphql-core copies ``extensions``).
    """

    def __init__(self, exc: DomainValidation) -> None:
        field = None if exc.field is None else to_camel_case(exc.field)
        super().__init__(exc.message, field=field)
        self.extensions: dict[str, Any] = {"code": exc.code, "field": field}
