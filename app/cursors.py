"""The one cursor codec: a position in an ordered listing (a search's ordinals, the audit log's
sequence), opaque to clients. They pass a cursor back; they never build one, and anything this
registry did not issue for that listing reads as no cursor at all."""

from __future__ import annotations

import base64
import binascii

#: Positions fit a signed 64-bit integer, as MongoDB stores them.
_MAX_DIGITS = 18


def encode(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str) -> int | None:
    """The position ``cursor`` stands for in listings of ``kind``; None if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    digits = raw.removeprefix(f"{kind}:")
    # isdecimal() alone would admit non-ASCII digits, which int() reads too.
    if raw == digits or not (digits.isascii() and digits.isdecimal()) or len(digits) > _MAX_DIGITS:
        return None
    return int(digits)
