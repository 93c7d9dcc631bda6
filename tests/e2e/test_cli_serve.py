"""`tmr serve` as a user runs it: embedded backends as children, data kept across restarts,
and no child left running however the server ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS
from app.embedded import free_port
from tests.fakehub import FakeHub

TMR = str(Path(sys.executable).with_name("tmr"))
INGEST = """mutation { ingest(input: {url: "https://huggingface.co/openai/whisper-tiny",
  type: MODEL}) { job { id } error { __typename } } }"""


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


class Served:
    def __init__(
        self, data_dir: Path, hub: FakeHub, *options: str, log: Path | None = None
    ) -> None:
        """``tmr serve`` with ``options``; its output in ``log`` when one is named."""
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMR_")}
        env |= {
            "TMR_DATA_DIR": str(data_dir),
            "TMR_HF_ENDPOINT": hub.url,
            "TMR_GITHUB_API_URL": hub.url,
        }
        self.env = env
        with log.open("wb") if log is not None else contextlib.nullcontext() as out:
            self.proc = subprocess.Popen(
                [TMR, "serve", "--port", str(self.port), *options],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if out is None else out,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        try:
            self._wait_healthy()
            login = {
                "user": {"name": DEFAULT_ADMIN, "is_admin": True},
                "secret": {"password": DEFAULT_ADMIN_PASSWORDS[0]},
            }
            answer = httpx.put(f"{self.url}/authenticate", json=login, timeout=10)
            assert answer.status_code == 200, answer.text
            self.token: str = answer.json()
        except BaseException:
            self.proc.kill()  # a server that failed to come up must not outlive the test
            self.proc.wait()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "tmr serve exited while starting"
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("tmr serve did not come up within 30 s")

    def gql(self, query: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.post(
            f"{self.url}/graphql",
            json={"query": query},
            timeout=10,
            headers={"X-Authorization": self.token},
        ).json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


def _wait_done(served: Served, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = served.gql(f'{{ ingestJob(id: "{job_id}") {{ state artifact {{ id }} }} }}')
        if job["ingestJob"]["state"] in {"DONE", "FAILED"}:
            assert job["ingestJob"]["state"] == "DONE", job
            artifact_id: str = job["ingestJob"]["artifact"]["id"]
            return artifact_id
        time.sleep(0.2)
    raise AssertionError("ingest did not finish")


def test_serve_keeps_data_and_leaves_no_children(tmp_path: Path, hub: FakeHub) -> None:
    served_dir = tmp_path / "data"
    first = Served(served_dir, hub)
    try:
        children = _children(first.proc.pid)
        assert len(children) == 2  # the MongoDB-protocol server and Redis
        job_id = first.gql(INGEST)["ingest"]["job"]["id"]
        artifact_id = _wait_done(first, job_id)
        download = first.gql(f'{{ artifact(id: "{artifact_id}") {{ downloadUrl }} }}')
        zipped = httpx.get(download["artifact"]["downloadUrl"], timeout=10)
        assert zipped.status_code == 200
        assert zipped.content.startswith(b"PK")
    finally:
        first.proc.kill()  # a crash: no chance to clean up
        first.proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(c) for c in children)

    second = Served(served_dir, hub)
    try:
        again = second.gql(f'{{ artifact(id: "{artifact_id}") {{ name }} }}')
        assert again["artifact"] == {"name": "whisper-tiny"}
        children = _children(second.proc.pid)
    finally:
        second.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert second.proc.wait(timeout=30) == 0
    assert not any(_alive(c) for c in children)


def test_a_second_serve_on_a_busy_data_folder_says_who_holds_it(
    tmp_path: Path, hub: FakeHub
) -> None:
    data_dir = tmp_path / "data"
    first = Served(data_dir, hub)
    try:
        second = subprocess.run(
            [TMR, "serve", "--port", str(free_port())],
            env=first.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # the first one goes on serving
        assert httpx.get(f"{first.url}/health", timeout=10).status_code == 200
    finally:
        first.proc.send_signal(signal.SIGINT)
        assert first.proc.wait(timeout=30) == 0
    assert second.returncode == 1
    assert second.stderr == (
        f"tmr serve: the data folder {data_dir} is in use: the registry is already running "
        f"(PID {first.proc.pid})\n"
    )


def test_serve_without_a_worker_on_embedded_backends_warns(tmp_path: Path, hub: FakeHub) -> None:
    log = tmp_path / "serve.log"
    served = Served(tmp_path / "data", hub, "--no-worker", log=log)
    served.proc.send_signal(signal.SIGINT)
    assert served.proc.wait(timeout=30) == 0
    assert "--no-worker on embedded backends: nothing will process ingests" in log.read_text()
