"""Keeping 10,000 ratings current: a rescore pass where 1 % of the models changed upstream,
against rating every one of them again, on the fake hub.

    uv run python bench/rescore.py [--models 10000] [--changed 100] [--sample 50]
                                   [--latency 0.0] [--mongo-url URL]

The registry (in this process, with Redis and a MongoDB-protocol store of its own) ingests
``openai/whisper-tiny`` once; its document is copied into ``--models`` rated models, each the
rating of a repository of its own on the hub (copies of whisper-tiny's listing under new ids;
``--changed`` of them are whole copies, card and all, so they can be scored). Then:

1. a first pass learns every source's validator (nothing changed yet: nothing is rated);
2. ``--changed`` models get a new commit upstream (their card is shortened);
3. the measured pass: each source asked once, conditionally, the changed models rated again;
4. the baseline: ``--sample`` models rated again unconditionally (``force``), as a registry
   without conditional checks would rate all of them; its time per model, times ``--models``,
   is what rating everything would cost.

Printed: requests each pass sent upstream (counted at the hub), how many were answered 304,
the models rated again, the wall times and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from app.rescoring.service import PASS_CONCURRENCY
from app.settings import Settings
from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.fakehub.clones import clone_model
from tests.support.registry import PUBLIC_URL, Registry, running_registry
from tests.support.servers import add_mongo_url_option, document_store, redis_server

MODEL = "openai/whisper-tiny"
INGEST = (
    "mutation($url: String!) { ingest(input: {url: $url, type: MODEL}) "
    "{ job { id } error { ... on Error { message } } } }"
)


def listings_only(fixtures: Path, count: int) -> list[str]:
    """``count`` repositories that are whisper-tiny's listing under new ids, without files:
    all a conditional check reads of an unchanged model."""
    info = json.loads((fixtures / "hf" / "models" / MODEL / "info.json").read_text())
    ids = []
    for i in range(count):
        repo_id = f"bench-listed/whisper-tiny-{i:05d}"
        folder = fixtures / "hf" / "models" / repo_id
        folder.mkdir(parents=True)
        listing = {**info, "id": repo_id, "modelId": repo_id, "_id": f"{i:024x}"}
        (folder / "info.json").write_text(json.dumps(listing))
        ids.append(repo_id)
    return ids


async def seed(registry: Registry, repo_ids: list[str]) -> list[str]:
    """One real ingest of whisper-tiny, copied as the rated model of each of ``repo_ids``."""
    job = (await registry.gql(INGEST, url=f"https://huggingface.co/{MODEL}"))["ingest"]["job"]
    ingest = registry.services.ingest
    state = await ingest.wait(await ingest.get(job["id"]), 300)
    # Seeding writes the store directly: 10,000 ingests would measure ingesting.
    repo = registry.services.artifacts._repo  # noqa: SLF001
    collection = repo._collection  # noqa: SLF001
    original: dict[str, Any] | None = await collection.find_one({"_id": state.artifact_id})
    if original is None:
        raise SystemExit(f"the ingest of {MODEL} stored nothing: {state.error}")
    documents, ids = [], []
    for n, repo_id in enumerate(repo_ids):
        document = copy.deepcopy(original)
        document["_id"] = artifact_id = str(100_000 + n)
        document["name"] = repo_id.rsplit("/", 1)[-1]
        document["source"]["repo_id"] = repo_id
        document["source"]["canonical_url"] = f"https://huggingface.co/{repo_id}"
        document["source_url"] = f"https://huggingface.co/{repo_id}"
        document["source_key"] = f"hf:model:{repo_id}"
        document["source_key_folded"] = f"hf:model:{repo_id}".lower()
        document["ordinal"] = 100_000 + n
        documents.append(document)
        ids.append(artifact_id)
    await collection.delete_one({"_id": state.artifact_id})
    for at in range(0, len(documents), 1000):
        await collection.insert_many(documents[at : at + 1000])
    repo.clear()
    return ids


async def measure(hub: FakeHub, args: argparse.Namespace, mongo_url: str, redis_url: str) -> None:
    settings = Settings(
        mongo_url=mongo_url,
        mongo_database=f"bench_rescore_{int(time.time())}",
        redis_url=redis_url,
        hf_endpoint=hub.url,
        github_api_url=hub.url,
        upstream_allowed_hosts=[hub.hf.cdn_url],
        public_url=PUBLIC_URL,
        admin_password=PUBLISHED_ADMIN_PASSWORD,
        gate_enabled=False,
        rescore_interval=0,
        mirror_max_bytes=0,  # the fake hub serves filler for famous weights: not copied
        data_dir=Path(tempfile.mkdtemp()),
    )
    rescoring = None
    async with running_registry(settings) as registry:
        rescoring = registry.services.rescoring
        changed, listed = args.changed_ids, args.listed_ids
        ids = await seed(registry, changed + listed)
        print(f"{len(ids)} rated models; {len(changed)} will change upstream")

        hub.clear_requests()
        first = await rescoring.rescore_all()
        print(
            f"first pass (learns validators): {first.checked} checked, {first.rescored} "
            f"rated again, {len(hub.requests)} requests, {first.seconds:.1f} s"
        )
        short = (
            b"---\nlicense: apache-2.0\n---\n# Whisper\n\nCode: https://github.com/openai/whisper\n"
        )
        for repo_id in changed:
            hub.commit_model(repo_id, {"README.md": short}, "Shorten the card")

        hub.clear_requests()
        measured = await rescoring.rescore_all()
        requests = len(hub.requests)
        print(
            f"measured pass: {measured.checked} checked, {measured.rescored} rated again, "
            f"{measured.failed} failed; {requests} requests upstream ({measured.requests} "
            f"conditional checks, {measured.not_modified} answered 304), {measured.seconds:.1f} s"
        )

        sample = ids[: args.sample]
        hub.clear_requests()
        started = time.perf_counter()
        gate = asyncio.Semaphore(PASS_CONCURRENCY)

        async def force(artifact_id: str) -> None:
            async with gate:
                await rescoring.rescore(artifact_id, force=True)

        await asyncio.gather(*(force(i) for i in sample))
        per_model = (time.perf_counter() - started) / len(sample)
        baseline_requests = len(hub.requests) / len(sample) * len(ids)
        everything = per_model * len(ids)
        print(
            f"baseline: rating {len(sample)} again took {per_model * 1000:.0f} ms a model "
            f"({PASS_CONCURRENCY} at once): all {len(ids)} would take {everything:.0f} s and "
            f"~{baseline_requests:,.0f} requests"
        )
        print(
            f"ratio: the pass took {measured.seconds / everything:.3f} of rating everything, "
            f"with {requests / baseline_requests:.3f} of its requests"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.0)
    add_mongo_url_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fixtures = work / "fixtures"
        shutil.copytree(DEFAULT_FIXTURES, fixtures)
        args.changed_ids = clone_model(fixtures, MODEL, "bench-changed", args.changed)
        args.listed_ids = listings_only(fixtures, args.models - args.changed)
        with (
            FakeHub(fixtures, latency=args.latency) as hub,
            redis_server(work) as redis_url,
            document_store(work, args.mongo_url) as mongo_url,
        ):
            asyncio.run(measure(hub, args, mongo_url, redis_url))


if __name__ == "__main__":
    main()
