from __future__ import annotations

from typing import Annotated

from litestar import Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from app.downloads.links import DOWNLOAD_PATH
from app.http.access import PUBLIC
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
