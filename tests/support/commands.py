"""What the document store is asked: every command a client made after this module was
imported sends to a listener, which counts them by (command, collection) while recording."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import pymongo.monitoring
from pymongo.monitoring import CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent

WRITES = frozenset({"insert", "update", "delete", "findAndModify", "bulkWrite"})


class _Commands(pymongo.monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.recording = False

    def started(self, event: CommandStartedEvent) -> None:
        if self.recording:
            collection = event.command.get(event.command_name)
            self.seen[(event.command_name, str(collection))] += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


_COMMANDS = _Commands()
pymongo.monitoring.register(_COMMANDS)


@contextlib.contextmanager
def recording() -> Iterator[Counter[tuple[str, str]]]:
    """The commands sent inside the block (by clients created after import)."""
    _COMMANDS.seen.clear()
    _COMMANDS.recording = True
    try:
        yield _COMMANDS.seen
    finally:
        _COMMANDS.recording = False


def writes(seen: Counter[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {key: n for key, n in seen.items() if key[0] in WRITES}
