"""Refresh `size` and `blobId` of shipped files in every HF `info.json` after editing a fixture.

Run `python -m tests.fakehub.sync` after changing a file under `hf/.../files/`; the unit tests
fail until the listing matches the bytes, as the real hub's listing always does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.fakehub.server import DEFAULT_FIXTURES
from tests.fakehub.wire import git_blob_sha


def sync(fixtures: Path = DEFAULT_FIXTURES) -> list[Path]:
    """Rewrite stale listings in place; return the info.json files that changed."""
    changed = []
    for info_path in sorted((fixtures / "hf").glob("*/*/*/info.json")):
        info = json.loads(info_path.read_text())
        files = info_path.parent / "files"
        stale = False
        for sibling in info.get("siblings", []):
            shipped = files / sibling["rfilename"]
            if not shipped.is_file():
                continue
            data = shipped.read_bytes()
            fresh = {"blobId": git_blob_sha(data), "size": len(data)}
            if {k: sibling.get(k) for k in fresh} != fresh:
                sibling.update(fresh)
                stale = True
        if stale:
            info_path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
            changed.append(info_path)
    return changed


if __name__ == "__main__":
    for path in sync(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FIXTURES):
        print(f"updated {path}")  # noqa: T201 - CLI output
