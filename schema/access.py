"""Who may use which GraphQL field.

Permission is decided where each field is resolved (:class:`Requires`, a field extension), so
an alias, an inline or named fragment, HTTP or a WebSocket all meet the same check. Every root
field is listed in :data:`ROOT_FIELD_ACCESS`; building the schema fails for one that is not,
so a new field cannot slip past. Fields below the root that need more than their root field
(a download link) carry their own ``Requires``.

Who is asking is settled once per operation, before validation (see ``schema.guard``): an
operation that selects only public fields runs without a token, anything else needs a valid
one, and a refused operation costs no validation work."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from app.auth.entities import Permission
from schema.context import GraphQLInfo


class _Public:
    """No token needed."""


class _SignedIn:
    """Any valid token, whatever its permissions (acting on one's own token or account)."""


PUBLIC: Final = _Public()
SIGNED_IN: Final = _SignedIn()
Access = Permission | _Public | _SignedIn

#: What each root field needs. The schema does not build with a root field missing here.
ROOT_FIELD_ACCESS: Final[dict[str, Access]] = {
    # Query
    "artifact": Permission.SEARCH,
    "artifacts": Permission.SEARCH,
    "lineage": Permission.SEARCH,
    "cost": Permission.SEARCH,
    "licenseCheck": Permission.SEARCH,
    "ingestJob": Permission.SEARCH,
    "auditLog": Permission.SEARCH,
    "users": Permission.ADMIN,
    "me": SIGNED_IN,
    "health": PUBLIC,  # like REST /health: the state of the backends, no data
    # Mutation
    "ingest": Permission.UPLOAD,
    "updateArtifact": Permission.UPLOAD,
    "deleteArtifact": Permission.UPLOAD,
    "reset": Permission.ADMIN,
    "verifyStoredFiles": Permission.ADMIN,
    "rescoreArtifact": Permission.ADMIN,
    "rescoreAll": Permission.ADMIN,
    "createUser": Permission.ADMIN,
    "authenticate": PUBLIC,
    "revokeToken": SIGNED_IN,  # holding the token is the proof
    "deleteUser": SIGNED_IN,  # users may delete themselves; the service checks the rest
    # Subscription
    "ingestProgress": Permission.SEARCH,
    "gateResults": Permission.SEARCH,
    "ratingChanged": Permission.SEARCH,
}
INTROSPECTION_FIELDS: Final = frozenset({"__schema", "__type", "__typename"})


class Requires(FieldExtension):
    """Refuses the field to a caller without a token (UNAUTHENTICATED) or without the
    permission (FORBIDDEN): the field's resolver never runs for them."""

    def __init__(self, access: Permission | _SignedIn) -> None:
        self.access = access

    def check(self, info: GraphQLInfo) -> None:
        principal = info.context.principal
        if principal is None:
            raise GraphQLError(
                "an access token is required", extensions={"code": "UNAUTHENTICATED"}
            )
        if isinstance(self.access, Permission) and not principal.can(self.access):
            raise GraphQLError(
                f"{principal.name} lacks the {self.access} permission",
                extensions={"code": "FORBIDDEN"},
            )

    def resolve(
        self,
        next_: SyncExtensionResolver,
        source: Any,  # noqa: ANN401 - strawberry's resolver signature
        info: GraphQLInfo,
        **kwargs: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        self.check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self,
        next_: AsyncExtensionResolver,
        source: Any,  # noqa: ANN401
        info: GraphQLInfo,
        **kwargs: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        self.check(info)
        result = next_(source, info, **kwargs)
        # a subscription's resolver is an async generator: hand it over as it is
        return result if inspect.isasyncgen(result) else await result


def guard_root_fields(*root_types: type) -> None:
    """Put each root field's ``Requires`` on it; idempotent. Fails for an unlisted field."""
    for root in root_types:
        definition = get_object_definition(root, strict=True)
        for field in definition.fields:
            name = field.graphql_name or to_camel_case(field.python_name)
            if name not in ROOT_FIELD_ACCESS:
                raise RuntimeError(f"root field {name!r} has no entry in ROOT_FIELD_ACCESS")
            access = ROOT_FIELD_ACCESS[name]
            if isinstance(access, _Public) or any(
                isinstance(e, Requires) for e in field.extensions
            ):
                continue
            field.extensions.append(Requires(access))


def needs_token(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation selects any root field that is not public (fragments at the
    root followed). Runs before validation, so it tolerates unknown fragments and cycles."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    return any(
        not _is_public(name)
        for op in operations
        for name in _root_field_names(op.selection_set, fragments, set())
    )


def _is_public(name: str) -> bool:
    return name in INTROSPECTION_FIELDS or isinstance(ROOT_FIELD_ACCESS.get(name), _Public)


def _root_field_names(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterable[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None:
                yield "..."  # unknown: validation will refuse it, after the token check
            else:
                yield from _root_field_names(fragment.selection_set, fragments, seen)
