"""The registry's processes run on uvloop where it is installed."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from app.eventloop import run


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop not installed")
def test_a_process_runs_on_uvloop_and_returns_the_result() -> None:
    assert run(_loop_module()).startswith("uvloop")
