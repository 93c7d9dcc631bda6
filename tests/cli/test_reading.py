"""`tmr rate`, `lineage`, `search` and `download` against a served registry, each in its
human form and as JSON."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.cli.conftest import Tmr, as_json, login

WHISPER = "https://huggingface.co/openai/whisper-tiny"
RESNET = "https://huggingface.co/microsoft/resnet-50"
CHILD = "https://huggingface.co/crangana/trained-gender"


def _ingest(tmr: Tmr, server: str, url: str) -> str:
    final = as_json(tmr("ingest", url, "--json", server=server))
    assert final["state"] == "DONE", final
    artifact_id: str = final["artifact"]["id"]
    return artifact_id


def test_rate_shows_each_metric(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    whisper = _ingest(tmr, server, WHISPER)
    shown = tmr("rate", whisper, server=server)
    assert shown.returncode == 0, shown.stderr
    assert "license" in shown.stdout
    assert "net score" in shown.stdout
    rating = as_json(tmr("rate", whisper, "--json", server=server))
    metrics = {m["name"]: m for m in rating["rating"]["metrics"]}
    assert {"license", "ramp_up_time"} <= set(metrics)
    assert all({"score", "applicable"} <= set(m) for m in metrics.values())


def test_lineage_shows_the_parent(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    resnet = _ingest(tmr, server, RESNET)
    child = _ingest(tmr, server, CHILD)
    shown = tmr("lineage", child, "--direction", "up", server=server)
    assert shown.returncode == 0, shown.stderr
    assert "microsoft/resnet-50" in shown.stdout
    assert resnet in shown.stdout  # registered: shown with its id
    graph = as_json(tmr("lineage", resnet, "--direction", "DOWN", "--json", server=server))
    assert "crangana/trained-gender" in {node["name"] for node in graph["nodes"]}


def test_search_by_regex(server: str, tmr: Tmr) -> None:
    login(tmr, server)
    whisper = _ingest(tmr, server, WHISPER)
    _ingest(tmr, server, RESNET)
    found = as_json(tmr("search", "--regex", "^whisper", "--json", server=server))
    assert [a["id"] for a in found] == [whisper]
    shown = tmr("search", "--regex", "resnet", "--type", "model", server=server)
    assert shown.returncode == 0, shown.stderr
    assert "resnet-50" in shown.stdout
    assert "1 found" in shown.stdout


def test_download_writes_the_bundle(server: str, tmr: Tmr, tmp_path: Path) -> None:
    login(tmr, server)
    whisper = _ingest(tmr, server, WHISPER)
    target = tmp_path / "bundle.zip"
    done = tmr("download", whisper, "-o", str(target), server=server)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:2] == b"PK"
    assert zipfile.ZipFile(target).namelist()
