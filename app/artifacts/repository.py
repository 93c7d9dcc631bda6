"""All MongoDB queries about artifacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.artifacts.entities import (
    Artifact,
    BlobRef,
    RatingReason,
    RatingRecord,
    SourceRef,
    ordinal_of,
)
from app.artifacts.errors import DuplicateSourceError
from app.artifacts.sources import source_key
from app.errors import ConflictError
from app.kinds import ArtifactType, SourceHost
from app.mirror.entities import LeftUpstream, Manifest, MirroredFile
from app.rating.entities import Rating
from app.rating.gate import GateMode
from app.rating.links import ParentLink
from app.storage.mongo import Database, Document, next_sequence

# Batched lookups by a secondary key go through a collection of their own, keyed by it:
# ``{_id: "<kind>:<value>", ids: [artifact ids]}``. The document store (nx-27017) answers
# ``$in`` on any field but ``_id`` by reading every artifact (~80 ms at 10 000, whatever the
# index), and matches an array's elements only by ``$in`` or, on a field with no index, by
# equality: a read of every artifact either way (on an indexed array equality compares the
# whole array). A page's parents, a lineage level's children or an alias would each cost a
# scan; ``_id`` $in on the keys, then on the artifacts, costs two indexed round trips on it
# as on MongoDB (bench/lookups.py).
#
# The keys are a superset of what the artifacts hold: they are written before the artifact,
# never taken back while it exists, and rebuilt from the artifacts at startup for documents
# written straight into the collection. Every lookup checks the documents it reads, so a key
# left by a replaced version or a failed write finds nothing it should not.
_SOURCE = "source"  # source_key_folded
_PARENT = "parent"  # each of parent_names
_ALIAS = "alias"  # each of aliases
_KEY_FIELDS = {"_id": 1, "ordinal": 1, "source_key_folded": 1, "parent_names": 1, "aliases": 1}
# The highest ordinal keyed at a start; its _id has no "<kind>:" so no lookup meets it.
_KEYED_THROUGH = "keyed-through"
_KEY_PAGE = 1000  # artifacts per read when keying many at a start
_KEY_BATCH = 500  # keys per round trip when keying many artifacts at once


class ArtifactRepository:
    def __init__(self, db: Database) -> None:
        self._collection = db["artifacts"]
        self._keys = db["artifact_keys"]
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("source_key", unique=True)
        await self._collection.create_index("source_key_folded")
        await self._collection.create_index("gate_passed")
        await self._collection.create_index("name")
        await self._collection.create_index("ordinal")
        # no index on aliases or parent_names: lookups by them go through the keys
        await self._index_missing_keys()

    async def _index_missing_keys(self) -> None:
        """Key the artifacts past the last one keyed at a start (written by a tool straight into
        the collection, or before the keys existed): ordinal ranges, so a start reads only what
        is new, a page at a time, each well inside the store's deadline however large the
        store, and a start that fails half-way resumes where it stopped. Only adds, so it is
        safe beside writers running meanwhile."""
        mark = await self._keys.find_one({"_id": _KEYED_THROUGH})
        if mark is None:
            # artifacts with ids not from the counter share ordinal 0: they cannot be paged
            await self._key_documents(
                await self._collection.find({"ordinal": 0}, _KEY_FIELDS).to_list()
            )
        through = 0 if mark is None else int(mark["ordinal"])
        while (
            page := await self._collection.find({"ordinal": {"$gt": through}}, _KEY_FIELDS)
            .sort("ordinal", 1)
            .limit(_KEY_PAGE)
            .to_list()
        ):
            await self._key_documents(page)
            through = int(page[-1]["ordinal"])
            await self._keys.update_one(
                {"_id": _KEYED_THROUGH}, {"$max": {"ordinal": through}}, upsert=True
            )
            if len(page) < _KEY_PAGE:
                return

    async def _key_documents(self, docs: Sequence[Document]) -> None:
        wanted: dict[str, list[str]] = {}
        for doc in docs:
            for key in _keys_of(doc):
                wanted.setdefault(key, []).append(doc["_id"])
        keys = list(wanted)
        for start in range(0, len(keys), _KEY_BATCH):
            batch = keys[start : start + _KEY_BATCH]
            held = {d["_id"] async for d in self._keys.find({"_id": {"$in": batch}}, {"_id": 1})}
            fresh = [k for k in batch if k not in held]
            grown = [k for k in batch if k in held]
            try:
                # one insert for the keys no document holds yet, not an upsert per key
                if fresh:
                    await self._keys.insert_many(
                        [{"_id": k, "ids": wanted[k]} for k in fresh], ordered=False
                    )
            except BulkWriteError:  # a writer keyed some meanwhile: add to what it wrote
                grown = batch
            if grown:
                await self._keys.bulk_write(
                    [
                        UpdateOne(
                            {"_id": k}, {"$addToSet": {"ids": {"$each": wanted[k]}}}, upsert=True
                        )
                        for k in grown
                    ],
                    ordered=False,
                )

    async def _add_keys(self, artifact_id: str, keys: Sequence[str]) -> None:
        if keys:
            await self._keys.bulk_write(
                [
                    UpdateOne({"_id": k}, {"$addToSet": {"ids": artifact_id}}, upsert=True)
                    for k in dict.fromkeys(keys)
                ],
                ordered=False,
            )

    async def keyed(self, keys: Sequence[str]) -> list[tuple[str, ...]]:
        """The ids each lookup key (``<kind>:<value>``, see ``_keys_of``) names, in the order
        of ``keys`` (empty where none): one round trip, on ``_id``."""
        if not keys:  # an empty $in is no index lookup on nx-27017 but a scan
            return []
        wanted = list(dict.fromkeys(keys))
        found = {d["_id"]: tuple(d["ids"]) async for d in self._keys.find({"_id": {"$in": wanted}})}
        return [found.get(k, ()) for k in keys]

    async def _lookup(self, kind: str, values: Sequence[str]) -> list[Artifact]:
        """Artifacts keyed by any of ``values`` (and maybe others: the caller checks), in
        ordinal order: two round trips, both on ``_id``."""
        keyed = await self.keyed([f"{kind}:{v}" for v in dict.fromkeys(values)])
        ids = sorted({i for found in keyed for i in found}, key=lambda i: (ordinal_of(i), i))
        return [a for a in await self.get_many(ids) if a is not None]

    async def next_id(self) -> str:
        return str(await next_sequence(self._db, "artifact_id"))

    async def get(self, artifact_id: str) -> Artifact | None:
        doc = await self._collection.find_one({"_id": artifact_id})
        return None if doc is None else _from_document(doc)

    async def get_many(self, ids: Sequence[str]) -> list[Artifact | None]:
        """Artifacts in the order of ``ids`` (None where missing): one round trip."""
        if not ids:  # an empty $in is no index lookup on nx-27017 but a scan
            return []
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
        if doc is not None:
            return _from_document(doc)
        # through the keys: nx-27017 matches array elements only by reading every artifact
        named = (a for a in await self._lookup(_ALIAS, [folded]) if folded in a.aliases)
        return next(named, None)

    async def add_alias(self, artifact_id: str, source_key: str) -> None:
        alias = source_key.lower()
        await self._add_keys(artifact_id, [f"{_ALIAS}:{alias}"])
        await self._collection.update_one({"_id": artifact_id}, {"$addToSet": {"aliases": alias}})

    async def set_rating(
        self, current: Artifact, rating: Rating, record: RatingRecord
    ) -> Artifact | None:
        """Replace ``current``'s rating, keeping the old values in its history: a
        compare-and-set on the version read (its ingest and rating history), so concurrent
        re-ratings never lose one. None when the artifact changed meanwhile."""
        history = (*current.rating_history, record)
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
                    "rating_history": [_record_document(c) for c in history],
                    "rating_version": len(history),
                }
            },
        )
        if result.matched_count != 1:
            return None
        return replace(current, rating=rating, rating_history=history)

    async def rated_model_ids(self, *, not_scored_by: str | None = None) -> list[str]:
        """Every model with a rating (rated by another scorer than ``not_scored_by``, when
        given), in id order: what a rescore pass goes over."""
        query: Document = {"type": ArtifactType.MODEL.value, "rating": {"$ne": None}}
        if not_scored_by is not None:
            query["rating.scorer_version"] = {"$ne": not_scored_by}
        found = self._collection.find(query, {"_id": 1})
        return sorted([d["_id"] async for d in found], key=lambda i: (len(i), i))

    async def find_models(self, repo_ids: Sequence[str]) -> list[Artifact]:
        """Registered models among Hugging Face ``repo_ids`` (case-insensitive), in id order:
        two indexed round trips whatever their number."""
        return await self.find_by_source_keys(
            [source_key(SourceHost.HUGGING_FACE, ArtifactType.MODEL, r) for r in repo_ids]
        )

    async def find_by_source_keys(self, keys: Sequence[str]) -> list[Artifact]:
        """Registered artifacts among normalized source keys (case-insensitive), in id order:
        two indexed round trips whatever their number."""
        folded = {k.lower() for k in keys}
        found = await self._lookup(_SOURCE, sorted(folded))
        return [a for a in found if a.source.key.lower() in folded]

    async def find_children(self, repo_ids: Sequence[str]) -> list[Artifact]:
        """Models naming any of ``repo_ids`` as a parent (case-insensitive), in id order: two
        indexed round trips whatever their number."""
        names = {r.lower() for r in repo_ids}
        found = await self._lookup(_PARENT, sorted(names))
        return [a for a in found if names.intersection(p.name.lower() for p in a.parents)]

    async def set_parents(self, artifact_id: str, parents: Sequence[ParentLink]) -> None:
        """Rewrite one artifact's parent links (no dates involved, so a $set is safe)."""
        await self._collection.update_one(
            {"_id": artifact_id},
            {"$set": {"parents": [_parent_document(p) for p in parents]}},
        )

    async def insert(self, artifact: Artifact) -> Artifact:
        """Store a new artifact. Inserting the same id again for the same ingest is a no-op
        (a retried job); any other clash on the source is a :class:`DuplicateSourceError`."""
        document = _to_document(artifact)
        await self._add_keys(artifact.id, _keys_of(document))
        try:
            await self._collection.insert_one(document)
        except DuplicateKeyError:
            existing = await self.get(artifact.id)
            if existing is not None and existing.ingest_id == artifact.ingest_id:
                return existing
            other = await self.find_by_source(artifact.source.key)
            raise DuplicateSourceError(artifact.source.key, other.id if other else None) from None
        return artifact

    async def replace(self, artifact: Artifact, *, previous: Artifact) -> Artifact:
        """Swap in a new version, if ``previous`` is still the stored one (compare-and-set on
        the ingest that wrote it); a clash on the source is a :class:`DuplicateSourceError`.
        The previous version's keys stay: taking them back could race a later version adding
        them again, and lookups skip what no longer matches."""
        document = _to_document(artifact)
        await self._add_keys(artifact.id, _keys_of(document))
        try:
            result = await self._collection.replace_one(
                {"_id": artifact.id, "ingest_id": previous.ingest_id}, document
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
        doc = await self._collection.find_one_and_delete({"_id": artifact_id}, _KEY_FIELDS)
        if doc is None:
            return False
        # ids come from a counter and are never reused: no later write wants these back
        await self._keys.update_many(
            {"_id": {"$in": _keys_of(doc)}}, {"$pull": {"ids": artifact_id}}
        )
        return True

    async def delete_all(self) -> int:
        result = await self._collection.delete_many({})
        await self._keys.delete_many({})
        return result.deleted_count

    async def count(self) -> int:
        return await self._collection.count_documents({})


def _to_document(a: Artifact) -> Document:
    return {
        "_id": a.id,
        "ordinal": ordinal_of(a.id),
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
        "rating_history": [_record_document(c) for c in a.rating_history],
        "rating_version": len(a.rating_history),
        "parents": [_parent_document(p) for p in a.parents],
        # Lower-cased parent names, for finding children whatever case they were named in.
        "parent_names": [p.name.lower() for p in a.parents],
        "datasets": list(a.datasets),
        "code_repo": a.code_repo,
        "manifest": None if a.manifest is None else _manifest_document(a.manifest),
    }


def _keys_of(d: Document) -> list[str]:
    """The lookup keys of an artifact document (see ``_lookup``)."""
    return [
        *((f"{_SOURCE}:{d['source_key_folded']}",) if d.get("source_key_folded") else ()),
        *(f"{_PARENT}:{n}" for n in d.get("parent_names") or ()),
        *(f"{_ALIAS}:{a}" for a in d.get("aliases") or ()),
    ]


def _rating_fields(rating: Rating | None) -> Document:
    return {
        "rating": None if rating is None else rating.to_dict(),
        "net_score": None if rating is None else rating.net_score,
        # for filtering on the decision (null: datasets, code, ungated models)
        "gate_passed": None if rating is None or rating.gate is None else rating.gate.passed,
    }


def _record_document(r: RatingRecord) -> Document:
    return {
        "at": r.at,
        "reason": r.reason.value,
        "note": r.note,
        "net_score": r.net_score,
        "scores": r.scores,
        "revisions": r.revisions,
        "scorer_version": r.scorer_version,
        "policy_version": r.policy_version,
        "gate_passed": r.gate_passed,
    }


def _reason(value: str) -> RatingReason:
    try:
        return RatingReason(value)
    except ValueError:
        return RatingReason.PARENT_RERATED if value.startswith("parent") else RatingReason.UPDATE


def _record_from(d: Document) -> RatingRecord:
    reason, note = _reason(str(d["reason"])), str(d.get("note") or "")
    if reason.value != d["reason"]:  # a record written before reasons were kinds: its words
        note = str(d["reason"])
    return RatingRecord(
        at=d["at"],
        reason=reason,
        note=note,
        net_score=float(d["net_score"]),
        scores={k: float(v) for k, v in (d.get("scores") or {}).items()},
        revisions=dict(d.get("revisions") or {}),
        scorer_version=str(d.get("scorer_version") or ""),
        policy_version=d.get("policy_version"),
        gate_passed=d.get("gate_passed"),
    )


def _parent_document(p: ParentLink) -> Document:
    return {"name": p.name, "artifact_id": p.artifact_id, "source": p.source}


def _manifest_document(m: Manifest) -> Document:
    return {
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in m.files],
        "left_upstream": [
            {"path": f.path, "size": f.size, "reason": f.reason, "url": f.url}
            for f in m.left_upstream
        ],
    }


def _manifest_from(d: Document) -> Manifest:
    return Manifest(
        files=tuple(MirroredFile(f["path"], int(f["size"]), f["sha256"]) for f in d["files"]),
        left_upstream=tuple(
            LeftUpstream(f["path"], int(f["size"]), f["reason"], f["url"])
            for f in d["left_upstream"]
        ),
    )


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
        manifest=None if not d.get("manifest") else _manifest_from(d["manifest"]),
        rating_history=tuple(_record_from(r) for r in d.get("rating_history") or ()),
    )


from_document = _from_document  # public for other domains reading the artifacts collection
to_document = _to_document  # public for tools writing artifacts in bulk (benchmarks)
