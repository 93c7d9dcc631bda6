"""One log format for the whole process, API and worker alike.

structlog renders every line; the standard library's loggers (ours, uvicorn's, arq's,
strawberry's) reach it through :class:`structlog.stdlib.ProcessorFormatter` on the root
logger, so a line from uvicorn's access log and a line from an ingest look the same and
carry the same context (``request_id``, ``job_id``, bound with structlog's contextvars).
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from app.observability.redaction import redact

LogFormat = Literal["json", "console"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
#: Which requests get uvicorn's access line: every one, those answered with an error status
#: (4xx, 5xx), or none. Per-route counts, statuses and latencies are in /metrics either way.
AccessLog = Literal["all", "errors", "off"]
ACCESS_LOGGER = "uvicorn.access"

#: Loggers of libraries that may have installed handlers of their own (uvicorn does when it is
#: started with its default log config): their lines must reach the root handler, once.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "strawberry")
#: Per-request lines of HTTP client libraries: noise in a server's log.
_QUIET_LOGGERS = ("httpx", "httpcore")
#: Record attributes that are not context: uvicorn's ANSI-coloured copy of the message, and
#: what another handler's formatter may have left on the shared record.
_NOT_EXTRAS = ("color_message", "message", "asctime")


class _StructuredHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installs, so configuring again replaces it."""


class _FailedRequestsOnly(logging.Filter):
    """Passes uvicorn's access line of a request answered with an error status: its last
    argument. Dropped before any formatting, which is most of a line's cost (a tenth of a
    small read's CPU when every request is logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        status = args[-1] if isinstance(args, tuple) and args else None
        return not isinstance(status, int) or status >= 400  # noqa: PLR2004 - HTTP's own split


def use_json(choice: LogFormat | None, stream: IO[str] | None = None) -> bool:
    """JSON unless told otherwise or writing to a terminal, where key=value reads better."""
    if choice is not None:
        return choice == "json"
    target = stream if stream is not None else sys.stderr
    return not (hasattr(target, "isatty") and target.isatty())


def configure_logging(
    *,
    json: bool,
    level: LogLevel = "INFO",
    stream: IO[str] | None = None,
    access: AccessLog = "errors",
) -> logging.Handler:
    """Route every logger of the process through structlog; call once per process (again
    replaces the handler installed before). Returns the handler, for tests to remove."""
    stream = stream if stream is not None else sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_non_extras],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become text before redaction, so what they quote is redacted too
            # (and no renderer prints frame locals, which may hold a password).
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _StructuredHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StructuredHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    access_logger = logging.getLogger(ACCESS_LOGGER)
    for old_filter in [f for f in access_logger.filters if isinstance(f, _FailedRequestsOnly)]:
        access_logger.removeFilter(old_filter)
    if access == "errors":
        access_logger.addFilter(_FailedRequestsOnly())
    access_logger.disabled = access == "off"
    return handler


def _drop_non_extras(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    for key in _NOT_EXTRAS:
        event_dict.pop(key, None)
    return event_dict
