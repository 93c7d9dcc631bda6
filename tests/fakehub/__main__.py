"""Run the fake hub in the foreground: `python -m tests.fakehub --port 9000 [--latency 0.1]`.

Point the registry at it with TMR_HF_ENDPOINT and TMR_GITHUB_API_URL set to the printed URL.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from tests.fakehub.server import DEFAULT_FIXTURES, FakeHub


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakehub", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=9000, help="port on 127.0.0.1 (0: any free one)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds to wait before every answer"
    )
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="fixture folder")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)

    hub = FakeHub(args.fixtures, latency=args.latency, verbose=not args.quiet)
    hub.start(port=args.port)
    print(f"fake hub serving {args.fixtures} on {hub.url}")  # noqa: T201 - CLI output
    print(f"  export TMR_HF_ENDPOINT={hub.url} TMR_GITHUB_API_URL={hub.url}")  # noqa: T201
    # LFS files redirect to this second origin, as the hub's do to its CDN
    print(f"  CDN {hub.hf.cdn_url}", flush=True)  # noqa: T201
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
