"""Back to an empty registry, as REST `DELETE /reset` and GraphQL `reset` both ask."""

from __future__ import annotations

from app.auth.service import AuthService
from app.ingest.service import IngestService
from app.rescoring.service import RescoreService


class RegistryReset:
    def __init__(self, ingest: IngestService, auth: AuthService, rescoring: RescoreService) -> None:
        self._ingest = ingest
        self._auth = auth
        self._rescoring = rescoring

    async def everything(self) -> None:
        """Jobs, artifacts with their bundles and copied files, the audit log; then users and
        tokens, with the default admin restored; what was learned of upstream sources. Id
        counters stay: no id is handed out twice."""
        await self._ingest.reset()
        await self._rescoring.reset()
        await self._auth.reset()
