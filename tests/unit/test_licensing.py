"""How a GitHub licence answer becomes a licence the policy can judge."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import ValidationError
from app.licensing.service import NO_LICENSE, _github_repo_id, _license_info
from app.rating.licenses import Compatibility, check_compatibility, parse_license

APACHE = parse_license("apache-2.0")


def github_answer(spdx_id: str | None, name: str = "Some License") -> dict[str, Any]:
    return {
        "html_url": "https://github.com/acme/tool/blob/main/LICENSE",
        "license": {"key": (spdx_id or "other").lower(), "name": name, "spdx_id": spdx_id},
    }


@pytest.mark.parametrize(
    ("answer", "display", "verdict"),
    [
        (github_answer("MIT"), "MIT", Compatibility.COMPATIBLE),
        (github_answer("GPL-3.0"), "GPL-3.0-only", Compatibility.COMPATIBLE),
        (
            github_answer("NOASSERTION", "Other"),
            "other: unclassified licence file",
            Compatibility.NEEDS_REVIEW,
        ),
        (github_answer(None, "Acme Licence"), "other: Acme Licence", Compatibility.NEEDS_REVIEW),
        (None, NO_LICENSE.display, Compatibility.INCOMPATIBLE),
    ],
)
def test_github_licences_against_an_apache_model(
    answer: dict[str, Any] | None, display: str, verdict: Compatibility
) -> None:
    info = _license_info(answer)
    assert info.display == display
    assert check_compatibility(APACHE, info).verdict is verdict


def test_an_unclassified_licence_file_links_to_itself() -> None:
    info = _license_info(github_answer("NOASSERTION", "Other"))
    assert info.link == "https://github.com/acme/tool/blob/main/LICENSE"


@pytest.mark.parametrize(
    ("url", "repo_id"),
    [
        ("https://github.com/openai/whisper", "openai/whisper"),
        ("https://www.github.com/openai/whisper.git", "openai/whisper"),
        ("https://github.com/openai/whisper/blob/main/LICENSE", "openai/whisper"),
    ],
)
def test_github_urls_name_a_repo(url: str, repo_id: str) -> None:
    assert _github_repo_id(url) == repo_id


@pytest.mark.parametrize(
    "url",
    ["https://api.github.com/repos/openai/whisper", "https://github.com/", "ftp://github.com/a/b"],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _github_repo_id(url)
    assert refused.value.field == "githubUrl"
