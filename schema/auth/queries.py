from __future__ import annotations

import strawberry

from app.auth.entities import Permission as DomainPermission
from schema.auth.mutations import User
from schema.context import GraphQLInfo


@strawberry.type
class AuthQueries:
    @strawberry.field(
        description="Who the token acts as: a client learns its own name and permissions "
        "(a UI shows admin pages only to admins)."
    )
    def me(self, info: GraphQLInfo) -> User:
        principal = info.context.principal
        if principal is None:  # pragma: no cover - schema.access runs first
            raise RuntimeError("operation ran without an authenticated principal")
        return User(
            name=principal.name,
            is_admin=principal.is_admin,
            permissions=sorted(principal.permissions),
        )

    @strawberry.field(description="Every user (admin).")
    async def users(self, info: GraphQLInfo) -> list[User]:
        actor = info.context.require(DomainPermission.ADMIN)
        return [
            User(name=u.name, is_admin=u.is_admin, permissions=sorted(u.permissions))
            for u in await info.context.services.auth.users(actor)
        ]
