"""Licence parsing and the registry's compatibility policy (app.rating.licenses)."""

from __future__ import annotations

import pytest

from app.rating.licenses import (
    POLICY,
    POLICY_VERSION,
    Compatibility,
    check_compatibility,
    family_of,
    license_from_metadata,
    parse_license,
)
from app.rating.metrics.license import score_license

OK, REVIEW, NO = Compatibility.COMPATIBLE, Compatibility.NEEDS_REVIEW, Compatibility.INCOMPATIBLE


@pytest.mark.parametrize(
    ("value", "key", "family", "verdict"),
    [
        ("apache-2.0", "Apache-2.0", "permissive", OK),
        ("mit", "MIT", "permissive", OK),
        ("Apache-2.0 OR MIT", "Apache-2.0 OR MIT", "permissive", OK),
        ("MIT OR GPL-3.0-only", "MIT OR GPL-3.0-only", "permissive", OK),  # the licensee chooses
        ("MIT AND CC-BY-NC-4.0", "MIT AND CC-BY-NC-4.0", "non_commercial", NO),  # both apply
        ("bsd-3-clause", "BSD-3-Clause", "permissive", OK),
        ("cc0-1.0", "CC0-1.0", "public_domain", OK),
        ("unlicense", "Unlicense", "public_domain", OK),
        ("cc-by-4.0", "CC-BY-4.0", "attribution", OK),
        ("cc-by-sa-4.0", "CC-BY-SA-4.0", "share_alike", OK),
        ("lgpl-2.1", "LGPL-2.1-only", "weak_copyleft", OK),
        ("mpl-2.0", "MPL-2.0", "weak_copyleft", OK),
        ("GPL-3.0-only", "GPL-3.0-only", "strong_copyleft", NO),
        ("gpl-2.0", "GPL-2.0-only", "strong_copyleft", NO),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", None, "strong_copyleft", NO),
        ("agpl-3.0", "AGPL-3.0-only", "network_copyleft", NO),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0", "non_commercial", NO),
        ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0", "non_commercial", NO),
        ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0", "non_commercial", NO),
        ("cc-by-nd-4.0", "CC-BY-ND-4.0", "no_derivatives", NO),
        ("openrail", "openrail", "openrail", REVIEW),
        ("openrail++", "openrail++", "openrail", REVIEW),
        ("bigscience-openrail-m", "bigscience-openrail-m", "openrail", REVIEW),
        ("creativeml-openrail-m", "creativeml-openrail-m", "openrail", REVIEW),
        ("bigcode-openrail-m", "bigcode-openrail-m", "openrail", REVIEW),
        ("llama2", "llama2", "llama", REVIEW),
        ("llama3.1", "llama3.1", "llama", REVIEW),
        ("llama3.2", "llama3.2", "llama", REVIEW),
        ("gemma", "gemma", "gemma", REVIEW),
        ("epl-2.0", "EPL-2.0", "unclassified", REVIEW),  # a real licence the table does not rate
        ("unknown", "unknown", "unknown", NO),
        ("", "unknown", "unknown", NO),
        ("garbage", "garbage", "unknown", NO),
        ("garbage!!", "garbage!!", "unknown", NO),
    ],
)
def test_licence_table(value: str, key: str | None, family: str, verdict: Compatibility) -> None:
    info = parse_license(value)
    if key is not None:
        assert info.key == key
    assert info.family == family
    assert check_compatibility(info).verdict is verdict


def test_other_needs_its_name_or_link() -> None:
    link = "https://example.com/LICENSE"
    linked = parse_license("other", link=link)
    assert (linked.family, linked.link) == ("other", link)
    assert check_compatibility(linked).verdict is REVIEW
    named = parse_license("other", name="gemma-terms-of-use", link=link)
    assert named.family == "gemma"
    community = parse_license("other", name="Llama 3.2 Community License")
    assert community.family == "llama"
    assert parse_license("other").family == "unknown"  # nothing anyone could review
    assert "unrecognised 'garbage'" in check_compatibility(parse_license("garbage")).reason


def test_reasons_name_the_licence_and_the_requirement() -> None:
    verdict = check_compatibility(parse_license("cc-by-nc-4.0"))
    assert verdict.reason == "CC-BY-NC-4.0 vs LGPL-2.1: non-commercial use only"


@pytest.mark.parametrize(
    ("model", "code", "verdict"),
    [
        ("apache-2.0", "mit", OK),
        ("mit", "gpl-3.0", OK),  # GPL code may fine-tune a permissive model
        ("openrail", "gpl-3.0", NO),  # GPL forbids the model's use restrictions
        ("gpl-3.0", "llama3.2", NO),
        ("cc-by-nc-4.0", "mit", REVIEW),  # allowed, but only non-commercially
        ("cc-by-nd-4.0", "mit", NO),
        ("llama3.2", "apache-2.0", REVIEW),
        ("apache-2.0", "", NO),  # a repo without a licence grants nothing
    ],
)
def test_pairs_of_licences(model: str, code: str, verdict: Compatibility) -> None:
    got = check_compatibility(parse_license(model), parse_license(code))
    assert got.verdict is verdict
    assert got.reason


def test_card_metadata_and_tags() -> None:
    llama = license_from_metadata(
        {"license": "llama3.2", "license_name": "llama3.2", "license_link": "https://x/L.txt"}
    )
    assert (llama.family, llama.link) == ("llama", "https://x/L.txt")
    assert license_from_metadata({}, ["en", "license:apache-2.0"]).key == "Apache-2.0"
    both = license_from_metadata({"license": ["mit", "cc-by-nc-4.0"]})
    assert (both.key, both.family) == ("MIT AND CC-BY-NC-4.0", "non_commercial")
    assert license_from_metadata({}).family == "unknown"


def test_policy_is_complete_and_versioned() -> None:
    assert POLICY_VERSION
    for name in ("mit", "llama3.3", "gemma-2", "cc-by-sa-3.0", "openrail-m", "odc-by"):
        assert family_of(name) in POLICY
    assert {p.verdict for p in POLICY.values()} == {OK, REVIEW, NO}


@pytest.mark.parametrize(
    ("metadata", "tags", "score"),
    [
        ({"license": "mit"}, [], 1.0),
        ({}, ["license:openrail"], 0.5),
        ({"license": "gpl-3.0"}, [], 0.0),
        ({}, [], 0.0),
    ],
)
def test_metric_scores(metadata: dict[str, str], tags: list[str], score: float) -> None:
    got = score_license(metadata, tags)
    assert got.score == score
    assert POLICY_VERSION in "\n".join(got.evidence)
    assert score_license(metadata, tags) == got
