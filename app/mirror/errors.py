from __future__ import annotations

from app.errors import UpstreamError


class ChecksumMismatchError(UpstreamError):
    """Upstream served bytes that are not the file its API lists: nothing of it is stored."""

    code = "checksum_mismatch"

    def __init__(self, path: str, expected: str, found: str) -> None:
        super().__init__(
            f"{path}: upstream served content with checksum {found}, "
            f"but lists the file as {expected}; nothing of it was stored"
        )
        self.path = path
