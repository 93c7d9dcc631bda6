from __future__ import annotations

from dataclasses import dataclass

from app.rating.licenses import Compatibility, LicenseInfo


@dataclass(frozen=True, slots=True)
class LicenseCheck:
    """Whether code under the repo's licence may fine-tune and run the model, and why."""

    artifact_id: str
    github_repo: str  # "owner/repo" as GitHub spells it
    verdict: Compatibility
    model_license: LicenseInfo
    repo_license: LicenseInfo
    reason: str
    policy_version: str
