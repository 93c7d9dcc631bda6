"""An artifact's audit trail, oldest first, in the spec's actions only."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath

from app.audit.entities import AuditAction
from app.audit.service import MAX_PAGE_SIZE
from app.auth.entities import Principal
from app.http.access import SEARCH
from app.http.artifacts import typed
from app.http.models import ArtifactIdParam
from app.kinds import ArtifactType
from app.services import Services

#: Actions the spec's ArtifactAuditEntry knows; DELETE and REJECT stay GraphQL-only.
SPEC_ACTIONS = frozenset(
    {
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DOWNLOAD,
        AuditAction.RATE,
        AuditAction.AUDIT,
    }
)


@get(
    "/artifact/{artifact_type:str}/{id:str}/audit", opt=SEARCH, summary="An artifact's audit trail"
)
async def artifact_audit(
    services: Services,
    artifact_type: FromPath[ArtifactType],
    id: ArtifactIdParam,  # noqa: A002 - the spec's name
    principal: Principal,
) -> list[dict[str, Any]]:
    await typed(services, artifact_type, id)
    page = await services.audit.page(id, first=MAX_PAGE_SIZE, reader=principal.name)
    admins = await services.auth.admins({e.user for e in page.entries})
    return [
        {
            "user": {"name": e.user, "is_admin": e.user in admins},
            "date": e.date.isoformat().replace("+00:00", "Z"),
            "artifact": {"name": e.artifact.name, "id": e.artifact.id, "type": e.artifact.type},
            "action": e.action.value,
        }
        for e in reversed(page.entries)
        if e.action in SPEC_ACTIONS
    ]
