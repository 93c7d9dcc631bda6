"""size_score: how well the model's weights fit each target device.

Weight bytes ``w``: the safetensors parameter counts (from the files' own headers, read by the
weights scan, when every root-level safetensors file was read and sound; else the hub's listed
counts) x dtype size (F64/I64/U64 8, F32/I32/U32 4,
F16/BF16/I16/U16 2, I8/U8/F8/BOOL 1; an unknown dtype counts 4), else the sizes of the weight
files of one format (see :func:`weight_files`). Each device has a half-score size ``h``, the
weight size at which it scores 0.5:

    device score = h / (h + w)        (1 for no weights, 0.5 at w = h, 0.2 at w = 4h, -> 0)

smooth and strictly decreasing, so a 4 MB model and a 40 MB one are told apart on a Pi as
well as a 7B model and a 70B one on a server. The ``h`` are calibrated on the course's
published sample output (Phase 1 spec, sample_output.txt), which rates bert-base-uncased,
440 MB of F32 weights (110,106,428 parameters), at raspberry_pi 0.20, jetson_nano 0.40,
desktop_pc 0.95, aws_server 1.00: ``h = 440 MB x s / (1 - s)`` for its score ``s``.

    raspberry_pi   110 MB    bert 0.20; whisper-tiny (151 MB) 0.42, a 23 MB ViT-tiny 0.83
    jetson_nano    294 MB    bert 0.40
    desktop_pc     8.4 GB    bert 0.95; a 7B model in BF16 (14.5 GB) 0.37
    aws_server     160 GB    bert 1.00 (the sample pins only h >= 88 GB): half of an
                             8 x A100 40 GB server's 320 GB, so a 70B model in BF16 is 0.53

``breakdown`` holds the four device scores; ``score`` is their mean (the gate uses the best
device). No weights found: 0 on every device, since nothing is known to fit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.rating.context import ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp

MB = 10**6
GB = 10**9
#: Half-score weight sizes, calibrated on the course's sample (see the module docstring).
DEVICES: Mapping[str, float] = {
    "raspberry_pi": 110 * MB,
    "jetson_nano": 294 * MB,
    "desktop_pc": 8.4 * GB,
    "aws_server": 160 * GB,
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


def device_score(weight_bytes: float, half: float) -> float:
    return clamp(half / (half + max(weight_bytes, 0.0)))


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
    fits = ", ".join(f"{d} {s:.2f} (0.5 at {_size(DEVICES[d])})" for d, s in breakdown.items())
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


def _checked_source(source: str, checked: Mapping[str, int], listed: Mapping[str, int]) -> str:
    """Where the figure comes from: the files' own headers, read by the weights scan, and how
    the hub's listed count compares."""
    source = source.replace("safetensors:", "safetensors headers:", 1)
    if not listed:
        return source + " (the hub lists no count)"
    if sum(listed.values()) == sum(checked.values()):
        return source + " (agrees with the hub's count)"
    return source + f" (the hub lists {sum(listed.values()):,}; the headers are counted)"


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
    listed = dict(info.safetensors.parameters) if info.safetensors else {}
    checked = (await ctx.weights_scan()).checked_parameters()
    weights = from_parameters(checked or listed)
    if weights is not None and checked:
        weights = Weights(weights.bytes, _checked_source(weights.source, checked, listed))
    if weights is None:
        weights = weight_files([(s.rfilename, s.size) for s in info.siblings or []])
    return score_size(weights)


METRIC = Metric("size_score", compute)
