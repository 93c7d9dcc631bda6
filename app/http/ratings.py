"""What the registry knows about a model: its rating, download cost and licence fit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth.entities import Principal
from app.http.access import SEARCH
from app.http.artifacts import typed
from app.http.models import (
    MODEL_ONLY,
    ArtifactIdParam,
    LicenseCheckRequest,
    require_model,
)
from app.kinds import ArtifactType
from app.rating.entities import Rating
from app.rating.errors import RatingIncompleteError
from app.rating.licenses import Compatibility
from app.services import Services

#: Metrics of the spec's ModelRating, each with a `<name>_latency` in seconds.
SCALAR_METRICS = (
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "reproducibility",
    "reviewedness",
    "tree_score",
)
SIZE_TARGETS = ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server")


@get(MODEL_ONLY + "/rate", opt=SEARCH, summary="A model's rating")
async def rate_model(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
) -> dict[str, Any]:
    """The contract's ModelRating, "only if each metric was computed successfully". A rating
    holding a metric that could not be computed is answered with ``rating_incomplete`` (503)
    rather than served with that metric's 0: the contract has no "unknown", its own answer
    for this case is a 500, and a 500 here means a bug in the registry."""
    require_model(artifact_type, id)
    artifact, rating = await services.artifacts.rate(id, user=principal.name)
    if rating.failed:
        raise RatingIncompleteError(id, rating.failed)
    category = artifact.upstream.get("pipeline_tag")
    return model_rating(artifact.name, category if isinstance(category, str) else "model", rating)


def model_rating(name: str, category: str, rating: Rating) -> dict[str, Any]:
    """Each metric's number as the contract wants it. A metric that does not apply shows its
    documented fallback (reviewedness -1, the others 0; see each metric's docstring), which
    the net score does not count."""
    body: dict[str, Any] = {"name": name, "category": category, "net_score": rating.net_score}
    total = 0.0
    for metric in (*SCALAR_METRICS, "size_score"):
        found = rating.metric(metric)
        latency = 0.0 if found is None else found.latency_seconds
        total += latency
        body[f"{metric}_latency"] = latency
        if metric == "size_score":
            breakdown = {} if found is None else found.breakdown
            body[metric] = {t: float(breakdown.get(t, 0.0)) for t in SIZE_TARGETS}
        else:
            body[metric] = 0.0 if found is None else found.score
    body["net_score_latency"] = round(total, 6)  # the net score waits for every metric
    return body


@get("/artifact/{artifact_type:str}/{id:str}/cost", opt=SEARCH, summary="Download cost in MB")
async def artifact_cost(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    dependency: Annotated[bool, QueryParameter(name="dependency")] = False,  # noqa: FBT002
) -> dict[str, dict[str, float]]:
    await typed(services, artifact_type, id)
    if not dependency:
        cost = await services.cost.cost(id)
        return {id: {"total_cost": cost.total_mb}}
    return {
        c.artifact.id: {"standalone_cost": c.standalone_mb, "total_cost": c.total_mb}
        for c in await services.cost.with_dependencies(id)
    }


@post(MODEL_ONLY + "/license-check", opt=SEARCH, summary="Licence fit", status_code=200)
async def license_check(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    data: JSONBody[LicenseCheckRequest],
) -> Response[bool]:
    require_model(artifact_type, id)
    check = await services.licensing.check(id, data.github_url)
    return Response(check.verdict is Compatibility.COMPATIBLE)
