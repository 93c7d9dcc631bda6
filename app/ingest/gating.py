"""Gate decisions as the rest of the system sees them: the event on ``gateResults``, the log
line operators look for, and the rejection summary a failed job carries."""

from __future__ import annotations

import logging
from typing import Any

from app.artifacts.entities import Artifact
from app.observability.metrics import record_gate_decision
from app.ports import EventBus
from app.rating.entities import GateDecision
from app.rating.gate import GateMode

log = logging.getLogger(__name__)

GATE_CHANNEL = "gate"
GATE_REJECTED = "gate_rejected"


def gate_event(
    *,
    job_id: str,
    url: str,
    source_key: str,
    net_score: float,
    decision: GateDecision,
    mode: GateMode,
    artifact_id: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """What ``gateResults`` publishes: every decision, whatever the mode. ``reason`` says
    why a stored model was decided on again (its lineage changed)."""
    return {
        "job_id": job_id,
        "url": url,
        "source_key": source_key,
        "net_score": net_score,
        "mode": mode.value,
        "artifact_id": artifact_id,
        "reason": reason,
        **decision.to_dict(),
    }


async def publish_redecision(
    events: EventBus, artifact: Artifact, decision: GateDecision, *, job_id: str, reason: str
) -> None:
    """A stored model decided on again (its lineage or upstream changed), on ``gateResults``
    under its own gate mode. The decision is on its rating already: a lost event is logged."""
    event = gate_event(
        job_id=job_id,
        url=artifact.source_url,
        source_key=artifact.source.key,
        net_score=artifact.rating.net_score if artifact.rating is not None else 0.0,
        decision=decision,
        mode=artifact.gate_mode or GateMode.AUDIT,
        artifact_id=artifact.id,
        reason=f"re-rated: {reason}",
    )
    try:
        await events.publish(GATE_CHANNEL, event)
    except Exception:
        log.warning("could not publish the new decision on %s", artifact.id, exc_info=True)


def rejection_summary(decision: GateDecision) -> str:
    parts = [
        f"{f.metric} {f.score:.2f} < {f.required:.2f}" + (f" ({f.detail})" if f.detail else "")
        for f in decision.failures
    ]
    return "rejected by the quality gate: " + "; ".join(parts)


def log_decision(
    *, job_id: str, source_key: str, decision: GateDecision, net_score: float, mode: GateMode
) -> None:
    """Each decision as operators look for it: an event per outcome, with what decided it."""
    record_gate_decision(passed=decision.passed)
    fields: dict[str, Any] = {
        "job_id": job_id,
        "source_key": source_key,
        "net_score": round(net_score, 4),
        "policy_version": decision.policy_version,
        "mode": mode.value,
    }
    if decision.passed:
        log.info("gate_passed", extra=fields)
    else:
        log.warning("gate_rejected", extra={**fields, "failures": decision.to_dict()["failures"]})
