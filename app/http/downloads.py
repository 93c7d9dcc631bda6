from __future__ import annotations

from typing import Annotated

from litestar import Response, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_307_TEMPORARY_REDIRECT

from app.artifacts.entities import ArtifactType
from app.auth.entities import Principal
from app.downloads.links import ARTIFACT_DOWNLOAD_PATH, DOWNLOAD_PATH
from app.http.access import DOWNLOAD, PUBLIC
from app.http.artifacts import typed
from app.http.models import ArtifactIdParam
from app.services import Services


@get(f"{DOWNLOAD_PATH}/{{key:path}}", opt=PUBLIC, summary="Download a bundle through a signed link")
async def download(
    services: Services,
    key: FromPath[str],
    filename: Annotated[str, QueryParameter(max_length=300)],
    expires: FromQuery[int],
    signature: Annotated[str, QueryParameter(max_length=128)],
) -> Response[bytes]:
    blob = await services.downloads.open(
        key.lstrip("/"), filename=filename, expires=expires, signature=signature
    )
    return Response(
        blob.data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{blob.filename}"'},
    )


@get(
    ARTIFACT_DOWNLOAD_PATH.format(type="{artifact_type:str}", id="{id:str}"),
    opt=DOWNLOAD,
    summary="Download an artifact's bundle (redirects to a signed link)",
    status_code=HTTP_307_TEMPORARY_REDIRECT,
)
async def download_artifact(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the contract's name for it
    principal: Principal,
) -> Redirect:
    artifact = await typed(services, artifact_type, id)
    return Redirect(await services.artifacts.download_url(artifact, actor=principal))
