"""The committed SDL is the API contract clients read; it must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from schema import build_schema

COMMITTED = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert COMMITTED.read_text() == str(build_schema()) + "\n", (
        "schema.graphql is out of date: run `uv run python -m schema > schema.graphql`"
    )


def test_design_names_are_present() -> None:
    sdl = COMMITTED.read_text()
    for name in (
        "artifact(id: ID!): Artifact",
        "lineage(",
        "cost(",
        "licenseCheck(",
        "ingestJob(",
        "auditLog(",
        "health: Health!",
        "ingest(input: IngestInput!)",
        "deleteArtifact(",
        "updateArtifact(",
        "ingestProgress(jobId: ID!)",
        "gateResults: GateEvent!",
        "artifacts(",
    ):
        assert name in sdl, name
