"""Typed settings, read from ``TMR_*`` environment variables.

The variable names are a contract: deployments and tests outside this repository set them.
An unset backend URL means "embedded": ``tmr serve`` starts that backend itself under
``TMR_DATA_DIR``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.auth.entities import PUBLISHED_ADMIN_PASSWORD
from app.observability.logs import AccessLog, LogFormat, LogLevel
from app.rating.gate import DEFAULT_MODES, DEFAULT_REQUIREMENTS, EntryPoint, GateMode
from app.safety.service import FILE_BUDGET, MODEL_BUDGET


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TMR_", extra="ignore", frozen=True)

    mongo_url: str | None = None
    mongo_database: str = "registry"
    redis_url: str | None = None
    s3_endpoint: str | None = None
    #: The S3 endpoint as download clients reach it, when that differs from `s3_endpoint`;
    #: presigned links are signed for it.
    s3_public_endpoint: str | None = None
    s3_bucket: str = "tmr-artifacts"
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    data_dir: Path = Path(".tmr")

    hf_endpoint: str = "https://huggingface.co"
    github_api_url: str = "https://api.github.com"
    hf_token: SecretStr | None = None
    github_token: SecretStr | None = None
    upstream_timeout_seconds: float = Field(default=20.0, gt=0)
    upstream_max_attempts: int = Field(default=3, ge=1, le=10)
    upstream_max_retry_after_seconds: float = Field(default=30.0, ge=0)
    #: How long a linked dataset or code repo fetched by one ingest may serve the next ones
    #: of the same process; 0 turns the shared cache of upstream answers off.
    upstream_cache_seconds: float = Field(default=300.0, ge=0)
    upstream_cache_mb: int = Field(default=64, ge=0)

    # Base URL clients use to reach this registry; download links of the local blob store
    # are built on it. `tmr serve` fills it from --host/--port when unset.
    public_url: str = "http://127.0.0.1:8000"
    # Key that signs local download links; generated and kept in the data folder when unset.
    signing_key: SecretStr | None = None
    download_url_ttl_seconds: int = Field(default=3600, gt=0)
    #: Bytes of a model's files copied into the blob store after its gate; what does not fit
    #: (and weights duplicated in another format than safetensors) stays upstream, linked.
    #: 0 copies nothing. The default fits a base-size model's safetensors (bert-base: 440 MB).
    mirror_max_bytes: int = Field(default=2 * 1024**3, ge=0)
    #: Files of one model copied at once.
    mirror_concurrency: int = Field(default=4, ge=1, le=32)
    #: How often each worker hashes a sample of the stored files again (0: never).
    verify_interval_seconds: float = Field(default=6 * 3600, ge=0)
    #: Files per periodic pass, picked at random.
    verify_sample: int = Field(default=200, ge=1)
    #: Stored artifacts (and lookups, and pages of ids) each API process keeps in memory per
    #: kind, served while the data version is unchanged (app.freshness); 0 reads the store
    #: every time.
    read_cache_entries: int = Field(default=20_000, ge=0)

    # The quality gate for model ingests (DESIGN §5, app/rating/gate.py).
    #: The minimum net score over the metrics that apply.
    gate_threshold: float = Field(default=0.5, ge=0, le=1)
    #: Per-metric minimums, '*' for every metric not named; a value set replaces the default
    #: (the licence rule), e.g. '{"license": 1.0, "*": 0.5}'.
    gate_requirements: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_REQUIREMENTS))
    #: Metrics the per-metric requirements leave alone, e.g. '["size_score"]'.
    gate_ignored: list[str] = Field(default_factory=list)
    #: What a failing decision does at each entry point: enforce, audit or off.
    gate_mode_graphql: GateMode = DEFAULT_MODES[EntryPoint.GRAPHQL]
    gate_mode_rest_create: GateMode = DEFAULT_MODES[EntryPoint.REST_CREATE]
    gate_mode_ingest_route: GateMode = DEFAULT_MODES[EntryPoint.INGEST_ROUTE]
    #: Kept for deployments that set it: false turns every entry point's mode to off.
    gate_enabled: bool = True
    metric_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Artifacts whose current rating fails the gate (stored by an auditing entry point, or
    #: failing since a rescore) are hidden from every caller but admins.
    hide_failed_ratings: bool = False
    #: Seconds between the worker's rescore passes over every rated model (0: none); a pass
    #: asks upstream conditionally and rates again only what changed (app/rescoring).
    rescore_interval: float = Field(default=24 * 3600, ge=0)
    #: Bytes the weights_safety check reads of one model's weight files by range requests, all
    #: files together and each file (app/safety): headers and pickles, never the tensors.
    scan_model_bytes: int = Field(default=MODEL_BUDGET, ge=0)
    scan_file_bytes: int = Field(default=FILE_BUDGET, ge=0)
    #: Concurrent requests to one upstream host, across all ingests of a process.
    upstream_max_concurrency_per_host: int = Field(default=100, ge=1)
    #: Requests per second sent to one upstream host, a token bucket (0: no pace but what
    #: the host's own rate-limit headers ask for, which is always honoured).
    upstream_requests_per_second: float = Field(default=0.0, ge=0)

    #: How long `POST /artifact/{type}` (and the update) waits for the ingest before it
    #: answers 202 with the reserved id.
    create_wait_seconds: float = Field(default=10.0, ge=0)

    worker_max_jobs: int = Field(default=50, ge=1)
    worker_max_tries: int = Field(default=4, ge=1)
    worker_job_timeout_seconds: int = Field(default=600, gt=0)
    queue_name: str = "tmr:queue"

    #: The deadline of every call to MongoDB, Redis and S3: a backend that does not answer
    #: within it is unavailable (503 with Retry-After, GraphQL UNAVAILABLE), not a hang.
    backend_timeout_seconds: float = Field(default=5.0, gt=0)
    #: The largest upstream answer read, in MB; a larger one fails the ingest.
    upstream_max_body_mb: int = Field(default=32, ge=1)
    #: Hosts an upstream redirect may lead to besides the hubs' own: ``host``, ``*.domain``
    #: or ``host:port`` over HTTPS, or an exact origin (``http://mirror:8080``). The
    #: configured endpoints are always allowed.
    upstream_allowed_hosts: list[str] = Field(default_factory=list)

    #: The default admin's password (restored by a reset). Unset, the course's published value
    #: serves the embedded mode only; on external backends the registry will not start.
    admin_password: SecretStr | None = None
    #: Threads that hash and verify passwords (64 MiB each), apart from every other pool, and
    #: how many verifications may wait for them before logins are refused with 429.
    login_hash_workers: int = Field(default=2, ge=1)
    login_hash_queue: int = Field(default=8, ge=0)
    #: Login attempts per user name and per client address in a window; failures count,
    #: successes are given back.
    login_attempts_per_user: int = Field(default=10, ge=1)
    login_attempts_per_client: int = Field(default=30, ge=1)
    login_window_seconds: float = Field(default=60.0, gt=0)

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Resolved once, where the process starts: the processes it starts (and the logs)
        # name the same folder whatever their working directory.
        return value.expanduser().resolve()

    @model_validator(mode="before")
    @classmethod
    def _published_admin_password_when_embedded(cls, data: Any) -> Any:  # noqa: ANN401 - pydantic's raw input
        # Decided here, where "embedded" still means "no TMR_MONGO_URL": `tmr serve` fills
        # the URL of the store it starts in a copy of these settings.
        embedded = isinstance(data, dict) and data.get("mongo_url") is None
        if embedded and data.get("admin_password") is None:
            return {**data, "admin_password": PUBLISHED_ADMIN_PASSWORD}
        return data

    #: How often each worker renews its heartbeat and (one worker at a time) reconciles the
    #: queue with the job documents. A worker missing three beats is taken for dead and its
    #: jobs are handed to the others.
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    #: The longest wait between attempts to reach Redis again during an outage (or to
    #: restart a worker that failed); waits grow from a fraction of a second, with jitter.
    worker_reconnect_max_seconds: float = Field(default=5.0, gt=0)
    #: An unfinished ingest job that nothing in the queue stands behind is queued again (or
    #: ended, once its tries are spent) when it has not changed for this long.
    worker_orphan_grace_seconds: float = Field(default=60.0, gt=0)

    #: Log lines as JSON objects ("json") or key=value for a terminal ("console"); unset:
    #: JSON unless stderr is a terminal.
    log_format: LogFormat | None = None
    log_level: LogLevel = "INFO"
    #: Which requests get an access line: "all", "errors" (answered 4xx or 5xx) or "off".
    #: Like gunicorn, which writes none unless told, not every request: a line costs a tenth
    #: of a small read's CPU, and /metrics counts every request by route, status and latency.
    access_log: AccessLog = "errors"
    #: Port on which `tmr worker` serves its Prometheus metrics; unset, it serves none.
    #: (`tmr serve`'s in-process worker is counted in the API's own `/metrics`.)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @property
    def gate_modes(self) -> dict[EntryPoint, GateMode]:
        if not self.gate_enabled:
            return dict.fromkeys(EntryPoint, GateMode.OFF)
        return {  # coerced: a copy made with model_copy(update=...) is not validated
            EntryPoint.GRAPHQL: GateMode(self.gate_mode_graphql),
            EntryPoint.REST_CREATE: GateMode(self.gate_mode_rest_create),
            EntryPoint.INGEST_ROUTE: GateMode(self.gate_mode_ingest_route),
        }

    @property
    def embedded_mongo(self) -> bool:
        return self.mongo_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    def as_environment(self) -> dict[str, str]:
        """These settings as the ``TMR_*`` variables that make them: how a process hands
        its settings to the processes it starts."""
        env = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                text = value.get_secret_value()
            elif isinstance(value, dict | list):
                text = json.dumps(value)
            else:
                text = str(value)
            env[f"TMR_{name.upper()}"] = text
        return env


@lru_cache
def get_settings() -> Settings:
    return Settings()
