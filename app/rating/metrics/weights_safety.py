"""weights_safety: whether loading the model's weights could run code, and whether their headers
are sound, found by reading only headers and pickles by range requests (app.safety).

    1.0  every weight file inspected is safe: safetensors, GGUF or ONNX with sound headers,
         or pickles that import only what checkpoints need (tensor rebuilds, OrderedDict, ...)
    0.5  suspicious: a pickle imports something in neither list, a header is broken, or a
         file could not be read within the budget
    0.0  dangerous: a pickle imports what runs code or reaches the system (os, subprocess,
         builtins.eval/exec, runpy, socket, ...)

The check has no weight in the net score: it is a safety verdict, not quality. The gate refuses
a dangerous model in every mode but off (app.rating.gate); a policy may require 1.0 to refuse
suspicious ones too. No weight files listed, or a gated repository whose files need a token:
the check does not apply.
"""

from __future__ import annotations

from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, not_applicable
from app.safety.imports import ImportVerdict
from app.safety.service import ModelWeightsScan
from app.safety.weights import WeightsScan

NAME = "weights_safety"
SCORES = {ImportVerdict.SAFE: 1.0, ImportVerdict.SUSPICIOUS: 0.5, ImportVerdict.DANGEROUS: 0.0}
#: Globals named per file in the evidence, at most (the rest are counted).
_NAMED_IMPORTS = 12


def describe(scan: WeightsScan) -> str:
    """One file's evidence: format, bytes read, verdict, and what it imports or holds."""
    parts = [f"{scan.path}: {scan.format}, {scan.bytes_read:,} B read, {scan.verdict.value}"]
    flagged = [g for g in scan.imports if g.verdict is not ImportVerdict.SAFE]
    if flagged:
        parts.append("imports " + ", ".join(f"{g} ({g.verdict.value})" for g in flagged))
    safe = [str(g) for g in scan.imports if g.verdict is ImportVerdict.SAFE]
    if safe:
        more = len(safe) - _NAMED_IMPORTS
        parts.append(
            "safe imports " + ", ".join(safe[:_NAMED_IMPORTS]) + (f" +{more}" if more > 0 else "")
        )
    if scan.parameters is not None:
        parts.append(f"{scan.parameters:,} parameters")
    parts.extend(scan.problems)
    return "; ".join(parts)


def measure(scan: ModelWeightsScan) -> Measured:
    evidence = [describe(f) for f in scan.files]
    evidence += [f"{path}: not read, the model's scan budget was spent" for path in scan.unread]
    evidence.append(f"{scan.bytes_read:,} bytes read in all")
    if not scan.pickled:
        evidence.append(
            "no pickled weights (.bin, .pt, .pth, .ckpt, .pkl): loading cannot run code"
        )
    verdict = scan.verdict
    return Measured(
        score=SCORES[verdict],
        evidence=evidence,
        explanation=_explain(scan, verdict),
        breakdown={f.path: SCORES[f.verdict] for f in scan.files},
    )


def _explain(scan: ModelWeightsScan, verdict: ImportVerdict) -> str:
    if verdict is ImportVerdict.DANGEROUS:
        found = [
            f"{f.path} imports {', '.join(str(g) for g in f.imports if g.verdict is verdict)}"
            for f in scan.files
            if f.verdict is verdict
        ]
        return "; ".join(found) + ": loading it would run code."
    if verdict is ImportVerdict.SUSPICIOUS:
        named = [f.path for f in scan.files if f.verdict is verdict] + list(scan.unread)
        return f"Not shown safe: {', '.join(named)} (see the evidence)."
    if not scan.pickled:
        return "Only formats that hold no code (safetensors and the like); their headers are sound."
    return "Every pickle imports only what checkpoints need; every header read is sound."


async def compute(ctx: ScoringContext) -> Measured:
    if await ctx.files_gated():
        return not_applicable(GATED_REASON, "The model's files cannot be read to inspect them.")
    scan = await ctx.weights_scan()
    if not scan.files and not scan.unread:
        return not_applicable(
            "no weight files listed", "The repository lists no weights, so nothing can be loaded."
        )
    return measure(scan)


METRIC = Metric(NAME, compute)
