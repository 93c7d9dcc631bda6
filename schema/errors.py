"""GraphQL error types, and the one mapper from domain errors to them.

Expected failures are data in each mutation's payload; anything else is an exception that
MaskErrors hides from clients (the server log keeps it in full)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from app.artifacts.errors import DuplicateSourceError
from app.errors import AppError
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
    """Domain errors raised from queries carry messages meant for clients; the rest do not."""
    return not isinstance(error.original_error, AppError) and error.original_error is not None
