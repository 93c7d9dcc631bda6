"""A loop a worker runs beside its jobs for as long as it lives (the audit drain, the file
checks): started on entry, cancelled and awaited on exit."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self


class BackgroundLoop:
    #: The task's name, as asyncio shows it.
    name = "background loop"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def enabled(self) -> bool:
        return True

    async def __aenter__(self) -> Self:
        if self.enabled():
            self._task = asyncio.create_task(self._run(), name=self.name)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        raise NotImplementedError
