from __future__ import annotations

import math
from typing import Annotated

import strawberry

from app.auth.entities import Permission as DomainPermission
from app.auth.errors import BadCredentialsError
from app.errors import AppError
from app.errors import RateLimitedError as DomainRateLimitedError
from schema.context import GraphQLInfo
from schema.errors import ConflictError, Error, NotFoundError, ValidationError, map_error

strawberry.enum(DomainPermission, name="Permission")
Permission = DomainPermission


@strawberry.type
class InvalidCredentialsError(Error):
    pass


@strawberry.type(description="Too many login attempts from this client or for this user.")
class RateLimitedError(Error):
    retry_after_seconds: int


AuthenticateError = Annotated[
    InvalidCredentialsError | RateLimitedError, strawberry.union("AuthenticateError")
]


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        default=None, description='"bearer <token>": send it as Authorization or X-Authorization.'
    )
    error: AuthenticateError | None = None


@strawberry.type
class ResetPayload:
    ok: bool


@strawberry.type
class User:
    name: str
    is_admin: bool
    permissions: list[Permission]


UserError = Annotated[
    ValidationError | ConflictError | NotFoundError, strawberry.union("UserError")
]


@strawberry.type
class UserPayload:
    user: User | None = None
    deleted_name: str | None = None
    error: UserError | None = None


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="A token for a user: 10 hours or 1000 uses.")
    async def authenticate(self, info: GraphQLInfo, username: str, password: str) -> AuthPayload:
        connection = info.context.request or info.context.websocket
        client = connection.client.host if connection and connection.client else "unknown"
        try:
            token = await info.context.services.auth.authenticate(username, password, client=client)
        except BadCredentialsError as exc:
            return AuthPayload(error=InvalidCredentialsError(code=exc.code, message=exc.message))
        except DomainRateLimitedError as exc:
            return AuthPayload(
                error=RateLimitedError(
                    code=exc.code,
                    message=exc.message,
                    retry_after_seconds=max(1, math.ceil(exc.retry_after)),
                )
            )
        return AuthPayload(token=f"bearer {token}")

    @strawberry.mutation(description="Empty every store and restore the default user (admin).")
    async def reset(self, info: GraphQLInfo) -> ResetPayload:
        await info.context.services.reset.everything()
        return ResetPayload(ok=True)

    @strawberry.mutation(description="Register a user (admin).")
    async def create_user(
        self,
        info: GraphQLInfo,
        name: str,
        password: str,
        permissions: list[Permission],
        *,
        is_admin: bool = False,
    ) -> UserPayload:
        actor = info.context.require(DomainPermission.ADMIN)
        try:
            user = await info.context.services.auth.create_user(
                actor, name, password, is_admin=is_admin, permissions=frozenset(permissions)
            )
        except AppError as exc:
            return UserPayload(error=_user_error(exc))
        return UserPayload(
            user=User(name=user.name, is_admin=user.is_admin, permissions=sorted(user.permissions))
        )

    @strawberry.mutation(description="Revoke a token; holding it is the proof. True if it existed.")
    async def revoke_token(self, info: GraphQLInfo, token: str) -> bool:
        return await info.context.services.auth.revoke(token)

    @strawberry.mutation(description="Delete a user: admins any, users themselves.")
    async def delete_user(self, info: GraphQLInfo, name: str) -> UserPayload:
        actor = info.context.principal
        if actor is None:  # pragma: no cover - schema.access ran first
            raise RuntimeError("no principal")
        try:
            await info.context.services.auth.delete_user(actor, name)
        except AppError as exc:
            return UserPayload(error=_user_error(exc))
        return UserPayload(deleted_name=name)


def _user_error(exc: AppError) -> ValidationError | ConflictError | NotFoundError:
    error = map_error(exc)
    if isinstance(error, ValidationError | ConflictError | NotFoundError):
        return error
    raise exc
