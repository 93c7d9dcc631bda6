"""Audit cursors are opaque to clients and checked on the way back in."""

from __future__ import annotations

import base64

import pytest

from app.audit.entities import AuditAction, AuditedArtifact, AuditEntry, seq_of_cursor
from app.clock import utcnow
from app.kinds import ArtifactType


def test_a_cursor_round_trips() -> None:
    entry = AuditEntry(
        42, AuditedArtifact("1", "bert", ArtifactType.MODEL), "a", utcnow(), AuditAction.RATE
    )
    assert seq_of_cursor(entry.cursor) == 42


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage!",
        _encode("audit:"),
        _encode("audit:-1"),
        _encode("audit:1e3"),
        _encode("audit:١٢"),  # Arabic-Indic digits: decimal, but not ours
        _encode("audit:" + "9" * 19),  # beyond int64
        _encode("search:12"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    assert seq_of_cursor(cursor) is None
