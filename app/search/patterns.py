"""Client regexes, compiled by RE2.

RE2 runs in time linear in the text whatever the pattern (it never backtracks), so
``(a+)+$`` costs what ``a`` costs. What it cannot do it refuses at compile time:
backreferences, look-around, repetitions above 1000, or programs over its memory budget.
Every refusal is an :class:`InvalidPatternError`, never a crash.

Semantics: an unanchored search (like :func:`re.search`), case-sensitive unless the
pattern says ``(?i)``; ``^`` and ``$`` are the ends of the whole name or README unless it
says ``(?m)``. Syntax: https://github.com/google/re2/wiki/Syntax.
"""

from __future__ import annotations

from typing import Protocol, cast

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from app.search.errors import InvalidPatternError

#: Longer patterns are refused before compiling: enough for any real search, and it keeps
#: compile time and RE2's program memory small for every request.
MAX_PATTERN_LENGTH = 500


class _Compiled(Protocol):
    def search(self, text: bytes) -> object | None: ...


def _options() -> object:
    options = re2.Options()
    options.log_errors = False  # a client's bad pattern is not worth a line on stderr
    return cast("object", options)


_OPTIONS = _options()


class SearchPattern:
    """A compiled pattern; immutable and safe to share between threads."""

    __slots__ = ("_regexp", "source")

    def __init__(self, source: str) -> None:
        if len(source) > MAX_PATTERN_LENGTH:
            raise InvalidPatternError(
                f"regex is {len(source)} characters long; the limit is {MAX_PATTERN_LENGTH}"
            )
        try:
            self._regexp = cast("_Compiled", re2.compile(source, _OPTIONS))
        except re2.error as exc:
            raise InvalidPatternError(f"regex is not valid RE2 syntax: {_reason(exc)}") from None
        self.source = source

    def search(self, text: bytes | str) -> bool:
        """Whether the pattern occurs anywhere in ``text`` (pass bytes to skip encoding)."""
        data = text.encode() if isinstance(text, str) else text
        return self._regexp.search(data) is not None

    def __repr__(self) -> str:
        return f"SearchPattern({self.source!r})"


def _reason(exc: Exception) -> str:
    # RE2's messages arrive as bytes, e.g. b"missing ]: [".
    arg = exc.args[0] if exc.args else ""
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
