"""A model's weight files inspected within one budget: each file by byte ranges (``weights``),
the bytes it took recorded, and the model's verdict the worst of its files'."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.mirror.entities import FilePart, RepoFile, part_of
from app.safety.imports import ImportVerdict
from app.safety.weights import RangeReader, WeightsScan, scan_weights

#: Bytes read per model, all files together, and per file.
MODEL_BUDGET = 4 * 1024 * 1024
FILE_BUDGET = 1024 * 1024
#: Formats whose bytes can import code when loaded; a model with only safetensors says so.
_PICKLED = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl"})


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


def pickled(path: str) -> bool:
    return any(path.lower().endswith(s) for s in _PICKLED)


async def scan_model_weights(
    files: Sequence[RepoFile],
    reader_for: Callable[[str], RangeReader],
    *,
    model_budget: int = MODEL_BUDGET,
    file_budget: int = FILE_BUDGET,
) -> ModelWeightsScan:
    """Pickled formats first (they can run code), then the others, until the budget is spent."""
    weights = [f for f in files if part_of(f.path) is FilePart.WEIGHTS]
    weights.sort(key=lambda f: (not pickled(f.path), f.path))
    scans: list[WeightsScan] = []
    unread: list[str] = []
    left = model_budget
    for f in weights:
        if left <= 0:
            unread.append(f.path)
            continue
        scan = await scan_weights(f.path, f.size, reader_for(f.path), limit=min(file_budget, left))
        scans.append(scan)
        # a file stopped by what the model had left (not by its own bound) spends the rest
        left = 0 if scan.over_budget and left <= file_budget else left - scan.bytes_read
    return ModelWeightsScan(tuple(scans), tuple(unread))
