"""All MongoDB queries about artifacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pymongo.errors import DuplicateKeyError

from app.artifacts.entities import (
    Artifact,
    ArtifactType,
    BlobRef,
    ParentLink,
    RatingChange,
    SourceHost,
    SourceRef,
)
from app.artifacts.errors import DuplicateSourceError
from app.errors import ConflictError
from app.rating.entities import Rating
from app.rating.gate import GateMode
from app.storage.mongo import Database, Document, next_sequence


class ArtifactRepository:
    def __init__(self, db: Database) -> None:
        self._collection = db["artifacts"]
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("source_key", unique=True)
        await self._collection.create_index("source_key_folded")
        await self._collection.create_index("aliases")
        await self._collection.create_index("gate_passed")
        await self._collection.create_index("name")
        await self._collection.create_index("parent_names")
        await self._collection.create_index("ordinal")

    async def next_id(self) -> str:
        return str(await next_sequence(self._db, "artifact_id"))

    async def get(self, artifact_id: str) -> Artifact | None:
        doc = await self._collection.find_one({"_id": artifact_id})
        return None if doc is None else _from_document(doc)

    async def get_many(self, ids: Sequence[str]) -> list[Artifact | None]:
        """Artifacts in the order of ``ids`` (None where missing): one round trip."""
        docs = {d["_id"]: d async for d in self._collection.find({"_id": {"$in": list(ids)}})}
        return [None if (d := docs.get(i)) is None else _from_document(d) for i in ids]

    async def find_by_source(self, source_key: str) -> Artifact | None:
        doc = await self._collection.find_one({"source_key": source_key})
        return None if doc is None else _from_document(doc)

    async def find_named(self, source_key: str) -> Artifact | None:
        """The artifact stored under ``source_key`` whatever its case, or known by it as an
        alias: two indexed lookups, no upstream call."""
        folded = source_key.lower()
        doc = await self._collection.find_one({"source_key_folded": folded})
        if doc is None:
            # $in rather than equality: nx-27017 matches array elements only that way
            doc = await self._collection.find_one({"aliases": {"$in": [folded]}})
        return None if doc is None else _from_document(doc)

    async def add_alias(self, artifact_id: str, source_key: str) -> None:
        await self._collection.update_one(
            {"_id": artifact_id}, {"$addToSet": {"aliases": source_key.lower()}}
        )

    async def set_rating(
        self, current: Artifact, rating: Rating, change: RatingChange
    ) -> Artifact | None:
        """Replace ``current``'s rating, keeping the old values in its history: a
        compare-and-set on the version read (its ingest and rating history), so concurrent
        re-ratings never lose one. None when the artifact changed meanwhile."""
        history = (*current.rating_history, change)
        result = await self._collection.update_one(
            {
                "_id": current.id,
                "ingest_id": current.ingest_id,
                # documents written before rating histories existed have no version
                "rating_version": len(current.rating_history) or {"$in": [0, None]},
            },
            {
                "$set": {
                    **_rating_fields(rating),
                    "rating_history": [_change_document(c) for c in history],
                    "rating_version": len(history),
                }
            },
        )
        if result.matched_count != 1:
            return None
        return replace(current, rating=rating, rating_history=history)

    async def find_models(self, repo_ids: Sequence[str]) -> list[Artifact]:
        """Registered models among Hugging Face ``repo_ids`` (case-insensitive): one query."""
        keys = [f"hf:model:{r}".lower() for r in repo_ids]
        cursor = self._collection.find({"source_key_folded": {"$in": keys}})
        return [_from_document(d) async for d in cursor]

    async def find_by_source_keys(self, keys: Sequence[str]) -> list[Artifact]:
        """Registered artifacts among normalized source keys (case-insensitive): one query."""
        folded = [k.lower() for k in keys]
        cursor = self._collection.find({"source_key_folded": {"$in": folded}})
        return [_from_document(d) async for d in cursor]

    async def find_children(self, repo_ids: Sequence[str]) -> list[Artifact]:
        """Models naming any of ``repo_ids`` as a parent (case-insensitive): one query."""
        names = [r.lower() for r in repo_ids]
        cursor = self._collection.find({"parent_names": {"$in": names}})
        return [_from_document(d) async for d in cursor]

    async def set_parents(self, artifact_id: str, parents: Sequence[ParentLink]) -> None:
        """Rewrite one artifact's parent links (no dates involved, so a $set is safe)."""
        await self._collection.update_one(
            {"_id": artifact_id},
            {"$set": {"parents": [_parent_document(p) for p in parents]}},
        )

    async def insert(self, artifact: Artifact) -> Artifact:
        """Store a new artifact. Inserting the same id again for the same ingest is a no-op
        (a retried job); any other clash on the source is a :class:`DuplicateSourceError`."""
        try:
            await self._collection.insert_one(_to_document(artifact))
        except DuplicateKeyError:
            existing = await self.get(artifact.id)
            if existing is not None and existing.ingest_id == artifact.ingest_id:
                return existing
            other = await self.find_by_source(artifact.source.key)
            raise DuplicateSourceError(artifact.source.key, other.id if other else None) from None
        return artifact

    async def replace(self, artifact: Artifact, *, previous: Artifact) -> Artifact:
        """Swap in a new version, if ``previous`` is still the stored one (compare-and-set on
        the ingest that wrote it); a clash on the source is a :class:`DuplicateSourceError`."""
        try:
            result = await self._collection.replace_one(
                {"_id": artifact.id, "ingest_id": previous.ingest_id}, _to_document(artifact)
            )
        except DuplicateKeyError:
            other = await self.find_by_source(artifact.source.key)
            raise DuplicateSourceError(artifact.source.key, other.id if other else None) from None
        if result.matched_count != 1:
            current = await self.get(artifact.id)
            if current is not None and current.ingest_id == artifact.ingest_id:
                return current  # a run of the same ingest swapped it in first
            raise ConflictError(f"artifact {artifact.id} changed while it was being updated")
        return artifact

    async def delete(self, artifact_id: str) -> bool:
        result = await self._collection.delete_one({"_id": artifact_id})
        return result.deleted_count == 1

    async def delete_all(self) -> int:
        result = await self._collection.delete_many({})
        return result.deleted_count

    async def count(self) -> int:
        return await self._collection.count_documents({})


def _to_document(a: Artifact) -> Document:
    return {
        "_id": a.id,
        # Ids come from a counter; the number orders artifacts for cursor pagination.
        "ordinal": int(a.id) if a.id.isdigit() else 0,
        "name": a.name,
        "type": a.type.value,
        "source_url": a.source_url,
        "source_key": a.source.key,
        "source_key_folded": a.source.key.lower(),
        "source": {
            "host": a.source.host.value,
            "type": a.source.type.value,
            "repo_id": a.source.repo_id,
            "canonical_url": a.source.canonical_url,
        },
        "revision": a.revision,
        "readme": a.readme,
        "license": a.license,
        "size_bytes": a.size_bytes,
        "blob": {"key": a.blob.key, "size": a.blob.size, "sha256": a.blob.sha256},
        "created_at": a.created_at,
        "created_by": a.created_by,
        "ingest_id": a.ingest_id,
        "upstream": a.upstream,
        **_rating_fields(a.rating),
        "gate_mode": None if a.gate_mode is None else a.gate_mode.value,
        "aliases": sorted(a.aliases),
        "rating_history": [_change_document(c) for c in a.rating_history],
        "rating_version": len(a.rating_history),
        "parents": [_parent_document(p) for p in a.parents],
        # Lower-cased parent names, for finding children whatever case they were named in.
        "parent_names": [p.name.lower() for p in a.parents],
        "datasets": list(a.datasets),
        "code_repo": a.code_repo,
    }


def _rating_fields(rating: Rating | None) -> Document:
    return {
        "rating": None if rating is None else rating.to_dict(),
        "net_score": None if rating is None else rating.net_score,
        # for filtering on the decision (null: datasets, code, ungated models)
        "gate_passed": None if rating is None or rating.gate is None else rating.gate.passed,
    }


def _change_document(c: RatingChange) -> Document:
    return {
        "at": c.at,
        "reason": c.reason,
        "net_score": c.net_score,
        "tree_score": c.tree_score,
        "gate_passed": c.gate_passed,
    }


def _parent_document(p: ParentLink) -> Document:
    return {"name": p.name, "artifact_id": p.artifact_id, "source": p.source}


def _from_document(d: Document) -> Artifact:
    source: dict[str, Any] = d["source"]
    blob: dict[str, Any] = d["blob"]
    return Artifact(
        id=d["_id"],
        name=d["name"],
        type=ArtifactType(d["type"]),
        source_url=d["source_url"],
        source=SourceRef(
            host=SourceHost(source["host"]),
            type=ArtifactType(source["type"]),
            repo_id=source["repo_id"],
            key=d["source_key"],
            canonical_url=source["canonical_url"],
        ),
        revision=d.get("revision"),
        readme=d.get("readme") or "",
        license=d.get("license"),
        size_bytes=int(d.get("size_bytes") or 0),
        blob=BlobRef(key=blob["key"], size=int(blob["size"]), sha256=blob["sha256"]),
        created_at=d["created_at"],
        created_by=d["created_by"],
        ingest_id=d["ingest_id"],
        upstream=dict(d.get("upstream") or {}),
        rating=None if not d.get("rating") else Rating.from_dict(d["rating"]),
        parents=tuple(
            ParentLink(p["name"], p.get("artifact_id"), p.get("source", ""))
            for p in d.get("parents") or ()
        ),
        datasets=tuple(d.get("datasets") or ()),
        code_repo=d.get("code_repo"),
        gate_mode=None if not d.get("gate_mode") else GateMode(d["gate_mode"]),
        aliases=tuple(d.get("aliases") or ()),
        rating_history=tuple(
            RatingChange(
                at=c["at"],
                reason=c["reason"],
                net_score=float(c["net_score"]),
                tree_score=None if c.get("tree_score") is None else float(c["tree_score"]),
                gate_passed=c.get("gate_passed"),
            )
            for c in d.get("rating_history") or ()
        ),
    )


from_document = _from_document  # public for other domains reading the artifacts collection
to_document = _to_document  # public for tools writing artifacts in bulk (benchmarks)
