"""Download cost: an artifact's own download, and with everything it depends on.

standalone = the artifact's upstream download size in MB (10^6 bytes)
total      = standalone of the artifact + its registered ancestors + the registered
             datasets and code repositories any of them links, each counted once
held       = what the registry's own package of the artifact weighs: the files it copied
             (the rest stays upstream, linked) and its bundle"""

from __future__ import annotations

from dataclasses import dataclass

from app.artifacts.entities import Artifact
from app.artifacts.service import ArtifactService
from app.artifacts.sources import source_key
from app.kinds import ArtifactType, SourceHost
from app.lineage.service import LineageService

BYTES_PER_MB = 1_000_000


@dataclass(frozen=True, slots=True)
class CostItem:
    artifact: Artifact
    standalone_mb: float
    reason: str  # self | ancestor | dataset | code


@dataclass(frozen=True, slots=True)
class Cost:
    artifact: Artifact
    standalone_mb: float
    total_mb: float
    items: tuple[CostItem, ...]  # the artifact first, then each dependency once
    held_mb: float = 0.0


class CostService:
    def __init__(self, artifacts: ArtifactService, lineage: LineageService) -> None:
        self._artifacts = artifacts
        self._lineage = lineage

    async def cost(self, artifact_id: str, *, with_dependencies: bool = False) -> Cost:
        artifact = await self._artifacts.get(artifact_id)
        items = [CostItem(artifact, mb(artifact), "self")]
        if with_dependencies:
            items += await self._dependencies(artifact)
        return Cost(
            artifact=artifact,
            standalone_mb=mb(artifact),
            total_mb=round(sum(i.standalone_mb for i in items), 3),
            items=tuple(items),
            held_mb=held_mb(artifact),
        )

    async def with_dependencies(self, artifact_id: str) -> list[Cost]:
        """The artifact's cost with its dependencies, then each dependency's own, once each."""
        root = await self.cost(artifact_id, with_dependencies=True)
        deps = [await self.cost(i.artifact.id, with_dependencies=True) for i in root.items[1:]]
        return [root, *deps]

    async def _dependencies(self, artifact: Artifact) -> list[CostItem]:
        seen = {artifact.id}
        items: list[CostItem] = []
        lineage = await self._lineage.ancestors(artifact.id)
        for ancestor in lineage:
            if ancestor.id not in seen:
                seen.add(ancestor.id)
                items.append(CostItem(ancestor, mb(ancestor), "ancestor"))
        keys: dict[str, str] = {}
        for model in (artifact, *lineage):
            for d in model.datasets:
                keys[source_key(SourceHost.HUGGING_FACE, ArtifactType.DATASET, d).lower()] = (
                    "dataset"
                )
            if model.code_repo:
                keys[source_key(SourceHost.GITHUB, ArtifactType.CODE, model.code_repo)] = "code"
        for dep in await self._artifacts.find_by_source_keys(sorted(keys)):
            if dep.id not in seen:
                seen.add(dep.id)
                items.append(CostItem(dep, mb(dep), keys[dep.source.key.lower()]))
        return items


def held_mb(artifact: Artifact) -> float:
    copied = 0 if artifact.manifest is None else artifact.manifest.stored_bytes
    return round((copied + artifact.blob.size) / BYTES_PER_MB, 3)


def mb(artifact: Artifact) -> float:
    return round(artifact.size_bytes / BYTES_PER_MB, 3)
