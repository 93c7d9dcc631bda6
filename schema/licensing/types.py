from __future__ import annotations

from typing import Annotated

import strawberry

from app.licensing.entities import LicenseCheck
from app.rating.licenses import Compatibility
from schema.errors import NotFoundError, UnavailableError, ValidationError

strawberry.enum(Compatibility, name="LicenseCompatibility")
LicenseCompatibility = Compatibility


@strawberry.type(description="May code under the repo's licence fine-tune and run the model?")
class LicenseVerdict:
    verdict: LicenseCompatibility
    model_license: str = strawberry.field(
        description="The model's licence, as the policy reads it."
    )
    repo_license: str = strawberry.field(description="The GitHub repository's licence.")
    reason: str
    github_repo: str = strawberry.field(description="owner/repo, as GitHub spells it.")
    policy_version: str

    @classmethod
    def from_entity(cls, c: LicenseCheck) -> LicenseVerdict:
        return cls(
            verdict=c.verdict,
            model_license=c.model_license.display,
            repo_license=c.repo_license.display,
            reason=c.reason,
            github_repo=c.github_repo,
            policy_version=c.policy_version,
        )


LicenseCheckResult = Annotated[
    LicenseVerdict | NotFoundError | ValidationError | UnavailableError,
    strawberry.union(
        "LicenseCheckResult",
        description="A verdict, or why there is none: the licence could not be learned.",
    ),
]
