"""Client regexes: what RE2 refuses is a validation error, what it accepts runs in linear
time; plus the filter and cursor rules a search applies around them."""

from __future__ import annotations

import pytest

from app.errors import ValidationError
from app.kinds import ArtifactType
from app.search.entities import ArtifactFilter, decode_cursor, encode_cursor
from app.search.errors import InvalidCursorError, InvalidPatternError
from app.search.index import IndexEntry, SearchIndex, position_after
from app.search.patterns import MAX_PATTERN_LENGTH, SearchPattern


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[", "missing ]"),
        ("(", "missing )"),
        ("a{2,1}", "invalid repetition size"),
        ("\\", "trailing \\"),
        ("(?P<x>a)(?P=x)", "invalid perl operator"),  # backreference
        ("a(?=b)", "invalid perl operator"),  # look-ahead
        ("(a{1,99999}){1,99999}$", "invalid repetition size"),  # RE2 caps counts at 1000
        ("[\\p{L}\\p{N}]{1000}", "pattern too large"),  # over RE2's program memory budget
    ],
)
def test_patterns_re2_refuses_are_validation_errors(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidPatternError) as caught:
        SearchPattern(pattern)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.field == "regex"
    assert reason in caught.value.message


def test_a_pattern_longer_than_the_limit_is_refused_before_compiling() -> None:
    SearchPattern("a" * MAX_PATTERN_LENGTH)
    with pytest.raises(InvalidPatternError, match="limit is 500"):
        SearchPattern("a" * (MAX_PATTERN_LENGTH + 1))


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("bert", "distilbert-base", True),  # unanchored, like re.search
        ("^bert", "distilbert-base", False),
        ("BERT", "bert", False),  # case-sensitive by default
        ("(?i)BERT", "bert", True),
        ("^fine-tuned$", "intro\nfine-tuned\nmore", False),  # ^ $: ends of the whole text
        ("(?m)^fine-tuned$", "intro\nfine-tuned\nmore", True),
        ("résumé", "un résumé", True),  # UTF-8 on both sides
        ("^.$", "é", True),  # . is one character, not one byte
        ("", "anything", True),
    ],
)
def test_matching_semantics(pattern: str, text: str, found: bool) -> None:
    compiled = SearchPattern(pattern)
    assert compiled.search(text) is found
    assert compiled.search(text.encode()) is found


@pytest.mark.parametrize(
    ("pattern", "on_as", "on_xs"),
    [
        ("(a+)+$", False, False),
        ("(a|aa)*$", True, True),
        ("(a|a?)+b", False, False),
        ("(.*a){20}", True, False),
    ],
)
def test_catastrophic_patterns_answer_correctly(pattern: str, on_as: bool, on_xs: bool) -> None:
    # Backtracking engines need ~2**n steps on these inputs; the time bound itself is checked
    # over 10 000 artifacts in tests/integration/test_search.py. ((a|aa)*$ matches the empty
    # string at the end of any text.)
    compiled = SearchPattern(pattern)
    assert compiled.search(b"a" * 5000 + b"!") is on_as
    assert compiled.search(b"x" * 5000) is on_xs


def entry(
    ordinal: int,
    name: str,
    readme: str = "",
    *,
    type_: ArtifactType = ArtifactType.MODEL,
    net_score: float | None = None,
) -> IndexEntry:
    return IndexEntry.of(
        ordinal=ordinal,
        artifact_id=str(ordinal),
        type_=type_,
        net_score=net_score,
        name=name,
        readme=readme,
    )


def test_a_regex_matches_the_name_or_the_readme_and_every_other_condition() -> None:
    index = SearchIndex(
        (
            entry(1, "bert-base", "# BERT"),
            entry(2, "gpt2", "a distilled bert"),
            entry(3, "bert-squad", "", type_=ArtifactType.DATASET),
            entry(4, "bert-tiny", "", net_score=0.9),
            entry(5, "bert-small", "", net_score=0.2),
        )
    )
    pattern = SearchPattern("bert")
    ids = [e.id for e in index.matching(ArtifactFilter(), pattern)]
    assert ids == ["1", "2", "3", "4", "5"]
    models = ArtifactFilter(types=frozenset({ArtifactType.MODEL}))
    assert [e.id for e in index.matching(models, pattern)] == ["1", "2", "4", "5"]
    scored = ArtifactFilter(min_net_score=0.5)  # unrated artifacts never pass a score filter
    assert [e.id for e in index.matching(scored, pattern)] == ["4"]
    named = ArtifactFilter(name="gpt2")
    assert [e.id for e in index.matching(named, pattern)] == ["2"]
    assert position_after(index.matching(ArtifactFilter(), pattern), 2) == 2


@pytest.mark.parametrize("ordinal", [0, 1, 42, 10**17])
def test_cursors_round_trip(ordinal: int) -> None:
    assert decode_cursor(encode_cursor(ordinal)) == ordinal


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage!", "YXJ0aWZhY3Q6", "MTI=", "YXJ0aWZhY3Q6LTE", "YXJ0aWZhY3Q677yR", "é"],
)
def test_cursors_the_registry_did_not_issue_are_validation_errors(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
