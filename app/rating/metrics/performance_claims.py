"""performance_claims: how well the card backs up how good the model is.

The best kind of evidence found decides (code blocks are ignored: they show usage, not claims),
in the order DESIGN §5 gives (structured results > benchmark tables > prose > none):

- structured ``model-index`` results (card metadata, else the hub's ``model-index``), with
  ``n`` numeric metric values:  ``score = min(1, 0.7 + 0.1 n)``  (1 value 0.8, 3+ values 1.0)
- markdown benchmark tables, with ``k`` tables:  ``score = min(0.8, 0.7 + 0.05 (k - 1))``
  (0.7, 0.75, 0.8). A benchmark table has a numeric cell and names a metric or benchmark in its
  header, or sits under a heading or a lead-in line that does ("Evaluation results", "Glue test
  results:"). A training log (a header naming the epoch, step or training loss, as the
  Trainer's "Training results" table does) is no benchmark.
- an auto-generated evaluation: ``0.5``. The card was written by transformers' ``Trainer``
  (tagged ``generated_from_trainer``, or it says "It achieves the following results on the
  evaluation set"): its ``model-index`` and result lines are the loss and metric the training
  script measured on its own held-out split, however many numbers that makes. Measured, so
  above prose; one unnamed split, so below a table of benchmarks (the issue's bar: a real
  benchmark table ranks at least as high as one auto-generated evaluation number).
- prose claims, a metric name within a few words of a number ("88% accuracy", "an accuracy of
  91.3"), with ``c`` claims:  ``score = min(0.4, 0.25 + 0.05 c)``  (0.3, 0.35, 0.4)
- nothing: 0

A gated model read without a token is judged on its public ``model-index`` alone; without one
the metric does not apply (REST fallback 0), since the card's text cannot be read.
"""

from __future__ import annotations

import re
from typing import Any

from app.rating.cards import Card
from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, clamp, not_applicable

AUTO_GENERATED = 0.5

# Metric names a prose claim may use; tables may also use the short ones ("acc", "em").
_METRIC_WORDS = (
    r"accuracy|f1|f-1|wer|cer|bleu|rouge(-[l\d])?|precision|recall|perplexity|auc|top-?[15]"
    r"|exact match|mse|mae|rmse|spearman|pearson|mcc|m?iou|chrf|meteor"
)
_BENCHMARK = re.compile(
    rf"\b({_METRIC_WORDS}|acc|em|map|ppl|benchmarks?|results?|evaluation|eval|scores?"
    r"|mmlu|glue|squad|imagenet|hellaswag|arc|gsm8k|humaneval|librispeech|mteb)\b",
    re.IGNORECASE,
)
_NUMBER = r"\b\d+(?:\.\d+)?(?: ?%)?"
_CLAIM = re.compile(
    rf"\b({_METRIC_WORDS})\b[^.\n|]{{0,30}}?{_NUMBER}"  # "an accuracy of 91.3"
    rf"|{_NUMBER}[^.\n|\d]{{0,15}}\b({_METRIC_WORDS})\b",  # "88% accuracy"
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_SHOWN_CELLS = 6  # header cells quoted in evidence
_FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NUMERIC_CELL = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*%?(\s*/\s*\d+(\.\d+)?)?\s*$")
_TRAINING_LOG = re.compile(r"\b(epochs?|steps?|training loss)\b", re.IGNORECASE)
_TRAINER_TAG = "generated_from_trainer"
_TRAINER_LINE = "it achieves the following results on the evaluation set"


def model_index_values(model_index: Any) -> tuple[int, set[str]]:  # noqa: ANN401 - raw YAML
    """(numeric metric values, dataset names) in a ``model-index`` list."""
    values, datasets = 0, set[str]()
    for entry in model_index if isinstance(model_index, list) else []:
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            dataset = result.get("dataset")
            metrics = result.get("metrics")
            listed = metrics if isinstance(metrics, list) else []
            found = [m for m in listed if isinstance(m, dict) and _is_number(m.get("value"))]
            values += len(found)
            if found and isinstance(dataset, dict):
                datasets.add(str(dataset.get("name") or dataset.get("type")))
    return values, datasets


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMERIC_CELL.match(value) is not None


def benchmark_tables(body: str) -> list[str]:
    """A label (its first header cells) for each benchmark table in the markdown ``body``."""
    lines = _FENCE.sub("", body).splitlines()
    tables: list[str] = []
    context = ""
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            context = line
        is_header = "|" in line and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1].strip())
        if not is_header:
            continue
        rows = []
        for row in lines[i + 2 :]:
            if "|" not in row:
                break
            rows.append(row)
        cells = [c for row in rows for c in row.strip().strip("|").split("|")]
        lead_in = " ".join([context, *lines[max(0, i - 2) : i + 1]])
        if _TRAINING_LOG.search(line):
            continue
        if any(_NUMERIC_CELL.match(c) for c in cells) and _BENCHMARK.search(lead_in):
            header = [cell.strip() for cell in line.strip().strip("|").split("|")]
            shown = header[:_SHOWN_CELLS] + (["..."] if len(header) > _SHOWN_CELLS else [])
            tables.append(" | ".join(shown))
    return tables


def prose_claims(body: str) -> list[str]:
    text = _FENCE.sub("", body)
    # A claim lies within one line and holds a number: other lines cannot match, and
    # skipping them spares the pattern's slow scan of most of the card.
    prose = "\n".join(line for line in text.splitlines() if "|" not in line and _DIGIT.search(line))
    return [" ".join(m.group(0).split()) for m in _CLAIM.finditer(prose)]


def auto_generated(card: Card, hub_tags: list[str]) -> bool:
    """A card the Trainer wrote: its results are the training script's own evaluation."""
    tags = card.metadata.get("tags")
    card_tags = [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []
    return (
        _TRAINER_TAG in hub_tags or _TRAINER_TAG in card_tags or _TRAINER_LINE in card.body.lower()
    )


def score_claims(
    card: Card,
    hub_model_index: Any,  # noqa: ANN401 - raw JSON
    hub_tags: list[str] | None = None,
) -> Measured:
    values, datasets = model_index_values(card.metadata.get("model-index") or hub_model_index)
    tables = benchmark_tables(card.body)
    claims = prose_claims(card.body)
    generated = auto_generated(card, hub_tags or [])
    evidence = []
    if values:
        evidence.append(f"model-index: {values} metric values on {len(datasets)} dataset(s)")
    if tables:
        evidence.append(f"{len(tables)} benchmark table(s), e.g. | {tables[0]} |")
    if claims:
        evidence.append(f"{len(claims)} prose claim(s), e.g. {claims[0]!r}")
    if generated and (values or claims):
        evidence.append("card generated by the Trainer: results on its own evaluation split")
    if values and not generated:
        score, kind = min(1.0, 0.7 + 0.1 * values), "structured model-index results"
    elif tables:
        score, kind = min(0.8, 0.7 + 0.05 * (len(tables) - 1)), "benchmark tables in the card"
    elif generated and (values or claims):
        score, kind = AUTO_GENERATED, "an auto-generated evaluation on its own split"
    elif claims:
        score, kind = min(0.4, 0.25 + 0.05 * len(claims)), "only prose claims"
    else:
        evidence = ["no model-index results", "no benchmark tables or metric values in the card"]
        return Measured(0.0, evidence, "The card makes no measurable performance claim.")
    evidence.append(f"best evidence: {kind}")
    return Measured(clamp(score), evidence, f"Performance is backed by {kind}.")


async def compute(ctx: ScoringContext) -> Measured:
    card = await ctx.card()
    info = await ctx.info()
    hub_index = getattr(info, "model_index", None)
    if (
        await ctx.files_gated()
        and not model_index_values(card.metadata.get("model-index") or hub_index)[0]
    ):
        return not_applicable(
            GATED_REASON,
            "The card cannot be read and the hub lists no model-index results, so the "
            "model's claims are unknown.",
        )
    tags = list(info.tags or [])
    return await ctx.cpu(score_claims, card, hub_index, tags, size=card.size)


METRIC = Metric("performance_claims", compute)
