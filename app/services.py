"""The services a transport or job may use. Types only: nothing concrete is imported here,
so the GraphQL, REST and worker layers can depend on it without pulling in drivers."""

from __future__ import annotations

from dataclasses import dataclass

from app.artifacts.service import ArtifactService
from app.audit.service import AuditService
from app.auth.service import AuthService
from app.cost.service import CostService
from app.downloads.service import DownloadService
from app.ingest.service import IngestService
from app.licensing.service import LicensingService
from app.lineage.service import LineageService
from app.mirror.service import MirrorService
from app.rescoring.service import RescoreService
from app.search.service import SearchService
from app.system.reset import RegistryReset
from app.system.service import HealthService


@dataclass(frozen=True, slots=True)
class Services:
    artifacts: ArtifactService
    auth: AuthService
    ingest: IngestService
    downloads: DownloadService
    #: The model files the registry holds (app.mirror).
    files: MirrorService
    reset: RegistryReset
    health: HealthService
    lineage: LineageService
    cost: CostService
    audit: AuditService
    licensing: LicensingService
    search: SearchService
    #: Ratings kept current: rescoring on request and by the worker's passes.
    rescoring: RescoreService
