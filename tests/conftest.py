"""Shared fixtures: real servers for the session, fresh namespaces (database, queue, bucket,
data folder) for every test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support.registry import isolated_settings
from tests.support.servers import document_store, redis_server, s3_server


@pytest.fixture(scope="session", autouse=True)
def _clean_environment() -> Iterator[None]:
    """A developer's own TMR_* settings must not leak into tests."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("TMR_")}
    for key in saved:
        if key != "TMR_TEST_MONGO_URL":
            del os.environ[key]
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def redis_url(servers_dir: Path) -> Iterator[str]:
    with redis_server(servers_dir) as url:
        yield url


@pytest.fixture(scope="session")
def mongo_url(servers_dir: Path) -> Iterator[str]:
    """nx-27017 by default; a real mongod when TMR_TEST_MONGO_URL is set."""
    with document_store(servers_dir, os.environ.get("TMR_TEST_MONGO_URL")) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(servers_dir: Path) -> Iterator[str]:
    with s3_server(servers_dir) as url:
        yield url


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[FakeHub]:
    with FakeHub() as hub:
        yield hub


@pytest.fixture
def hub(fake_hub: FakeHub) -> Iterator[FakeHub]:
    fake_hub.clear_faults()
    fake_hub.clear_requests()
    fake_hub.latency = 0.0
    yield fake_hub
    fake_hub.clear_faults()
    fake_hub.latency = 0.0
    fake_hub.restore_upstream()  # a test that changed a repo upstream changed it for itself


@pytest.fixture
def settings(mongo_url: str, redis_url: str, hub: FakeHub, tmp_path: Path) -> Settings:
    """Settings on the session's servers, in namespaces of this test's own. The fake hub's
    CDN origin is allowed, as an operator would allow it: on loopback it is no hub host (the
    real CDN, ``*.hf.co`` over HTTPS, needs no setting), and every model ingest reads its
    weights' headers there."""
    return isolated_settings(mongo_url, redis_url, hub.url, tmp_path / "data").model_copy(
        update={"upstream_allowed_hosts": [hub.hf.cdn_url]}
    )


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    return settings.model_copy(
        update={
            "s3_endpoint": s3_endpoint,
            "s3_bucket": f"tmr-{uuid.uuid4().hex[:12]}",
        }
    )
