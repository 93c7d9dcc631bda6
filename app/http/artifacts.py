"""Create, read, update and delete artifacts (`/artifact/{type}`, `/artifacts/{type}/{id}`).

Create and update queue an ingest (under the course contract's gate mode,
TMR_GATE_MODE_REST_CREATE) and wait up to ``create_wait_seconds`` for its outcome: stored
answers 201 (200 for an update) with the artifact, refused by an enforcing gate 424 with the
failing metrics, still running 202 with the id its artifact will have, failed the error's
status."""

from __future__ import annotations

from typing import Annotated

from litestar import MediaType, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_424_FAILED_DEPENDENCY,
)

from app.artifacts.entities import Artifact
from app.artifacts.errors import ArtifactNotFoundError
from app.auth.entities import Permission, Principal
from app.errors import ValidationError
from app.http.access import SEARCH, UPLOAD
from app.http.models import (
    ArtifactBody,
    ArtifactData,
    ArtifactIdParam,
    ArtifactMetadata,
    CreateRequest,
    FailingMetric,
    GateRejection,
    metadata_of,
)
from app.ingest.gating import GATE_REJECTED
from app.ingest.outcomes import Failed, IngestOutcome, Pending, Rejected, Stored
from app.kinds import ArtifactType
from app.mirror.entities import PackagePart
from app.rating.entities import GateDecision
from app.rating.gate import EntryPoint
from app.services import Services
from app.settings import Settings

CreateAnswer = Response[ArtifactBody | ArtifactMetadata | GateRejection]


@post(
    "/artifact/{artifact_type:str}", opt=UPLOAD, summary="Register a new artifact", status_code=201
)
async def create_artifact(
    services: Services,
    settings: Settings,
    artifact_type: FromPath[ArtifactType],
    data: JSONBody[CreateRequest],
    principal: Principal,
) -> CreateAnswer:
    job = await services.ingest.start(
        data.url, artifact_type, data.name, principal.name, entry=EntryPoint.REST_CREATE
    )
    outcome = await services.ingest.outcome(job, settings.create_wait_seconds)
    return await _answer(services, outcome, data.url, HTTP_201_CREATED, principal)


@get("/artifacts/{artifact_type:str}/{id:str}", opt=SEARCH, summary="Read an artifact")
async def get_artifact(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
    part: Annotated[
        PackagePart,
        QueryParameter(
            description="What `download_url` links to: the full package (the default), or "
            "only the weights, the card (card, config, tokenizer), or the linked datasets' "
            "bundles."
        ),
    ] = PackagePart.FULL,
) -> ArtifactBody:
    artifact = await typed(services, artifact_type, id)
    return await envelope(services, artifact, principal, part=part)


@put("/artifacts/{artifact_type:str}/{id:str}", opt=UPLOAD, summary="Replace an artifact's source")
async def update_artifact(  # noqa: PLR0917 - Litestar passes parameters by name
    services: Services,
    settings: Settings,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    data: JSONBody[ArtifactBody],
    principal: Principal,
) -> CreateAnswer:
    current = await typed(services, artifact_type, id)
    meta = data.metadata
    if meta.id != current.id or meta.name != current.name or meta.type is not current.type:
        raise ValidationError("metadata name, id and type must match the stored artifact")
    job = await services.ingest.start_update(
        current.id, data.data.url, principal.name, entry=EntryPoint.REST_CREATE
    )
    outcome = await services.ingest.outcome(job, settings.create_wait_seconds)
    return await _answer(services, outcome, data.data.url, HTTP_200_OK, principal)


@delete(
    "/artifacts/{artifact_type:str}/{id:str}",
    opt=UPLOAD,
    summary="Delete an artifact",
    status_code=200,
    media_type=MediaType.TEXT,  # the spec's 200 has no content: an empty body, not JSON null
)
async def delete_artifact(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
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
    services: Services,
    artifact: Artifact,
    principal: Principal,
    url: str | None = None,
    *,
    part: PackagePart = PackagePart.FULL,
) -> ArtifactBody:
    # The contract always shows a link; one that works without a token only for whom may
    # download, the authorizing route for everyone else.
    download_url = (
        await services.artifacts.download_url(artifact, actor=principal, part=part)
        if principal.can(Permission.DOWNLOAD)
        else services.downloads.authorizing_link(artifact.type.value, artifact.id)
    )
    return ArtifactBody(
        metadata=metadata_of(artifact),
        data=ArtifactData(
            url=artifact.source_url if url is None else url, download_url=download_url
        ),
    )


async def _answer(
    services: Services, outcome: IngestOutcome, url: str, done_status: int, principal: Principal
) -> CreateAnswer:
    match outcome:
        case Stored(artifact=artifact):
            body = await envelope(services, artifact, principal, url)
            return Response(body, status_code=done_status)
        case Rejected(decision=decision):
            rejection = GateRejection(
                code=GATE_REJECTED,
                detail=outcome.detail,
                failing_metrics=failing_metrics(decision),
            )
            return Response(rejection, status_code=HTTP_424_FAILED_DEPENDENCY)
        case Failed(error=error):
            raise error
        case Pending(job=job):
            pending = ArtifactMetadata(name=outcome.name, id=job.drawn_id, type=job.type)
            return Response(pending, status_code=HTTP_202_ACCEPTED)


def failing_metrics(decision: GateDecision) -> list[FailingMetric]:
    return [
        FailingMetric(metric=f.metric, score=f.score, required=f.required, gap=f.gap)
        for f in decision.failures
    ]
