"""Who sees an artifact whose current rating fails the gate (a model stored by an auditing
entry point, or one a rescore found failing): everyone, or with TMR_HIDE_FAILED_RATINGS only
admins, to whom every other caller's reads answer as if it did not exist.

Who is reading is set once per request by the transports' access check (``view_as``); reads
the registry makes for itself (a worker's, or an API process's own bookkeeping under
``as_registry``) see everything."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from app.artifacts.entities import Artifact
from app.auth.entities import Permission, Principal

_viewer: ContextVar[Principal | None] = ContextVar("artifact_viewer", default=None)


def view_as(principal: Principal | None) -> None:
    """Reads in this request are made for ``principal``."""
    _viewer.set(principal)


@contextmanager
def as_registry() -> Iterator[None]:
    """Reads in this block are the registry's own, whoever the request is for."""
    token = _viewer.set(None)
    try:
        yield
    finally:
        _viewer.reset(token)


@dataclass(frozen=True, slots=True)
class Visibility:
    hide_failed: bool = False

    def restricted(self) -> bool:
        """Whether this request's reads leave out artifacts whose rating fails the gate."""
        viewer = _viewer.get()
        return self.hide_failed and viewer is not None and not viewer.can(Permission.ADMIN)

    def hidden(self, artifact: Artifact) -> bool:
        return artifact.gate_passed is False and self.restricted()
