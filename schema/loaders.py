"""DataLoaders: every relation field batches its lookups into one store lookup (by id, one
round trip; by a parent's or a model's name, two, both by ``_id``: app.artifacts.repository),
whatever the number of artifacts on the page. The loaders of one page dispatch together."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.artifacts.entities import Artifact
from app.services import Services


class Loaders:
    def __init__(self, services: Services) -> None:
        async def load_artifacts(ids: Sequence[str]) -> list[Artifact | None]:
            return await services.artifacts.get_many(ids)

        async def load_children(repo_ids: Sequence[str]) -> list[list[Artifact]]:
            found = await services.artifacts.children(repo_ids)
            by_parent: dict[str, list[Artifact]] = {r.lower(): [] for r in repo_ids}
            for child in found:
                for link in child.parents:
                    if (key := link.name.lower()) in by_parent:
                        by_parent[key].append(child)
            return [by_parent[r.lower()] for r in repo_ids]

        async def load_models(repo_ids: Sequence[str]) -> list[Artifact | None]:
            found = {
                a.source.repo_id.lower(): a for a in await services.artifacts.find_models(repo_ids)
            }
            return [found.get(r.lower()) for r in repo_ids]

        self.artifact = DataLoader[str, Artifact | None](load_fn=load_artifacts)
        #: Registered models by upstream repo id (case-insensitive).
        self.model_by_repo = DataLoader[str, Artifact | None](load_fn=load_models)
        #: Registered models naming a repo id as their parent.
        self.children = DataLoader[str, list[Artifact]](load_fn=load_children)
