"""Who may do what: passwords (argon2id), tokens (random, stored hashed, 10 hours or 1000
uses, revocable) and permissions."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.entities import (
    ALL_PERMISSIONS,
    DEFAULT_ADMIN,
    DEFAULT_ADMIN_PASSWORDS,
    Permission,
    Principal,
    User,
)
from app.auth.errors import AuthenticationError, BadCredentialsError, PermissionDeniedError
from app.auth.repository import AuthRepository
from app.clock import utcnow
from app.errors import NotFoundError, ValidationError

TOKEN_LIFETIME = timedelta(hours=10)
TOKEN_USES = 1000
_HASHER = PasswordHasher()  # argon2id with the library's memory-hard defaults


class AuthService:
    def __init__(self, repo: AuthRepository) -> None:
        self._repo = repo

    async def ensure_default_admin(self) -> None:
        """The default admin exists with its published password (restored by a reset)."""
        if await self._repo.get_user(DEFAULT_ADMIN) is not None:
            return
        hashes = await asyncio.to_thread(_default_admin_hashes)
        await self._repo.put_user(
            User(
                name=DEFAULT_ADMIN,
                is_admin=True,
                permissions=ALL_PERMISSIONS,
                password_hashes=hashes,
                created_at=utcnow(),
            )
        )

    async def reset(self) -> None:
        """Back to the default state: only the default admin, whose tokens stay valid."""
        await self._repo.delete_users_except(DEFAULT_ADMIN)
        await self.ensure_default_admin()

    async def authenticate(self, name: str, password: str) -> str:
        """A new token for a user whose password matches."""
        user = await self._repo.get_user(name)
        if user is None or not await _verify_any(user.password_hashes, password):
            raise BadCredentialsError
        return await self.issue_token(name)

    async def issue_token(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        await self._repo.insert_token(_digest(token), name, utcnow() + TOKEN_LIFETIME, TOKEN_USES)
        return token

    async def principal(self, token: str | None) -> Principal:
        """The user a token acts for; each call spends one of its uses."""
        if not token:
            raise AuthenticationError("an access token is required")
        record = await self._repo.use_token(_digest(_strip_scheme(token)))
        if record is None or record["expires_at"] <= utcnow():
            raise AuthenticationError("the access token is invalid, expired or used up")
        user = await self._repo.get_user(record["user"])
        if user is None:
            raise AuthenticationError("the access token's user no longer exists")
        return Principal(user.name, user.is_admin, user.permissions)

    async def admins(self, names: set[str]) -> set[str]:
        """Which of these users are admins (for records that name users)."""
        return {u.name for u in await self._repo.list_users() if u.is_admin and u.name in names}

    async def revoke(self, token: str) -> bool:
        return await self._repo.delete_token(_digest(_strip_scheme(token)))

    async def create_user(
        self,
        actor: Principal,
        name: str,
        password: str,
        *,
        is_admin: bool,
        permissions: frozenset[Permission],
    ) -> User:
        require(actor, Permission.ADMIN)
        if not name.strip() or len(name) > 100 or len(password) < 8:  # noqa: PLR2004
            raise ValidationError("a user needs a name (1-100) and a password of 8 or more")
        user = User(
            name,
            is_admin,
            ALL_PERMISSIONS if is_admin else permissions,
            (await _hash(password),),
            utcnow(),
        )
        await self._repo.insert_user(user)
        return user

    async def delete_user(self, actor: Principal, name: str) -> None:
        """Admins delete anyone but the default admin; users may delete themselves."""
        if actor.name != name:
            require(actor, Permission.ADMIN)
        if name == DEFAULT_ADMIN:
            raise ValidationError("the default admin cannot be deleted", field="name")
        if not await self._repo.delete_user(name):
            raise NotFoundError(f"user {name!r} does not exist")

    async def users(self, actor: Principal) -> list[User]:
        require(actor, Permission.ADMIN)
        return await self._repo.list_users()


def require(actor: Principal, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDeniedError(f"{actor.name} lacks the {permission} permission")


def _strip_scheme(token: str) -> str:
    """Clients send the token as returned ("bearer <token>") or bare."""
    scheme, _, rest = token.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else token.strip()


def _digest(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _default_admin_hashes() -> tuple[str, ...]:
    # Hashing is deliberately slow; one salted set per process serves every reset.
    return tuple(_HASHER.hash(p) for p in DEFAULT_ADMIN_PASSWORDS)


async def _hash(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def _verify_any(hashes: tuple[str, ...], password: str) -> bool:
    def check() -> bool:
        for stored in hashes:
            try:
                if _HASHER.verify(stored, password):
                    return True
            except (VerificationError, InvalidHashError):
                continue
        return False

    return await asyncio.to_thread(check)
