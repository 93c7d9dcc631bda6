"""DataLoaders: every relation field batches its lookups into one store round trip."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.artifacts.entities import Artifact
from app.services import Services


class Loaders:
    def __init__(self, services: Services) -> None:
        async def load_artifacts(ids: Sequence[str]) -> list[Artifact | None]:
            return await services.artifacts.get_many(ids)

        self.artifact = DataLoader[str, Artifact | None](load_fn=load_artifacts)
