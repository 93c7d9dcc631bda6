from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.relay import PageInfo

from app.audit.entities import AuditAction as DomainAuditAction
from app.audit.entities import AuditEntry as AuditEntryEntity
from app.audit.entities import AuditPage
from schema.artifacts.types import ArtifactType

strawberry.enum(DomainAuditAction, name="AuditAction")
AuditAction = DomainAuditAction


@strawberry.type(description="The artifact an audit entry is about, as it was then.")
class AuditedArtifact:
    id: strawberry.ID
    name: str
    type: ArtifactType


@strawberry.type(description="One thing someone did to an artifact. Entries never change.")
class AuditEntry:
    artifact: AuditedArtifact
    user: str
    date: datetime = strawberry.field(description="When it happened, in UTC.")
    action: AuditAction

    @classmethod
    def from_entity(cls, e: AuditEntryEntity) -> AuditEntry:
        return cls(
            artifact=AuditedArtifact(
                id=strawberry.ID(e.artifact.id), name=e.artifact.name, type=e.artifact.type
            ),
            user=e.user,
            date=e.date,
            action=e.action,
        )


@strawberry.type
class AuditEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(description="Audit entries, newest first.")
class AuditConnection:
    edges: list[AuditEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: AuditPage, *, after: str | None) -> AuditConnection:
        edges = [AuditEdge(cursor=e.cursor, node=AuditEntry.from_entity(e)) for e in page.entries]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
