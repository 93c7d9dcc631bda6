"""Rules for stored artifacts: writing one atomically across blob and document stores,
reading, downloading and deleting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.artifacts.bundle import build_bundle
from app.artifacts.cached_repository import CachedArtifactRepository
from app.artifacts.entities import Artifact, BlobRef, RatingReason, RatingRecord, SourceRef
from app.artifacts.errors import ArtifactNotFoundError, DuplicateSourceError, NotRatedError
from app.artifacts.snapshots import SourceSnapshot
from app.artifacts.visibility import Visibility
from app.audit.entities import AuditAction
from app.audit.service import AuditService
from app.auth.entities import Permission, Principal
from app.auth.service import require
from app.clock import utcnow
from app.downloads.links import LinkSigner
from app.errors import AppError, NotFoundError
from app.freshness import DataVersion
from app.kinds import ArtifactType
from app.mirror.entities import Manifest, PackagePart
from app.mirror.service import MirrorService
from app.ports import BlobStore
from app.rating.context import RegisteredParent
from app.rating.entities import Rating
from app.rating.gate import GateMode
from app.rating.service import ModelLinks

log = logging.getLogger(__name__)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class NewArtifact:
    """What an ingest hands over to be stored."""

    id: str
    name: str
    source_url: str
    source: SourceRef
    snapshot: SourceSnapshot
    requester: str
    ingest_id: str
    rating: Rating | None = None
    links: ModelLinks | None = None
    replaces: bool = False  # an update of the stored artifact with this id
    gate_mode: GateMode | None = None  # of the entry point, for a gated model
    #: The key the client named the source by, when the hub knows it by another one.
    alias: str | None = None
    #: What the registry.json record says of how the source was read (e.g. not at all).
    provenance: dict[str, Any] = field(default_factory=dict)
    #: The model's files copied into the blob store (by ``app.mirror``) and those left upstream.
    manifest: Manifest | None = None


def bundle_key(artifact_id: str, ingest_id: str) -> str:
    """Where a version's bundle is stored: one key per ingest, so versions never overwrite."""
    return f"artifacts/{artifact_id}/{ingest_id}.zip"


class ArtifactService:
    def __init__(
        self,
        repo: CachedArtifactRepository,
        blobs: BlobStore,
        *,
        url_ttl: int,
        audit: AuditService,
        versions: DataVersion,
        files: MirrorService,
        signer: LinkSigner,
        visibility: Visibility | None = None,
    ) -> None:
        self._repo = repo
        self.visibility = visibility or Visibility()
        self._blobs = blobs
        self._url_ttl = url_ttl
        self._audit = audit
        self._versions = versions
        self._files = files
        self._signer = signer

    async def get(self, artifact_id: str) -> Artifact:
        (artifact,) = await self.get_many([artifact_id])
        if artifact is None:
            raise ArtifactNotFoundError(artifact_id)
        return artifact

    async def find(self, artifact_id: str) -> Artifact | None:
        (artifact,) = await self.get_many([artifact_id])
        return artifact

    async def get_many(self, ids: Sequence[str]) -> list[Artifact | None]:
        """By id, in order (None where there is none, or none this request may see:
        ``app.artifacts.visibility``); from this process's cache for a request whose token
        check saw the version it was read under (``app.freshness``)."""
        found = await self._repo.get_many(ids)
        if not self.visibility.restricted():
            return found
        return [None if a is None or self.visibility.hidden(a) else a for a in found]

    async def find_by_source(self, source_key: str) -> Artifact | None:
        return await self._repo.find_by_source(source_key)

    async def find_named(self, source_key: str) -> Artifact | None:
        """The artifact a client's key names without asking upstream: the same key in any
        case, or an alias it was named by before."""
        return await self._repo.find_named(source_key)

    async def add_alias(self, artifact_id: str, source_key: str) -> None:
        """Remember that ``source_key`` names this artifact, so the next ingest under it is
        refused at once."""
        async with self._changing():
            await self._repo.add_alias(artifact_id, source_key)

    async def set_rating(
        self, current: Artifact, rating: Rating, record: RatingRecord
    ) -> Artifact | None:
        """Re-rate a stored artifact in place, ``record`` added to its history; None if it
        changed since ``current`` was read."""
        async with self._changing():
            return await self._repo.set_rating(current, rating, record)

    async def rated_model_ids(self, *, not_scored_by: str | None = None) -> list[str]:
        return await self._repo.rated_model_ids(not_scored_by=not_scored_by)

    async def registered_parents(self, repo_ids: list[str]) -> list[RegisteredParent]:
        """How the registry knows each named parent model: one store round trip, none for a
        model without parents."""
        if not repo_ids:
            return []
        found = {a.source.repo_id.lower(): a for a in await self._repo.find_models(repo_ids)}
        parents = []
        for repo_id in repo_ids:
            a = found.get(repo_id.lower())
            parents.append(
                RegisteredParent(
                    repo_id=repo_id,
                    artifact_id=None if a is None else a.id,
                    net_score=None if a is None or a.rating is None else a.rating.net_score,
                )
            )
        return parents

    async def reserve_id(self) -> str:
        return await self._repo.next_id()

    async def download_url(
        self, artifact: Artifact, *, actor: Principal, part: PackagePart = PackagePart.FULL
    ) -> str:
        """A link to the artifact's package or part of it, for a caller with the download
        permission only: whoever holds the link gets the bytes, so the link is what is
        guarded. Issuing it is the DOWNLOAD the audit log records. The full package of an
        artifact that holds no copied file is its bundle, served by the blob store itself."""
        require(actor, Permission.DOWNLOAD)
        await self._audit.record(AuditAction.DOWNLOAD, artifact.audited(), user=actor.name)
        if part is PackagePart.FULL and (artifact.manifest is None or not artifact.manifest.files):
            filename = f"{_UNSAFE_FILENAME.sub('_', artifact.name) or artifact.id}.zip"
            return await self._blobs.download_url(
                artifact.blob.key, filename=filename, ttl_seconds=self._url_ttl
            )
        return self._signer.package_link(artifact.id, part.value, ttl_seconds=self._url_ttl)

    async def file_url(self, artifact: Artifact, path: str, *, actor: Principal) -> str:
        """A link to one file the registry holds of a model (Range requests work on it)."""
        require(actor, Permission.DOWNLOAD)
        held = {f.path: f for f in (artifact.manifest.files if artifact.manifest else ())}
        if path not in held:
            raise NotFoundError(f"artifact {artifact.id} holds no file {path!r}")
        await self._audit.record(AuditAction.DOWNLOAD, artifact.audited(), user=actor.name)
        name = _UNSAFE_FILENAME.sub("_", path.rsplit("/", 1)[-1]) or "file"
        return await self._blobs.download_url(
            held[path].key, filename=name, ttl_seconds=self._url_ttl
        )

    async def rate(self, artifact_id: str, *, user: str = "anonymous") -> tuple[Artifact, Rating]:
        """A model's stored rating; reading it is the RATE the audit log records."""
        artifact = await self.get(artifact_id)
        if artifact.type is not ArtifactType.MODEL or artifact.rating is None:
            raise NotRatedError(artifact_id)
        await self._audit.record(AuditAction.RATE, artifact.audited(), user=user)
        return artifact, artifact.rating

    async def reset(self) -> None:
        """Every artifact document, bundle and mirrored file; the id counter is kept, so ids
        never repeat."""
        async with self._changing():
            await self._repo.delete_all()
        await self._blobs.delete_prefix("artifacts/")
        await self._files.reset()

    async def store(self, new: NewArtifact) -> Artifact:
        """Write the bundle, then the document. A failed blob write leaves no document; a
        failed document write removes the blob; storing the same ingest twice is a no-op.
        An update (``new.replaces``) swaps the document in one write and only then removes
        the previous bundle, so readers always see a complete version."""
        existing = await self._repo.get(new.id)
        if existing is not None and existing.ingest_id == new.ingest_id:
            return existing
        if new.replaces and existing is None:
            raise ArtifactNotFoundError(new.id)
        if new.replaces:  # a new artifact's clash is caught by the insert, on a unique index
            other = await self._repo.find_by_source(new.source.key)
            if other is not None and other.id != new.id:
                raise DuplicateSourceError(new.source.key, other.id)
        created_at = utcnow() if existing is None else existing.created_at
        record = {
            "id": new.id,
            "name": new.name,
            "type": new.source.type.value,
            "source_url": new.source_url,
            "source": new.source.canonical_url,
            "source_key": new.source.key,
            "revision": new.snapshot.revision,
            "license": new.snapshot.license,
            "created_at": created_at.isoformat(),
            "created_by": new.requester,
            **new.provenance,
        }
        files = dict(new.snapshot.files)
        if new.rating is not None:
            files["rating.json"] = json.dumps(new.rating.to_dict(), indent=2).encode()
        data = await asyncio.to_thread(build_bundle, files, record)
        key = bundle_key(new.id, new.ingest_id)
        blob = await self._blobs.put(key, data, content_type="application/zip")
        artifact = Artifact(
            id=new.id,
            name=new.name,
            type=new.source.type,
            source_url=new.source_url,
            source=new.source,
            revision=new.snapshot.revision,
            readme=new.snapshot.readme,
            license=new.snapshot.license,
            size_bytes=new.snapshot.size_bytes,
            blob=BlobRef(blob.key, blob.size, blob.sha256),
            created_at=created_at,
            created_by=new.requester,
            ingest_id=new.ingest_id,
            upstream=new.snapshot.summary,
            rating=new.rating,
            parents=() if new.links is None else new.links.parents,
            datasets=() if new.links is None else new.links.datasets,
            code_repo=None if new.links is None else new.links.code_repo,
            gate_mode=new.gate_mode if new.rating is not None else None,
            aliases=_aliases(existing, new),
            rating_history=_history(existing, new),
            manifest=new.manifest,
        )
        stored = await self._write_document(artifact, new, existing, key)
        if existing is not None and existing.blob.key != key:
            await self._discard_blob(existing.blob.key)
            await self._release_files(existing, keep=stored.manifest)
        if stored.type is ArtifactType.MODEL:
            await self._link_children(stored)
        return stored

    async def _write_document(
        self, artifact: Artifact, new: NewArtifact, existing: Artifact | None, key: str
    ) -> Artifact:
        """The document after its bundle; a write that failed takes the bundle with it. A run
        of the same ingest that stored first wins quietly (the repository answers its
        document), so the bundle both wrote under one key stays."""
        try:
            async with self._changing():
                if new.replaces and existing is not None:
                    return await self._repo.replace(artifact, previous=existing)
                return await self._repo.insert(artifact)
        except AppError:  # refused by the store (a duplicate source): nothing was written
            await self._discard_blob(key)
            raise
        except Exception:
            # A timeout does not say whether the write landed: look before removing the
            # bundle a stored document may point at; if even that fails, the retry decides.
            written = await self._repo.get(new.id)
            if written is not None and written.ingest_id == new.ingest_id:
                return written
            await self._discard_blob(key)
            raise
        except BaseException:
            await self._discard_blob(key)
            raise

    async def _link_children(self, parent: Artifact) -> None:
        """Children ingested before their parent name it without an id: give it to them, so
        both directions of the lineage agree."""
        name = parent.source.repo_id.lower()
        for child in await self._repo.find_children([parent.source.repo_id]):
            links = [
                replace(p, artifact_id=parent.id)
                if p.name.lower() == name and p.artifact_id != parent.id
                else p
                for p in child.parents
            ]
            if links != list(child.parents):
                async with self._changing():
                    await self._repo.set_parents(child.id, links)

    async def children(self, repo_ids: Sequence[str]) -> list[Artifact]:
        """Registered models naming any of ``repo_ids`` as a parent: one store round trip."""
        return self._visible(await self._repo.find_children(repo_ids))

    async def find_by_source_keys(self, keys: Sequence[str]) -> list[Artifact]:
        return await self._repo.find_by_source_keys(keys)

    async def find_models(self, repo_ids: Sequence[str]) -> list[Artifact]:
        return self._visible(await self._repo.find_models(repo_ids))

    def _visible(self, found: list[Artifact]) -> list[Artifact]:
        return [a for a in found if not self.visibility.hidden(a)]

    async def delete(self, artifact_id: str, *, user: str = "anonymous") -> Artifact:
        """Remove the blob, then the document: if the second step fails, deleting again
        finishes the job instead of leaving an unreachable blob behind."""
        artifact = await self.get(artifact_id)
        await self._blobs.delete(artifact.blob.key)
        async with self._changing():
            await self._repo.delete(artifact_id)
        await self._release_files(artifact)
        await self._audit.record(AuditAction.DELETE, artifact.audited(), user=user)
        return artifact

    @contextlib.asynccontextmanager
    async def _changing(self) -> AsyncIterator[None]:
        """Around a write to artifact documents: a new data version after it, whether it
        succeeded or not (a failed write may still have landed), so no process serves what
        it cached before (``app.freshness``)."""
        try:
            yield
        finally:
            self._repo.clear()
            await self._versions.changed()

    async def _release_files(self, artifact: Artifact, keep: Manifest | None = None) -> None:
        """Let go of the mirrored files a removed version held and the next one does not."""
        if artifact.manifest is None:
            return
        kept = set() if keep is None else {f.sha256 for f in keep.files}
        gone = [f.sha256 for f in artifact.manifest.files if f.sha256 not in kept]
        try:
            await self._files.release(artifact.id, gone)
        except Exception:
            # The document is gone already; an unreleased file only costs space.
            log.exception("could not release the files of artifact %s", artifact.id)

    async def _discard_blob(self, key: str) -> None:
        try:
            await asyncio.shield(self._blobs.delete(key))
        except Exception:
            log.exception("could not remove blob %s after a failed document write", key)


def _aliases(existing: Artifact | None, new: NewArtifact) -> tuple[str, ...]:
    kept = set() if existing is None else set(existing.aliases)
    if new.alias is not None and new.alias.lower() != new.source.key.lower():
        kept.add(new.alias.lower())
    return tuple(sorted(kept))


def _history(existing: Artifact | None, new: NewArtifact) -> tuple[RatingRecord, ...]:
    """An update keeps the history of the version it replaces; the new rating is added."""
    kept = existing.rating_history if existing is not None and new.replaces else ()
    if new.rating is None:
        return kept
    reason = RatingReason.UPDATE if new.replaces else RatingReason.INGEST
    return (*kept, RatingRecord.of(new.rating, reason, f"from {new.source_url}", at=utcnow()))
