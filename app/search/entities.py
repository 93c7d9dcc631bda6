"""What a search asks for and what it answers."""

from __future__ import annotations

from dataclasses import dataclass

from app import cursors
from app.artifacts.entities import Artifact
from app.kinds import ArtifactType
from app.search.errors import InvalidCursorError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_CURSOR_KIND = "artifact"


@dataclass(frozen=True, slots=True)
class ArtifactFilter:
    """Conditions that must all hold. None (or no types) leaves that condition out."""

    #: Exact, case-sensitive name. Names are not unique: every artifact with it matches.
    name: str | None = None
    #: RE2 pattern searched in the name and, separately, in the README (see patterns.py).
    regex: str | None = None
    types: frozenset[ArtifactType] = frozenset()
    #: Only rated artifacts (models) have a net score; the others never match this.
    min_net_score: float | None = None
    #: The gate's decision on a model's rating; artifacts without one never match.
    gate_passed: bool | None = None
    #: Leave out artifacts whose rating fails the gate (set by the search for a caller who may
    #: not see them: ``app.artifacts.visibility``).
    hide_failing: bool = False

    def accepts(
        self, type_: ArtifactType, net_score: float | None, name: str, *, gate_passed: bool | None
    ) -> bool:
        """The conditions other than the regex."""
        if self.types and type_ not in self.types:
            return False
        if self.min_net_score is not None and (net_score is None or net_score < self.min_net_score):
            return False
        if self.gate_passed is not None and gate_passed is not self.gate_passed:
            return False
        if self.hide_failing and gate_passed is False:
            return False
        return self.name is None or name == self.name


@dataclass(frozen=True, slots=True)
class Edge:
    cursor: str
    artifact: Artifact


@dataclass(frozen=True, slots=True)
class Page:
    edges: tuple[Edge, ...]
    has_next_page: bool
    #: How many artifacts match in all, when the search learned it for free (a regex scan
    #: counts as it goes); None when it would take another query (see SearchService.count).
    total: int | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


def encode_cursor(ordinal: int) -> str:
    return cursors.encode(_CURSOR_KIND, ordinal)


def decode_cursor(cursor: str) -> int:
    """The ordinal a cursor stands for; anything this registry did not issue is invalid."""
    ordinal = cursors.decode(_CURSOR_KIND, cursor)
    if ordinal is None:
        raise InvalidCursorError
    return ordinal
