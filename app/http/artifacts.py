"""Create, read, update and delete artifacts (`/artifact/{type}`, `/artifacts/{type}/{id}`).

Create and update queue an ingest and wait up to ``create_wait_seconds`` for it: DONE answers
201 (200 for an update) with the artifact, a job still running answers 202 with the id it
reserved, a failed one is mapped by :func:`_raise_failure`."""

from __future__ import annotations

import logging

from litestar import Response, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from app.artifacts.entities import Artifact, ArtifactType
from app.artifacts.errors import ArtifactNotFoundError
from app.artifacts.sources import parse_source
from app.auth.entities import Permission, Principal
from app.errors import ConflictError, UpstreamError, ValidationError
from app.http.access import SEARCH, UPLOAD
from app.http.models import (
    ArtifactBody,
    ArtifactData,
    ArtifactIdParam,
    ArtifactMetadata,
    AuthHeader,
    CreateRequest,
    metadata_of,
)
from app.ingest.entities import IngestJob, IngestState
from app.ingest.errors import GateRejectedError, IngestFailedError
from app.services import Services
from app.settings import Settings

log = logging.getLogger(__name__)

_BAD_SOURCE = frozenset({"validation", "upstream_not_found", "upstream_gated"})
_UPSTREAM_DOWN = frozenset({"upstream", "upstream_unavailable", "upstream_rate_limited", "timeout"})


@post(
    "/artifact/{artifact_type:str}", opt=UPLOAD, summary="Register a new artifact", status_code=201
)
async def create_artifact(  # noqa: PLR0917 - Litestar passes parameters by name
    services: Services,
    settings: Settings,
    artifact_type: FromPath[ArtifactType],
    data: JSONBody[CreateRequest],
    principal: Principal,
    x_authorization: AuthHeader = None,  # noqa: ARG001
) -> Response[ArtifactBody | ArtifactMetadata]:
    job = await services.ingest.start(data.url, artifact_type, data.name, principal.name)
    return await _answer(services, settings, job, data.url, HTTP_201_CREATED, principal)


@get("/artifacts/{artifact_type:str}/{id:str}", opt=SEARCH, summary="Read an artifact")
async def get_artifact(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
    x_authorization: AuthHeader = None,  # noqa: ARG001
) -> ArtifactBody:
    artifact = await typed(services, artifact_type, id)
    return await envelope(services, artifact, principal)


@put("/artifacts/{artifact_type:str}/{id:str}", opt=UPLOAD, summary="Replace an artifact's source")
async def update_artifact(  # noqa: PLR0917 - Litestar passes parameters by name
    services: Services,
    settings: Settings,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    data: JSONBody[ArtifactBody],
    principal: Principal,
    x_authorization: AuthHeader = None,  # noqa: ARG001
) -> Response[ArtifactBody | ArtifactMetadata]:
    current = await typed(services, artifact_type, id)
    meta = data.metadata
    if meta.id != current.id or meta.name != current.name or meta.type is not current.type:
        raise ValidationError("metadata name, id and type must match the stored artifact")
    job = await services.ingest.start_update(current.id, data.data.url, principal.name)
    return await _answer(services, settings, job, data.data.url, HTTP_200_OK, principal)


@delete(
    "/artifacts/{artifact_type:str}/{id:str}",
    opt=UPLOAD,
    summary="Delete an artifact",
    status_code=200,
)
async def delete_artifact(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
    x_authorization: AuthHeader = None,  # noqa: ARG001
) -> None:
    await typed(services, artifact_type, id)
    await services.artifacts.delete(id, user=principal.name)


async def typed(services: Services, artifact_type: ArtifactType, artifact_id: str) -> Artifact:
    """The artifact with this id and type; another type counts as no such artifact."""
    artifact = await services.artifacts.get(artifact_id)
    if artifact.type is not artifact_type:
        raise ArtifactNotFoundError(artifact_id)
    return artifact


async def envelope(
    services: Services, artifact: Artifact, principal: Principal, url: str | None = None
) -> ArtifactBody:
    # The contract always shows a link; one that works without a token only for whom may
    # download, the authorizing route for everyone else.
    download_url = (
        await services.artifacts.download_url(artifact, actor=principal)
        if principal.can(Permission.DOWNLOAD)
        else services.downloads.authorizing_link(artifact.type.value, artifact.id)
    )
    return ArtifactBody(
        metadata=metadata_of(artifact),
        data=ArtifactData(
            url=artifact.source_url if url is None else url, download_url=download_url
        ),
    )


async def _answer(  # noqa: PLR0917 - the request's parts, passed on
    services: Services,
    settings: Settings,
    job: IngestJob,
    url: str,
    done_status: int,
    principal: Principal,
) -> Response[ArtifactBody | ArtifactMetadata]:
    """The answer to an accepted ingest: its job is stored and queued, so it will run and
    the client can poll for it by the reserved id. Waiting for it, or reading what it stored,
    may still fail (Redis pub/sub down, a document store blip); that is answered 202 like an
    ingest still running, never 500."""
    name = job.name or parse_source(job.url, job.type).default_name
    pending: Response[ArtifactBody | ArtifactMetadata] = Response(
        ArtifactMetadata(name=name, id=job.artifact_id, type=job.type),
        status_code=HTTP_202_ACCEPTED,
    )
    try:
        job = await services.ingest.wait(job, settings.create_wait_seconds)
        if job.state is IngestState.DONE:
            artifact = await services.artifacts.get(job.artifact_id)
            body = await envelope(services, artifact, principal, url)
            return Response(body, status_code=done_status)
    except Exception:  # whatever failed, the job itself was accepted
        log.warning("watching accepted ingest %s failed; answered 202", job.id, exc_info=True)
        return pending
    if job.state is IngestState.FAILED:
        _raise_failure(job)
    return pending


def _raise_failure(job: IngestJob) -> None:
    code, message = ("internal", "ingest failed")
    if job.error is not None:
        code, message = job.error.code, job.error.message
    if code == "gate_rejected":
        raise GateRejectedError(message)
    if code == "conflict":
        raise ConflictError(message)
    if code in _BAD_SOURCE:
        raise ValidationError(message, field="url")
    if code in _UPSTREAM_DOWN:
        raise UpstreamError(message)
    raise IngestFailedError(message)
