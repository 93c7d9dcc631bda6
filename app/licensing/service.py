"""Licence check: may code in a GitHub repository fine-tune and run a registered model?

The verdict comes from the one licence policy (``app.rating.licenses``) that also scores the
``license`` metric. Only github.com is ever contacted: the URL goes through ``parse_source``,
which refuses every other host before any request is made. Failing to learn the repo's licence
is an error, never a verdict: a client must not read "incompatible" into an outage.
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.artifacts.errors import InvalidSourceError
from app.artifacts.service import ArtifactService
from app.artifacts.sources import parse_source
from app.errors import UpstreamNotFoundError, ValidationError
from app.kinds import ArtifactType, SourceHost
from app.licensing.entities import LicenseCheck
from app.licensing.errors import GitHubRepoNotFoundError
from app.rating.licenses import (
    POLICY_VERSION,
    LicenseInfo,
    check_compatibility,
    parse_license,
)
from app.upstream.clients import Upstream

NO_LICENSE = LicenseInfo("unknown", "unknown", "none declared in the repository")


class LicensingService:
    def __init__(self, artifacts: ArtifactService, upstream: Upstream) -> None:
        self._artifacts = artifacts
        self._upstream = upstream

    async def check(self, artifact_id: str, github_url: str) -> LicenseCheck:
        """Raises ``ValidationError`` for a URL that is not a GitHub repository or an
        artifact that is not a model, ``NotFoundError`` for a missing artifact or repository,
        ``UpstreamError`` when GitHub cannot answer."""
        repo_id = _github_repo_id(github_url)
        artifact = await self._artifacts.get(artifact_id)
        if artifact.type is not ArtifactType.MODEL:
            raise ValidationError(
                f"artifact {artifact_id} is a {artifact.type}: licence checks are for models",
                field="id",
            )
        model = parse_license(artifact.license)
        full_name, repo = await self._repo_license(repo_id)
        verdict = check_compatibility(model, repo)
        return LicenseCheck(
            artifact_id=artifact.id,
            github_repo=full_name,
            verdict=verdict.verdict,
            model_license=model,
            repo_license=repo,
            reason=verdict.reason,
            policy_version=POLICY_VERSION,
        )

    async def _repo_license(self, repo_id: str) -> tuple[str, LicenseInfo]:
        # The licence endpoint answers 404 both for a repo without a licence and for no repo
        # at all; the repo itself tells the two apart. Both requests run at once.
        async with self._upstream.session(subject=("github", repo_id)) as upstream:
            repo, found = await asyncio.gather(
                upstream.github.repo(repo_id),
                upstream.github.license(repo_id),
                return_exceptions=True,
            )
        if isinstance(repo, UpstreamNotFoundError):
            raise GitHubRepoNotFoundError(repo_id) from repo
        if isinstance(repo, BaseException):
            raise repo
        if isinstance(found, BaseException):
            raise found
        full_name = repo.get("full_name")
        return (
            full_name if isinstance(full_name, str) else repo_id,
            _license_info(found),
        )


def _github_repo_id(url: str) -> str:
    try:
        source = parse_source(url, ArtifactType.CODE)
    except InvalidSourceError as exc:
        raise ValidationError(exc.message, field="githubUrl") from None
    if source.host is not SourceHost.GITHUB:  # other hosts register code as references only
        raise ValidationError("githubUrl must be a github.com repository", field="githubUrl")
    return source.repo_id


def _license_info(found: dict[str, Any] | None) -> LicenseInfo:
    if found is None:
        return NO_LICENSE
    declared = found.get("license")
    declared = declared if isinstance(declared, dict) else {}
    spdx_id, name = declared.get("spdx_id"), declared.get("name")
    if isinstance(spdx_id, str) and spdx_id and spdx_id != "NOASSERTION":
        return parse_license(spdx_id)
    # GitHub found a licence file it could not classify: a person has to read it.
    link = found.get("html_url")
    return parse_license(
        "other",
        name=name if isinstance(name, str) and name != "Other" else "unclassified licence file",
        link=link if isinstance(link, str) else None,
    )
