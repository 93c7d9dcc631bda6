"""Who may run which GraphQL operation. Every operation needs a valid token except
`authenticate` and introspection; each root field needs a permission (the table below).

The check runs once per operation, before validation: a refused operation executes nothing
and answers one error with ``extensions.code`` UNAUTHENTICATED or FORBIDDEN."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from app.auth.entities import Permission
from app.auth.errors import AuthenticationError, PermissionDeniedError
from app.auth.service import require
from schema.context import Context

log = logging.getLogger(__name__)

PUBLIC_FIELDS = frozenset({"authenticate"})
#: Root fields that need more than the search permission every other root field needs.
ROOT_PERMISSIONS: dict[str, Permission] = {
    "ingest": Permission.UPLOAD,
    "updateArtifact": Permission.UPLOAD,
    "deleteArtifact": Permission.UPLOAD,
    "reset": Permission.ADMIN,
    "createUser": Permission.ADMIN,
    "users": Permission.ADMIN,
}


class RequireToken(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        fields = _root_fields(execution.graphql_document, execution.operation_name)
        private = [f for f in fields if f not in PUBLIC_FIELDS and not f.startswith("__")]
        if isinstance(context, Context) and private:
            try:
                principal = await context.services.auth.principal(context.token)
                for field in private:
                    require(principal, ROOT_PERMISSIONS.get(field, Permission.SEARCH))
                context.principal = principal
            except AuthenticationError as exc:
                execution.pre_execution_errors = [_error(exc.message, "UNAUTHENTICATED")]
            except PermissionDeniedError as exc:
                execution.pre_execution_errors = [_error(exc.message, "FORBIDDEN")]
            except Exception:
                # the token store failed: like any unexpected error, logged in full, masked
                log.exception("checking a GraphQL request's token failed")
                execution.pre_execution_errors = [_error("Unexpected error.", "INTERNAL")]
        yield


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _root_fields(document: DocumentNode | None, operation_name: str | None) -> list[str]:
    if document is None:
        return []
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    # Fragments at the root are treated as private fields: they need a token.
    return [
        s.name.value if isinstance(s, FieldNode) else "..."
        for op in operations
        for s in op.selection_set.selections
    ]
