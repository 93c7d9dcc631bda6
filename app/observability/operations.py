"""The operation type of a GraphQL request, as a metrics label.

Read from the request body with a lexical scan rather than a parse: the label must cost next
to nothing for any body, hostile ones included (a parse is what the schema's own limits
guard). Strings and comments are blanked first, then only top-level braces and the operation
keywords are looked at, so a field or argument named ``query`` is not mistaken for one.
"""

from __future__ import annotations

import json
import re
from typing import Literal

Operation = Literal["query", "mutation", "subscription", "unknown"]

#: Block strings, strings and comments. Each alternative matches wherever it starts (an
#: unterminated string runs to the end of its line or text) and never backtracks, so a scan
#: is linear in the body whatever its quotes and backslashes.
_IGNORED = re.compile(r'"""(?:\\"""|[^"]|"(?!""))*+(?:"""|\Z)|"(?:\\.|[^"\\\n])*+[\s\S]?|#[^\n\r]*')
_TOKENS = re.compile(
    r"[{}()]|\b(?P<keyword>query|mutation|subscription|fragment)\b"
    r"(?:\s+(?P<name>[_A-Za-z][_0-9A-Za-z]*))?"
)
#: Bodies longer than this are not scanned; the schema refuses documents long before.
MAX_SCANNED_BYTES = 64 * 1024


def operation_type(body: bytes) -> Operation:
    """The type of the operation a JSON GraphQL body asks to run; ``unknown`` when it names
    none that can be found."""
    if len(body) > MAX_SCANNED_BYTES:
        return "unknown"
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested past the parser's limit
        return "unknown"
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "unknown"
    name = payload.get("operationName")
    return operation_in(payload["query"], name if isinstance(name, str) else None)


def operation_in(document: str, operation_name: str | None = None) -> Operation:
    operations: list[tuple[str, str | None]] = []
    braces = parens = 0
    pending: tuple[str, str | None] | None = None  # a definition whose body has not opened
    for token in _TOKENS.finditer(_IGNORED.sub(" ", document)):
        text = token.group()
        if text in "()":
            parens += 1 if text == "(" else -1
        elif parens > 0:
            continue  # variable defaults and arguments may hold object values in braces
        elif text == "{":
            if braces == 0:
                operations.append(pending or ("query", None))  # a bare `{` is a query
                pending = None
            braces += 1
        elif text == "}":
            braces = max(0, braces - 1)
        elif braces == 0 and token["keyword"]:
            pending = (token["keyword"], token["name"])
    for kind, name in operations:
        if kind != "fragment" and (operation_name is None or name == operation_name):
            return _as_operation(kind)
    return "unknown"


def _as_operation(kind: str) -> Operation:
    if kind == "mutation":
        return "mutation"
    if kind == "subscription":
        return "subscription"
    return "query"
