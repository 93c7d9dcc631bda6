"""size_score: how well the model's weights fit in each target device's memory.

Weight bytes ``w``: the safetensors parameter counts x dtype size (F64/I64/U64 8, F32/I32/U32 4,
F16/BF16/I16/U16 2, I8/U8/F8/BOOL 1; an unknown dtype counts 4), else the sizes of the weight
files of one format (see :func:`weight_files`). Each device has a memory budget ``B`` usable
for weights (the rest goes to the OS, the runtime and activations):

    raspberry_pi  1 GB    a Raspberry Pi 4/5 with 4 GB RAM shared with the OS
    jetson_nano   2 GB    a Jetson Nano, 4 GB unified CPU/GPU memory
    desktop_pc   12 GB    a desktop with a 16 GB GPU (or 16 GB RAM for CPU inference)
    aws_server  256 GB    a GPU server such as p4d.24xlarge, 8 x A100 40 GB = 320 GB

    t = (log2(w / B) + 1) / 2, clamped to [0, 1]      (0 at B/2, 0.5 at B, 1 at 2B)
    device score = 1 - (3t^2 - 2t^3)                   (smoothstep: 1 up to B/2, 0 from 2B)

so the score is monotone and smooth, 1 when the weights comfortably fit (half the budget or
less), 0.5 at exactly the budget, 0 when they are twice too big. ``breakdown`` holds the four
device scores; ``score`` is their mean (the gate uses the best device). No weights found: 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.rating.context import ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp

GB = 10**9
DEVICES: Mapping[str, float] = {
    "raspberry_pi": 1 * GB,
    "jetson_nano": 2 * GB,
    "desktop_pc": 12 * GB,
    "aws_server": 256 * GB,
}
DTYPE_BYTES: Mapping[str, int] = {
    **dict.fromkeys(("F64", "I64", "U64"), 8),
    **dict.fromkeys(("F32", "I32", "U32"), 4),
    **dict.fromkeys(("F16", "BF16", "I16", "U16"), 2),
    **dict.fromkeys(("I8", "U8", "F8_E4M3", "F8_E5M2", "BOOL"), 1),
}
# One model is often stored in several formats: count the first format present only.
FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("safetensors", (".safetensors",)),
    ("pytorch", (".bin", ".pt", ".pth", ".ckpt")),
    ("onnx", (".onnx",)),
    ("gguf", (".gguf",)),
    ("keras", (".h5", ".keras")),
    ("flax", (".msgpack",)),
)
# Trainer and optimizer state saved next to the weights.
_NOT_WEIGHTS = re.compile(r"(training_args|optimizer|scheduler|scaler|rng_state.*)\.(bin|pt|pth)")
_SHARD = re.compile(r"-\d+-of-\d+\.")


@dataclass(frozen=True, slots=True)
class Weights:
    bytes: int
    source: str  # evidence: where the number comes from


def device_score(weight_bytes: float, budget: float) -> float:
    t = min(1.0, max(0.0, (math.log2(weight_bytes / budget) + 1) / 2))
    return clamp(1 - t * t * (3 - 2 * t))


def from_parameters(parameters: Mapping[str, int]) -> Weights | None:
    counts = {dtype: n for dtype, n in parameters.items() if n > 0}
    if not counts:
        return None
    total = sum(n * DTYPE_BYTES.get(dtype.upper(), 4) for dtype, n in counts.items())
    parts = " + ".join(f"{_count(n)} {dtype}" for dtype, n in sorted(counts.items()))
    return Weights(total, f"safetensors: {parts} params = {_size(total)}")


def weight_files(files: Sequence[tuple[str, int | None]]) -> Weights | None:
    """The weights of the first format present. Within it, files at the repo root are the
    model (shards add up; other files are variants of one model, so the largest counts); with
    none at the root, each folder is one component (diffusers' unet, vae...) and they add up."""
    for fmt, extensions in FORMATS:
        found = [
            (name, size)
            for name, size in files
            if name.lower().endswith(extensions)
            and size
            and not _NOT_WEIGHTS.fullmatch(name.rsplit("/", 1)[-1])
        ]
        if not found:
            continue
        folders: dict[str, list[tuple[str, int]]] = {}
        for name, size in found:
            folders.setdefault(name.rpartition("/")[0], []).append((name, size))
        chosen = {"": folders[""]} if "" in folders else folders
        counted = [entry for entries in chosen.values() for entry in _one_model(entries)]
        total = sum(size for _, size in counted)
        what = counted[0][0] if len(counted) == 1 else f"{len(counted)} files"
        skipped = len(found) - len(counted)
        extra = f" ({skipped} other {fmt} file(s) not counted)" if skipped else ""
        return Weights(total, f"{fmt}: {what} = {_size(total)}{extra}")
    return None


def _one_model(entries: list[tuple[str, int]]) -> list[tuple[str, int]]:
    shards = [entry for entry in entries if _SHARD.search(entry[0])]
    return shards or [max(entries, key=lambda entry: entry[1])]


def score_size(weights: Weights | None) -> Measured:
    if weights is None:
        return Measured(
            score=0.0,
            evidence=["no safetensors parameter counts", "no weight files listed"],
            explanation="The repository lists no weights, so no device is known to fit them.",
            breakdown=dict.fromkeys(DEVICES, 0.0),
        )
    breakdown = {device: device_score(weights.bytes, b) for device, b in DEVICES.items()}
    fits = ", ".join(f"{d} {s:.2f} ({_size(DEVICES[d])} usable)" for d, s in breakdown.items())
    best = max(breakdown, key=lambda d: breakdown[d])
    fitting = [d for d, s in breakdown.items() if s >= 0.5]  # noqa: PLR2004 - the gate's bar
    return Measured(
        score=clamp(sum(breakdown.values()) / len(breakdown)),
        evidence=[weights.source, f"devices: {fits}", f"best device: {best}"],
        explanation=(
            f"{_size(weights.bytes)} of weights fit "
            + (", ".join(fitting) if fitting else "none of the target devices")
            + "."
        ),
        breakdown=breakdown,
    )


def _count(n: int) -> str:
    for scale, unit in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def _size(n: float) -> str:
    for scale, unit in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


async def compute(ctx: ScoringContext) -> Measured:
    info = await ctx.info()
    weights = from_parameters(info.safetensors.parameters) if info.safetensors else None
    if weights is None:
        weights = weight_files([(s.rfilename, s.size) for s in info.siblings or []])
    return score_size(weights)


METRIC = Metric("size_score", compute)
