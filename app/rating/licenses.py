"""Licences: what a model (or code repo) is licensed under, and whether that suits the registry.

Parsing turns a Hugging Face ``license`` value (an SPDX expression, a hub key such as
``llama3.2`` or ``openrail++``, or ``other`` with ``license_name``/``license_link``) into a
:class:`LicenseInfo` whose ``family`` is one of the keys of :data:`POLICY`. The policy is data:
one row per family, its verdict for the use "fine-tune + inference" in a registry whose code is
LGPL-2.1, and two traits that decide pairs of licences (a repo's code next to a model). Change
the table, bump :data:`POLICY_VERSION`.

Compound SPDX expressions are reduced to the family that decides them: the most favourable
alternative of an ``OR`` (the licensee may choose), the least favourable part of an ``AND``
(all apply). ``WITH`` exceptions only loosen a licence, so the base licence decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Flag, StrEnum, auto
from types import MappingProxyType
from typing import Any

# license-expression ships no type hints; its objects are used through a few attributes only.
from license_expression import (  # type: ignore[import-untyped]
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

POLICY_VERSION = "lgpl-2.1-compatible/2026-1"
REQUIREMENT = "LGPL-2.1"


class Compatibility(StrEnum):
    # Declared worst to best: the order ranks alternatives and parts of an expression.
    INCOMPATIBLE = "incompatible"
    NEEDS_REVIEW = "needs_review"
    COMPATIBLE = "compatible"


_C, _R, _I = Compatibility.COMPATIBLE, Compatibility.NEEDS_REVIEW, Compatibility.INCOMPATIBLE
_RANK = {_I: 0, _R: 1, _C: 2}


class Trait(Flag):
    NONE = 0
    COPYLEFT = auto()  # the combined work must carry this licence and no extra restrictions
    RESTRICTS_USE = auto()  # adds conditions on how the model may be used


@dataclass(frozen=True, slots=True)
class FamilyPolicy:
    verdict: Compatibility  # against the registry's requirement (REQUIREMENT)
    use: Compatibility  # may one fine-tune and run it at all, requirement aside
    reason: str
    traits: Trait = Trait.NONE


_COPYLEFT, _RESTRICTS = Trait.COPYLEFT, Trait.RESTRICTS_USE
POLICY: Mapping[str, FamilyPolicy] = MappingProxyType(
    {
        "public_domain": FamilyPolicy(_C, _C, "public-domain dedication"),
        "permissive": FamilyPolicy(_C, _C, "permissive: keep the notice"),
        "attribution": FamilyPolicy(_C, _C, "attribution only"),
        "share_alike": FamilyPolicy(
            _C, _C, "share-alike binds adapted weights, not code using them"
        ),
        "weak_copyleft": FamilyPolicy(
            _C, _C, "weak copyleft: only changes to the work itself stay open"
        ),
        "strong_copyleft": FamilyPolicy(
            _I, _C, "GPL: a combined work must be GPL as a whole", _COPYLEFT
        ),
        "network_copyleft": FamilyPolicy(
            _I, _C, "AGPL: a combined work must be AGPL, even as a service", _COPYLEFT
        ),
        "non_commercial": FamilyPolicy(_I, _R, "non-commercial use only", _RESTRICTS),
        "no_derivatives": FamilyPolicy(_I, _I, "no derivatives: fine-tuning makes one", _RESTRICTS),
        "openrail": FamilyPolicy(
            _R, _R, "OpenRAIL use restrictions pass on to derivatives", _RESTRICTS
        ),
        "llama": FamilyPolicy(
            _R, _R, "Llama community licence: use policy, user cap, naming rules", _RESTRICTS
        ),
        "gemma": FamilyPolicy(_R, _R, "Gemma terms: prohibited-use policy binds", _RESTRICTS),
        "other": FamilyPolicy(_R, _R, "a custom licence someone must read", _RESTRICTS),
        "unclassified": FamilyPolicy(_R, _R, "a licence this policy does not rate"),
        "unknown": FamilyPolicy(_I, _I, "no licence grants no right to use", _RESTRICTS),
    }
)

# Fullmatch on the lower-cased key, first family wins: narrow CC variants precede CC-BY.
_FAMILY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile("|".join(alternatives)))
    for family, alternatives in (
        ("non_commercial", (r"cc-by-nc(-sa|-nd)?-[\d.]+", r"fair-noncommercial.*", r".*-research")),
        ("non_commercial", (r"deepfloyd-if.*",)),
        ("no_derivatives", (r"cc-by-nd-[\d.]+",)),
        ("share_alike", (r"cc-by-sa-[\d.]+", r"cdla-sharing-[\d.]+", r"odbl(-[\d.]+)?")),
        ("attribution", (r"cc-by-[\d.]+", r"odc-by(-[\d.]+)?")),
        ("public_domain", (r"cc0-[\d.]+", "unlicense", "pddl", "0bsd", "wtfpl")),
        ("weak_copyleft", (r"lgpl(-[\d.]+(-only|-or-later|\+)?|-lr)?", r"mpl-2\.0")),
        ("network_copyleft", (r"agpl(-.*)?",)),
        ("strong_copyleft", (r"gpl(-.*)?",)),
        ("permissive", (r"mit(-.*)?", r"bsd(-.*)?", r"apache-[\d.]+", "isc", "zlib", "ncsa")),
        ("permissive", (r"bsl-1\.0", r"afl-[\d.]+", r"artistic-2\.0", r"ecl-2\.0", "postgresql")),
        ("permissive", (r"etalab-2\.0", r"cdla-permissive-[\d.]+", r"python-2\.0", r"upl-1\.0")),
        ("openrail", (r"([a-z]+-)?openrail(\+\+|-[a-z])?(-.*)?", r"bigscience-bloom-rail-[\d.]+")),
        ("llama", (r"llama-?\d+(\.\d+)?(-.*)?",)),
        ("gemma", (r"gemma(-.*)?",)),
    )
)


@dataclass(frozen=True, slots=True)
class LicenseInfo:
    key: str  # normalised SPDX expression, or the hub's key ("llama3.2", "other", "unknown")
    family: str  # a key of POLICY
    display: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: Compatibility
    reason: str


UNKNOWN = LicenseInfo("unknown", "unknown", "none declared")


@functools.cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def load_license_index() -> None:
    """Load the SPDX licence index now (it takes a while) rather than on first use."""
    _licensing()


def family_of(key: str) -> str | None:
    """The family of one licence key (SPDX id or hub key), None when no pattern knows it."""
    normal = re.sub(r"[\s_]+", "-", key.strip().lower())
    return next((family for family, pattern in _FAMILY_PATTERNS if pattern.fullmatch(normal)), None)


@functools.lru_cache(maxsize=1024)
def parse_license(
    value: str | None, *, name: str | None = None, link: str | None = None
) -> LicenseInfo:
    """One declared licence value; ``name``/``link`` describe an ``other`` licence."""
    text = (value or "").strip()
    lowered = text.lower()
    if not text:
        return UNKNOWN
    if lowered == "unknown":
        return LicenseInfo("unknown", "unknown", "declared unknown")
    if lowered == "other":
        return _other(name, link)
    try:
        expression = _licensing().parse(text, validate=False)
    except ExpressionError:
        expression = None
    if expression is None:
        family = family_of(text) or "unknown"
        return LicenseInfo(
            lowered, family, text if family != "unknown" else f"unrecognised {text!r}"
        )
    family = _decide(expression)
    display = str(expression) if family != "unknown" else f"unrecognised {text!r}"
    return LicenseInfo(str(expression), family, display, link)


def _other(name: str | None, link: str | None) -> LicenseInfo:
    if name and (family := family_of(name)) is not None:  # "other" naming a known licence
        return LicenseInfo(name.strip().lower(), family, name.strip(), link)
    if not name and not link:  # nothing anyone could review
        return LicenseInfo("other", "unknown", "other, with no name or link")
    return LicenseInfo("other", "other", f"other: {name or 'unnamed'}", link)


def _decide(expression: object) -> str:
    if isinstance(expression, LicenseWithExceptionSymbol):
        return _decide(expression.license_symbol)
    if isinstance(expression, LicenseSymbol):
        return family_of(expression.key) or _symbol_fallback(expression)
    if isinstance(expression, AND | OR):
        families = [_decide(arg) for arg in expression.args]
        pick = max if isinstance(expression, OR) else min
        return pick(families, key=lambda f: _RANK[POLICY[f].verdict])
    return "unknown"


def _symbol_fallback(symbol: LicenseSymbol) -> str:
    # A real SPDX licence no pattern covers (EPL, EUPL, OFL...) still deserves a human look.
    return "unknown" if _licensing().unknown_license_keys(symbol) else "unclassified"


def license_from_metadata(metadata: Mapping[str, Any], tags: Sequence[str] = ()) -> LicenseInfo:
    """A card's licence: ``license`` (a list means all apply), else its ``license:`` tags."""
    declared = metadata.get("license")
    values = declared if isinstance(declared, list) else [declared]
    found = [str(v) for v in values if v] or [
        t.removeprefix("license:") for t in tags if t.startswith("license:")
    ]
    if not found:
        return UNKNOWN
    name, link = metadata.get("license_name"), metadata.get("license_link")
    if len(found) == 1:
        return parse_license(
            found[0],
            name=name if isinstance(name, str) else None,
            link=link if isinstance(link, str) else None,
        )
    parts = [parse_license(v) for v in found]
    worst = min(parts, key=lambda p: _RANK[POLICY[p.family].verdict])
    return LicenseInfo(
        " AND ".join(p.key for p in parts), worst.family, " AND ".join(p.display for p in parts)
    )


def check_compatibility(model: LicenseInfo, other: LicenseInfo | None = None) -> Verdict:
    """``model`` against the registry's requirement, or, with ``other`` (say a GitHub repo's
    licence), whether code under ``other`` may fine-tune and run a model under ``model``:
    a copyleft side forbids the other side's use restrictions, otherwise the worse ``use``."""
    if other is None:
        policy = POLICY[model.family]
        return Verdict(policy.verdict, f"{model.display} vs {REQUIREMENT}: {policy.reason}")
    pair = [(model, POLICY[model.family]), (other, POLICY[other.family])]
    for (left, strict), (right, loose) in (pair, pair[::-1]):
        if Trait.COPYLEFT in strict.traits and Trait.RESTRICTS_USE in loose.traits:
            return Verdict(_I, f"copyleft {left.display} forbids the terms of {right.display}")
    info, worst = min(pair, key=lambda p: _RANK[p[1].use])
    if worst.use is _C:
        return Verdict(_C, f"{model.display} and {other.display} both allow fine-tuning")
    return Verdict(worst.use, f"{info.display}: {worst.reason}")
