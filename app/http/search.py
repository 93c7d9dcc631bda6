"""Finding artifacts: enumerate (`POST /artifacts`), by name, by regex.

Enumerate pages by ordinal (ids come from a counter, so artifacts are ordered by creation):
the response header ``offset`` is the ordinal of the last artifact returned, present only
when there is more; sending it back as the ``offset`` query gives the next page. Several
queries are answered as their union, each artifact once. A body of more than
``MAX_QUERIES`` queries is refused with 413: every query costs a store round trip per page,
so that is the one answer whose cost the page size cannot bound."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.exceptions import HTTPException
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from app.artifacts.errors import ArtifactNotFoundError
from app.errors import NotFoundError, ValidationError
from app.http.access import SEARCH
from app.http.models import ArtifactMetadata, ArtifactQuery, ArtifactRegEx, metadata_of
from app.search.entities import ArtifactFilter
from app.services import Services

PAGE_SIZE = 100
MAX_QUERIES = 50
#: Most artifacts a byName or byRegEx answer (which the spec does not page) returns.
MAX_MATCHES = 1000

OffsetParam = Annotated[str | None, QueryParameter(name="offset", required=False, max_length=20)]


@post(
    "/artifacts",
    opt=SEARCH,
    summary="Enumerate artifacts matching queries",
    status_code=200,
    response_headers=[ResponseHeader(name="offset", documentation_only=True)],
)
async def enumerate_artifacts(
    services: Services,
    data: JSONBody[list[ArtifactQuery]],
    offset: OffsetParam = None,
) -> Response[list[ArtifactMetadata]]:
    filters = _filters(data)
    listing = await services.search.enumerate(filters, after=_ordinal(offset), limit=PAGE_SIZE)
    headers = {} if listing.next_after is None else {"offset": str(listing.next_after)}
    return Response([metadata_of(a) for a in listing.artifacts], headers=headers)


def _filters(queries: list[ArtifactQuery]) -> list[ArtifactFilter]:
    if not queries:
        raise ValidationError("give at least one artifact query")
    if len(queries) > MAX_QUERIES:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"at most {MAX_QUERIES} queries per request",
        )
    # The spec's name "*" stands for any name.
    return [
        ArtifactFilter(name=None if q.name == "*" else q.name, types=frozenset(q.types or ()))
        for q in queries
    ]


def _ordinal(offset: str | None) -> int | None:
    if offset is None:
        return None
    # isdigit alone lets other scripts' digits ("³") through to int().
    if not (offset.isascii() and offset.isdigit() and len(offset) <= 18):  # noqa: PLR2004
        raise ValidationError("offset must be a value this API returned", field="offset")
    return int(offset)


@post(
    "/artifact/byRegEx",
    opt=SEARCH,
    summary="Artifacts whose name or README match a regex",
    status_code=200,
)
async def by_regex(
    services: Services,
    data: JSONBody[ArtifactRegEx],
) -> list[ArtifactMetadata]:
    found = await services.search.every(ArtifactFilter(regex=data.regex), most=MAX_MATCHES)
    if not found:
        raise NotFoundError("no artifact found under this regex")
    return [metadata_of(a) for a in found]


@get("/artifact/byName/{name:str}", opt=SEARCH, summary="Every artifact with exactly this name")
async def by_name(
    services: Services,
    name: Annotated[str, PathParameter(min_length=1, max_length=255)],
) -> list[ArtifactMetadata]:
    found = await services.search.every(ArtifactFilter(name=name), most=MAX_MATCHES)
    if not found:
        raise ArtifactNotFoundError(name)
    return [metadata_of(a) for a in found]
