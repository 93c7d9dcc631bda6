"""The ZIP bundle a client downloads: upstream files laid out as in the source repo, plus
the registry's own record of where they came from."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

# A fixed timestamp makes the same inputs give the same bytes, so digests are comparable.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_bundle(files: dict[str, bytes], record: dict[str, Any]) -> bytes:
    """CPU-bound (deflate): call it from a thread."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            _write(archive, name, files[name])
        _write(
            archive,
            "registry.json",
            json.dumps(record, indent=2, sort_keys=True, default=str).encode(),
        )
    return out.getvalue()


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
