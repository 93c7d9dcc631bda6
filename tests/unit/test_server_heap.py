"""A server process settles its heap once started: what it built to start leaves the cyclic
collector's view, so a full collection walks only what requests made since, and young
collections come less often."""

from __future__ import annotations

import subprocess
import sys

from app.asgi import server_app
from app.eventloop import YOUNG_COLLECTION_EVERY, settle_heap
from app.settings import Settings


def test_a_server_app_settles_its_heap_once_started(settings: Settings) -> None:
    assert settle_heap in server_app(settings).on_startup


def test_settling_freezes_what_lives_until_then() -> None:
    # In a process of its own: a frozen heap stays frozen for the rest of the process.
    probe = (
        "import gc; from app.eventloop import YOUNG_COLLECTION_EVERY, settle_heap; "
        "assert gc.get_freeze_count() == 0; settle_heap(); "
        "print(gc.get_freeze_count(), gc.get_threshold()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    frozen, young = map(int, done.stdout.split())
    assert frozen > 1_000
    assert young == YOUNG_COLLECTION_EVERY
