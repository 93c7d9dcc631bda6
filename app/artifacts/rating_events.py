"""What ``ratingChanged`` publishes: each new rating of an artifact, once stored, on one channel
for all artifacts (subscribers filter by id)."""

from __future__ import annotations

import logging

from app.artifacts.entities import Artifact
from app.ports import EventBus

log = logging.getLogger(__name__)

RATINGS_CHANNEL = "ratings"


async def publish_rating(events: EventBus, artifact: Artifact) -> None:
    """Announce ``artifact``'s current rating; a lost announcement costs watchers nothing a
    read would not give them, so a failure is logged, not raised."""
    if artifact.rating is None or not artifact.rating_history:
        return
    record = artifact.rating_history[-1]
    event = {
        "artifact_id": artifact.id,
        "name": artifact.name,
        "net_score": artifact.rating.net_score,
        "gate_passed": artifact.gate_passed,
        "reason": record.reason.value,
        "note": record.note,
        "at": record.at.isoformat(),
        "moved": [
            {"metric": m.metric, "before": m.before, "after": m.after}
            for m in record.moved_from(
                artifact.rating_history[-2] if len(artifact.rating_history) > 1 else None
            )
        ],
    }
    try:
        await events.publish(RATINGS_CHANNEL, event)
    except Exception:
        log.warning("could not publish the rating of %s", artifact.id, exc_info=True)
