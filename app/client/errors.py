from __future__ import annotations

#: Exit codes: 0 done, 1 the gate rejected the model, 2 anything else went wrong.
EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_FAILED = 2


class ClientError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotLoggedInError(ClientError):
    def __init__(self, server: str, why: str = "no token") -> None:
        super().__init__(f"{why} for {server}: run `tmr login`")
