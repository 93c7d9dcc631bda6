"""The composition root's workhorse: opens every backend client once per process and builds
the services on them. Used by the API lifespan and the worker's startup alike; the only
module that imports concrete adapters."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aioboto3
from aiobotocore.config import AioConfig
from arq.connections import ArqRedis, RedisSettings
from pydantic import SecretStr

from app.artifacts.cached_repository import CachedArtifactRepository
from app.artifacts.service import ArtifactService
from app.artifacts.visibility import Visibility
from app.audit.journal import AuditJournal
from app.audit.repository import AuditRepository
from app.audit.service import AuditService
from app.auth.passwords import PasswordHashing
from app.auth.repository import AuthRepository
from app.auth.service import AuthService
from app.auth.throttle import LoginLimits, LoginThrottle
from app.auth.tokens import TokenLedger
from app.cost.service import CostService
from app.downloads.links import LinkSigner
from app.downloads.service import DownloadService
from app.events import RedisEventBus
from app.freshness import DataVersion
from app.ingest.recovery import IngestRecovery
from app.ingest.repository import IngestJobRepository
from app.ingest.rerating import LineageRerating
from app.ingest.service import IngestService
from app.licensing.service import LicensingService
from app.lineage.service import LineageService
from app.mirror.policy import MirrorPolicy
from app.mirror.repository import FileReferences
from app.mirror.service import MirrorService
from app.outages import guard_services
from app.ports import BlobStore, EventBus, JobQueue, WorkerRegistry
from app.queue import ArqJobQueue, Heartbeat, RedisWorkerRegistry
from app.rating.gate import GatePolicy
from app.rating.metrics.registry import ALL_METRICS
from app.rating.service import RatingService
from app.rescoring.checks import SourceValidators
from app.rescoring.repository import SourceStates
from app.rescoring.service import RescoreService
from app.safety.service import ScanBudget
from app.search.repository import SearchRepository
from app.search.service import SearchService
from app.services import Services
from app.settings import Settings
from app.storage import mongo
from app.storage.local import LocalBlobStore
from app.storage.s3 import S3BlobStore
from app.system.reset import RegistryReset
from app.system.service import ComponentFailure, HealthService, Workload
from app.upstream.cache import UpstreamCache
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import RetryPolicy, open_upstream_http


class EmbeddedBackendMissingError(RuntimeError):
    """A backend URL is unset where only ``tmr serve`` may start embedded backends."""


class DefaultAdminUnconfiguredError(RuntimeError):
    """External backends, and no password set for the default admin."""


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    db: mongo.Database
    redis: ArqRedis
    blobs: BlobStore
    queue: JobQueue
    events: EventBus
    upstream: Upstream
    signer: LinkSigner
    workers: WorkerRegistry


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Open every client; they close in reverse order on exit."""
    if settings.mongo_url is None or settings.redis_url is None:
        raise EmbeddedBackendMissingError(
            "TMR_MONGO_URL and TMR_REDIS_URL must be set (or use `tmr serve`, which starts "
            "embedded backends)"
        )
    _admin_password(settings)  # a missing one fails here, before any backend is reached
    async with AsyncExitStack() as stack:
        client = mongo.connect(settings.mongo_url, timeout_seconds=settings.backend_timeout_seconds)
        stack.push_async_callback(client.close)
        db = client[settings.mongo_database]

        redis = await _open_redis(settings.redis_url, settings)
        stack.push_async_callback(redis.aclose)

        signer = LinkSigner(_signing_key(settings), settings.public_url)
        blobs = await _open_blobs(settings, signer, stack)

        http = await stack.enter_async_context(
            open_upstream_http(
                RetryPolicy(
                    settings.upstream_max_attempts, settings.upstream_max_retry_after_seconds
                ),
                timeout_seconds=settings.upstream_timeout_seconds,
                max_per_host=settings.upstream_max_concurrency_per_host,
                max_body_bytes=settings.upstream_max_body_mb * 1024 * 1024,
                requests_per_second=settings.upstream_requests_per_second,
            )
        )
        upstream = Upstream(
            http,
            UpstreamConfig(
                hf_endpoint=settings.hf_endpoint,
                hf_token=_secret(settings.hf_token),
                github_api_url=settings.github_api_url,
                github_token=_secret(settings.github_token),
                allowed_hosts=tuple(settings.upstream_allowed_hosts),
            ),
            UpstreamCache(
                ttl_seconds=settings.upstream_cache_seconds,
                max_bytes=settings.upstream_cache_mb * 1024 * 1024,
            ),
        )
        yield Resources(
            settings=settings,
            db=db,
            redis=redis,
            blobs=blobs,
            queue=ArqJobQueue(
                redis, settings.queue_name, job_timeout_seconds=settings.worker_job_timeout_seconds
            ),
            events=RedisEventBus(redis),
            upstream=upstream,
            signer=signer,
            workers=RedisWorkerRegistry(
                redis, settings.queue_name, Heartbeat(settings.worker_heartbeat_seconds)
            ),
        )


async def build_services(resources: Resources) -> Services:
    """The services on ``resources``, each wrapped so that a backend outage anywhere below
    reaches its caller as BackendUnavailableError (why here: ``app.outages``)."""
    return guard_services(await _compose_services(resources))


async def _compose_services(resources: Resources) -> Services:
    settings = resources.settings
    artifact_repo = CachedArtifactRepository(resources.db, settings.read_cache_entries)
    job_repo = IngestJobRepository(resources.db)
    await artifact_repo.ensure_indexes()
    await job_repo.ensure_indexes()
    audit_repo = AuditRepository(resources.db)
    await audit_repo.ensure_indexes()
    audit = AuditService(audit_repo, AuditJournal(resources.redis, settings.queue_name))
    references = FileReferences(resources.db)
    await references.ensure_indexes()
    mirror = MirrorService(
        resources.blobs,
        references,
        MirrorPolicy(max_bytes=settings.mirror_max_bytes),
        concurrency=settings.mirror_concurrency,
    )
    artifacts = ArtifactService(
        artifact_repo,
        resources.blobs,
        url_ttl=resources.settings.download_url_ttl_seconds,
        audit=audit,
        versions=DataVersion(resources.redis, settings.queue_name),
        files=mirror,
        signer=resources.signer,
        visibility=Visibility(hide_failed=settings.hide_failed_ratings),
    )

    async def ping_mongo() -> None:
        await resources.db.command("ping")

    lineage = LineageService(artifacts)
    auth_repo = AuthRepository(resources.db)
    await auth_repo.ensure_indexes()
    auth = AuthService(
        auth_repo,
        PasswordHashing(settings.login_hash_workers, settings.login_hash_queue),
        LoginThrottle(
            resources.redis,
            settings.queue_name,  # already this deployment's namespace in Redis
            LoginLimits(
                per_user=settings.login_attempts_per_user,
                per_client=settings.login_attempts_per_client,
                window_seconds=settings.login_window_seconds,
            ),
        ),
        TokenLedger(resources.redis, settings.queue_name),
        admin_password=_admin_password(settings),
    )
    await auth.start()
    policy = GatePolicy(
        threshold=settings.gate_threshold,
        requirements=settings.gate_requirements,
        ignored=frozenset(settings.gate_ignored),
    )
    rating = RatingService(
        ALL_METRICS,
        metric_timeout=settings.metric_timeout_seconds,
        scan_budget=ScanBudget(settings.scan_model_bytes, settings.scan_file_bytes),
    )
    source_states = SourceStates(resources.db)
    # one owner of lineage re-rating, for ingests and rescores alike
    rerating = LineageRerating(
        artifacts=artifacts, rating=rating, policy=policy, events=resources.events
    )
    ingest = IngestService(
        jobs=job_repo,
        artifacts=artifacts,
        rating=rating,
        upstream=resources.upstream,
        queue=resources.queue,
        events=resources.events,
        audit=audit,
        policy=policy,
        mirror=mirror,
        rerating=rerating,
        validators=SourceValidators(resources.upstream, source_states),
        gate_modes=settings.gate_modes,
    )
    rescoring = RescoreService(
        artifacts=artifacts,
        rating=rating,
        policy=policy,
        upstream=resources.upstream,
        events=resources.events,
        rerating=rerating,
        states=source_states,
    )
    return Services(
        artifacts=artifacts,
        rescoring=rescoring,
        auth=auth,
        reset=RegistryReset(ingest, auth, rescoring),
        lineage=lineage,
        cost=CostService(artifacts, lineage),
        audit=audit,
        licensing=LicensingService(artifacts, resources.upstream),
        search=SearchService(
            SearchRepository(resources.db), artifacts, cache_entries=settings.read_cache_entries
        ),
        ingest=ingest,
        files=mirror,
        downloads=DownloadService(resources.blobs, resources.signer, artifacts),
        health=HealthService(
            {
                "documents": ping_mongo,
                "queue": resources.queue.ping,
                "blobs": resources.blobs.ping,
                "files": lambda: _stored_files(mirror),
            },
            workload=lambda: _workload(resources),
        ),
    )


async def _stored_files(mirror: MirrorService) -> str:
    """The last verification of the files the registry holds (``MirrorService.verify``)."""
    check = await mirror.last_check()
    if check is None:
        return "not verified yet"
    said = f"{check.checked} verified at {check.at.isoformat()}"
    if check.corrupt:
        raise ComponentFailure(
            f"{len(check.corrupt)} of {said} no longer match their checksum: "
            + ", ".join(check.corrupt[:5]),
            issue="corrupt_files",
            critical=False,  # the registry still serves; those files need restoring
        )
    return f"{said}, all intact"


async def _workload(resources: Resources) -> Workload:
    live = await resources.workers.live()
    return Workload(live_workers=len(live), queue_depth=await resources.queue.depth())


def build_recovery(resources: Resources, services: Services) -> IngestRecovery:
    """What a worker runs to end the jobs other workers left behind."""
    settings = resources.settings
    return IngestRecovery(
        ingest=services.ingest,
        jobs=IngestJobRepository(resources.db),
        queue=resources.queue,
        workers=resources.workers,
        blobs=resources.blobs,
        max_tries=settings.worker_max_tries,
        dead_after=Heartbeat(settings.worker_heartbeat_seconds).dead_after,
        orphan_after=settings.worker_orphan_grace_seconds,
    )


async def _open_redis(url: str, settings: Settings) -> ArqRedis:
    """arq's pool with a deadline on every read: ``create_pool`` sets none, so a stalled Redis
    would hold each request for as long as the stall lasts. Pub/sub is unaffected: its reads
    pass their own, shorter timeout (``app.events``), which takes precedence."""
    dsn = RedisSettings.from_dsn(url)
    redis = ArqRedis(
        host=dsn.host,
        port=dsn.port,
        db=dsn.database,
        username=dsn.username,
        password=dsn.password,
        ssl=dsn.ssl,
        socket_timeout=settings.backend_timeout_seconds,
        socket_connect_timeout=settings.backend_timeout_seconds,
        default_queue_name=settings.queue_name,
    )
    try:
        await redis.ping()
    except BaseException:
        await redis.aclose()
        raise
    return redis


async def _open_blobs(settings: Settings, signer: LinkSigner, stack: AsyncExitStack) -> BlobStore:
    if settings.s3_endpoint is None:
        store = LocalBlobStore(settings.data_dir / "blobs", signer)
        await store.ping()
        return store
    session = aioboto3.Session(
        aws_access_key_id=_secret(settings.s3_access_key) or "anonymous",
        aws_secret_access_key=_secret(settings.s3_secret_key) or "anonymous",
        region_name=settings.s3_region,
    )
    config = AioConfig(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        # each attempt within the backends' deadline (botocore waits 60 s by default)
        connect_timeout=settings.backend_timeout_seconds,
        read_timeout=settings.backend_timeout_seconds,
    )
    client = await stack.enter_async_context(
        session.client("s3", endpoint_url=settings.s3_endpoint, config=config)
    )
    signing = None
    if settings.s3_public_endpoint is not None:
        signing = await stack.enter_async_context(
            session.client("s3", endpoint_url=settings.s3_public_endpoint, config=config)
        )
    s3 = S3BlobStore(client, settings.s3_bucket, signing=signing)
    await s3.ensure_bucket()
    return s3


def _signing_key(settings: Settings) -> bytes:
    if settings.signing_key is not None:
        return settings.signing_key.get_secret_value().encode()
    path: Path = settings.data_dir / "signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def _admin_password(settings: Settings) -> str:
    if settings.admin_password is None:
        raise DefaultAdminUnconfiguredError(
            "TMR_ADMIN_PASSWORD must be set when the registry runs on external backends "
            "(TMR_MONGO_URL): only the embedded mode defaults to the course's published password"
        )
    return settings.admin_password.get_secret_value()


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()
