"""Request and response bodies of the REST API, field for field as the ECE 461 OpenAPI spec
(v3.4.7) names them; and the path and header parameters the handlers share."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import HeaderParameter, PathParameter
from litestar.types import ParametersMap

from app.artifacts.entities import Artifact
from app.artifacts.errors import ArtifactNotFoundError
from app.kinds import ArtifactType

ARTIFACT_ID_PATTERN = r"^[a-zA-Z0-9\-]+$"

ArtifactIdParam = Annotated[
    str, PathParameter(description="artifact id", pattern=ARTIFACT_ID_PATTERN, max_length=64)
]
#: The course contract's token header, declared once for every route that needs a token
#: (app/http/routes.py) so the OpenAPI lists it on each. The app's guard reads it
#: (app/http/access.py); optional here, so a missing token is the guard's 403, not a 400.
AUTH_HEADER: ParametersMap = {
    "x_authorization": HeaderParameter(name="X-Authorization", required=False)
}


class ArtifactMetadata(msgspec.Struct):
    name: str
    id: str
    type: ArtifactType


class ArtifactData(msgspec.Struct, omit_defaults=True):
    url: str
    download_url: str | None = None


class ArtifactBody(msgspec.Struct):
    metadata: ArtifactMetadata
    data: ArtifactData


class CreateRequest(msgspec.Struct):
    """`ArtifactData` as clients send it: the autograder adds a `name`, used verbatim.
    Unknown fields (a `download_url`, say) are ignored."""

    url: str
    name: str | None = None


class ArtifactQuery(msgspec.Struct):
    name: str
    types: list[ArtifactType] | None = None


class ArtifactRegEx(msgspec.Struct):
    regex: str


class LicenseCheckRequest(msgspec.Struct):
    github_url: str


class FailingMetric(msgspec.Struct):
    """One reason the gate refused a model: the metric (or ``net_score``), its score, the
    score required, and the gap between them."""

    metric: str
    score: float
    required: float
    gap: float


class GateRejection(msgspec.Struct):
    """The 424 of a create whose gate enforces: the error body with what failed."""

    code: str
    detail: str
    failing_metrics: list[FailingMetric]


class IngestRequest(msgspec.Struct):
    """Seed 000's `POST /artifact/ingest`: a Hugging Face model URL or bare id."""

    url: str


class IngestAnswer(msgspec.Struct, omit_defaults=True):
    """Seed 000's answer: 201 stored (``is_ingestible`` is the gate's verdict, false only
    where its mode merely audits), 424 refused (``artifact_id`` null, ``failing_metrics``),
    202 still running (``artifact_id`` reserved, ``is_ingestible`` null)."""

    status: int
    message: str
    model_name: str
    artifact_id: str | None
    is_ingestible: bool | None
    all_scores: dict[str, float]
    latency_ms: int
    failing_metrics: list[FailingMetric] | None = None
    job_id: str | None = None


def metadata_of(artifact: Artifact) -> ArtifactMetadata:
    return ArtifactMetadata(name=artifact.name, id=artifact.id, type=artifact.type)


#: `/artifact/model/{id}/...` routes. Litestar's router does not backtrack from a static
#: segment, so a literal `model` here would hide `POST /artifact/{artifact_type}` for
#: `model`; the type is a path parameter instead, and anything but `model` is a 404.
MODEL_ONLY = "/artifact/{artifact_type:str}/{id:str}"


def require_model(artifact_type: ArtifactType, artifact_id: str) -> None:
    if artifact_type is not ArtifactType.MODEL:
        raise ArtifactNotFoundError(artifact_id)
