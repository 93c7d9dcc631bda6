"""A model's lineage as the spec draws it: registered models only (the queried one always
among them), edges from parent to child."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath

from app.http.access import SEARCH
from app.http.models import MODEL_ONLY, ArtifactIdParam, require_model
from app.kinds import ArtifactType
from app.services import Services


@get(MODEL_ONLY + "/lineage", opt=SEARCH, summary="A model's lineage graph")
async def model_lineage(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
) -> dict[str, list[dict[str, Any]]]:
    require_model(artifact_type, id)
    lineage = await services.lineage.registered(id)
    return {
        "nodes": [
            {
                "artifact_id": n.artifact.id,
                "name": n.artifact.name,
                "source": n.source,
                "metadata": {"repository_url": n.artifact.source.canonical_url},
            }
            for n in lineage.nodes
        ],
        "edges": [
            {
                "from_node_artifact_id": e.parent.id,
                "to_node_artifact_id": e.child.id,
                "relationship": e.relationship,
                "source": e.source,
            }
            for e in lineage.edges
        ],
    }
