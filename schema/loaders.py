"""DataLoaders: every relation field batches its lookups into one store lookup (by id, one
round trip; by a parent's or a model's name, two, both by ``_id``: app.artifacts.repository),
whatever the number of artifacts on the page. The loaders of one page dispatch together."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from strawberry.dataloader import DataLoader

from app.artifacts.entities import Artifact
from app.services import Services


class Loaders:
    """Each loader is made when a request first uses it: most use one, or none."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @cached_property
    def artifact(self) -> DataLoader[str, Artifact | None]:
        return DataLoader(load_fn=self._services.artifacts.get_many)

    @cached_property
    def model_by_repo(self) -> DataLoader[str, Artifact | None]:
        """Registered models by upstream repo id (case-insensitive)."""
        artifacts = self._services.artifacts

        async def load_models(repo_ids: Sequence[str]) -> list[Artifact | None]:
            found = {a.source.repo_id.lower(): a for a in await artifacts.find_models(repo_ids)}
            return [found.get(r.lower()) for r in repo_ids]

        return DataLoader(load_fn=load_models)

    @cached_property
    def children(self) -> DataLoader[str, list[Artifact]]:
        """Registered models naming a repo id as their parent."""
        artifacts = self._services.artifacts

        async def load_children(repo_ids: Sequence[str]) -> list[list[Artifact]]:
            found = await artifacts.children(repo_ids)
            by_parent: dict[str, list[Artifact]] = {r.lower(): [] for r in repo_ids}
            for child in found:
                for link in child.parents:
                    if (key := link.name.lower()) in by_parent:
                        by_parent[key].append(child)
            return [by_parent[r.lower()] for r in repo_ids]

        return DataLoader(load_fn=load_children)
