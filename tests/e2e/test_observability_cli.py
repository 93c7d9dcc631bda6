"""`tmr serve` and `tmr worker` as operators run them: every line on stderr is one JSON object
(stderr is not a terminal), uvicorn's included, with request or job ids and no secrets; the
worker serves its own metrics on TMR_WORKER_METRICS_PORT."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS
from app.embedded import free_port
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import running_registry

TMR = str(Path(sys.executable).with_name("tmr"))
WHISPER = "https://huggingface.co/openai/whisper-tiny"


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line the process wrote, each of which must be one JSON object."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until(check: Any, what: str, alive: Callable[[], bool]) -> Any:  # noqa: ANN401
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert alive(), f"exited while waiting for {what}"
        try:
            if (answer := check()) is not None:
                return answer
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no {what} within 30 s")


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}


@pytest.fixture
def served(tmp_path: Path, hub: FakeHub) -> Iterator[tuple[str, Path]]:
    """`tmr serve` on embedded backends, its stderr in a file."""
    port = free_port()
    env = _base_env() | {
        "TMR_DATA_DIR": str(tmp_path / "data"),
        "TMR_ACCESS_LOG": "all",
        "TMR_HF_ENDPOINT": hub.url,
        "TMR_GITHUB_API_URL": hub.url,
    }
    stderr = tmp_path / "serve.log"
    with stderr.open("wb") as sink:
        proc = subprocess.Popen(
            [TMR, "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(
            lambda: httpx.get(f"{url}/health", timeout=1).status_code == 200 or None,
            "healthy server",
            lambda: proc.poll() is None,
        )
        yield url, stderr
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_serve_writes_json_lines_with_request_ids_and_no_secrets(
    served: tuple[str, Path],
) -> None:
    url, stderr = served
    password = DEFAULT_ADMIN_PASSWORDS[0]
    login = httpx.put(
        f"{url}/authenticate",
        json={"user": {"name": DEFAULT_ADMIN, "is_admin": True}, "secret": {"password": password}},
        headers={"X-Request-ID": "e2e-login"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    assert login.headers["x-request-id"] == "e2e-login"
    token: str = login.json()
    auth = {"X-Authorization": token}

    def gql(query: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.post(
            f"{url}/graphql", json={"query": query}, headers=auth, timeout=10
        ).json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    job_id = gql(
        f'mutation {{ ingest(input: {{url: "{WHISPER}", type: MODEL}}) {{ job {{ id }} }} }}'
    )["ingest"]["job"]["id"]

    def finished() -> str | None:
        job = gql(f'{{ ingestJob(id: "{job_id}") {{ state artifact {{ id }} }} }}')["ingestJob"]
        if job["state"] not in {"DONE", "FAILED"}:
            return None
        assert job["state"] == "DONE", job
        artifact_id: str = job["artifact"]["id"]
        return artifact_id

    deadline = time.monotonic() + 30
    while (artifact_id := finished()) is None:
        assert time.monotonic() < deadline, "the ingest did not finish"
        time.sleep(0.2)
    link: str = gql(f'{{ artifact(id: "{artifact_id}") {{ downloadUrl }} }}')["artifact"][
        "downloadUrl"
    ]
    signature = parse_qs(urlsplit(link).query)["signature"][0]
    assert httpx.get(link, timeout=10).status_code == 200
    metrics = httpx.get(f"{url}/metrics", timeout=10)  # no token: public, like /health
    assert metrics.status_code == 200
    families = {f.name for f in text_string_to_metric_families(metrics.text)}
    assert {"tmr_http_request_duration_seconds", "tmr_ingest_transitions"} <= families

    # uvicorn writes an access line as each response starts: every one is in the file by now
    lines = _json_lines(stderr)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert access, lines
    assert all(line.get("request_id") for line in access)
    [logged_in] = [line for line in access if "PUT /authenticate" in line["event"]]
    assert logged_in["request_id"] == "e2e-login"
    # the full package (a signed registry link) or, with nothing copied, the signed bundle
    downloads = [
        line for line in access if any(p in line["event"] for p in ("/downloads/", "/packages/"))
    ]
    assert len(downloads) == 1
    assert "signature=[REDACTED]" in downloads[0]["event"]
    [passed] = [line for line in lines if line["event"] == "gate_passed"]
    assert passed["job_id"] == job_id
    text = stderr.read_text()
    for secret in (password, token.removeprefix("bearer "), signature):
        assert secret not in text


def _worker_env(settings: Settings, metrics_port: int) -> dict[str, str]:
    """The test's settings as the environment a worker process reads them from."""
    env = _base_env()
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, dict | list):
            value = json.dumps(value)
        env[f"TMR_{name.upper()}"] = str(value)
    return env | {"TMR_WORKER_METRICS_PORT": str(metrics_port), "TMR_LOG_FORMAT": "json"}


async def test_worker_logs_json_with_job_ids_and_serves_its_metrics(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    stderr = tmp_path / "worker.log"
    with stderr.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            TMR, "worker", env=_worker_env(settings, port), stdout=sink, stderr=sink
        )
    try:
        async with running_registry(settings, worker=False) as registry:
            payload = (await registry.gql(queries.INGEST, url=WHISPER, type="MODEL"))["ingest"]
            job_id = payload["job"]["id"]
            events = await registry.subscribe(queries.PROGRESS, jobId=job_id, wait_seconds=60)
            assert events[-1]["data"]["ingestProgress"]["state"] == "DONE", events
        scraped = await asyncio.to_thread(
            _wait_until,
            lambda: httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text,
            "worker metrics",
            lambda: proc.returncode is None,
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                async with asyncio.timeout(30):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    assert samples[("tmr_ingest_transitions_total", (("state", "DONE"),))] == 1
    assert samples[("tmr_gate_decisions_total", (("outcome", "passed"),))] == 1
    hub_calls = [
        v
        for (name, labels), v in samples.items()
        if name == "tmr_upstream_requests_total" and ("status", "200") in labels
    ]
    assert sum(hub_calls) > 10
    lines = _json_lines(stderr)
    assert any(line["logger"].startswith("arq") for line in lines)
    job_lines = [line for line in lines if line.get("job_id") == job_id]
    assert any(line["event"] == "gate_passed" for line in job_lines), lines
