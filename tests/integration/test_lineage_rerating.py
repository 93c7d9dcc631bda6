"""Tree scores follow the lineage (DESIGN §5): registering a parent re-rates its registered
descendants, keeping the old values with the reason, so the order in which a lineage is
ingested does not change any model's final rating."""

from __future__ import annotations

import itertools
from typing import Any

from app.settings import Settings
from tests.support.registry import running_registry

RESNET = "https://huggingface.co/microsoft/resnet-50"
GENDER = "https://huggingface.co/crangana/trained-gender"  # fine-tuned from resnet-50
ONNX = "https://huggingface.co/onnx-community/trained-gender-ONNX"  # converted from it
CHAIN = (RESNET, GENDER, ONNX)

RATINGS = """
query { artifacts(first: 10) { edges { node {
  sourceKey gatePassed
  rating { netScore metrics { name score applicable } gate { passed failures { metric } } }
  ratingHistory {
    reason note netScore treeScore gatePassed at scorerVersion moved { metric before after }
  }
} } } }
"""


async def ingest_in_order(settings: Settings, order: tuple[str, ...]) -> dict[str, Any]:
    database = settings.mongo_database + "_" + "".join(str(CHAIN.index(u)) for u in order)
    # the gate on, auditing: its decisions are re-made too, and must not depend on order
    gated = settings.model_copy(update={"mongo_database": database, "gate_enabled": True})
    async with running_registry(gated) as registry:
        for url in order:
            answer = await registry.client.post("/artifact/model", json={"url": url})
            assert answer.status_code == 201, answer.text
        edges = (await registry.gql(RATINGS))["artifacts"]["edges"]
    return {e["node"]["sourceKey"]: e["node"] for e in edges}


def verdict(node: dict[str, Any]) -> dict[str, Any]:
    """What a rating says, without the timings and artifact ids that differ between runs."""
    rating = node["rating"]
    return {
        "net": rating["netScore"],
        "metrics": rating["metrics"],
        "gate": rating["gate"],
        "gate_passed": node["gatePassed"],
    }


async def test_ingest_order_does_not_change_the_ratings(settings: Settings) -> None:
    orders = [CHAIN, tuple(reversed(CHAIN)), (GENDER, ONNX, RESNET)]
    runs = [await ingest_in_order(settings, order) for order in orders]
    expected = {key: verdict(node) for key, node in runs[0].items()}
    for run in runs[1:]:
        assert {key: verdict(node) for key, node in run.items()} == expected
    onnx = expected["hf:model:onnx-community/trained-gender-ONNX"]
    tree = next(m for m in onnx["metrics"] if m["name"] == "tree_score")
    gender = expected["hf:model:crangana/trained-gender"]
    assert tree == {"name": "tree_score", "score": round(gender["net"], 4), "applicable": True}


async def test_every_rating_is_kept_with_why_it_was_made(settings: Settings) -> None:
    children_first = await ingest_in_order(settings, tuple(reversed(CHAIN)))
    onnx = children_first["hf:model:onnx-community/trained-gender-ONNX"]
    gender = children_first["hf:model:crangana/trained-gender"]
    resnet = children_first["hf:model:microsoft/resnet-50"]
    assert [r["reason"] for r in resnet["ratingHistory"]] == ["INGEST"]  # no parent
    ingested, rerated = gender["ratingHistory"]
    assert (ingested["reason"], rerated["reason"]) == ("INGEST", "PARENT_RERATED")
    assert rerated["note"].startswith("parent microsoft/resnet-50 (artifact ")
    assert ingested["treeScore"] is None  # it did not apply before its parent came
    assert rerated["treeScore"] == round(resnet["rating"]["netScore"], 4)
    assert rerated["netScore"] == gender["rating"]["netScore"]  # the last is the current one
    assert rerated["moved"] == [
        {"metric": "tree_score", "before": None, "after": rerated["treeScore"]}
    ]
    # trained-gender-ONNX: once when trained-gender came, once when resnet-50 re-rated it
    _, first, second = onnx["ratingHistory"]
    assert first["note"].startswith("parent crangana/trained-gender")
    assert second["note"].startswith("parent crangana/trained-gender")
    assert first["treeScore"] is not None
    assert first["at"] <= second["at"]
    assert all(r["scorerVersion"] for r in onnx["ratingHistory"])
    in_order = await ingest_in_order(settings, CHAIN)
    assert all(len(node["ratingHistory"]) == 1 for node in in_order.values())


def test_orders_cover_parent_first_and_child_first() -> None:
    """The orders above include every relative order of each parent-child pair."""
    orders = [CHAIN, tuple(reversed(CHAIN)), (GENDER, ONNX, RESNET)]
    for parent, child in itertools.pairwise(CHAIN):
        assert {o.index(parent) < o.index(child) for o in orders} == {True, False}
