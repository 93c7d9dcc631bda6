"""Secrets never reach a log line.

Log lines carry text written by libraries we do not control: uvicorn's access log prints the
path with its query string (a download link's ``signature``, an S3 presigned URL's
``X-Amz-Signature`` and ``X-Amz-Credential``), an exception may quote a header or a body.
So redaction works on the rendered values, not on a list of known call sites: any value under
a key named like a secret, any ``name=value`` or ``name: value`` pair whose name is, and any
bearer token, whatever the text around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from structlog.typing import EventDict, WrappedLogger

REDACTED = "[REDACTED]"

_SENSITIVE_NAMES = (
    r"signature|credential|security[_-]?token|token|password|passwd|secret|api[_-]?key"
    r"|(?:private|signing|access)[_-]?key|authorization|cookie"
)
#: Keys of the event dict whose value is dropped whole.
_SECRET_KEY = re.compile(rf"(?i){_SENSITIVE_NAMES}")
#: ``name=value`` (query strings, form bodies) and ``name: value`` / ``"name": "value"``
#: (JSON, GraphQL arguments, reprs of header dicts) where the name is a secret's.
_SECRET_PAIR = re.compile(
    # The name starts where no name character precedes it and its parts are bounded, and a
    # quoted value is bounded too: any text scans in linear time (a log line may hold a long
    # token-like run, and an unbounded `[\w.-]*` would backtrack over all of it at each
    # position). An unterminated or overlong quoted value is cut at the next delimiter.
    rf"""(?ix)
    (?P<name>(?<![\w.-])[\w.-]{{0,64}}?(?:{_SENSITIVE_NAMES})[\w.-]{{0,64}}["']?\s{{0,16}}[:=]\s{{0,16}})
    (?P<value>"(?:\\.|[^"\\]){{0,1024}}"|'(?:\\.|[^'\\]){{0,1024}}'|["']?[^\s&,;)}}\]"']+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;)}\]]+")
#: Dicts and lists nested deeper than this are left as they are: log values are shallow.
_MAX_DEPTH = 4


#: Most lines name no secret at all: plain substring searches (each name above contains one
#: of these) spare them the two scans below, at a tenth of their cost.
_HINTS = (
    "signature",
    "credential",
    "token",
    "passw",
    "secret",
    "key",
    "authorization",
    "cookie",
    "bearer",
)


def redact_text(text: str) -> str:
    lowered = text.lower()
    if not any(hint in lowered for hint in _HINTS):
        return text
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _SECRET_PAIR.sub(_mask_pair, text)


def _mask_pair(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[0] if value[:1] in {'"', "'"} else ""
    closed = quote if len(value) > 1 and value.endswith(quote) else ""
    return f"{match['name']}{quote}{REDACTED}{closed}"


def redact_value(value: object, depth: int = 0) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED
            if isinstance(k, str) and _SECRET_KEY.search(k)
            else redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(v, depth + 1) for v in value]
    return value


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: runs last before rendering, on every line of the process."""
    redacted: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key != "event" and _SECRET_KEY.search(key):
            redacted[key] = REDACTED
        else:
            redacted[key] = redact_value(value)
    return redacted
