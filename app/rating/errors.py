from __future__ import annotations

from collections.abc import Sequence

from app.errors import AppError
from app.rating.entities import MetricScore


class RatingIncompleteError(AppError):
    """A stored rating in which some metric could not be computed (it failed for a reason of
    its own and was stored as 0 with its error). Where a client can only read numbers, that 0
    must not pass for a measurement; re-rating the model (updating the artifact) computes it
    again."""

    code = "rating_incomplete"

    def __init__(self, artifact_id: str, failed: Sequence[MetricScore]) -> None:
        names = ", ".join(f"{m.name} ({m.error})" for m in failed)
        super().__init__(
            f"the rating of artifact {artifact_id!r} is incomplete: {names} could not be "
            "computed; update the artifact to rate it again"
        )
        self.artifact_id = artifact_id
        self.metrics = tuple(m.name for m in failed)
