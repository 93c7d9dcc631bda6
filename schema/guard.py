"""What runs between parsing and execution, in place of strawberry's own validation step:
a cheap bounds pass, then who is asking, then validation with rules built once and cached.

Validation is the costly step (quadratic in fields sharing a response key), so it comes
last: an anonymous or oversized operation is refused before any of it runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Final

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    get_operation_ast,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from app.artifacts.visibility import view_as
from app.auth.errors import AuthenticationError
from app.errors import BackendUnavailableError
from app.freshness import note_version
from schema.access import needs_token
from schema.bounds import DocumentTooLargeError, check_bounds
from schema.context import Context

log = logging.getLogger(__name__)

MAX_DEPTH: Final = 12
MAX_ALIASES: Final = 30
VALIDATION_CACHE_SIZE: Final = 256

#: Built once: the limiters make a new rule class per instance, and validation results are
#: cached by (schema, document, rules), so rules made per request would never hit the cache.
LIMIT_RULES: Final[tuple[type[ASTValidationRule], ...]] = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


@lru_cache(maxsize=VALIDATION_CACHE_SIZE)
def cached_validation(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    # the same query text parses to the same document (ParserCache), so it hits here
    return validate_document(schema, document, rules)


class OperationGuard(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None:
            refusal = await _refusal(execution.context, document, execution.operation_name)
            execution.pre_execution_errors = (
                [refusal]
                if refusal is not None
                else cached_validation(
                    execution.schema._schema,  # noqa: SLF001 - strawberry's own handle on it
                    document,
                    (*execution.validation_rules, *LIMIT_RULES),
                )
            )
        yield


async def _refusal(
    context: object, document: DocumentNode, operation_name: str | None
) -> GraphQLError | None:
    try:
        check_bounds(document)
    except DocumentTooLargeError as exc:
        return _error(str(exc), "BAD_REQUEST")
    if not isinstance(context, Context) or not needs_token(document, operation_name):
        return None
    try:
        context.principal = await context.services.auth.principal(context.token)
        view_as(context.principal)  # what the resolvers read, they read for this caller
        if _is_subscription(document, operation_name):
            # its events come long after this check: they read the store, not a cache
            note_version(None)
    except AuthenticationError as exc:
        return _error(exc.message, "UNAUTHENTICATED")
    except BackendUnavailableError as exc:
        return _error(exc.message, "UNAVAILABLE")
    except Exception:
        # the token store failed: like any unexpected error, logged in full, masked
        log.exception("checking a GraphQL request's token failed")
        return _error("Unexpected error.", "INTERNAL")
    return None


def _is_subscription(document: DocumentNode, operation_name: str | None) -> bool:
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})
