"""A linked dataset's card at a commit is read and parsed once per process, however many
models name it; a new commit of the dataset is read again."""

from __future__ import annotations

import json

from app.rating.context import LinkedCards, RegisteredParent
from app.rating.metrics.registry import ALL_METRICS
from app.rating.service import RatingService
from app.upstream.clients import Upstream, UpstreamConfig
from app.upstream.http import RetryPolicy, open_upstream_http
from tests.fakehub import FakeHub

BERT = "google-bert/bert-base-uncased"
WIKIPEDIA = "/datasets/wikimedia/wikipedia/resolve/"


async def _no_parents(repo_ids: list[str]) -> list[RegisteredParent]:
    return [RegisteredParent(r, None, None) for r in repo_ids]


def _card_reads(hub: FakeHub) -> int:
    return sum(1 for r in hub.requests if r.path.startswith(WIKIPEDIA))


async def test_a_linked_dataset_card_is_parsed_once_for_many_models(hub: FakeHub) -> None:
    service = RatingService(ALL_METRICS, metric_timeout=10)
    async with open_upstream_http(RetryPolicy(2, 1.0), timeout_seconds=10) as http:
        # No shared HTTP cache: what is saved here is the card, not the request for it.
        upstream = Upstream(http, UpstreamConfig(hub.url, None, hub.url, None))
        ratings = []
        for _ in range(3):
            async with upstream.session(subject=("model", BERT)) as view:
                ratings.append((await service.score(BERT, view, _no_parents)).rating)
    assert _card_reads(hub) == 1
    assert hub.count("/api/datasets/wikimedia/wikipedia") == 3  # its metadata is read each time
    scored = [r.metric("dataset_quality") for r in ratings]
    assert len({json.dumps([m.score, m.evidence]) for m in scored if m is not None}) == 1


def test_cards_are_keyed_by_commit_and_bounded() -> None:
    cards = LinkedCards(max_entries=2)
    first, second = object(), object()
    cards.put("Org/Data", "a" * 40, first)  # type: ignore[arg-type]  # identity is all we check
    cards.put("org/data", "b" * 40, second)  # type: ignore[arg-type]
    assert cards.get("org/DATA", "a" * 40) is first
    assert cards.get("org/data", "c" * 40) is None  # another commit is another card
    cards.put("org/other", "a" * 40, object())  # type: ignore[arg-type]
    assert cards.get("org/data", "b" * 40) is None  # least recently used: evicted
    assert cards.get("org/data", "a" * 40) is first
