"""What hostile text costs the two scans every request or log line goes through: the secret
redaction of each log value and the GraphQL operation label of each POST /graphql. Both must
stay linear: a log value (``--size`` bytes) or a body (the largest the label scans) built to
make a regex backtrack should cost about as much per byte as ordinary text. Prints per-byte
cost ratios measured in this run.

    uv run python bench/log_scans.py [--size 65536] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from app.observability.operations import MAX_SCANNED_BYTES, operation_type
from app.observability.redaction import redact_text

ORDINARY_LOG = (
    '127.0.0.1:5 - "GET /downloads/a/b.zip?filename=b.zip&expires=99&signature=c0ffee '
    'HTTP/1.1" 200 '
)
ORDINARY_QUERY = 'query Q($id: ID!) { artifact(id: $id) { id name readme } } # "x"\n'

HOSTILE_LOGS = {
    "word run": "a",
    "name run": "tokentoken",
    "unterminated values": 'password:"',
    "separators": ": ",
    "dotted run": "a.",
}
HOSTILE_QUERIES = {
    "escaped quotes": '\\"',
    "open strings": '"a',
    "open block strings": '"""\\',
    "braces": "{",
    "keywords": "query ",
}


def _per_byte(scan: Callable[[], object], size: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        scan()
        best = min(best, time.perf_counter() - started)
    return best / size


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    size, repeat = args.size, args.repeat

    ordinary = _fill(ORDINARY_LOG, size)
    baseline = _per_byte(lambda: redact_text(ordinary), size, repeat)
    print(f"redaction, ordinary log text: {baseline * 1e9:.1f} ns/byte")
    for name, unit in HOSTILE_LOGS.items():
        text = _fill(unit, size)
        cost = _per_byte(lambda text=text: redact_text(text), size, repeat)  # type: ignore[misc]
        print(f"  {name:<22} {cost / baseline:6.2f}x ordinary")

    def body(unit: str) -> bytes:
        """The largest body of ``unit`` repeated that the label still scans (JSON escaping
        may double a document's size)."""
        document = _fill(unit, MAX_SCANNED_BYTES // 2 - 64)
        return json.dumps({"query": document}).encode()

    ordinary_body = body(ORDINARY_QUERY)
    baseline = _per_byte(lambda: operation_type(ordinary_body), len(ordinary_body), repeat)
    print(f"operation label, ordinary document: {baseline * 1e9:.1f} ns/byte")
    for name, unit in HOSTILE_QUERIES.items():
        hostile = body(unit)
        cost = _per_byte(lambda hostile=hostile: operation_type(hostile), len(hostile), repeat)  # type: ignore[misc]
        print(f"  {name:<22} {cost / baseline:6.2f}x ordinary")


if __name__ == "__main__":
    main()
