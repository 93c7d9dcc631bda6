"""A linear pass over a parsed document that refuses what would make validation costly.

GraphQL's "overlapping fields can be merged" rule compares every pair of fields that share a
response key in one selection set, so 490 copies of ``health { ok }`` (2 KB, under the token
limit) cost over a second of validation; fragments spread inside fragments multiply fields
without adding text. This pass counts fields as validation would see them, fragments
expanded (each fragment counted once and remembered, so a fragment bomb is caught early),
and stops at the first bound crossed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

#: Fields an operation may select, fragments expanded. GraphiQL's introspection query selects
#: about 300.
MAX_SELECTED_FIELDS: Final = 1000
#: Fields sharing one response key in one selection set (fragments repeating `id` are fine).
MAX_SAME_KEY: Final = 10
#: Nesting the walk follows; far beyond the depth limit validation enforces.
MAX_NESTING: Final = 64


class DocumentTooLargeError(Exception):
    """The document crosses one of this module's bounds; the message says which."""


def check_bounds(document: DocumentNode) -> None:
    """Raise :class:`DocumentTooLargeError` if the document crosses a bound."""
    walk = _Walk(
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    )
    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += walk.level(definition.selection_set, 0).total
            if total > MAX_SELECTED_FIELDS:
                raise DocumentTooLargeError(_too_many())


@dataclass(frozen=True, slots=True)
class _Level:
    keys: Counter[str]  # response keys selected at this level, fragments merged in
    total: int  # fields at this level and below


@dataclass(slots=True)
class _Walk:
    fragments: dict[str, FragmentDefinitionNode]
    done: dict[str, _Level] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)

    def level(self, selection_set: SelectionSetNode, depth: int) -> _Level:
        if depth > MAX_NESTING:
            raise DocumentTooLargeError(f"the operation nests deeper than {MAX_NESTING} levels")
        keys: Counter[str] = Counter()
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                keys[(selection.alias or selection.name).value] += 1
                total += 1
                if selection.selection_set is not None:
                    total += self.level(selection.selection_set, depth + 1).total
            else:
                inner = self._fragment(selection, depth)
                keys.update(inner.keys)
                total += inner.total
            if total > MAX_SELECTED_FIELDS:
                raise DocumentTooLargeError(_too_many())
        if keys and (most := keys.most_common(1)[0])[1] > MAX_SAME_KEY:
            raise DocumentTooLargeError(
                f"{most[0]!r} is selected {most[1]} times in one selection set "
                f"(at most {MAX_SAME_KEY})"
            )
        return _Level(keys, total)

    def _fragment(self, selection: object, depth: int) -> _Level:
        if isinstance(selection, InlineFragmentNode):
            return self.level(selection.selection_set, depth)
        if not isinstance(selection, FragmentSpreadNode):
            return _Level(Counter(), 0)
        name = selection.name.value
        if name in self.done:
            return self.done[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return _Level(Counter(), 0)  # unknown or cyclic: validation refuses it
        self.visiting.add(name)
        self.done[name] = found = self.level(definition.selection_set, depth)
        self.visiting.discard(name)
        return found


def _too_many() -> str:
    return f"the operation selects more than {MAX_SELECTED_FIELDS} fields"
