"""A model's lineage as the spec draws it: registered models only (the queried one always
among them), edges from parent to child."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath

from app.artifacts.entities import ArtifactType
from app.http.access import SEARCH
from app.http.models import MODEL_ONLY, ArtifactIdParam, require_model
from app.services import Services

ROOT_SOURCE = "config_json"


@get(MODEL_ONLY + "/lineage", opt=SEARCH, summary="A model's lineage graph")
async def model_lineage(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
) -> dict[str, list[dict[str, Any]]]:
    require_model(artifact_type, id)
    graph = await services.lineage.graph(id)
    ids = {n.name: n.artifact.id for n in graph.nodes if n.artifact is not None}
    edges = [e for e in graph.edges if e.parent in ids and e.child in ids]
    # A node's source is how the link to it was found; the queried model's own is its config.
    sources = {e.parent: e.source for e in edges} | {e.child: e.source for e in edges}
    nodes = [
        {
            "artifact_id": n.artifact.id,
            "name": n.artifact.name,
            "source": sources.get(n.name, ROOT_SOURCE),
            "metadata": {"repository_url": n.artifact.source.canonical_url},
        }
        for n in graph.nodes
        if n.artifact is not None
    ]
    return {
        "nodes": nodes,
        "edges": [
            {
                "from_node_artifact_id": ids[e.parent],
                "to_node_artifact_id": ids[e.child],
                "relationship": e.relationship,
                "source": e.source,
            }
            for e in edges
        ],
    }
