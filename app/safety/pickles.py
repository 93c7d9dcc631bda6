"""The globals a pickle imports, read without unpickling anything: its opcodes are walked with
``pickletools`` and only the names they would import are collected (``GLOBAL``, ``INST``,
``STACK_GLOBAL`` with the strings pushed or recalled from the memo before it)."""

from __future__ import annotations

import io
import pickletools
from dataclasses import dataclass

from app.safety.imports import ImportVerdict, classify

#: Opcodes that push a string STACK_GLOBAL may take as its module or name.
_STRINGS = frozenset(
    {
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "SHORT_BINSTRING",
        "BINSTRING",
        "STRING",
    }
)


@dataclass(frozen=True, slots=True)
class ImportedGlobal:
    module: str
    name: str
    verdict: ImportVerdict

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True)
class PickleScan:
    imports: tuple[ImportedGlobal, ...]
    #: Why the walk stopped before the pickle's end (a cut read, bytes that are not a pickle).
    incomplete: str | None = None

    @property
    def verdict(self) -> ImportVerdict:
        """The worst of its imports; an unreadable pickle is suspicious, never safe."""
        found = {g.verdict for g in self.imports}
        if ImportVerdict.DANGEROUS in found:
            return ImportVerdict.DANGEROUS
        if ImportVerdict.SUSPICIOUS in found or self.incomplete is not None:
            return ImportVerdict.SUSPICIOUS
        return ImportVerdict.SAFE


#: Pickles a legacy ``torch.save`` file writes one after another before its raw storage
#: bytes: magic number, protocol version, system info, the state, the storage keys.
LEGACY_PICKLES = 5
_PROTO = 0x80


def scan_pickle(data: bytes, *, pickles: int = 1) -> PickleScan:
    """Every global ``data`` would import, in order, each once; with ``pickles`` above one,
    the pickles that follow the first (each starting with PROTO) are walked too, as an
    unpickler reading a legacy checkpoint would load them."""
    found: dict[tuple[str, str], None] = {}
    incomplete = None
    start = 0
    for _ in range(pickles):
        walk = _Walk(found)  # each pickle has its own memo
        end = None
        try:
            for opcode, arg, position in pickletools.genops(io.BytesIO(data[start:])):
                walk.step(opcode.name, arg)
                if opcode.name == "STOP":
                    end = start + (position or 0) + 1
        except (ValueError, EOFError) as exc:  # pickletools' words for bytes it cannot read
            incomplete = str(exc) or type(exc).__name__
            break
        if end is None or end >= len(data) or data[end] != _PROTO:
            break
        start = end
    imports = tuple(ImportedGlobal(m, n, classify(m, n)) for m, n in found)
    return PickleScan(imports, incomplete)


class _Walk:
    """The little of the pickle machine's state that names imports: the last two values
    pushed (when they are strings) and the memo of strings."""

    def __init__(self, found: dict[tuple[str, str], None]) -> None:
        self.found = found
        self._recent: list[str | None] = [None, None]
        self._memo: dict[int, str | None] = {}

    def step(self, name: str, arg: object) -> None:
        pushed: str | None = None
        if name in {"GLOBAL", "INST"}:
            module, _, attr = str(arg).partition(" ")
            self.found[(module, attr)] = None
        elif name == "STACK_GLOBAL":
            first, second = self._recent
            self.found[(first or "<computed>", second or "<computed>")] = None
        elif name in _STRINGS:
            pushed = arg.decode("latin-1") if isinstance(arg, bytes) else str(arg)
        elif name == "MEMOIZE":
            self._memo[len(self._memo)] = self._recent[-1]
            return
        elif name in {"PUT", "BINPUT", "LONG_BINPUT"}:
            self._memo[_index(arg)] = self._recent[-1]
            return
        elif name in {"GET", "BINGET", "LONG_BINGET"}:
            pushed = self._memo.get(_index(arg))
        elif name == "FRAME":
            return
        self._recent = [self._recent[-1], pushed]


def _index(arg: object) -> int:
    return int(arg) if isinstance(arg, int | str) else -1
