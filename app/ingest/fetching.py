"""What an ingest keeps of its source, by how far the registry may read it (DESIGN §5, identity):

* Hugging Face and GitHub repositories: everything (app.ingest.snapshots).
* Gated Hugging Face repositories without a token: the public API metadata, which the hub
  serves to anyone; their files (card, config) need a token, so the bundle holds none.
* References (any other https host): nothing at all. No request is made; the bundle holds the
  provenance record only, and the artifact says its metadata was not fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import DatasetInfo, ModelInfo

from app.artifacts.entities import SourceRef
from app.artifacts.snapshots import SourceSnapshot
from app.errors import UpstreamGatedError
from app.ingest.snapshots import fetch_snapshot
from app.kinds import ArtifactType, SourceHost
from app.upstream.clients import UpstreamView

#: Why a gated repository's files are missing, in the words a user can act on.
GATED_REASON = "gated: set TMR_HF_TOKEN"


@dataclass(frozen=True, slots=True)
class FetchedSource:
    snapshot: SourceSnapshot
    #: Added to the bundle's registry.json: how the source was read.
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def upstream_id(self) -> str | None:
        """The id the hub answered with (its canonical one), if it was asked."""
        value = self.snapshot.summary.get("repo_id")
        return value if isinstance(value, str) and value else None


def reference(source: SourceRef) -> FetchedSource:
    """A reference's snapshot, made without any request."""
    note = (
        f"Registered by reference: the registry made no request to {source.canonical_url}, so "
        "nothing about it (licence, size, contents) was fetched or verified."
    )
    return FetchedSource(
        SourceSnapshot(
            revision=None,
            readme="",
            license=None,
            size_bytes=0,
            files={},
            summary={"metadata_fetched": False},
        ),
        {"metadata_fetched": False, "note": note},
    )


async def fetch_source(source: SourceRef, upstream: UpstreamView) -> FetchedSource:
    if source.host is SourceHost.REFERENCE:
        return reference(source)
    try:
        return FetchedSource(await fetch_snapshot(source, upstream), {"metadata_fetched": True})
    except UpstreamGatedError:
        if source.host is not SourceHost.HUGGING_FACE:
            raise
    # The files are gated; the metadata (already fetched above, so served by the session's
    # memo) is public. If it is not, the repo is private or unknown and this raises.
    return await _public_metadata(source, upstream)


async def _public_metadata(source: SourceRef, upstream: UpstreamView) -> FetchedSource:
    info: ModelInfo | DatasetInfo
    if source.type is ArtifactType.DATASET:
        info, raw = await upstream.hf.dataset_info(source.repo_id)
    else:
        info, raw = await upstream.hf.model_info(source.repo_id)
    snapshot = SourceSnapshot(
        revision=info.sha,
        readme="",
        license=_declared_license(info),
        size_bytes=sum(s.size or 0 for s in info.siblings or []),
        files={"metadata.json": _json_bytes(raw)},
        summary={
            "repo_id": info.id,
            "downloads": info.downloads,
            "likes": info.likes,
            "gated": info.gated,
            "files_fetched": False,
        },
    )
    return FetchedSource(
        snapshot,
        {"metadata_fetched": True, "files_fetched": False, "files_missing_because": GATED_REASON},
    )


def _declared_license(info: ModelInfo | DatasetInfo) -> str | None:
    """The licence the card data declares, else a ``license:`` tag; as the hub spells it."""
    card: dict[str, Any] = (
        {} if info.card_data is None else info.card_data.to_dict()  # type: ignore[no-untyped-call]
    )
    value = card.get("license")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and value:
        return value
    tags = [t.removeprefix("license:") for t in info.tags or [] if t.startswith("license:")]
    return tags[0] if tags else None


def _json_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, default=str).encode()
