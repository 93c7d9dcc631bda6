"""The GraphQL schema. ``app.asgi`` is its only importer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from schema.access import guard_root_fields
from schema.artifacts.mutations import ArtifactMutations
from schema.artifacts.queries import ArtifactQueries
from schema.audit.queries import AuditQueries
from schema.auth.mutations import AuthMutations
from schema.auth.queries import AuthQueries
from schema.context import Context, get_context
from schema.cost.queries import CostQueries
from schema.errors import RegistryMaskErrors, should_mask
from schema.guard import OperationGuard
from schema.ingest.mutations import IngestMutations
from schema.ingest.queries import IngestQueries
from schema.ingest.subscriptions import IngestSubscriptions
from schema.licensing.queries import LicensingQueries
from schema.lineage.queries import LineageQueries
from schema.rescoring.mutations import RescoreMutations
from schema.rescoring.subscriptions import RescoreSubscriptions
from schema.scalars import SCALAR_MAP
from schema.search.queries import SearchQueries
from schema.system.queries import SystemQueries

__all__ = ["Context", "build_schema", "get_context"]

log = logging.getLogger(__name__)

MAX_TOKENS = 2000
PARSE_CACHE_SIZE = 256

Query = merge_types(
    "Query",
    (
        ArtifactQueries,
        AuthQueries,
        LineageQueries,
        CostQueries,
        LicensingQueries,
        IngestQueries,
        AuditQueries,
        SearchQueries,
        SystemQueries,
    ),
)
Mutation = merge_types(
    "Mutation", (IngestMutations, ArtifactMutations, AuthMutations, RescoreMutations)
)
Subscription = merge_types("Subscription", (IngestSubscriptions, RescoreSubscriptions))
guard_root_fields(Query, Mutation, Subscription)


class RegistrySchema(strawberry.Schema):
    """Expected failures (domain errors, bad operations) are the client's business: log them
    briefly. Everything else keeps strawberry's full log with its traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = []
        for error in errors:
            if should_mask(error):
                unexpected.append(error)
            else:
                log.info("graphql request refused: %s", error.message)
        super().process_errors(unexpected, execution_context)

    async def execute(  # noqa: PLR0917 - strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,  # noqa: ANN401
        root_value: Any | None = None,  # noqa: ANN401
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Plain execution, as over HTTP without a stream, cannot serve a subscription: it
        would run only the per-event resolver, on no event. Such a request is refused (400);
        subscriptions go over the WebSocket, which subscribes instead."""
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed - {OperationType.SUBSCRIPTION},
            operation_extensions,
        )


def build_schema() -> strawberry.Schema:
    return RegistrySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            # Factories, not instances: strawberry builds fresh extensions per operation
            # (the parse cache lives at module level, shared by all). OperationGuard
            # validates, after its own cheaper checks; its rules and cache are built once.
            partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
            partial(ParserCache, maxsize=PARSE_CACHE_SIZE),
            OperationGuard,
            RegistryMaskErrors,
        ],
    )
