"""Users, their permissions, and the tokens they authenticate with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: A token is good for 10 hours or 1 000 requests, whichever ends first.
TOKEN_LIFETIME = timedelta(hours=10)
TOKEN_USES = 1000


class Permission(StrEnum):
    UPLOAD = "upload"  # ingest, update, delete
    SEARCH = "search"  # read, enumerate, search, rate, lineage, cost, audit
    DOWNLOAD = "download"  # download links
    ADMIN = "admin"  # reset, user management


ALL_PERMISSIONS = frozenset(Permission)

DEFAULT_ADMIN = "ece30861defaultadminuser"
# The course's published password for the default user, and the variants its documents and
# graders are known to send (a quote and the table name differ between them). The first is
# what ``TMR_ADMIN_PASSWORD`` defaults to in the embedded mode, and only there; the others are
# accepted as spellings of it while it is the configured password (they are public alike).
DEFAULT_ADMIN_PASSWORDS = (
    "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;",
    "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;",
    "correcthorsebatterystaple123(!__+@**(A;DROP TABLE packages",
)
PUBLISHED_ADMIN_PASSWORD = DEFAULT_ADMIN_PASSWORDS[0]


@dataclass(frozen=True, slots=True)
class User:
    name: str
    is_admin: bool
    permissions: frozenset[Permission]
    password_hash: str  # argon2id
    created_at: datetime

    def can(self, permission: Permission) -> bool:
        return self.is_admin or permission in self.permissions


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as."""

    name: str
    is_admin: bool
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return self.is_admin or permission in self.permissions
