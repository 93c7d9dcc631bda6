"""Every REST handler of the ECE 461 API (plus the signed download route)."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from app.http.artifacts import create_artifact, delete_artifact, get_artifact, update_artifact
from app.http.audit import artifact_audit
from app.http.downloads import download, download_artifact, download_package
from app.http.ingest import ingest_model
from app.http.lineage import model_lineage
from app.http.metrics import metrics
from app.http.models import AUTH_HEADER
from app.http.ratings import artifact_cost, license_check, rate_model
from app.http.search import by_name, by_regex, enumerate_artifacts
from app.http.system import authenticate, health, health_components, reset, tracks

#: The routes that need a token (``opt`` names a permission, app/http/access.py).
TOKEN_HANDLERS: list[ControllerRouterHandler] = [
    reset,
    enumerate_artifacts,
    ingest_model,
    create_artifact,
    get_artifact,
    update_artifact,
    delete_artifact,
    rate_model,
    artifact_cost,
    by_name,
    by_regex,
    artifact_audit,
    model_lineage,
    license_check,
    download_artifact,
]

REST_HANDLERS: list[ControllerRouterHandler] = [
    health,
    health_components,
    metrics,
    tracks,
    authenticate,
    Router("/", route_handlers=TOKEN_HANDLERS, parameters=AUTH_HEADER),
    download,
    download_package,
]
