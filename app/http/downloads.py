from __future__ import annotations

import re
from typing import Annotated

from litestar import Response, get
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter
from litestar.response import Redirect, Stream
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_206_PARTIAL_CONTENT,
    HTTP_307_TEMPORARY_REDIRECT,
    HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
)

from app.auth.entities import Principal
from app.clock import utcnow
from app.downloads.links import ARTIFACT_DOWNLOAD_PATH, DOWNLOAD_PATH, PACKAGE_PATH
from app.downloads.package import zip_stream
from app.downloads.service import RangeNotSatisfiableError
from app.http.access import DOWNLOAD, PUBLIC
from app.http.artifacts import typed
from app.http.models import ArtifactIdParam
from app.kinds import ArtifactType
from app.services import Services


@get(
    f"{DOWNLOAD_PATH}/{{key:path}}",
    opt=PUBLIC,
    summary="Download a blob through a signed link (a single byte Range is honoured)",
)
async def download(  # noqa: PLR0917 - Litestar passes parameters by name
    services: Services,
    key: FromPath[str],
    filename: Annotated[str, QueryParameter(max_length=300)],
    expires: FromQuery[int],
    signature: Annotated[str, QueryParameter(max_length=128)],
    range_header: Annotated[str | None, HeaderParameter(name="Range", max_length=200)] = None,
) -> Response[bytes] | Stream:
    try:
        blob = await services.downloads.open(
            key.lstrip("/"),
            filename=filename,
            expires=expires,
            signature=signature,
            byte_range=parse_range(range_header),
        )
    except RangeNotSatisfiableError as exc:
        return Response(
            b"",
            status_code=HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
            headers={"Content-Range": f"bytes */{exc.size}", "Accept-Ranges": "bytes"},
        )
    headers = {
        "Content-Disposition": f'attachment; filename="{blob.filename}"',
        "Accept-Ranges": "bytes",
        "Content-Length": str(blob.end - blob.start),
    }
    partial = range_header is not None and parse_range(range_header) is not None
    if partial:
        headers["Content-Range"] = f"bytes {blob.start}-{blob.end - 1}/{blob.size}"
    return Stream(
        blob.chunks,
        media_type=_media_type(blob.filename),
        headers=headers,
        status_code=HTTP_206_PARTIAL_CONTENT if partial else HTTP_200_OK,
    )


@get(
    f"{PACKAGE_PATH}/{{artifact_id:str}}/{{part:str}}",
    opt=PUBLIC,
    summary="Download an artifact's package, or part of it, through a signed link",
)
async def download_package(
    services: Services,
    artifact_id: FromPath[str],
    part: FromPath[str],
    expires: FromQuery[int],
    signature: Annotated[str, QueryParameter(max_length=128)],
) -> Stream:
    package = await services.downloads.package(
        artifact_id, part, expires=expires, signature=signature
    )
    return Stream(
        zip_stream(package.members, when=utcnow()),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{package.filename}"'},
    )


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None) -> tuple[int | None, int | None] | None:
    """A single ``bytes=first-last`` range (``first-``, ``-suffix``); None for no header, or
    one this route serves whole (several ranges, other units), as HTTP allows."""
    match = _RANGE.match(header or "")
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    return (int(first) if first else None, int(last) if last else None)


def _media_type(filename: str) -> str:
    return "application/zip" if filename.endswith(".zip") else "application/octet-stream"


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
