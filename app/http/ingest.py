"""Seed 000's ingest route: `POST /artifact/ingest {"url": <HF model URL or bare id>}`.

The same ingest as everywhere else (a queued job, scored and gated in a worker) under its own
gate mode (TMR_GATE_MODE_INGEST_ROUTE, enforce by default), answered in seed 000's shape once
it ends or ``create_wait_seconds`` pass: 201 stored, 424 refused with the failing metrics,
202 still running. A bad URL is 400, a registered source 409; the upload permission is needed,
with the token in `Authorization` (bearer) or `X-Authorization`.

The route is a static path, which Litestar matches before `/artifact/{artifact_type}`, so
`ingest` is never read as an artifact type.
"""

from __future__ import annotations

import time

from litestar import Response, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_424_FAILED_DEPENDENCY

from app.auth.entities import Principal
from app.http.access import UPLOAD
from app.http.artifacts import failing_metrics
from app.http.models import IngestAnswer, IngestRequest
from app.ingest.outcomes import Failed, Pending, Rejected, Stored
from app.kinds import ArtifactType
from app.rating.entities import MetricScore
from app.rating.gate import EntryPoint
from app.services import Services
from app.settings import Settings


@post("/artifact/ingest", opt=UPLOAD, summary="Ingest a Hugging Face model through the gate")
async def ingest_model(
    services: Services,
    settings: Settings,
    data: JSONBody[IngestRequest],
    principal: Principal,
) -> Response[IngestAnswer]:
    started = time.perf_counter()
    job = await services.ingest.start(
        data.url, ArtifactType.MODEL, None, principal.name, entry=EntryPoint.INGEST_ROUTE
    )
    outcome = await services.ingest.outcome(job, settings.create_wait_seconds)
    match outcome:
        case Stored(artifact=artifact):
            rating = artifact.rating
            decision = None if rating is None else rating.gate
            passed = decision is None or decision.passed
            answer = IngestAnswer(
                status=HTTP_201_CREATED,
                message=f"{artifact.name} is registered as artifact {artifact.id}"
                + ("" if passed else " (the gate only audits here: it did not pass)"),
                model_name=artifact.name,
                artifact_id=artifact.id,
                is_ingestible=passed,
                all_scores={} if rating is None else _scores(rating.metrics, rating.net_score),
                latency_ms=0,
                failing_metrics=None if decision is None or passed else failing_metrics(decision),
            )
        case Rejected(job=job, decision=decision) as rejected:
            answer = IngestAnswer(
                status=HTTP_424_FAILED_DEPENDENCY,
                message=rejected.detail,
                model_name=rejected.name,
                artifact_id=None,
                is_ingestible=False,
                all_scores=_scores(job.scores, job.net_score),
                latency_ms=0,
                failing_metrics=failing_metrics(decision),
            )
        case Failed(error=error):
            raise error
        case Pending(job=job) as pending:
            answer = IngestAnswer(
                status=HTTP_202_ACCEPTED,
                message=f"still being ingested: poll artifact {job.artifact_id} or job {job.id}",
                model_name=pending.name,
                artifact_id=job.artifact_id,
                is_ingestible=None,
                all_scores=_scores(job.scores, job.net_score),
                latency_ms=0,
                job_id=job.id,
            )
    answer.latency_ms = round((time.perf_counter() - started) * 1000)
    return Response(answer, status_code=answer.status)


def _scores(metrics: tuple[MetricScore, ...], net_score: float | None) -> dict[str, float]:
    scores = {} if net_score is None else {"net_score": net_score}
    return scores | {m.name: m.score for m in metrics}
