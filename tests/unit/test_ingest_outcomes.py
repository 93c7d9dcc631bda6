"""What a failed ingest answers a client that waited for it: only a registry bug is a 500."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.errors import AppError, BackendUnavailableError, NotFoundError
from app.ingest.entities import IngestError
from app.ingest.errors import IngestFailedError
from app.ingest.outcomes import Pending, Rejected, failure
from app.rating.entities import GateDecision
from tests.support.builders import artifact, ingest_job


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


def test_a_pending_job_is_named_as_asked_else_by_its_source_else_by_its_url() -> None:
    job = ingest_job("j1")
    assert Pending(job).name == "https://huggingface.co/acme/model"
    assert Pending(replace(job, name="mine")).name == "mine"
    assert Pending(replace(job, source=artifact("7", "acme/model").source)).name == "model"


def test_a_rejection_says_why_in_the_jobs_words_when_it_has_them() -> None:
    job = ingest_job("j1")
    decision = GateDecision(
        passed=False, policy_version="v1", threshold=0.5, failures=(), skipped=()
    )
    assert Rejected(job, decision).detail == (
        "Artifact is not registered due to the disqualified rating."
    )
    refused = replace(job, error=IngestError("gate_rejected", "net score 0.2 < 0.5"))
    assert Rejected(refused, decision).detail == "net score 0.2 < 0.5"
