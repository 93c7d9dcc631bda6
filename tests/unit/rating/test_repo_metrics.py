"""The metrics about a model's code repo and datasets: bus_factor, code_quality, reviewedness,
dataset_and_code_score and dataset_quality, on the fake hub and as pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.errors import UpstreamError
from app.rating.cards import CodeBlock, parse_card
from app.rating.entities import Measured
from app.rating.metrics import (
    bus_factor,
    code_quality,
    dataset_and_code_score,
    dataset_quality,
    reviewedness,
)
from app.rating.metrics.base import Metric
from app.rating.metrics.dataset_and_code_score import Links
from app.rating.metrics.dataset_quality import DatasetFacts
from app.rating.metrics.reviewedness import PullData
from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.support.scoring import scoring_context

BERT = "google-bert/bert-base-uncased"  # -> google-research/bert: archived, pushed directly
WHISPER = "openai/whisper-tiny"  # -> openai/whisper: CI, tests, reviewed PRs
DISTILBERT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # tooling link only
RESNET = "microsoft/resnet-50"  # no GitHub link, a cited paper, a gated dataset
BARE = "parvk11/audience_classifier_model"  # links nothing
GITHUB = DEFAULT_FIXTURES / "github"
HF_MODELS = DEFAULT_FIXTURES / "hf/models"


async def _measure(hub: FakeHub, metric: Metric, model: str) -> Measured:
    async with scoring_context(hub, model) as ctx:
        return await metric.compute(ctx)


def _text(measured: Measured) -> str:
    return "\n".join(measured.evidence)


def _fixture(path: Path) -> Any:  # noqa: ANN401 - fixture JSON
    return json.loads(path.read_text())


def _well_formed(measured: Measured) -> None:
    assert 1 <= len(measured.evidence) <= 6
    assert measured.explanation.endswith(".")


# -- bus_factor ------------------------------------------------------------------------------


async def test_bus_factor_high_for_a_spread_out_team(hub: FakeHub) -> None:
    got = await _measure(hub, bus_factor.METRIC, WHISPER)
    # 4 of 5 significant people, top share 112/258: 0.5 * 0.8 + 0.5 * (146/258) / 0.6
    assert got.score == pytest.approx(0.8716)
    assert "4 contributors at or above 5 %" in _text(got)
    assert "jongwook holds 43%" in _text(got)
    assert "bots left out: 1" in _text(got)  # dependabot knows nothing that could leave
    _well_formed(got)


async def test_bus_factor_middling_when_one_author_dominates(hub: FakeHub) -> None:
    got = await _measure(hub, bus_factor.METRIC, BERT)
    assert 0.4 <= got.score <= 0.6
    assert got.score == pytest.approx(0.5 * 3 / 5 + 0.5 * (1 - 58 / 80) / 0.6, abs=1e-4)
    assert "jacobdevlin-google holds 72%" in _text(got)


async def test_bus_factor_without_a_repo_reads_the_hub_history(hub: FakeHub) -> None:
    """No linked repo: the model repo's own commits on the hub, not authors cited in the card
    (which used to be capped at 0.3)."""
    for model in (BARE, RESNET, DISTILBERT):
        got = await _measure(hub, bus_factor.METRIC, model)
        history = _fixture(HF_MODELS / model / "commits.json")
        expected = bus_factor.score_hub_commits(model, history, "")
        assert got.applicable
        assert got.score == expected.score
        assert f"human contributors to the hub repo {model}" in _text(got)
        _well_formed(got)
        assert hub.count(f"/api/models/{model}/commits/{_sha(model)}") == 1
    bare = await _measure(hub, bus_factor.METRIC, BARE)
    assert bare.score == pytest.approx(0.1)  # one person made every commit
    assert "no GitHub repository linked" in _text(bare)
    resnet = await _measure(hub, bus_factor.METRIC, RESNET)
    assert resnet.score > 0.3  # several people maintain it: no cap
    assert "bots left out: 1" in _text(resnet)  # SFconvertbot converted the weights
    tooling = await _measure(hub, bus_factor.METRIC, DISTILBERT)
    assert "only general tooling on GitHub: huggingface/transformers" in _text(tooling)


def _sha(model: str) -> str:
    return str(_fixture(HF_MODELS / model / "info.json")["sha"])


def _hub_commit(*users: str) -> dict[str, Any]:
    return {"id": "c", "authors": [{"user": u, "avatar": ""} for u in users]}


def test_bus_factor_from_hub_commits_splits_credit_and_skips_bots() -> None:
    commits = [
        _hub_commit("ann", "SFconvertbot"),  # the bot takes no share: ann gets all of it
        _hub_commit("ann", "bob"),  # half each
        _hub_commit("bob"),
        _hub_commit("librarian-bot"),
        {"id": "d", "authors": [{"avatar": ""}]},  # no user: nobody to credit
    ]
    got = bus_factor.score_hub_commits("o/m", commits, "no GitHub repository linked")
    # 2 people of 5 significant; ann holds 1.5 of 3 commits: 0.5 * 2/5 + 0.5 * 0.5/0.6
    assert got.score == pytest.approx(0.5 * 2 / 5 + 0.5 * 0.5 / 0.6, abs=1e-4)
    assert "2 human contributors to the hub repo o/m with 3 commits, bots left out: 2" in _text(got)
    assert "top contributor ann holds 50% of commits" in _text(got)
    assert bus_factor.score_hub_commits("o/m", [], "").score == 0
    assert bus_factor.score_hub_commits("o/m", [_hub_commit("SFconvertbot")], "").score == 0
    team = [_hub_commit(f"p{i}") for i in range(6)]
    assert bus_factor.score_hub_commits("o/m", team, "").score == 1.0  # no 0.3 cap


async def test_bus_factor_lets_upstream_errors_through(hub: FakeHub) -> None:
    hub.inject_fault("/repos/openai/whisper/contributors", status=404)
    with pytest.raises(UpstreamError):
        await _measure(hub, bus_factor.METRIC, WHISPER)


def test_bus_factor_pure_edges() -> None:
    assert bus_factor.score_contributors("o/r", []).score == 0
    bots = [{"login": "dependabot[bot]", "type": "Bot", "contributions": 50}]
    assert bus_factor.score_contributors("o/r", bots).score == 0
    solo = _fixture(GITHUB / "someuser/nolicense-scripts/contributors.json")
    alone = bus_factor.score_contributors("someuser/nolicense-scripts", solo)
    assert alone.score == pytest.approx(0.1)  # one person: count 1/5, no spread
    assert "someuser holds 100%" in _text(alone)
    even = [{"login": f"p{i}", "contributions": 10} for i in range(6)]
    assert bus_factor.score_contributors("o/r", even).score == 1.0
    assert bus_factor.score_contributors("o/r", even) == bus_factor.score_contributors("o/r", even)


# -- code_quality ----------------------------------------------------------------------------


async def test_code_quality_high_for_a_maintained_repo(hub: FakeHub) -> None:
    got = await _measure(hub, code_quality.METRIC, WHISPER)
    assert got.score == 1.0
    text = _text(got)
    assert "tests/test_audio.py" in text
    assert "jfk.flac" not in text  # test data is not a test
    assert ".github/workflows/test.yml" in text
    assert ".flake8" in text
    assert "licence MIT" in text
    _well_formed(got)


async def test_code_quality_counts_an_archived_repo_once(hub: FakeHub) -> None:
    """google-research/bert is archived and was last pushed in 2020: one fact (nobody keeps
    it up), which used to cost both the "recent" and the "not archived" part."""
    got = await _measure(hub, code_quality.METRIC, BERT)
    # tests 0.25, README 0.10, licence 0.10, upkeep half of 0.20; no CI, no lint config
    assert got.score == pytest.approx(0.55)
    text = _text(got)
    assert "modeling_test.py" in text
    assert "no CI configuration" in text
    assert "repository is archived; last push 2020-03-11" in text
    assert text.count("archived") == 1
    assert "upkeep (archived)" in got.explanation


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (BARE, "no GitHub repository linked from the card"),
        (DISTILBERT, "card links only general tooling on GitHub: huggingface/transformers"),
    ],
)
async def test_code_quality_does_not_apply_without_a_repo(
    hub: FakeHub, model: str, reason: str
) -> None:
    got = await _measure(hub, code_quality.METRIC, model)
    assert (got.score, got.applicable, got.reason) == (0.0, False, reason)
    assert got.evidence == [reason]


async def test_code_quality_does_not_apply_to_a_dead_link(hub: FakeHub) -> None:
    hub.inject_fault("/repos/google-research/bert", status=404, times=100)
    got = await _measure(hub, code_quality.METRIC, BERT)
    assert not got.applicable
    assert got.reason == "linked GitHub repository google-research/bert is not reachable"


def test_code_quality_low_for_a_bare_script_repo() -> None:
    folder = GITHUB / "someuser/nolicense-scripts"
    repo, tree = _fixture(folder / "repo.json"), _fixture(folder / "tree.json")["tree"]
    reference = datetime(2024, 3, 12, tzinfo=UTC)
    got = code_quality.score_repo("someuser/nolicense-scripts", repo, tree, reference)
    assert got.score == pytest.approx(0.3)  # README, recent, not archived
    text = _text(got)
    assert "no tests found" in text
    assert "no CI configuration" in text
    assert "no licence detected" in text
    assert got == code_quality.score_repo("someuser/nolicense-scripts", repo, tree, reference)
    stale = code_quality.score_repo("x/y", repo, tree, datetime(2026, 1, 1, tzinfo=UTC))
    assert stale.score == pytest.approx(0.2)


def test_code_quality_pure_edges() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    archived = code_quality.score_repo("x/y", {"archived": True}, [], now)
    assert archived.score == pytest.approx(0.1)  # only the half of upkeep
    fresh = {"pushed_at": "2024-12-01T00:00:00Z"}
    assert code_quality.score_repo("x/y", fresh, [], now).score == pytest.approx(0.2)
    recently_archived = {**fresh, "archived": True}
    assert code_quality.score_repo("x/y", recently_archived, [], now).score == pytest.approx(0.1)
    tree = [{"path": "pyproject.toml", "type": "blob"}]
    licence = {"license": {"spdx_id": "NOASSERTION"}, "archived": True}
    got = code_quality.score_repo("x/y", licence, tree, now)
    assert got.score == pytest.approx(0.15 * 0.5 + 0.10 * 0.5 + 0.20 * 0.5)
    assert "lint config not verified" in _text(got)


# -- reviewedness ----------------------------------------------------------------------------


async def test_reviewedness_high_when_most_code_is_reviewed(hub: FakeHub) -> None:
    got = await _measure(hub, reviewedness.METRIC, WHISPER)
    assert got.applicable
    # 500 reviewed of 533 PR code lines + 7 direct commits at the median PR size, 23 lines
    assert got.score == pytest.approx(500 / (533 + 7 * 23), abs=1e-4)
    text = _text(got)
    assert "17 of 19 merged PRs reviewed" in text
    assert "7 commits pushed directly" in text
    _well_formed(got)
    assert hub.count("/repos/openai/whisper/pulls/1485/reviews") == 1


async def test_reviewedness_middling_with_direct_pushes(hub: FakeHub) -> None:
    got = await _measure(hub, reviewedness.METRIC, BERT)
    assert 0.35 <= got.score <= 0.55
    assert got.score == pytest.approx(107 / (107 + 5 * 25), abs=1e-4)
    assert "4 of 4 merged PRs reviewed" in _text(got)
    assert "5 commits pushed directly" in _text(got)


async def test_reviewedness_does_not_apply_without_a_repo(hub: FakeHub) -> None:
    for model in (BARE, DISTILBERT):
        got = await _measure(hub, reviewedness.METRIC, model)
        assert (got.score, got.applicable) == (-1.0, False)  # -1: the course's number
        assert got.reason.startswith(("no GitHub repository", "card links only general"))
    assert not [r for r in hub.requests if r.path.startswith("/repos/")]


def test_reviewedness_zero_for_a_repo_pushed_straight_to_main() -> None:
    commits = _fixture(GITHUB / "someuser/nolicense-scripts/commits.json")
    start = reviewedness.window_size(commits, [])
    got = reviewedness.score_history("someuser/nolicense-scripts", commits, [], start)
    assert got.score == 0
    assert "14 commits pushed directly" in _text(got)
    empty = reviewedness.score_history("x/y", [], [], 0)
    assert empty.score == 0
    assert "no merged pull requests or commits" in _text(empty)


def _commit(sha: str, parents: int = 1) -> dict[str, Any]:
    return {"sha": sha, "parents": [{"sha": f"p{i}"} for i in range(parents)]}


def _review(login: str, state: str, kind: str = "User") -> dict[str, Any]:
    return {"user": {"login": login, "type": kind}, "state": state}


def test_reviewedness_counts_code_reviewed_by_someone_else() -> None:
    code = [{"filename": "src/a.py", "additions": 30}, {"filename": "README.md", "additions": 99}]
    pulls = [
        PullData(3, "ann", "m3", [_review("bob", "APPROVED")], code),
        PullData(2, "ann", "m2", [_review("ann", "APPROVED")], code),  # self-approval
        PullData(1, "ann", "m1", [_review("ci[bot]", "APPROVED", "Bot")], code),
    ]
    commits = [_commit("m3"), _commit("d1"), _commit("merge", 2), _commit("m2"), _commit("m1")]
    got = reviewedness.score_history("o/r", commits, pulls, len(commits))
    assert got.score == pytest.approx(30 / (90 + 30))  # one direct commit at the median, 30
    assert got == reviewedness.score_history("o/r", commits, pulls, len(commits))
    assert reviewedness.is_reviewed("ann", [_review("bob", "CHANGES_REQUESTED")])
    assert not reviewedness.is_reviewed("ann", [_review("bob", "COMMENTED")])


def test_reviewedness_window_and_sample() -> None:
    commits = [_commit("a"), _commit("m1"), _commit("b"), _commit("m0"), _commit("old")]
    pulls = [{"merge_commit_sha": "m1"}, {"merge_commit_sha": "m0"}]
    assert reviewedness.window_size(commits, pulls) == 4
    assert reviewedness.window_size(commits, [{"merge_commit_sha": "gone"}]) == 5
    many = [
        {"number": n, "merged_at": f"2026-01-{n:02d}", "merge_commit_sha": f"s{n}"}
        for n in range(1, 31)
    ]
    sample = reviewedness.sample_merged([*many, {"number": 99, "merged_at": None}])
    assert [p["number"] for p in sample] == list(range(30, 10, -1))


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("whisper/model.py", True),
        (".github/workflows/test.yml", True),
        ("requirements-dev.txt", True),
        ("Dockerfile", True),
        ("README.md", False),
        ("notebooks/LibriSpeech.ipynb", False),
        ("whisper/assets/gpt2.tiktoken", False),
        ("model.safetensors", False),
        ("data/train.json", False),
        ("LICENSE", False),
    ],
)
def test_code_files(path: str, code: bool) -> None:
    assert reviewedness.is_code_file(path) is code


# -- dataset_and_code_score ------------------------------------------------------------------


async def test_dataset_and_code_high_when_all_links_resolve(hub: FakeHub) -> None:
    got = await _measure(hub, dataset_and_code_score.METRIC, BERT)
    assert got.score == 1.0
    assert "2 of 2 named datasets exist" in _text(got)
    assert "google-research/bert reachable" in _text(got)
    _well_formed(got)


async def test_dataset_and_code_middling_with_broken_links(hub: FakeHub) -> None:
    got = await _measure(hub, dataset_and_code_score.METRIC, DISTILBERT)
    assert got.score == pytest.approx(0.2 + 0.3 / 2 + 0.2)  # half the datasets, example code
    assert "not reachable: nyu-mll/glue" in _text(got)
    assert "only general tooling" in _text(got)
    whisper = await _measure(hub, dataset_and_code_score.METRIC, WHISPER)
    assert whisper.score == pytest.approx(0.85)


async def test_dataset_and_code_zero_when_nothing_is_named(hub: FakeHub) -> None:
    got = await _measure(hub, dataset_and_code_score.METRIC, BARE)
    assert got.score == 0
    assert "no training dataset named" in _text(got)
    assert "no GitHub code repository linked" in _text(got)
    assert "no example code" in _text(got)


def test_dataset_and_code_pure() -> None:
    blocks = [
        CodeBlock("bibtex", "@misc{x}"),
        CodeBlock("", "pip install x\n"),
        CodeBlock("", "{'label': 'POSITIVE'}"),
    ]
    links = Links(["imagenet-1k", "a/b"], ["ILSVRC/imagenet-1k"], "o/r", None, ["o/r"], blocks)
    got = dataset_and_code_score.score_links(links)
    assert got.score == pytest.approx(0.2 + 0.15 + 0.1 + 0.2)
    assert "1 of 2 named datasets exist on the hub; not reachable: a/b" in _text(got)
    assert "1 example code blocks" in _text(got)
    assert got == dataset_and_code_score.score_links(links)
    assert dataset_and_code_score.score_links(Links([], [], None, None, [], [])).score == 0


# -- dataset_quality -------------------------------------------------------------------------


async def test_dataset_quality_high_for_a_documented_licensed_dataset(hub: FakeHub) -> None:
    got = await _measure(hub, dataset_quality.METRIC, WHISPER)
    assert got.score >= 0.8
    assert "openslr/librispeech_asr" in _text(got)
    assert "licence cc-by-4.0" in _text(got)
    assert "not on the hub: mozilla-foundation/common_voice_11_0" in _text(got)
    _well_formed(got)


async def test_dataset_quality_middling_for_an_unlicensed_thin_card(hub: FakeHub) -> None:
    got = await _measure(hub, dataset_quality.METRIC, DISTILBERT)
    assert 0.4 <= got.score <= 0.65
    assert "stanfordnlp/sst2" in _text(got)
    assert "licence unknown" in _text(got)
    bert = await _measure(hub, dataset_quality.METRIC, BERT)
    assert 0.65 <= bert.score <= 0.85  # a thin bookcorpus card beside a good wikipedia one
    assert "bookcorpus/bookcorpus" in _text(bert)
    assert "wikimedia/wikipedia" in _text(bert)


async def test_dataset_quality_does_not_apply_without_a_dataset(hub: FakeHub) -> None:
    bare = await _measure(hub, dataset_quality.METRIC, BARE)
    assert (bare.score, bare.applicable) == (0.0, False)
    assert bare.reason == "no training dataset named in the card or tags"
    hub.inject_fault("/api/datasets/", status=404, times=100)
    gone = await _measure(hub, dataset_quality.METRIC, BERT)
    assert not gone.applicable  # dataset_and_code_score counts the dead links
    assert gone.reason.startswith("none of the named datasets is on the hub: ")


async def test_dataset_quality_judges_a_gated_dataset_by_its_public_metadata(
    hub: FakeHub,
) -> None:
    """ILSVRC/imagenet-1k's card needs a token; its metadata does not (it used to score as an
    empty card: 0/11 complete)."""
    gated = await _measure(hub, dataset_quality.METRIC, RESNET)
    info = _fixture(DEFAULT_FIXTURES / "hf/datasets/ILSVRC/imagenet-1k/info.json")
    facts = DatasetFacts(
        "ILSVRC/imagenet-1k",
        info["cardData"],
        "",
        info["tags"],
        info["downloads"],
        info["likes"],
        card_readable=False,
    )
    quality, note = dataset_quality.score_dataset(facts)
    assert gated.applicable
    assert gated.score == round(quality, 4)
    assert note in _text(gated)
    # pretty_name, task_categories, size_categories, language of the 5 metadata checks
    assert "metadata (gated card not read) 4/5 complete" in note
    assert "custom licence (other)" in note
    assert gated.score > 0.5


def _facts(name: str) -> DatasetFacts:
    folder = DEFAULT_FIXTURES / "hf/datasets" / name
    info = _fixture(folder / "info.json")
    card = parse_card((folder / "files/README.md").read_text())
    return DatasetFacts(name, card.metadata, card.body, info["tags"], info["downloads"], 0)


def test_dataset_quality_pure() -> None:
    squad = _facts("rajpurkar/squad")
    assert dataset_quality.covered_topics(squad.body) == tuple(dataset_quality.TOPICS)
    thin = _facts("bookcorpus/bookcorpus").body  # its provenance is "[More Information Needed]"
    assert "provenance" not in dataset_quality.covered_topics(thin)
    assert dataset_quality.score_datasets(["a/b"], [squad]) == dataset_quality.score_datasets(
        ["a/b"], [squad]
    )
    assert dataset_quality.score_datasets([], []).score == 0
    empty = DatasetFacts("x/y", {}, "", [], 0, 0)
    assert dataset_quality.score_datasets(["x/y"], [empty]).score == 0
    assert dataset_quality.licence_value({"license": ["other"]}, []) == (
        0.5,
        "custom licence (other)",
    )
    assert dataset_quality.licence_value({}, ["license:unknown"])[0] == 0
    assert dataset_quality.popularity(10**6, 10**3) == 1.0
    assert dataset_quality.popularity(0, 0) == 0
    code_heading = "## Summary\n\n```python\n# Citation\nprint(1)\n```\n"
    assert list(dataset_quality.sections(code_heading)) == ["summary"]
