"""Artifacts for the read benchmarks, written straight into the store in the repository's
document format (no ingest, no hub): models in lineage chains of ``CHAIN``, each with a
400-word model card, so the registry reads documents the size an ingest leaves."""

from __future__ import annotations

import random
from dataclasses import replace

from app.artifacts.repository import ArtifactRepository, to_document
from app.rating.entities import Rating
from app.storage import mongo
from tests.support.builders import artifact

CHAIN = 25  # models per lineage chain: deep enough for a depth-20 walk
WORDS = (
    "model",
    "bert",
    "vision",
    "audio",
    "transformer",
    "token",
    "dataset",
    "train",
    "eval",
    "license",
    "apache",
    "accuracy",
    "layer",
    "weights",
    "inference",
    "card",
)
_BATCH = 1000


def readme(rng: random.Random) -> str:
    return "# Model card\n\n" + " ".join(rng.choice(WORDS) for _ in range(400))


def deepest(count: int) -> str:
    """The id of the last model of the last full chain among ``count``: the one with the
    longest line of ancestors."""
    return str((count // CHAIN) * CHAIN - 1)


async def seed(mongo_url: str, database: str, count: int, *, start: int = 0) -> None:
    """Artifacts ``start + 1`` to ``count`` (ids are their numbers), in chains; a store seeded
    to ``start`` before grows to ``count`` with the same chains as a store seeded at once."""
    # One generator per call, seeded by where it starts: a run from 0 writes the same
    # documents every time, and growing a store needs no replay of the part already written.
    rng = random.Random(461 + start)
    # Keying 100 000 artifacts is one long scan on nx-27017: past the registry's 5 s deadline.
    client = mongo.connect(mongo_url, timeout_seconds=600)
    try:
        repo = ArtifactRepository(client[database])
        await repo.ensure_indexes()
        rating = Rating(0.5, (), "bench", "bench", {}, {})
        collection = client[database]["artifacts"]
        docs = []
        for i in range(start, count):
            chain, step = divmod(i, CHAIN)
            parents = [f"bench/c{chain}-m{step - 1}"] if step else []
            a = artifact(
                str(i + 1),
                f"bench/c{chain}-m{step}",
                ingest_id=f"seed{i}",
                parents=parents,
                size_bytes=rng.randrange(1, 10**9),
            )
            docs.append(to_document(replace(a, readme=readme(rng), rating=rating)))
            if len(docs) == _BATCH:
                await collection.insert_many(docs)
                docs = []
        if docs:
            await collection.insert_many(docs)
        # Keyed here, as an ingest keys what it stores: left to `tmr serve`, the first start
        # over a large store does it under the backend deadline, and fails on nx-27017.
        await repo.ensure_indexes()
    finally:
        await client.close()
