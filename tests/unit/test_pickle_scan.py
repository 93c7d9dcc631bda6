"""Reading what a pickle imports without unpickling it: a state dict is safe, a ``__reduce__``
that calls ``os.system`` is dangerous (and never runs), names recalled from the memo or built
on the stack are followed, and bytes that are not a whole pickle are not called safe."""

from __future__ import annotations

import collections
import os
import pickle
from pathlib import Path

import pytest

from app.safety.imports import ImportVerdict, classify
from app.safety.pickles import scan_pickle


class _Payload:
    """What a malicious checkpoint pickles: unpickling it would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_state_dict_imports_only_safe_names(protocol: int) -> None:
    state = collections.OrderedDict([("weight", bytearray(b"\\x00" * 16)), ("bias", {1, 2})])
    scan = scan_pickle(pickle.dumps(state, protocol=protocol))
    assert {str(g) for g in scan.imports} <= {
        "collections.OrderedDict",
        "builtins.bytearray",
        "builtins.set",
        "__builtin__.set",  # protocol 2's names for Python 2
        "__builtin__.bytearray",
        "_codecs.encode",
    }
    assert scan.verdict is ImportVerdict.SAFE
    assert scan.incomplete is None


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_reduce_to_os_system_is_dangerous_and_never_runs(protocol: int, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = pickle.dumps({"model": _Payload(marker)}, protocol=protocol)
    scan = scan_pickle(data)
    [system] = [g for g in scan.imports if g.name == "system"]
    assert system.module in {"posix", "os", "nt"}
    assert system.verdict is ImportVerdict.DANGEROUS
    assert scan.verdict is ImportVerdict.DANGEROUS
    assert not marker.exists()  # read, not run


def test_names_recalled_from_the_memo_are_followed() -> None:
    # protocol 4 memoizes every string: the second import of the same global reads them back
    data = pickle.dumps([collections.OrderedDict(), collections.OrderedDict()], protocol=4)
    assert [str(g) for g in scan_pickle(data).imports] == ["collections.OrderedDict"]


def test_a_cut_pickle_is_not_called_safe() -> None:
    data = pickle.dumps(collections.OrderedDict(a=1), protocol=4)
    scan = scan_pickle(data[: len(data) // 2])
    assert scan.incomplete is not None
    assert scan.verdict is ImportVerdict.SUSPICIOUS


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("torch._utils", "_rebuild_tensor_v2", ImportVerdict.SAFE),
        ("torch", "FloatStorage", ImportVerdict.SAFE),
        ("torch", "load", ImportVerdict.SUSPICIOUS),
        ("collections", "OrderedDict", ImportVerdict.SAFE),
        ("builtins", "eval", ImportVerdict.DANGEROUS),
        ("subprocess", "Popen", ImportVerdict.DANGEROUS),
        ("runpy", "_run_code", ImportVerdict.DANGEROUS),
        ("webbrowser", "open", ImportVerdict.DANGEROUS),
        ("sklearn.linear_model", "LogisticRegression", ImportVerdict.SUSPICIOUS),
        ("numpy", "load", ImportVerdict.SUSPICIOUS),
    ],
)
def test_imports_are_classified_once_for_all(
    module: str, name: str, verdict: ImportVerdict
) -> None:
    assert classify(module, name) is verdict
