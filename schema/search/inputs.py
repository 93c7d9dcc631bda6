from __future__ import annotations

import strawberry

from app.search.entities import ArtifactFilter as ArtifactFilterEntity
from schema.artifacts.types import ArtifactType


@strawberry.input(description="Conditions that must all hold; leave a field out to skip it.")
class ArtifactFilter:
    name: str | None = strawberry.field(
        default=None,
        description="Exact, case-sensitive name. Names are not unique: all artifacts with it.",
    )
    regex: str | None = strawberry.field(
        default=None,
        description=(
            "RE2 pattern (at most 500 characters), searched in the name and in the README. "
            "Case-sensitive unless it starts with (?i); ^ and $ are the ends of the whole "
            "text unless (?m). Matching takes linear time, whatever the pattern."
        ),
    )
    types: list[ArtifactType] | None = strawberry.field(
        default=None, description="Any of these types; null or empty for every type."
    )
    min_net_score: float | None = strawberry.field(
        default=None,
        description="Net score at least this (0 to 1). Only rated models have one.",
    )
    gate_passed: bool | None = strawberry.field(
        default=None,
        description="Models whose rating passed (true) or failed (false) the gate; a failed "
        "one is stored only where the gate audits. Datasets and code never match.",
    )

    def to_entity(self) -> ArtifactFilterEntity:
        return ArtifactFilterEntity(
            name=self.name,
            regex=self.regex,
            types=frozenset(self.types or ()),
            min_net_score=self.min_net_score,
            gate_passed=self.gate_passed,
        )
