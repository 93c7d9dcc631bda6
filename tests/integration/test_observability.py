"""What operators see: one JSON log format with request and job ids and no secrets, gate
rejections logged as such, and Prometheus metrics on /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import structlog
import uvicorn
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from app.auth.entities import DEFAULT_ADMIN
from app.embedded import free_port
from app.observability.logs import ACCESS_LOGGER, AccessLog, configure_logging
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, running_registry

WHISPER = "https://huggingface.co/openai/whisper-tiny"
REJECTED = "https://huggingface.co/parvk11/audience_classifier_model"
PASSWORD = "observed-Pa55word"


class CapturedLogs:
    def __init__(self, buffer: io.StringIO) -> None:
        self._buffer = buffer

    @property
    def text(self) -> str:
        return self._buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line, each of which must be one JSON object."""
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == event]


@contextlib.contextmanager
def captured(access: AccessLog) -> Iterator[CapturedLogs]:
    """The process's logging as `tmr` configures it, written to a buffer."""
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    access_logger = logging.getLogger(ACCESS_LOGGER)
    filters, disabled = list(access_logger.filters), access_logger.disabled
    handler = configure_logging(json=True, stream=buffer, access=access)
    try:
        yield CapturedLogs(buffer)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        access_logger.filters[:] = filters
        access_logger.disabled = disabled
        structlog.reset_defaults()


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """With an access line for every request (TMR_ACCESS_LOG=all)."""
    with captured("all") as logs:
        yield logs


@contextlib.asynccontextmanager
async def over_http(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The running app served by uvicorn as `tmr serve` configures it (its lines go through
    the process's logging), for uvicorn's own access log; the app's lifespan is already on."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=free_port(),
            lifespan="off",
            log_config=None,
            log_level="info",  # as `tmr serve` sets it; an earlier server may have raised it
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                assert not task.done(), "uvicorn did not start"
                await asyncio.sleep(0.01)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server.config.port}", timeout=10
        ) as client:
            yield client
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task


async def ingest_to_end(registry: Registry, url: str) -> dict[str, Any]:
    """The job's last state, once it ends."""
    payload = (await registry.gql(queries.INGEST, url=url, type="MODEL"))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    last: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    return last


async def test_request_lines_are_json_carry_the_request_id_and_no_secret(
    settings: Settings, logs: CapturedLogs
) -> None:
    async with running_registry(settings) as registry, over_http(registry.app) as http:
        job = await ingest_to_end(registry, WHISPER)
        assert job["state"] == "DONE", job
        created = await registry.gql(
            'mutation { createUser(name: "watcher", password: "'
            + PASSWORD
            + '", permissions: [SEARCH, DOWNLOAD]) { user { name } } }'
        )
        assert created["createUser"]["user"] == {"name": "watcher"}
        logs_before_requests = len(logs.lines())

        login = await http.put(
            "/authenticate",
            json={"user": {"name": "watcher"}, "secret": {"password": PASSWORD}},
            headers={"X-Request-ID": "login-1"},
        )
        assert login.status_code == 200, login.text
        assert login.headers["x-request-id"] == "login-1"
        token = login.json()
        graphql_login = await http.post(
            "/graphql",
            json={
                "query": 'mutation($p: String!) { authenticate(username: "watcher", '
                "password: $p) { token } }",
                "variables": {"p": PASSWORD},
            },
        )
        other_token = graphql_login.json()["data"]["authenticate"]["token"].removeprefix("bearer ")
        wrong = await http.put(
            "/authenticate",
            json={"user": {"name": "watcher"}, "secret": {"password": PASSWORD + "x"}},
        )
        assert wrong.status_code == 401
        artifact = await http.get(
            f"/artifacts/model/{job['artifact']['id']}", headers={"X-Authorization": token}
        )
        link = urlsplit(artifact.json()["data"]["download_url"])
        signature = parse_qs(link.query)["signature"][0]
        download = await http.get(f"{link.path}?{link.query}")
        assert download.status_code == 200
        generated = download.headers["x-request-id"]
        bad_id = await http.get("/health", headers={"X-Request-ID": "no spaces\tor tabs"})
        assert bad_id.headers["x-request-id"] != "no spaces\tor tabs"

    lines = logs.lines()  # every line is JSON
    access = [line for line in lines[logs_before_requests:] if line["logger"] == "uvicorn.access"]
    assert len(access) == 6, access
    assert all(line.get("request_id") for line in access), access
    assert access[0]["request_id"] == "login-1"
    downloaded = next(line for line in access if line["request_id"] == generated)
    assert "/downloads/" in downloaded["event"]
    assert "signature=[REDACTED]" in downloaded["event"]
    for secret in (PASSWORD, signature, token.removeprefix("bearer "), other_token):
        assert secret not in logs.text


@pytest.mark.parametrize(("access", "logged"), [("errors", ["401"]), ("off", [])])
async def test_the_access_log_keeps_what_it_is_told_to(
    settings: Settings, access: AccessLog, logged: list[str]
) -> None:
    with captured(access) as logs:
        async with (
            running_registry(settings, worker=False) as registry,
            over_http(registry.app) as http,
        ):
            assert (await http.get("/health")).status_code == 200
            wrong = {"user": {"name": "nobody"}, "secret": {"password": "wrong-password"}}
            assert (await http.put("/authenticate", json=wrong)).status_code == 401
        lines = [line for line in logs.lines() if line["logger"] == "uvicorn.access"]
    assert [line["event"].rsplit(" ", 1)[-1] for line in lines] == logged
    assert all("PUT /authenticate" in line["event"] for line in lines)


async def test_lines_written_while_a_job_runs_carry_its_job_id(
    settings: Settings, hub: FakeHub, logs: CapturedLogs
) -> None:
    # One refused answer: the upstream client logs its retry from inside the job.
    hub.inject_fault("/api/models/openai/whisper-tiny", status=503)
    async with running_registry(settings) as registry:
        job = await ingest_to_end(registry, WHISPER)
    assert job["state"] == "DONE", job
    retries = [
        line
        for line in logs.lines()
        if line["logger"] == "app.upstream.http" and line["event"].startswith("retrying")
    ]
    assert retries, logs.text
    assert {line.get("job_id") for line in retries} == {job["id"]}
    assert all("request_id" not in line for line in retries)  # the job is not the request's
    [passed] = logs.events("gate_passed")
    assert passed["job_id"] == job["id"]


async def test_a_gate_rejection_is_logged_as_one(settings: Settings, logs: CapturedLogs) -> None:
    async with running_registry(settings.model_copy(update={"gate_enabled": True})) as registry:
        job = await ingest_to_end(registry, REJECTED)
    assert job["state"] == "FAILED", job
    assert job["error"]["code"] == "gate_rejected"
    [rejected] = logs.events("gate_rejected")
    assert rejected["level"] == "warning"
    assert rejected["job_id"] == job["id"]
    assert rejected["source_key"] == "hf:model:parvk11/audience_classifier_model"
    assert 0 <= rejected["net_score"] < 1
    failing = {f["metric"] for f in rejected["failures"]}
    assert "license" in failing
    assert all(f["score"] < f["required"] for f in rejected["failures"])
    assert not logs.events("gate_passed")


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _scrape(registry: Registry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    # Public, like /health: no token
    answer = await registry.client.get("/metrics", headers={"Authorization": ""})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return _samples(answer.text)


async def test_metrics_show_requests_by_route_jobs_gate_and_upstream(
    settings: Settings, hub: FakeHub
) -> None:
    hub.inject_fault("/api/models/openai/whisper-tiny", status=503)
    host = urlsplit(hub.url).hostname or ""
    async with running_registry(settings.model_copy(update={"gate_enabled": True})) as registry:
        before = await _scrape(registry)
        passed = await ingest_to_end(registry, WHISPER)
        rejected = await ingest_to_end(registry, REJECTED)
        assert (passed["state"], rejected["state"]) == ("DONE", "FAILED")
        for _ in range(2):
            read = await registry.client.get(f"/artifacts/model/{passed['artifact']['id']}")
            assert read.status_code == 200
        after = await _scrape(registry)
        text = (await registry.client.get("/metrics")).text

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    read_route = {"method": "GET", "route": "/artifacts/{artifact_type}/{id}", "status": "200"}
    assert grew("tmr_http_request_duration_seconds_count", **read_route, operation="") == 2
    graphql = {"method": "POST", "route": "/graphql", "status": "200"}
    assert grew("tmr_http_request_duration_seconds_count", **graphql, operation="mutation") == 2
    for state, times in {"QUEUED": 2, "FETCHING": 2, "GATED": 2, "DONE": 1, "FAILED": 1}.items():
        assert grew("tmr_ingest_transitions_total", state=state) == times, state
    assert grew("tmr_gate_decisions_total", outcome="passed") == 1
    assert grew("tmr_gate_decisions_total", outcome="rejected") == 1
    assert grew("tmr_upstream_requests_total", host=host, status="503") == 1
    assert grew("tmr_upstream_requests_total", host=host, status="200") > 10
    assert grew("tmr_upstream_request_duration_seconds_count", host=host) > 10
    assert _value(after, "tmr_queue_depth") == 0
    # counts and timings only: nothing names an artifact, a job or a user
    for private in ("whisper", "audience", passed["id"], rejected["id"], DEFAULT_ADMIN):
        assert private not in text


async def test_metrics_report_the_queue_depth_at_scrape_time(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        for url in (WHISPER, REJECTED):
            payload = (await registry.gql(queries.INGEST, url=url, type="MODEL"))["ingest"]
            assert payload["error"] is None, payload
        assert _value(await _scrape(registry), "tmr_queue_depth") == 2
        await registry.services.ingest.reset()
        assert _value(await _scrape(registry), "tmr_queue_depth") == 0
