from __future__ import annotations

from datetime import datetime

import strawberry

from app.artifacts.entities import Artifact as ArtifactEntity
from app.artifacts.entities import RatingReason as DomainRatingReason
from app.artifacts.entities import RatingRecord as RatingRecordEntity
from app.auth.entities import Permission
from app.kinds import ArtifactType as DomainArtifactType
from app.mirror.entities import FilePart as DomainFilePart
from app.mirror.entities import PackagePart as DomainPackagePart
from schema.access import Requires
from schema.context import GraphQLInfo
from schema.rating.types import GateMode, Rating, UpstreamRevision
from schema.scalars import BigInt

# Registers the domain enum as a GraphQL enum (strawberry marks the class in place), so the
# domain values flow through resolvers unconverted.
strawberry.enum(DomainArtifactType, name="ArtifactType")
ArtifactType = DomainArtifactType


strawberry.enum(DomainRatingReason, name="RatingReason")
RatingReason = DomainRatingReason


@strawberry.type(description="A metric whose score moved from one rating to the next.")
class MetricMove:
    metric: str
    before: float | None = strawberry.field(description="Null: it did not apply before.")
    after: float | None = strawberry.field(description="Null: it does not apply now.")


@strawberry.type(
    description="One rating an artifact was given: when, why, what it scored, from which "
    "upstream revisions, by which scorer version and gate policy."
)
class RatingRecord:
    at: datetime
    reason: RatingReason
    note: str = strawberry.field(
        description="What the reason does not say (the parent that moved)."
    )
    net_score: float
    tree_score: float | None = strawberry.field(description="Null when it did not apply.")
    scorer_version: str
    policy_version: str | None
    gate_passed: bool | None
    revisions: list[UpstreamRevision]
    moved: list[MetricMove] = strawberry.field(
        description="Metrics whose score differs from the rating before this one."
    )

    @classmethod
    def history(cls, records: tuple[RatingRecordEntity, ...]) -> list[RatingRecord]:
        return [
            cls(
                at=r.at,
                reason=r.reason,
                note=r.note,
                net_score=r.net_score,
                tree_score=r.scores.get("tree_score"),
                scorer_version=r.scorer_version,
                policy_version=r.policy_version,
                gate_passed=r.gate_passed,
                revisions=[UpstreamRevision(source=k, revision=v) for k, v in r.revisions.items()],
                moved=[
                    MetricMove(metric=m.metric, before=m.before, after=m.after)
                    for m in r.moved_from(records[i - 1] if i else None)
                ],
            )
            for i, r in enumerate(records)
        ]


@strawberry.type(description="A parent in a model's lineage.")
class ParentModel:
    name: str = strawberry.field(description="The parent's upstream repository id.")
    source: str = strawberry.field(description="Where the link was found.")

    @strawberry.field(description="The registered parent, looked up by name in one batch.")
    async def artifact(self, info: GraphQLInfo) -> Artifact | None:
        found = await info.context.loaders.model_by_repo.load(self.name)
        return None if found is None else Artifact.from_entity(found)

    @strawberry.field(description="The parent's id in this registry, when it is registered.")
    async def artifact_id(self, info: GraphQLInfo) -> strawberry.ID | None:
        found = await info.context.loaders.model_by_repo.load(self.name)
        return None if found is None else strawberry.ID(found.id)


strawberry.enum(DomainPackagePart, name="PackagePart")
PackagePart = DomainPackagePart
strawberry.enum(DomainFilePart, name="FilePart")
FilePart = DomainFilePart


@strawberry.type(description="One file of a model's repository.")
class ArtifactFile:
    artifact: strawberry.Private[ArtifactEntity]
    path: str
    size_bytes: BigInt
    sha256: str | None = strawberry.field(description="Of the content held; null if upstream.")
    part: FilePart
    held: bool = strawberry.field(description="Whether the registry holds a copy.")
    reason: str | None = strawberry.field(description="Why the file stayed upstream.")
    upstream_url: str | None = strawberry.field(
        description="For a file left upstream: where it is, pinned to the rated revision."
    )

    @strawberry.field(
        description="A link to the copy the registry holds (Range requests work on it).",
        extensions=[Requires(Permission.DOWNLOAD)],
    )
    async def download_url(self, info: GraphQLInfo) -> str | None:
        if not self.held:
            return None
        actor = info.context.require(Permission.DOWNLOAD)
        return await info.context.services.artifacts.file_url(self.artifact, self.path, actor=actor)


@strawberry.type(description="A stored model, dataset or code repository.")
class Artifact:
    entity: strawberry.Private[ArtifactEntity]
    id: strawberry.ID
    name: str
    type: ArtifactType
    source_url: str = strawberry.field(description="The URL exactly as the client sent it.")
    source_key: str = strawberry.field(description="The normalized upstream source.")
    revision: str | None = strawberry.field(
        description="Upstream commit the bundle was built from."
    )
    license: str | None
    size_bytes: BigInt = strawberry.field(description="Size of the upstream download in bytes.")
    readme: str
    created_at: datetime
    created_by: str

    rating: Rating | None = strawberry.field(description="The trust rating (models only).")
    parents: list[ParentModel] = strawberry.field(
        description="Base models named by config.json or the card; registered ones resolve."
    )
    datasets: list[str] = strawberry.field(description="Datasets the model names upstream.")
    code_repo: str | None = strawberry.field(description="The model's GitHub repository.")
    metadata_fetched: bool = strawberry.field(
        description="False for a reference (a dataset or code URL on a host the registry does "
        "not read): nothing about it was fetched or verified."
    )
    gate_passed: bool | None = strawberry.field(
        description="The gate's decision on the current rating (null: not a rated model); "
        "false only where the gate audited rather than enforced."
    )
    gate_mode: GateMode | None = strawberry.field(
        description="The gate mode of the entry point that stored this version (models)."
    )
    rating_history: list[RatingRecord] = strawberry.field(
        description="Every rating the artifact was given, oldest first; the last is the "
        "current one. Each says why it was made and which metrics moved."
    )

    @strawberry.field(description="Registered models that name this one as a parent.")
    async def children(self, info: GraphQLInfo) -> list[Artifact]:
        found = await info.context.loaders.children.load(self.entity.source.repo_id)
        return [Artifact.from_entity(a) for a in found]

    @strawberry.field(
        description=(
            "A link to the artifact's ZIP package, or one part of it, valid for a limited time "
            "(download permission). Without copied files the full package is the bundle."
        ),
        extensions=[Requires(Permission.DOWNLOAD)],
    )
    async def download_url(
        self, info: GraphQLInfo, part: PackagePart = PackagePart.FULL
    ) -> str | None:
        actor = info.context.require(Permission.DOWNLOAD)
        return await info.context.services.artifacts.download_url(
            self.entity, actor=actor, part=part
        )

    @strawberry.field(
        description=(
            "A model's files: those the registry holds (copied after its gate, checked against "
            "upstream's checksums) and those left upstream, with why. Empty when not mirrored."
        )
    )
    def files(self) -> list[ArtifactFile]:
        manifest = self.entity.manifest
        if manifest is None:
            return []
        held = [
            ArtifactFile(
                artifact=self.entity,
                path=f.path,
                size_bytes=BigInt(f.size),
                sha256=f.sha256,
                part=f.part,
                held=True,
                reason=None,
                upstream_url=None,
            )
            for f in manifest.files
        ]
        left = [
            ArtifactFile(
                artifact=self.entity,
                path=f.path,
                size_bytes=BigInt(f.size),
                sha256=None,
                part=f.part,
                held=False,
                reason=f.reason,
                upstream_url=f.url,
            )
            for f in manifest.left_upstream
        ]
        return sorted(held + left, key=lambda f: f.path)

    @strawberry.field(description="Bytes of this model's files the registry holds.")
    def stored_bytes(self) -> BigInt:
        return BigInt(0 if self.entity.manifest is None else self.entity.manifest.stored_bytes)

    @classmethod
    def from_entity(cls, a: ArtifactEntity) -> Artifact:
        return cls(
            entity=a,
            id=strawberry.ID(a.id),
            name=a.name,
            type=a.type,
            source_url=a.source_url,
            source_key=a.source.key,
            revision=a.revision,
            license=a.license,
            size_bytes=BigInt(a.size_bytes),
            readme=a.readme,
            created_at=a.created_at,
            created_by=a.created_by,
            rating=None if a.rating is None else Rating.from_entity(a.rating),
            parents=[ParentModel(name=p.name, source=p.source) for p in a.parents],
            datasets=list(a.datasets),
            code_repo=a.code_repo,
            metadata_fetched=a.metadata_fetched,
            gate_passed=a.gate_passed,
            gate_mode=a.gate_mode,
            rating_history=RatingRecord.history(a.rating_history),
        )
