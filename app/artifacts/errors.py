from __future__ import annotations

from app.errors import ConflictError, NotFoundError, ValidationError


class ArtifactNotFoundError(NotFoundError):
    def __init__(self, artifact_id: str) -> None:
        super().__init__(f"artifact {artifact_id!r} does not exist")
        self.artifact_id = artifact_id


class NotRatedError(NotFoundError):
    def __init__(self, artifact_id: str) -> None:
        super().__init__(f"artifact {artifact_id!r} is not a rated model")
        self.artifact_id = artifact_id


class DuplicateSourceError(ConflictError):
    def __init__(
        self, source_key: str, existing_id: str | None, *, message: str | None = None
    ) -> None:
        super().__init__(
            message
            or f"{source_key} is already registered"
            + (f" as artifact {existing_id}" if existing_id else "")
        )
        self.source_key = source_key
        self.existing_id = existing_id


class InvalidSourceError(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")
