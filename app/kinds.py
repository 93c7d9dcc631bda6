"""The registry's vocabulary of artifact types and source hosts, shared by every domain (the
audit log records types without knowing what an artifact is)."""

from __future__ import annotations

from enum import StrEnum


class ArtifactType(StrEnum):
    MODEL = "model"
    DATASET = "dataset"
    CODE = "code"


class SourceHost(StrEnum):
    HUGGING_FACE = "huggingface"
    GITHUB = "github"
    #: Any other https URL (Kaggle, Zenodo, GitLab, ...), for datasets and code: registered as
    #: a reference, never fetched (DESIGN §5, identity).
    REFERENCE = "reference"
