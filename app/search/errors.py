from __future__ import annotations

from app.errors import ValidationError


class InvalidPatternError(ValidationError):
    """A regex RE2 cannot or will not compile (bad syntax, too long, too large)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="regex")


class InvalidCursorError(ValidationError):
    def __init__(self) -> None:
        super().__init__("after is not a cursor this registry issued", field="after")


class InvalidPageSizeError(ValidationError):
    def __init__(self, first: int, maximum: int) -> None:
        super().__init__(f"first must be between 0 and {maximum}, not {first}", field="first")
        self.first = first


class InvalidScoreError(ValidationError):
    def __init__(self, value: float) -> None:
        super().__init__(
            f"the minimum net score must be within [0, 1], not {value}", field="min_net_score"
        )
