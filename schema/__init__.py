"""The GraphQL schema. ``app.asgi`` is its only importer."""

from __future__ import annotations

import logging
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.errors import AppError
from schema.access import RequireToken
from schema.artifacts.mutations import ArtifactMutations
from schema.artifacts.queries import ArtifactQueries
from schema.audit.queries import AuditQueries
from schema.auth.mutations import AuthMutations
from schema.auth.queries import AuthQueries
from schema.context import Context, get_context
from schema.cost.queries import CostQueries
from schema.errors import should_mask
from schema.ingest.mutations import IngestMutations
from schema.ingest.queries import IngestQueries
from schema.ingest.subscriptions import IngestSubscriptions
from schema.licensing.queries import LicensingQueries
from schema.lineage.queries import LineageQueries
from schema.scalars import SCALAR_MAP
from schema.search.queries import SearchQueries
from schema.system.queries import SystemQueries

__all__ = ["Context", "build_schema", "get_context"]

log = logging.getLogger(__name__)

MAX_DEPTH = 12
MAX_TOKENS = 2000
MAX_ALIASES = 30

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
Mutation = merge_types("Mutation", (IngestMutations, ArtifactMutations, AuthMutations))
Subscription = merge_types("Subscription", (IngestSubscriptions,))


class RegistrySchema(strawberry.Schema):
    """Expected failures (domain errors, bad operations) are the client's business: log them
    briefly. Everything else keeps strawberry's full log with its traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = []
        for error in errors:
            if error.original_error is None or isinstance(error.original_error, AppError):
                log.info("graphql request refused: %s", error.message)
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return RegistrySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            # Factories, not instances: strawberry builds fresh extensions per operation
            # (the parse and validation caches live at module level, shared by all).
            partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
            partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
            partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
            partial(ParserCache, maxsize=256),
            partial(ValidationCache, maxsize=256),
            partial(MaskErrors, should_mask_error=should_mask),
            RequireToken,
        ],
    )
