"""A model's weight files inspected within one budget: each file by byte ranges (``weights``),
the bytes it took recorded, and the model's verdict the worst of its files'."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.errors import AppError
from app.mirror.entities import FilePart, RepoFile, part_of
from app.safety.imports import ImportVerdict
from app.safety.weights import PICKLED_SUFFIXES, RangeReader, WeightsScan, scan_weights

#: Bytes read per model, all files together, and per file (settings TMR_SCAN_*_BYTES).
MODEL_BUDGET = 4 * 1024 * 1024
FILE_BUDGET = 1024 * 1024
#: Files read at once.
WAVE = 8


@dataclass(frozen=True, slots=True)
class ScanBudget:
    """What inspecting one model's weights may read: all its files together, and each one."""

    model_bytes: int = MODEL_BUDGET
    file_bytes: int = FILE_BUDGET


@dataclass(frozen=True, slots=True)
class ModelWeightsScan:
    files: tuple[WeightsScan, ...]
    #: Weight files left unread: the model's budget was spent.
    unread: tuple[str, ...]

    @property
    def bytes_read(self) -> int:
        return sum(f.bytes_read for f in self.files)

    @property
    def verdict(self) -> ImportVerdict:
        verdicts = {f.verdict for f in self.files}
        if ImportVerdict.DANGEROUS in verdicts:
            return ImportVerdict.DANGEROUS
        if ImportVerdict.SUSPICIOUS in verdicts or self.unread:
            return ImportVerdict.SUSPICIOUS
        return ImportVerdict.SAFE

    @property
    def pickled(self) -> bool:
        """Whether any weight file is in a format whose loading unpickles."""
        return any(pickled(f.path) for f in self.files) or any(pickled(p) for p in self.unread)

    def checked_parameters(self) -> dict[str, int] | None:
        """Parameters per dtype in the model's root-level safetensors files, from headers read
        whole and found sound; None when there are none or any could not be checked."""
        root = [f for f in self.files if f.format == "safetensors" and "/" not in f.path]
        unread = [p for p in self.unread if p.endswith(".safetensors") and "/" not in p]
        if not root or unread or any(f.problems or f.over_budget for f in root):
            return None
        counts: dict[str, int] = {}
        for f in root:
            for dtype, n in f.dtypes:
                counts[dtype] = counts.get(dtype, 0) + n
        return counts


def pickled(path: str) -> bool:
    return any(path.lower().endswith(s) for s in PICKLED_SUFFIXES)


async def scan_model_weights(
    files: Sequence[RepoFile],
    reader_for: Callable[[str], RangeReader],
    budget: ScanBudget | None = None,
) -> ModelWeightsScan:
    """Pickled formats first (they can run code), then the others, until the budget is spent.
    A file upstream refuses or no longer has is named as unreadable; an outage is raised, since
    it says nothing about the file."""
    budget = budget or ScanBudget()
    weights = [f for f in files if part_of(f.path) is FilePart.WEIGHTS and f.size > 0]
    weights.sort(key=lambda f: (not pickled(f.path), f.path))
    scans: list[WeightsScan] = []
    unread: list[str] = []
    left = budget.model_bytes
    # In waves, each file of a wave given an equal share of what the model has left: files
    # are read at once, yet what each may read depends only on the waves before it, so the
    # same upstream files always give the same verdict.
    for at in range(0, len(weights), WAVE):
        wave = weights[at : at + WAVE]
        share = min(budget.file_bytes, left // len(wave))
        if share <= 0:
            unread += [f.path for f in wave]
            continue
        done = await asyncio.gather(*(_scan(f, reader_for(f.path), share) for f in wave))
        scans += done
        left -= sum(s.bytes_read for s in done)
    return ModelWeightsScan(tuple(scans), tuple(unread))


async def _scan(f: RepoFile, reader: RangeReader, limit: int) -> WeightsScan:
    try:
        return await scan_weights(f.path, f.size, reader, limit=limit)
    except AppError as exc:
        if exc.retryable:
            raise
        return WeightsScan(f.path, "unknown", 0, problems=(f"not readable: {exc.message}",))
