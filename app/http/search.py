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

from app.artifacts.entities import Artifact
from app.artifacts.errors import ArtifactNotFoundError
from app.errors import NotFoundError, ValidationError
from app.http.access import SEARCH
from app.http.models import ArtifactMetadata, ArtifactQuery, ArtifactRegEx, metadata_of
from app.search.entities import ArtifactFilter, decode_cursor, encode_cursor
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
    if not data:
        raise ValidationError("give at least one artifact query")
    if len(data) > MAX_QUERIES:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"at most {MAX_QUERIES} queries per request",
        )
    # isdigit alone lets other scripts' digits ("³") through to int().
    if offset is not None and not (offset.isascii() and offset.isdigit() and len(offset) <= 18):  # noqa: PLR2004
        raise ValidationError("offset must be a value this API returned", field="offset")
    after = None if offset is None else encode_cursor(int(offset))
    found: dict[int, Artifact] = {}
    more = False
    for query in data:
        f = ArtifactFilter(
            name=None if query.name == "*" else query.name, types=frozenset(query.types or ())
        )
        page = await services.search.search(f, first=PAGE_SIZE, after=after)
        more = more or page.has_next_page
        found.update({decode_cursor(e.cursor): e.artifact for e in page.edges})
    ordinals = sorted(found)
    more = more or len(ordinals) > PAGE_SIZE
    chosen = ordinals[:PAGE_SIZE]
    headers = {"offset": str(chosen[-1])} if more and chosen else {}
    return Response([metadata_of(found[o]) for o in chosen], headers=headers)


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
    found = await _all(services, ArtifactFilter(regex=data.regex))
    if not found:
        raise NotFoundError("no artifact found under this regex")
    return found


@get("/artifact/byName/{name:str}", opt=SEARCH, summary="Every artifact with exactly this name")
async def by_name(
    services: Services,
    name: Annotated[str, PathParameter(min_length=1, max_length=255)],
) -> list[ArtifactMetadata]:
    found = await _all(services, ArtifactFilter(name=name))
    if not found:
        raise ArtifactNotFoundError(name)
    return found


async def _all(services: Services, f: ArtifactFilter) -> list[ArtifactMetadata]:
    found: list[ArtifactMetadata] = []
    after = None
    while len(found) < MAX_MATCHES:
        page = await services.search.search(f, first=PAGE_SIZE, after=after)
        found += [metadata_of(e.artifact) for e in page.edges]
        if not page.has_next_page or page.end_cursor is None:
            break
        after = page.end_cursor
    return found[:MAX_MATCHES]
