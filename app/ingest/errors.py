from __future__ import annotations

from app.errors import AppError, NotFoundError


class IngestJobNotFoundError(NotFoundError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"ingest job {job_id!r} does not exist")
        self.job_id = job_id


class GateRejectedError(AppError):
    """The quality gate refused the model: it was not registered."""

    code = "gate_rejected"


class IngestFailedError(AppError):
    """An ingest ended in an unexpected failure."""

    code = "ingest_failed"


class IngestTimeoutError(AppError):
    code = "timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(f"upstream data could not be fetched within {seconds:.0f} s")
