"""`tmr login` and `tmr ingest` against a served registry: the token kept for the user alone,
the live progress to DONE (exit 0), a gate rejection with its failing metrics (exit 1)."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.cli.conftest import Tmr, as_json, login, serve
from tests.fakehub import FakeHub

WHISPER = "https://huggingface.co/openai/whisper-tiny"


def test_login_keeps_the_token_for_the_user_alone(server: str, tmr: Tmr, tmp_path: Path) -> None:
    login(tmr, server)
    token = tmp_path / "home" / ".config" / "tmr" / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert server in token.read_text()


def test_a_wrong_password_is_refused_in_one_line(server: str, tmr: Tmr) -> None:
    done = tmr("login", "--password-stdin", stdin="not it\n", server=server)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_ingest_shows_progress_and_ends_stored(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    done = tmr("ingest", WHISPER, server=server)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search("QUEUED.+FETCHING.+SCORING", done.stdout)  # the states it passed through
    assert "DONE" in done.stdout
    assert "ramp_up_time" in done.stdout  # a metric, as it completed
    assert "stored whisper-tiny" in done.stdout


def test_ingest_json_is_the_final_state(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    final = as_json(tmr("ingest", WHISPER, "--json", server=server))
    assert final["state"] == "DONE"
    assert final["artifact"]["name"] == "whisper-tiny"
    assert final["partialScores"]


@pytest.fixture
def gated_server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from serve(settings.model_copy(update={"gate_enabled": True}), monkeypatch)


def test_a_gate_rejection_exits_1_with_the_failing_metrics(gated_server: str, tmr: Tmr) -> None:
    login(tmr, gated_server)
    done = tmr(
        "ingest", "https://huggingface.co/parvk11/audience_classifier_model", server=gated_server
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rejected by the gate" in done.stdout
    assert "license" in done.stdout
    assert "required" in done.stdout


def test_a_rejected_pickle_names_its_file_and_import(gated_server: str, tmr: Tmr) -> None:
    login(tmr, gated_server)
    done = tmr("ingest", "https://huggingface.co/tmr-fixtures/pickle-rce", server=gated_server)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "weights_safety: pytorch_model.bin imports posix.system" in done.stdout


def test_an_ingest_that_fails_upstream_exits_2_with_its_code(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    done = tmr("ingest", "https://huggingface.co/nobody/no-such-model", server=server)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "upstream_not_found" in done.stdout
    final = as_json(
        tmr("ingest", "https://huggingface.co/nobody/no-such-model", "--json", server=server)
    )
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "upstream_not_found"


def test_a_refused_ingest_exits_2_naming_the_existing_artifact(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    stored = as_json(tmr("ingest", WHISPER, "--json", server=server))["artifact"]["id"]
    again = tmr("ingest", WHISPER, server=server)
    assert again.returncode == 2
    assert f"artifact {stored}" in again.stdout
    refused = as_json(tmr("ingest", WHISPER, "--json", server=server))
    assert refused["error"]["existingId"] == stored


@pytest.fixture
def mirroring_server(
    settings: Settings, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    copying = {
        "mirror_max_bytes": 64 * 1024 * 1024,
        "upstream_allowed_hosts": [fake_hub.hf.cdn_url],
    }
    yield from serve(settings.model_copy(update=copying), monkeypatch)


def test_ingest_shows_each_file_copied_into_the_registry(mirroring_server: str, tmr: Tmr) -> None:
    login(tmr, mirroring_server)
    done = tmr(
        "ingest", "https://huggingface.co/tmr-fixtures/tiny-bert-base", server=mirroring_server
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search("GATED.+MIRRORING.+STORING", done.stdout)
    # a row per file, with its bar and bytes: the weights copied whole
    assert re.search(r"model\.safetensors.+1\.9 MB / 1\.9 MB", done.stdout), done.stdout
    assert "vocab.txt" in done.stdout
