"""How an ingest ended, as a typed result: what a transport that waits for it maps to its
answer (REST's 201 / 424 / 202 / error), so no transport reads error codes."""

from __future__ import annotations

from dataclasses import dataclass

from app.artifacts.entities import Artifact
from app.artifacts.errors import ArtifactNotFoundError, DuplicateSourceError, InvalidSourceError
from app.errors import AppError, BackendUnavailableError, UpstreamError
from app.ingest.entities import IngestError, IngestJob
from app.ingest.errors import IngestFailedError
from app.rating.entities import GateDecision


@dataclass(frozen=True, slots=True)
class Stored:
    """DONE: the artifact as stored (a model's gate decision is on its rating, passed or
    not where the gate only audits)."""

    job: IngestJob
    artifact: Artifact


@dataclass(frozen=True, slots=True)
class Rejected:
    """The enforcing gate refused the model: nothing was stored."""

    job: IngestJob
    decision: GateDecision

    @property
    def detail(self) -> str:
        return rejection_detail(self.job)

    @property
    def name(self) -> str:
        return registered_name(self.job)


@dataclass(frozen=True, slots=True)
class Pending:
    """Still running (or its end could not be read yet): the client polls by the id drawn
    for its artifact."""

    job: IngestJob

    @property
    def name(self) -> str:
        return registered_name(self.job)


@dataclass(frozen=True, slots=True)
class Failed:
    """Ended without an artifact for another reason, as the domain error that says why."""

    job: IngestJob
    error: AppError


IngestOutcome = Stored | Rejected | Pending | Failed

# Codes a job ends with (the AppError codes raised while it ran, and the pipeline's own).
_BAD_SOURCE = frozenset({"validation", "upstream_not_found", "upstream_gated"})
_UPSTREAM = frozenset(
    {"upstream", "upstream_unavailable", "upstream_rate_limited", "timeout", "checksum_mismatch"}
)
# A worker that died on every try, or a job the queue lost: nothing wrong with the request.
_BACKEND = frozenset({"backend_unavailable", "queue_unavailable", "worker_crashed", "job_lost"})


def registered_name(job: IngestJob) -> str:
    """The name the artifact is (or would be) registered under, as far as known yet: the one
    asked for, else the source's default, else (source not yet resolved) the URL."""
    return job.name or (job.source.default_name if job.source else job.url)


def rejection_detail(job: IngestJob) -> str:
    """Why the gate refused a job, in words: its own message when the job recorded one."""
    if job.error is None:
        return "Artifact is not registered due to the disqualified rating."
    return job.error.message


def failure(job: IngestJob, error: IngestError) -> AppError:
    """The domain error a failed job stands for."""
    if error.code == "conflict":
        return DuplicateSourceError(job.source_key, error.existing_id, message=error.message)
    if error.code in _BAD_SOURCE:
        return InvalidSourceError(error.message)
    if error.code in _UPSTREAM:
        return UpstreamError(error.message)
    if error.code in _BACKEND:
        return BackendUnavailableError(error.message)
    if error.code == "not_found":  # the artifact an update replaces was deleted meanwhile
        return ArtifactNotFoundError(job.replaces or job.id)
    return IngestFailedError(error.message)
