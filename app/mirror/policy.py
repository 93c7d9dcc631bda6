"""Which of a model's files the registry copies: all of them but duplicate weight formats, up to
a size per artifact. The rest stays upstream, each with the reason, linked at its pinned
revision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from app.mirror.entities import FilePart, LeftUpstream, RepoFile, part_of

SAFETENSORS = ".safetensors"


@dataclass(frozen=True, slots=True)
class MirrorPolicy:
    #: The most bytes copied per artifact; weights go whole or not at all (half a set of
    #: shards loads nothing).
    max_bytes: int
    #: With safetensors weights present, the same weights in other formats (pytorch_model.bin,
    #: tf_model.h5, flax_model.msgpack, ONNX exports...) stay upstream.
    prefer_safetensors: bool = True

    def plan(
        self, files: Sequence[RepoFile], url_of: Callable[[str], str]
    ) -> tuple[list[RepoFile], list[LeftUpstream]]:
        """The files to copy, card and configuration first, and those left upstream."""
        left: list[tuple[RepoFile, str]] = []
        weights = [f for f in files if part_of(f.path) is FilePart.WEIGHTS]
        rest = [f for f in files if part_of(f.path) is not FilePart.WEIGHTS]
        if self.prefer_safetensors and any(_suffix(f) == SAFETENSORS for f in weights):
            left += [(f, _DUPLICATE) for f in weights if _suffix(f) != SAFETENSORS]
            weights = [f for f in weights if _suffix(f) == SAFETENSORS]
        chosen: list[RepoFile] = []
        budget = self.max_bytes
        for f in sorted(rest, key=lambda f: (part_of(f.path) is not FilePart.CARD, f.path)):
            reason = self._refusal([f], budget)
            if reason is None:
                chosen.append(f)
                budget -= f.size
            else:
                left.append((f, reason))
        reason = self._refusal(weights, budget)
        if reason is None:
            chosen += sorted(weights, key=lambda f: f.path)
        else:
            left += [(f, reason) for f in weights]
        held_upstream = [LeftUpstream(f.path, f.size, why, url_of(f.path)) for f, why in left]
        return chosen, sorted(held_upstream, key=lambda f: f.path)

    def _refusal(self, files: Sequence[RepoFile], budget: int) -> str | None:
        """Why ``files`` (copied together or not at all) stay upstream, if they do."""
        if any(f.sha256 is None and f.blob_id is None for f in files):
            return "upstream lists no checksum to verify a copy against"
        if sum(f.size for f in files) > budget:
            return f"over the mirror cap of {self.max_bytes} bytes per artifact"
        return None


_DUPLICATE = "the same weights are held as safetensors"


def _suffix(f: RepoFile) -> str:
    return PurePosixPath(f.path).suffix.lower()
