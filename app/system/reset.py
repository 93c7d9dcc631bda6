"""Back to an empty registry, as REST `DELETE /reset` and GraphQL `reset` both ask."""

from __future__ import annotations

from app.auth.service import AuthService
from app.ingest.service import IngestService


class RegistryReset:
    def __init__(self, ingest: IngestService, auth: AuthService) -> None:
        self._ingest = ingest
        self._auth = auth

    async def everything(self) -> None:
        """Jobs, artifacts with their bundles and copied files, the audit log; then users and
        tokens, with the default admin restored. Id counters stay: no id is handed out twice."""
        await self._ingest.reset()
        await self._auth.reset()
