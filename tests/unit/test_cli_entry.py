"""`tmr --help` answers without loading the web stack, the drivers or the worker: the entry
module imports only the standard library, and each command imports what it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TMR = str(Path(sys.executable).with_name("tmr"))
HEAVY = ("litestar", "strawberry", "pymongo", "arq", "uvicorn", "redis", "aiohttp", "pydantic")


def test_the_entry_module_loads_nothing_heavy() -> None:
    probe = (
        "import json, sys, app.cli; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout
    )
    assert not set(HEAVY) & set(loaded), set(HEAVY) & set(loaded)


def test_help_lists_the_commands() -> None:
    shown = subprocess.run([TMR, "--help"], check=True, capture_output=True, text=True).stdout
    assert "serve" in shown
    assert "worker" in shown
