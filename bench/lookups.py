"""Lookup benchmark: the ways to find artifacts by a secondary key (a parent's name, a source
key, an alias) that the document store might answer from an index, timed side by side over
10 000 artifacts, so the form the registry uses is chosen from figures anyone can reproduce.

    uv run python bench/lookups.py [--artifacts 10000] [--rounds 30] [--mongo-url URL]

Each row is the median of ``--rounds`` runs of one lookup, with how many artifacts it found:
rows of one group must agree on that count, or the form is wrong, not fast.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pymongo.asynchronous.cursor import AsyncCursor

from app.artifacts.repository import ArtifactRepository, to_document
from app.rating.entities import Rating
from app.storage import mongo
from app.storage.mongo import Document
from tests.support.builders import artifact
from tests.support.servers import add_mongo_url_option, document_store

CHAIN = 25  # models per lineage chain: deep enough for a depth-20 walk
BATCH = 50  # a GraphQL page: the keys one DataLoader batch asks for
WORDS = ("model", "bert", "vision", "token", "dataset", "train", "eval", "weights", "card")


async def seed(db: mongo.Database, count: int) -> None:
    """Models in chains of CHAIN written straight in the repository's document format, with a
    400-word card each (scans cost what they cost on real documents)."""
    rng = random.Random(461)
    rating = Rating(0.5, (), "bench", "bench", {}, {})
    docs = []
    for i in range(count):
        chain, step = divmod(i, CHAIN)
        a = artifact(
            str(i + 1),
            f"bench/c{chain}-m{step}",
            ingest_id=f"seed{i}",
            parents=[f"bench/c{chain}-m{step - 1}"] if step else [],
        )
        card = "# Model card\n\n" + " ".join(rng.choice(WORDS) for _ in range(400))
        doc = to_document(replace(a, readme=card, rating=rating))
        doc["aliases"] = [f"hf:model:bench/old-{i}"]
        docs.append(doc)
    for start in range(0, len(docs), 1000):
        await db["artifacts"].insert_many(docs[start : start + 1000])


async def timed(rounds: int, run: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    await run()  # warm: connections opened, statements prepared
    samples, found = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        found = await run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), found


async def count(cursor: AsyncCursor[Document]) -> int:
    return len(await cursor.to_list())


async def count_list(found: Awaitable[list[Any]]) -> int:
    return len(await found)


async def found_one(found: Awaitable[Any]) -> int:
    return 0 if await found is None else 1


async def main(total: int, rounds: int, external_mongo: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, document_store(Path(tmp), external_mongo) as url:
        client = mongo.connect(url, timeout_seconds=120)
        db = client[f"bench_lookups_{int(time.time())}"]
        try:
            repo = ArtifactRepository(db)
            await repo.ensure_indexes()
            await seed(db, total)
            start = time.perf_counter()
            await repo.ensure_indexes()  # keys the artifacts written straight in
            first_ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            await repo.ensure_indexes()  # every later start: nothing new to key
            later_ms = (time.perf_counter() - start) * 1000
            store = "MongoDB at --mongo-url" if external_mongo else "nx-27017"
            print(f"{total} artifacts on {store}; median of {rounds} runs per lookup, in ms")
            print(
                f"keys for artifacts written straight in: {first_ms:.0f} ms at the first "
                f"start after, {later_ms:.0f} ms at a start with nothing new"
            )
            print(f"{'lookup':<14} {'form':<72} {'ms':>8} {'found':>6}")
            forms = Forms(db, repo, total)
            for group, form, run in forms.lookups():
                await row(rounds, group, form, run)
            for group, form, run in forms.array_matches():
                await row(rounds, group, f"{form}, array field not indexed", run)
            name = await db["artifacts"].create_index("parent_names")
            for group, form, run in forms.array_matches():
                await row(rounds, group, f"{form}, array field indexed", run)
            await db["artifacts"].drop_index(name)
            for group, form, run in forms.searches():
                await row(rounds, group, form, run)
            for index, label in (
                ("type", "type"),
                ([("type", 1), ("ordinal", 1)], "(type, ordinal)"),
            ):
                name = await db["artifacts"].create_index(index)
                for group, form, run in forms.searches():
                    await row(rounds, group, f"{form}, {label} indexed", run)
                await db["artifacts"].drop_index(name)
        finally:
            await client.drop_database(db.name)
            await client.close()


async def row(rounds: int, group: str, form: str, run: Callable[[], Awaitable[int]]) -> None:
    try:
        ms, found = await timed(rounds, run)
    except Exception as exc:  # a form the store rejects is a result too  # noqa: BLE001
        print(f"{group:<14} {form:<72} {'error':>8}   {type(exc).__name__}: {exc}"[:170])
        return
    print(f"{group:<14} {form:<72} {ms:8.2f} {found:6d}")


Row = tuple[str, str, Callable[[], Awaitable[int]]]


class Forms:
    """Each way of asking, over the same keys: ``BATCH`` random models of the seeded chains."""

    def __init__(self, db: mongo.Database, repo: ArtifactRepository, total: int) -> None:
        self.arts, self.keys, self.repo = db["artifacts"], db["artifact_keys"], repo
        chains = total // CHAIN
        picks = random.Random(7).sample(range(chains * CHAIN), BATCH)
        self.names = [f"bench/c{c}-m{s}" for c, s in (divmod(i, CHAIN) for i in picks)]
        self.folded = [f"hf:model:{n}" for n in self.names]
        self.deep = f"bench/c{chains - 1}-m{CHAIN - 1}"  # 24 ancestors

    def lookups(self) -> list[Row]:
        arts, repo, names, folded = self.arts, self.repo, self.names, self.folded
        alias = "hf:model:bench/old-17"
        return [
            ("source key", "find one, equality (floor)",
             lambda: count(arts.find({"source_key_folded": folded[0]}))),
            ("source key", "$in, 1 key",
             lambda: count(arts.find({"source_key_folded": {"$in": folded[:1]}}))),
            ("source key", f"$in, {BATCH} keys (before)",
             lambda: count(arts.find({"source_key_folded": {"$in": folded}}))),
            ("source key", f"$or of {BATCH} equalities",
             lambda: count(arts.find({"$or": [{"source_key_folded": k} for k in folded]}))),
            ("source key", f"{BATCH} concurrent equality finds",
             lambda: self.gather_equal("source_key_folded", folded)),
            ("source key", f"key docs by _id $in, then _id $in, {BATCH}",
             lambda: self.by_key_docs("source", folded)),
            ("source key", f"ArtifactRepository.find_models, {BATCH} (after)",
             lambda: count_list(repo.find_models(names))),
            ("parent name", f"$in, {BATCH} names (before)",
             lambda: count(arts.find({"parent_names": {"$in": names}}))),
            ("parent name", f"key docs by _id $in, then _id $in, {BATCH}",
             lambda: self.by_key_docs("parent", names)),
            ("parent name", f"ArtifactRepository.find_children, {BATCH} (after)",
             lambda: count_list(repo.find_children(names))),
            ("alias", "$in, 1 alias (before)",
             lambda: count(arts.find({"aliases": {"$in": [alias]}}))),
            ("alias", "ArtifactRepository.find_named by alias (after)",
             lambda: found_one(repo.find_named(alias))),
            ("lineage up 20", "$graphLookup, one aggregate", self.graph_lookup),
            ("lineage up 20", "20 levels of $in (before)", lambda: self.walk_up(self.up_by_in)),
            ("lineage up 20", "20 levels of find_models (after)",
             lambda: self.walk_up(self.up_by_repo)),
        ]  # fmt: skip

    def array_matches(self) -> list[Row]:
        """An array's elements: nx-27017 matches them by ``$in`` (reading every document), or
        by equality only while the field has no index (every document again); on an indexed
        array equality compares the whole array, and finds nothing."""
        arts, names = self.arts, self.names
        return [
            ("parent name", "$in, 1 name",
             lambda: count(arts.find({"parent_names": {"$in": names[:1]}}))),
            ("parent name", "equality, 1 name",
             lambda: count(arts.find({"parent_names": names[0]}))),
            ("parent name", f"{BATCH} concurrent equality finds",
             lambda: self.gather_equal("parent_names", names)),
        ]  # fmt: skip

    def searches(self) -> list[Row]:
        def first_20(query: Document) -> Callable[[], Awaitable[int]]:
            return lambda: count(self.arts.find(query).sort("ordinal", 1).limit(20))

        return [
            ("search", "type $in [MODEL], first 20 by ordinal (today)",
             first_20({"type": {"$in": ["model"]}})),
            ("search", "type = MODEL, first 20 by ordinal", first_20({"type": "model"})),
            ("search", "type $in [DATASET] (none), first 20 by ordinal (today)",
             first_20({"type": {"$in": ["dataset"]}})),
            ("search", "type = DATASET (none), first 20 by ordinal", first_20({"type": "dataset"})),
        ]  # fmt: skip

    async def by_key_docs(self, kind: str, values: list[str]) -> int:
        wanted = [f"{kind}:{v}" for v in values]
        ids = {i async for d in self.keys.find({"_id": {"$in": wanted}}) for i in d["ids"]}
        return await count(self.arts.find({"_id": {"$in": sorted(ids)}}))

    async def gather_equal(self, field: str, values: list[str]) -> int:
        found = await asyncio.gather(*(count(self.arts.find({field: v})) for v in values))
        return sum(found)

    async def graph_lookup(self) -> int:
        pipeline: list[Document] = [
            {"$match": {"source_key_folded": f"hf:model:{self.deep}"}},
            {
                "$graphLookup": {
                    "from": "artifacts",
                    "startWith": "$parent_names",
                    "connectFromField": "parent_names",
                    "connectToField": "source.repo_id",
                    "as": "ancestors",
                    "maxDepth": 19,
                }
            },
        ]
        docs = await (await self.arts.aggregate(pipeline)).to_list()
        return sum(len(d["ancestors"]) for d in docs)

    async def walk_up(self, step: Callable[[list[str]], Awaitable[list[str]]]) -> int:
        frontier, seen = [self.deep], 0
        for _ in range(20):
            frontier = await step(frontier)
            seen += len(frontier)
        return seen

    async def up_by_in(self, frontier: list[str]) -> list[str]:
        keys = [f"hf:model:{n}" for n in frontier]
        cursor = self.arts.find({"source_key_folded": {"$in": keys}})
        return [n async for d in cursor for n in d["parent_names"]]

    async def up_by_repo(self, frontier: list[str]) -> list[str]:
        return [p.name.lower() for a in await self.repo.find_models(frontier) for p in a.parents]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    add_mongo_url_option(parser)
    args = parser.parse_args()
    asyncio.run(main(args.artifacts, args.rounds, args.mongo_url))
