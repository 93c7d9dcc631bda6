"""Runs one parsed client command: failures the user can act on become one line on stderr and
exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from app.client.errors import EXIT_FAILED, ClientError


def run_client_command(args: argparse.Namespace) -> int:
    from app.client import commands  # noqa: PLC0415 - rich and httpx load after parsing

    server = str(args.server).rstrip("/")
    run: Callable[[], int] = {
        "login": lambda: commands.login(server, args.user, password_stdin=args.password_stdin),
        "ingest": lambda: commands.ingest(
            server, args.url, args.type, args.name, as_json=args.json
        ),
        "rate": lambda: commands.rate(server, args.id, as_json=args.json),
        "rescore": lambda: commands.rescore(
            server, None if args.all else args.id, force=args.force, as_json=args.json
        ),
        "lineage": lambda: commands.lineage(
            server, args.id, args.direction, args.depth, as_json=args.json
        ),
        "search": lambda: commands.search(
            server, args.name, args.regex, args.type, as_json=args.json
        ),
        "download": lambda: commands.download(server, args.id, args.output),
    }[args.command]
    try:
        return run()
    except ClientError as exc:
        sys.stderr.write(f"tmr {args.command}: {exc.message}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write(f"tmr {args.command}: interrupted\n")
        return 130
