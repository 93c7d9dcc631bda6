"""The metrics read from a model's card and hub listing: ramp_up_time, performance_claims,
reproducibility, size_score and license, on the fake hub and as pure functions."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import pytest

from app.rating.cards import CodeBlock, parse_card
from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics import (
    dataset_and_code_score,
    performance_claims,
    ramp_up_time,
    reproducibility,
    size_score,
)
from app.rating.metrics import license as license_metric
from app.rating.metrics.base import Metric
from app.rating.metrics.performance_claims import benchmark_tables, prose_claims, score_claims
from app.rating.metrics.ramp_up_time import outline, score_card
from app.rating.metrics.reproducibility import score_snippets
from app.rating.metrics.size_score import (
    DEVICES,
    device_score,
    from_parameters,
    score_size,
    weight_files,
)
from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.support.scoring import scoring_context

BERT = "google-bert/bert-base-uncased"  # excellent card, apache-2.0, 110M F32
WHISPER = "openai/whisper-tiny"  # model-index WER results, doctest usage code
RESNET = "microsoft/resnet-50"  # good card with model-index ...
TRAINED = "crangana/trained-gender"  # ... -> Trainer card with placeholders ...
ONNX = "onnx-community/trained-gender-ONNX"  # ... -> minimal card, ONNX files only
BARE = "parvk11/audience_classifier_model"  # no licence, near-empty card
MISTRAL = "mistralai/Mistral-7B-v0.1"  # 7.24B BF16, gated
LLAMA = "meta-llama/Llama-3.2-1B"  # gated, llama3.2 licence, benchmark tables
DISTILBERT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # model-index
DEMO = "someuser/sentiment-demo"  # cc-by-nc-4.0, snippet imports a module that does not exist


async def _measure(hub: FakeHub, metric: Metric, model: str) -> Measured:
    async with scoring_context(hub, model) as ctx:
        return await metric.compute(ctx)


def _with_token(hub: FakeHub, model: str) -> AbstractAsyncContextManager[ScoringContext]:
    """A context whose Hugging Face requests carry a token, which unlocks gated files."""
    return scoring_context(hub, model, hf_token="hf_test")


def _text(measured: Measured) -> str:
    return "\n".join(measured.evidence)


def _well_formed(measured: Measured) -> None:
    assert 2 <= len(measured.evidence) <= 6
    assert 0.0 <= measured.score <= 1.0
    assert measured.explanation.endswith(".")


def _card(body: str, front_matter: str = "") -> str:
    return f"---\n{front_matter}\n---\n{body}" if front_matter else body


# -- ramp_up_time ----------------------------------------------------------------------------


async def test_ramp_up_high_for_an_excellent_card(hub: FakeHub) -> None:
    got = await _measure(hub, ramp_up_time.METRIC, BERT)
    _well_formed(got)
    assert got.score >= 0.9
    assert "5 of 6 sections: usage, intended uses, limitations, training, evaluation" in _text(got)
    assert "missing installation" in _text(got)
    assert "code: a usage example" in _text(got)
    assert "pipeline_tag fill-mask, library_name transformers" in _text(got)


async def test_ramp_up_falls_along_the_lineage_chain(hub: FakeHub) -> None:
    resnet, trained, onnx = [
        await _measure(hub, ramp_up_time.METRIC, m) for m in (RESNET, TRAINED, ONNX)
    ]
    assert resnet.score >= 0.7
    assert 0.25 <= trained.score <= 0.45
    assert 0.1 <= onnx.score <= 0.25
    # The Trainer card's "More information needed" sections do not count.
    assert "2 of 6 sections: training, evaluation" in _text(trained)
    assert "intended uses, limitations" in _text(trained)
    assert "code: no code" in _text(trained)
    assert "0 of 6 sections" in _text(onnx)


async def test_ramp_up_zero_for_an_unfilled_template_card(hub: FakeHub) -> None:
    """parvk11/audience_classifier_model's card is the hub's default template with every field
    "[More Information Needed]": its stock sentences say nothing about the model."""
    got = await _measure(hub, ramp_up_time.METRIC, BARE)
    _well_formed(got)
    assert got.score == 0.0
    assert "words of prose (under 20: empty)" in _text(got)


def test_ramp_up_template_sentences_and_empty_fields_are_placeholders() -> None:
    template = (
        "This is the model card of a 🤗 transformers model that has been pushed on the Hub. "
        "This model card has been automatically generated.\n\n"
        "- **Developed by:** [More Information Needed]\n"
        "- **Developed by:** Ann Example, who trained it on reviews\n"
    )
    shape = outline(template)
    assert shape.prose_words == 10  # the filled field only: "- **Developed by:** Ann ... reviews"


def test_ramp_up_pure_function() -> None:
    assert score_card(parse_card(""), "fill-mask", "transformers").score == 0.0
    prose = "This model classifies short English reviews as positive or negative. " * 10
    bare = score_card(parse_card(prose), None, None)
    usage = "## Usage\n\n```python\nfrom transformers import pipeline\npipe = pipeline('x')\n```\n"
    better = score_card(parse_card(prose + "\n" + usage), "text-classification", "transformers")
    assert 0.0 < bare.score < better.score
    assert "pipeline_tag missing, library_name missing" in _text(bare)
    assert "1 of 6 sections: usage" in _text(better)
    # Determinism: same card, same answer, evidence and all.
    assert score_card(parse_card(prose + usage), "a", "b") == score_card(
        parse_card(prose + usage), "a", "b"
    )


# -- performance_claims ----------------------------------------------------------------------


async def test_performance_high_with_structured_results(hub: FakeHub) -> None:
    whisper = await _measure(hub, performance_claims.METRIC, WHISPER)
    distilbert = await _measure(hub, performance_claims.METRIC, DISTILBERT)
    _well_formed(whisper)
    assert whisper.score == 1.0
    assert "model-index: 3 metric values on 3 dataset(s)" in _text(whisper)
    assert distilbert.score >= 0.8
    assert "structured model-index results" in _text(distilbert)


async def test_a_benchmark_table_ranks_above_an_auto_generated_evaluation(hub: FakeHub) -> None:
    """crangana/trained-gender is a Trainer card: one accuracy on its own evaluation split, in
    its model-index and its "It achieves the following results" line, beside a training log.
    It used to outrank bert-base-uncased's GLUE table (0.8 against 0.7)."""
    bert = await _measure(hub, performance_claims.METRIC, BERT)
    trained = await _measure(hub, performance_claims.METRIC, TRAINED)
    _well_formed(trained)
    assert bert.score >= trained.score
    assert (bert.score, trained.score) == (0.7, 0.5)
    assert "card generated by the Trainer" in _text(trained)
    assert "benchmark table" not in _text(trained)  # its "Training results" is a training log
    assert "auto-generated evaluation" in trained.explanation


async def test_performance_middling_with_tables_or_prose(hub: FakeHub) -> None:
    bert = await _measure(hub, performance_claims.METRIC, BERT)
    demo = await _measure(hub, performance_claims.METRIC, DEMO)
    async with _with_token(hub, LLAMA) as ctx:
        llama = await performance_claims.METRIC.compute(ctx)
    _well_formed(bert)
    assert bert.score == llama.score == 0.7
    assert "1 benchmark table(s), e.g. | Task | MNLI-(m/mm)" in _text(bert)
    assert "| Category | Benchmark | # Shots | Metric |" in _text(llama)
    assert demo.score == 0.3
    assert "1 prose claim(s), e.g. '88% accuracy'" in _text(demo)


@pytest.mark.parametrize("model", [BARE, ONNX])
async def test_performance_zero_without_claims(hub: FakeHub, model: str) -> None:
    got = await _measure(hub, performance_claims.METRIC, model)
    _well_formed(got)
    assert got.score == 0.0
    assert "no model-index results" in _text(got)


CARD_METRICS = [
    ramp_up_time.METRIC,
    performance_claims.METRIC,
    reproducibility.METRIC,
    dataset_and_code_score.METRIC,
]


@pytest.mark.parametrize("model", [LLAMA, MISTRAL])
async def test_what_needs_a_gated_card_does_not_apply_without_a_token(
    hub: FakeHub, model: str
) -> None:
    """The hub serves a gated model's metadata to anyone, its card's text only with a token:
    the metrics that read the text do not apply (they used to fail and score 0)."""
    for metric in CARD_METRICS:
        got = await _measure(hub, metric, model)
        assert (got.applicable, got.score, got.reason) == (False, 0.0, GATED_REASON), metric
    async with _with_token(hub, model) as ctx:
        opened = [await metric.compute(ctx) for metric in CARD_METRICS]
    assert all(m.applicable for m in opened)


def test_performance_of_a_gated_card_from_its_public_model_index() -> None:
    hub_index = [{"results": [{"dataset": {"name": "glue"}, "metrics": [{"value": 0.9}]}]}]
    gated = parse_card("")  # what a gated card reads as: no text
    assert score_claims(gated, hub_index).score == 0.8


def test_performance_pure_functions() -> None:
    bert = parse_card((DEFAULT_FIXTURES / f"hf/models/{BERT}/files/README.md").read_text())
    # The "Model variations" table has numbers (110M) but no benchmark: only GLUE counts.
    assert benchmark_tables(bert.body) == ["Task | MNLI-(m/mm) | QQP | QNLI | SST-2 | CoLA | ..."]
    assert prose_claims("It reaches an accuracy of 91.3 on the dev set.") == ["accuracy of 91.3"]
    assert prose_claims("Trained on 680k hours; outperforms Llama 2 13B on all benchmarks.") == []
    in_code = "```\n| Metric | Value |\n|---|---|\n| accuracy | 0.9 |\n```\nWER 7.5 in code only?"
    assert benchmark_tables(in_code) == []
    hub_index = [{"results": [{"dataset": {"name": "glue"}, "metrics": [{"value": 0.9}]}]}]
    got = score_claims(parse_card("A card."), hub_index)
    assert got.score == 0.8
    assert "model-index: 1 metric values on 1 dataset(s)" in _text(got)
    assert score_claims(parse_card("A card."), hub_index) == got


# -- reproducibility -------------------------------------------------------------------------


@pytest.mark.parametrize("model", [BERT, WHISPER, RESNET])
async def test_reproducibility_high_when_the_demo_runs(hub: FakeHub, model: str) -> None:
    got = await _measure(hub, reproducibility.METRIC, model)
    _well_formed(got)
    assert got.score == 1.0
    assert f"runs unchanged: loads {model} with" in _text(got)


async def test_reproducibility_follows_a_variable_model_id(hub: FakeHub) -> None:
    async with _with_token(hub, LLAMA) as ctx:
        got = await reproducibility.METRIC.compute(ctx)
    assert got.score == 1.0
    assert f"loads {LLAMA} with pipeline() and runs it" in _text(got)


async def test_reproducibility_middling_for_a_broken_snippet(hub: FakeHub) -> None:
    got = await _measure(hub, reproducibility.METRIC, DEMO)
    _well_formed(got)
    assert got.score == 0.5
    assert "snippet 1: imports sentiment_demo, not an installable package" in _text(got)


@pytest.mark.parametrize("model", [TRAINED, ONNX, BARE])
async def test_reproducibility_zero_without_code(hub: FakeHub, model: str) -> None:
    got = await _measure(hub, reproducibility.METRIC, model)
    _well_formed(got)
    assert got.score == 0.0
    assert "no demo code to run" in _text(got)


_LOAD = "from transformers import pipeline\npipe = pipeline('fill-mask', model={model!r})\n"


@pytest.mark.parametrize(
    ("code", "score", "fact"),
    [
        (_LOAD.format(model=BERT) + "pipe('Hi [MASK].')", 1.0, "runs unchanged"),
        (_LOAD.format(model="bert-base-uncased") + "pipe('x')", 1.0, "runs unchanged"),
        (_LOAD.format(model=BERT) + "pipe('x'", 0.5, "syntax error on line 3"),
        (_LOAD.format(model=BERT), 0.5, "loads the model but never runs it"),
        (_LOAD.format(model="path/to/model") + "pipe('x')", 0.5, "placeholder 'path/to/model'"),
        (_LOAD.format(model="other/model") + "pipe('x')", 0.5, "different model: 'other/model'"),
        ("import torch\nprint(torch.ones(2))", 0.5, f"never loads {BERT}"),
        (
            _LOAD.format(model=BERT) + "tok = AutoTokenizer.from_pretrained('org/base')\npipe('x')",
            0.5,
            "uses AutoTokenizer without defining or importing it",
        ),
        (
            "from transformers import AutoTokenizer\n"
            + _LOAD.format(model=BERT)
            + "tok = AutoTokenizer.from_pretrained('org/base')\npipe('x')",
            1.0,
            "runs unchanged",  # a base model's tokenizer next to this model is fine
        ),
        (
            "from transformers import pipeline\npipeline('fill-mask')('x')",
            0.5,
            'different model: "the task\'s default model"',
        ),
    ],
)
def test_reproducibility_static_checks(code: str, score: float, fact: str) -> None:
    got = score_snippets([CodeBlock("python", code)], BERT)
    assert got.score == score
    assert fact in _text(got)
    assert score_snippets([CodeBlock("python", code)], BERT) == got  # deterministic


def test_reproducibility_reads_doctests_and_skips_non_python() -> None:
    doctest = ">>> from transformers import pipeline\n>>> p = pipeline('x', model='org/m')\n"
    doctest += ">>> p('a')\n[{'score': 0.9}]\n"
    assert score_snippets([CodeBlock("python", doctest)], "org/m").score == 1.0
    shell = [CodeBlock("bash", "pip install transformers"), CodeBlock("", "[CLS] a [SEP]")]
    assert score_snippets(shell, "org/m").score == 0.0


# -- size_score ------------------------------------------------------------------------------


async def test_size_matches_the_course_sample_for_bert(hub: FakeHub) -> None:
    """The course's sample output rates bert-base-uncased (440 MB of F32 weights) at
    raspberry_pi 0.20, jetson_nano 0.40, desktop_pc 0.95, aws_server 1.00 (it used to score 1
    everywhere: a Pi's budget was 1 GB)."""
    got = await _measure(hub, size_score.METRIC, BERT)
    _well_formed(got)
    shown = {device: round(value, 2) for device, value in got.breakdown.items()}
    assert shown == {"raspberry_pi": 0.2, "jetson_nano": 0.4, "desktop_pc": 0.95, "aws_server": 1.0}
    assert "safetensors: 110M F32 params = 440 MB" in _text(got)
    assert "raspberry_pi 0.20 (0.5 at 110 MB)" in _text(got)


def test_size_tells_small_models_apart() -> None:
    """A few MB, tens of MB and hundreds of MB each get their own Pi score (all used to be 1)."""
    pi = DEVICES["raspberry_pi"]
    sizes = [4 * 10**6, 23 * 10**6, 52 * 10**6, 94 * 10**6, 151 * 10**6]
    scores = [device_score(w, pi) for w in sizes]
    assert scores == sorted(scores, reverse=True)
    assert len({round(x, 2) for x in scores}) == len(scores)
    assert scores[0] >= 0.95  # swin2SR-lightweight, 4 MB
    assert scores[1] > 0.8  # vit-tiny, 23 MB
    assert all(x < 1 for x in scores)


async def test_size_middling_for_a_7b_model(hub: FakeHub) -> None:
    got = await _measure(hub, size_score.METRIC, MISTRAL)  # the listing is public when gated
    assert "safetensors: 7.24B BF16 params = 14.5 GB" in _text(got)
    assert got.breakdown["raspberry_pi"] < got.breakdown["jetson_nano"] < 0.05
    assert 0.3 < got.breakdown["desktop_pc"] < 0.4
    assert got.breakdown["aws_server"] > 0.9
    assert 0.3 < got.score < 0.4
    assert "best device: aws_server" in _text(got)
    llama = await _measure(hub, size_score.METRIC, LLAMA)  # 2.47 GB in BF16
    assert llama.breakdown["raspberry_pi"] < 0.05
    assert 0.1 < llama.breakdown["jetson_nano"] < 0.5
    assert 0.45 < llama.score < 0.5


async def test_size_from_weight_files_without_parameter_counts(hub: FakeHub) -> None:
    got = await _measure(hub, size_score.METRIC, ONNX)
    # Eight ONNX variants of one model: the full-precision one counts, not their sum.
    assert "onnx: onnx/model.onnx = 94.2 MB (7 other onnx file(s) not counted)" in _text(got)
    expected = score_size(weight_files([("onnx/model.onnx", 94_200_000)])).breakdown
    assert got.breakdown == pytest.approx(expected, abs=1e-3)


def test_size_pure_functions() -> None:
    seventy_b = from_parameters({"BF16": 70_000_000_000})
    assert seventy_b is not None
    assert seventy_b.bytes == 140 * 10**9
    got = score_size(seventy_b)
    assert got.breakdown["raspberry_pi"] < 0.001
    assert got.breakdown["desktop_pc"] < 0.1
    assert got.breakdown["aws_server"] > 0.5
    assert score_size(seventy_b) == got  # deterministic
    half = DEVICES["desktop_pc"]
    assert device_score(0, half) == 1.0
    assert device_score(half, half) == 0.5
    assert device_score(4 * half, half) == 0.2
    sizes = [device_score(half * f / 10, half) for f in range(1, 40)]
    assert sizes == sorted(sizes, reverse=True)  # monotone
    assert len(set(sizes)) == len(sizes)  # strictly
    nothing = score_size(None)
    assert nothing.score == 0.0
    assert "no weight files listed" in _text(nothing)


def test_size_counts_one_format_once() -> None:
    files: list[tuple[str, int | None]] = [
        ("model-00001-of-00002.safetensors", 5 * 10**9),
        ("model-00002-of-00002.safetensors", 2 * 10**9),
        ("pytorch_model.bin", 7 * 10**9),
        ("training_args.bin", 5000),
    ]
    shards = weight_files(files)
    assert shards is not None
    assert shards.bytes == 7 * 10**9
    assert shards.source == "safetensors: 2 files = 7 GB"  # the .bin copy is not added
    bins = weight_files([("pytorch_model.bin", 10**9), ("training_args.bin", 5000)])
    assert bins is not None
    assert bins.bytes == 10**9
    diffusers = weight_files(
        [("unet/diffusion_pytorch_model.safetensors", 3 * 10**9), ("vae/model.safetensors", 10**8)]
    )
    assert diffusers is not None
    assert diffusers.bytes == 31 * 10**8  # components add up
    assert weight_files([("README.md", 100)]) is None


# -- license ---------------------------------------------------------------------------------


async def test_license_compatible(hub: FakeHub) -> None:
    got = await _measure(hub, license_metric.METRIC, BERT)
    _well_formed(got)
    assert got.score == 1.0
    assert "card declares license apache-2.0 -> Apache-2.0" in _text(got)
    assert ": compatible (Apache-2.0 vs LGPL-2.1" in _text(got)


async def test_license_needs_review_for_llama_even_when_gated(hub: FakeHub) -> None:
    got = await _measure(hub, license_metric.METRIC, LLAMA)
    _well_formed(got)
    assert got.score == 0.5
    assert "needs_review" in _text(got)
    assert (
        "licence text: https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/LICENSE.txt"
        in _text(got)
    )


@pytest.mark.parametrize(
    ("model", "fact"),
    [
        (DEMO, "incompatible (CC-BY-NC-4.0 vs LGPL-2.1: non-commercial use only)"),
        (BARE, "no licence in the card metadata or tags"),
    ],
)
async def test_license_zero(hub: FakeHub, model: str, fact: str) -> None:
    got = await _measure(hub, license_metric.METRIC, model)
    _well_formed(got)
    assert got.score == 0.0
    assert fact in _text(got)
