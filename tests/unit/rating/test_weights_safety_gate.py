"""weights_safety in the gate: a dangerous import fails every policy and refuses the model in
every mode but off; suspicious weights fail only a policy that requires 1.0; a scan that could
not run is no verdict. And the check's evidence names each file, its format and bytes read."""

from __future__ import annotations

import pytest

from app.rating.entities import GateDecision, MetricScore
from app.rating.gate import GateMode, GatePolicy
from app.rating.metrics.weights_safety import measure
from app.safety.imports import ImportVerdict
from app.safety.pickles import ImportedGlobal
from app.safety.service import ModelWeightsScan
from app.safety.weights import WeightsScan


def _safety(score: float, *, explanation: str = "", error: str | None = None) -> MetricScore:
    return MetricScore("weights_safety", score, 0.01, (), explanation, error=error)


LICENSED = MetricScore("license", 1.0, 0.01, (), "")


def _decide(policy: GatePolicy, safety: MetricScore) -> GateDecision:
    return policy.evaluate([LICENSED, safety], net_score=0.9)


def test_a_dangerous_import_fails_any_policy_and_is_blocking() -> None:
    found = "pytorch_model.bin imports posix.system"
    lenient = GatePolicy(threshold=0, requirements={}, ignored=frozenset({"weights_safety"}))
    decision = _decide(lenient, _safety(0.0, explanation=found))
    assert not decision.passed
    assert decision.blocking
    [failure] = decision.failures
    assert (failure.metric, failure.score, failure.detail) == ("weights_safety", 0.0, found)
    assert GateDecision.from_dict(decision.to_dict()) == decision


@pytest.mark.parametrize(
    ("mode", "refused"), [(GateMode.ENFORCE, True), (GateMode.AUDIT, True), (GateMode.OFF, False)]
)
def test_every_mode_but_off_refuses_a_blocking_failure(mode: GateMode, refused: bool) -> None:
    decision = _decide(GatePolicy(), _safety(0.0))
    assert mode.refuses(decision) is refused


def test_an_ordinary_failure_is_refused_only_where_the_gate_enforces() -> None:
    decision = GatePolicy(threshold=0.95).evaluate([LICENSED, _safety(1.0)], net_score=0.9)
    assert not decision.passed
    assert not decision.blocking
    assert [GateMode.ENFORCE.refuses(decision), GateMode.AUDIT.refuses(decision)] == [True, False]


def test_suspicious_weights_fail_only_a_policy_that_requires_them_safe() -> None:
    suspicious = _safety(0.5, explanation="Not shown safe: model.pt")
    assert _decide(GatePolicy(), suspicious).passed
    strict = _decide(GatePolicy(requirements={"license": 1.0, "weights_safety": 1.0}), suspicious)
    assert not strict.passed
    assert not strict.blocking
    assert strict.failures[0].detail == "Not shown safe: model.pt"


def test_a_scan_that_could_not_run_is_no_verdict() -> None:
    assert _decide(GatePolicy(), _safety(0.0, error="TimeoutError")).passed


def test_evidence_names_each_file_its_format_bytes_and_imports() -> None:
    evil = WeightsScan(
        "model.pt",
        "pickle",
        120,
        (ImportedGlobal("posix", "system", ImportVerdict.DANGEROUS),),
    )
    sound = WeightsScan("model.safetensors", "safetensors", 400, parameters=1000)
    measured = measure(ModelWeightsScan((evil, sound), unread=("extra.bin",)))
    assert measured.score == 0.0
    assert (
        measured.evidence[0]
        == "model.pt: pickle, 120 B read, dangerous; imports posix.system (dangerous)"
    )
    assert (
        measured.evidence[1] == "model.safetensors: safetensors, 400 B read, safe; 1,000 parameters"
    )
    assert "extra.bin: not read" in measured.evidence[2]
    assert measured.explanation == "model.pt imports posix.system: loading it would run code."
    assert measured.breakdown == {"model.pt": 0.0, "model.safetensors": 1.0}


def test_a_model_with_only_safetensors_says_so() -> None:
    sound = WeightsScan("model.safetensors", "safetensors", 400, parameters=1000)
    measured = measure(ModelWeightsScan((sound,), unread=()))
    assert measured.score == 1.0
    assert any("no pickled weights" in line for line in measured.evidence)
    assert measured.explanation.startswith("Only formats that hold no code")
