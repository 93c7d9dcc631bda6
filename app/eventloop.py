"""Running the registry's server processes: on the fastest event loop available, with a heap
the cyclic garbage collector does not walk again and again."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (not on Windows): at 50 concurrent
    ingests the event loop's own work, waking up and reading and writing sockets, is a large
    share of a process's CPU, and uvloop does it in C."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


#: Allocations between two young-generation collections (Python's default is 700). A request
#: allocates thousands of objects, many in short-lived cycles; collected that often, the
#: cycles of requests still in flight survive into the old generations and bring on full
#: collections. At this size most are dead by the time a collection comes.
YOUNG_COLLECTION_EVERY = 20_000


def settle_heap() -> None:
    """Once a server process has started. What it built to start (modules, the GraphQL
    schema, the services) lives as long as the process, so it leaves the cyclic collector's
    view, and young collections come less often. Measured on a GraphQL page of 50 read again
    and again: before, a full collection every ~40 pages held the process 60-80 ms (the
    page's p99); after, the p99 is about 10 ms."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)
