"""What a failed ingest answers a client that waited for it: only a registry bug is a 500."""

from __future__ import annotations

import pytest

from app.errors import AppError, BackendUnavailableError, NotFoundError
from app.ingest.entities import IngestError
from app.ingest.errors import IngestFailedError
from app.ingest.outcomes import failure
from tests.support.builders import ingest_job


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("worker_crashed", BackendUnavailableError),
        ("job_lost", BackendUnavailableError),
        ("queue_unavailable", BackendUnavailableError),
        ("backend_unavailable", BackendUnavailableError),
        ("not_found", NotFoundError),  # an update whose artifact was deleted meanwhile
        ("internal", IngestFailedError),
    ],
)
def test_a_failed_job_stands_for_the_right_error(code: str, expected: type[AppError]) -> None:
    assert isinstance(failure(ingest_job("j1"), IngestError(code, "why")), expected)
