"""All MongoDB queries about users and tokens. Tokens are stored by their SHA-256 only."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from app.auth.entities import TOKEN_USES, Permission, User
from app.errors import ConflictError
from app.storage.mongo import Database, Document


class StoredToken(NamedTuple):
    user: str
    expires_at: datetime
    uses: int
    uses_spent: int


class AuthRepository:
    def __init__(self, db: Database) -> None:
        self._users = db["users"]
        self._tokens = db["tokens"]

    async def ensure_indexes(self) -> None:
        await self._tokens.create_index("user")
        # MongoDB deletes expired tokens by itself (its TTL monitor, once a minute); nx-27017
        # honours the index only when the collection is read with find or count, which token
        # checks do not do, hence also ``delete_expired_tokens``.
        await self._tokens.create_index("expires_at", expireAfterSeconds=0)

    async def get_user(self, name: str) -> User | None:
        doc = await self._users.find_one({"_id": name})
        return None if doc is None else _user(doc)

    async def list_users(self) -> list[User]:
        return [_user(d) async for d in self._users.find({}).sort("_id", 1)]

    async def insert_user(self, user: User) -> None:
        try:
            await self._users.insert_one(_user_doc(user))
        except DuplicateKeyError:
            raise ConflictError(f"user {user.name!r} exists already") from None

    async def put_user(self, user: User) -> None:
        await self._users.replace_one({"_id": user.name}, _user_doc(user), upsert=True)

    async def delete_user(self, name: str) -> bool:
        await self._tokens.delete_many({"user": name})
        return (await self._users.delete_one({"_id": name})).deleted_count == 1

    async def delete_users_except(self, name: str) -> None:
        await self._users.delete_many({"_id": {"$ne": name}})
        await self._tokens.delete_many({"user": {"$ne": name}})

    async def insert_token(self, digest: str, user: str, expires_at: datetime, uses: int) -> None:
        await self._tokens.insert_one(
            {"_id": digest, "user": user, "expires_at": expires_at, "uses": uses, "uses_spent": 0}
        )

    async def get_token(self, digest: str) -> StoredToken | None:
        doc = await self._tokens.find_one({"_id": digest})
        if doc is None:
            return None
        limit = int(doc.get("uses", TOKEN_USES))
        # tokens issued before uses were counted in Redis kept the uses left instead
        spent = doc["uses_spent"] if "uses_spent" in doc else limit - int(doc.get("uses_left", 0))
        return StoredToken(doc["user"], doc["expires_at"], limit, int(spent))

    async def record_uses(self, counts: dict[str, int]) -> None:
        """Counts spent per token digest, kept if higher than the stored ones, in one batch."""
        if counts:
            await self._tokens.bulk_write(
                [UpdateOne({"_id": d}, {"$max": {"uses_spent": n}}) for d, n in counts.items()],
                ordered=False,
            )

    async def delete_token(self, digest: str) -> bool:
        return (await self._tokens.delete_one({"_id": digest})).deleted_count == 1

    async def delete_expired_tokens(self, now: datetime) -> int:
        return (await self._tokens.delete_many({"expires_at": {"$lte": now}})).deleted_count


def _user_doc(user: User) -> Document:
    return {
        "_id": user.name,
        "is_admin": user.is_admin,
        "permissions": sorted(p.value for p in user.permissions),
        "password_hash": user.password_hash,
        "created_at": user.created_at,
    }


def _user(d: Document) -> User:
    return User(
        name=d["_id"],
        is_admin=bool(d["is_admin"]),
        permissions=frozenset(Permission(p) for p in d.get("permissions") or ()),
        # Users stored before one hash per user kept a list whose first entry is theirs.
        password_hash=d["password_hash"] if "password_hash" in d else d["password_hashes"][0],
        created_at=d["created_at"],
    )
