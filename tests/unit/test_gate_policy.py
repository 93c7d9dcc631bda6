"""The gate's policy (DESIGN §5) and the settings that configure it and its modes."""

from __future__ import annotations

import pytest

from app.rating.entities import MetricScore
from app.rating.gate import EntryPoint, GateMode, GatePolicy
from app.settings import Settings


def _score(
    name: str, value: float, *, applicable: bool = True, breakdown: dict[str, float] | None = None
) -> MetricScore:
    return MetricScore(name, value, 0.01, (), "", applicable, breakdown or {})


def _failing(policy: GatePolicy, scores: list[MetricScore], net: float) -> list[str]:
    return [f.metric for f in policy.evaluate(scores, net_score=net).failures]


def test_the_default_policy_is_the_licence_and_the_net_score() -> None:
    policy = GatePolicy()
    weak_but_sound = [_score("license", 1.0), _score("bus_factor", 0.1), _score("code_quality", 0)]
    assert _failing(policy, weak_but_sound, 0.55) == []
    assert _failing(policy, weak_but_sound, 0.49) == ["net_score"]
    needs_review = [_score("license", 0.5), _score("bus_factor", 0.9)]
    assert _failing(policy, needs_review, 0.9) == ["license"]
    decision = policy.evaluate([_score("license", 0.0)], net_score=0.2)
    assert [(f.metric, f.score, f.required, f.gap) for f in decision.failures] == [
        ("license", 0.0, 1.0, 1.0),
        ("net_score", 0.2, 0.5, 0.3),
    ]
    assert decision.threshold == 0.5


def test_the_net_score_defaults_to_the_weighted_mean_of_the_metrics() -> None:
    scores = [_score("license", 1.0), _score("ramp_up_time", 0.0)]  # net 0.15 / 0.25 = 0.6
    assert GatePolicy().evaluate(scores).passed
    [failure] = GatePolicy(threshold=0.61).evaluate(scores).failures
    assert (failure.metric, failure.score) == ("net_score", 0.6)


def test_every_metric_is_one_requirement_and_named_ones_win() -> None:
    seed_000 = GatePolicy(requirements={"*": 0.5})
    scores = [
        _score("license", 0.5),
        _score("ramp_up_time", 0.4),
        _score("reviewedness", -1, applicable=False),
        _score("tree_score", 0.0, applicable=False),
        _score("size_score", 0.2, breakdown={"raspberry_pi": 0.0, "aws_server": 0.9}),
    ]
    decision = seed_000.evaluate(scores, net_score=0.6)
    assert [f.metric for f in decision.failures] == ["ramp_up_time"]
    assert decision.skipped == ("reviewedness", "tree_score")  # left out: they do not apply
    relaxed = GatePolicy(requirements={"*": 0.5, "ramp_up_time": 0.3})
    assert relaxed.evaluate(scores, net_score=0.6).passed
    ignoring = GatePolicy(requirements={"*": 0.5}, ignored=frozenset({"ramp_up_time"}))
    decision = ignoring.evaluate(scores, net_score=0.6)
    assert decision.passed
    assert "ramp_up_time" in decision.skipped


def test_the_version_names_the_rules() -> None:
    assert GatePolicy().version == GatePolicy(requirements={"license": 1.0}).version
    assert GatePolicy().version != GatePolicy(requirements={"*": 0.5}).version
    assert GatePolicy().version != GatePolicy(ignored=frozenset({"size_score"})).version
    assert GatePolicy().version.startswith("gate-2:")


def test_modes_default_per_entry_point_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().gate_modes == {
        EntryPoint.GRAPHQL: GateMode.ENFORCE,
        EntryPoint.REST_CREATE: GateMode.AUDIT,
        EntryPoint.INGEST_ROUTE: GateMode.ENFORCE,
    }
    monkeypatch.setenv("TMR_GATE_MODE_REST_CREATE", "enforce")
    monkeypatch.setenv("TMR_GATE_MODE_GRAPHQL", "audit")
    monkeypatch.setenv("TMR_GATE_MODE_INGEST_ROUTE", "off")
    monkeypatch.setenv("TMR_GATE_REQUIREMENTS", '{"*": 0.5}')
    monkeypatch.setenv("TMR_GATE_THRESHOLD", "0.6")
    configured = Settings()
    assert configured.gate_modes == {
        EntryPoint.GRAPHQL: GateMode.AUDIT,
        EntryPoint.REST_CREATE: GateMode.ENFORCE,
        EntryPoint.INGEST_ROUTE: GateMode.OFF,
    }
    assert configured.gate_requirements == {"*": 0.5}
    assert configured.gate_threshold == 0.6
    monkeypatch.setenv("TMR_GATE_ENABLED", "false")  # the old switch: every mode off
    assert set(Settings().gate_modes.values()) == {GateMode.OFF}
    monkeypatch.setenv("TMR_GATE_MODE_GRAPHQL", "strict")
    with pytest.raises(ValueError, match="gate_mode_graphql"):
        Settings()
