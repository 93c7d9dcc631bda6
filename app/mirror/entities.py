"""A model's files as the registry holds them: what upstream lists, what was copied into the
blob store (content-addressed by sha256) and what was left upstream, with why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath


@dataclass(frozen=True, slots=True)
class RepoFile:
    """One file of an upstream repository, as its API lists it."""

    path: str
    size: int
    #: The sha256 of the bytes, listed for files kept in Git LFS (the large ones).
    sha256: str | None
    #: The git blob id (sha1 of ``blob <size>\\0`` + bytes), listed for every file.
    blob_id: str | None


class FilePart(StrEnum):
    """What a file is to someone downloading part of a model."""

    WEIGHTS = "weights"
    #: The card and what reading the model needs besides its weights: config, tokenizer.
    CARD = "card"
    OTHER = "other"


WEIGHT_SUFFIXES = frozenset(
    {
        ".safetensors",
        ".bin",
        ".pt",
        ".pth",
        ".ckpt",
        ".pkl",
        ".h5",
        ".keras",
        ".msgpack",
        ".onnx",
        ".gguf",
        ".ot",
        ".tflite",
        ".mlmodel",
        ".npz",
    }
)
_CARD_NAMES = frozenset(
    {
        "readme.md",
        "config.json",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.txt",
        "vocab.json",
        "merges.txt",
        "preprocessor_config.json",
        "sentencepiece.bpe.model",
        "spiece.model",
        "tokenizer.model",
    }
)


def part_of(path: str) -> FilePart:
    name = PurePosixPath(path).name.lower()
    if name in _CARD_NAMES:
        return FilePart.CARD
    if PurePosixPath(name).suffix in WEIGHT_SUFFIXES:
        return FilePart.WEIGHTS
    return FilePart.OTHER


FILES_PREFIX = "files/"


def blob_key(sha256: str) -> str:
    """Where a file's bytes live in the blob store: one object per distinct content."""
    return f"{FILES_PREFIX}sha256/{sha256[:2]}/{sha256}"


class PackagePart(StrEnum):
    """What a download holds: the whole package or one aspect of it."""

    FULL = "full"
    WEIGHTS = "weights"
    #: The card, config and tokenizer: what reading about or loading the model needs.
    CARD = "card"
    #: The registered bundles of the datasets the model names.
    DATASETS = "datasets"


@dataclass(frozen=True, slots=True)
class MirroredFile:
    path: str
    size: int
    sha256: str

    @property
    def key(self) -> str:
        return blob_key(self.sha256)

    @property
    def part(self) -> FilePart:
        return part_of(self.path)


@dataclass(frozen=True, slots=True)
class LeftUpstream:
    """A file the registry does not hold, served by a link to its pinned upstream revision."""

    path: str
    size: int
    reason: str
    url: str

    @property
    def part(self) -> FilePart:
        return part_of(self.path)


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a mirrored model's download is made of."""

    files: tuple[MirroredFile, ...] = ()
    left_upstream: tuple[LeftUpstream, ...] = ()

    @property
    def stored_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def upstream_bytes(self) -> int:
        return self.stored_bytes + sum(f.size for f in self.left_upstream)


@dataclass(frozen=True, slots=True)
class FileProgress:
    """One file's copy, as the ingest's progress shows it."""

    path: str
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class FileCheck:
    """A pass over stored files, each hashed again and compared with the sha256 it is kept
    under."""

    at: datetime
    checked: int
    #: The sha256 of each content that no longer hashes to it.
    corrupt: tuple[str, ...]
