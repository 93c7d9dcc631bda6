from __future__ import annotations

import pytest

from app.artifacts.entities import ArtifactType, SourceHost
from app.artifacts.errors import InvalidSourceError
from app.artifacts.sources import parse_source

MODEL = ArtifactType.MODEL
DATASET = ArtifactType.DATASET
CODE = ArtifactType.CODE


@pytest.mark.parametrize(
    ("url", "kind", "key", "canonical"),
    [
        (
            "https://huggingface.co/google-bert/bert-base-uncased",
            MODEL,
            "hf:model:google-bert/bert-base-uncased",
            "https://huggingface.co/google-bert/bert-base-uncased",
        ),
        (
            "https://huggingface.co/google-bert/bert-base-uncased/tree/main",
            MODEL,
            "hf:model:google-bert/bert-base-uncased",
            "https://huggingface.co/google-bert/bert-base-uncased",
        ),
        (
            "https://huggingface.co/google-bert/bert-base-uncased/",
            MODEL,
            "hf:model:google-bert/bert-base-uncased",
            "https://huggingface.co/google-bert/bert-base-uncased",
        ),
        (
            "https://huggingface.co/bert-base-uncased",
            MODEL,
            "hf:model:bert-base-uncased",
            "https://huggingface.co/bert-base-uncased",
        ),
        (
            "https://huggingface.co/datasets/stanfordnlp/imdb",
            DATASET,
            "hf:dataset:stanfordnlp/imdb",
            "https://huggingface.co/datasets/stanfordnlp/imdb",
        ),
        (
            "https://huggingface.co/datasets/rajpurkar/squad/tree/main",
            DATASET,
            "hf:dataset:rajpurkar/squad",
            "https://huggingface.co/datasets/rajpurkar/squad",
        ),
        (
            "https://github.com/openai/whisper",
            CODE,
            "github:openai/whisper",
            "https://github.com/openai/whisper",
        ),
        (
            "https://github.com/openai/whisper.git",
            CODE,
            "github:openai/whisper",
            "https://github.com/openai/whisper",
        ),
        (
            "https://github.com/OpenAI/Whisper/tree/main/whisper/normalizers",
            CODE,
            "github:openai/whisper",
            "https://github.com/OpenAI/Whisper",
        ),
        (
            "https://github.com/zalandoresearch/fashion-mnist",
            DATASET,
            "github:dataset:zalandoresearch/fashion-mnist",
            "https://github.com/zalandoresearch/fashion-mnist",
        ),
    ],
)
def test_accepted_urls_are_normalized(
    url: str, kind: ArtifactType, key: str, canonical: str
) -> None:
    source = parse_source(url, kind)
    assert source.key == key
    assert source.canonical_url == canonical
    assert source.type is kind


def test_default_name_is_the_last_segment_of_the_repo_id() -> None:
    assert (
        parse_source(
            "https://huggingface.co/google-bert/bert-base-uncased/tree/main", MODEL
        ).default_name
        == "bert-base-uncased"
    )
    source = parse_source("https://github.com/openai/whisper.git", CODE)
    assert source.host is SourceHost.GITHUB
    assert source.default_name == "whisper"


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [
        ("", MODEL, "non-empty"),
        (" https://huggingface.co/a/b", MODEL, "surrounding spaces"),
        ("ftp://huggingface.co/a/b", MODEL, "http"),
        ("https://example.com/a/b", MODEL, "not allowed"),
        ("http://127.0.0.1:8000/a/b", MODEL, "port"),
        ("http://169.254.169.254/latest/meta-data", MODEL, "not allowed"),
        ("https://user:pw@huggingface.co/a/b", MODEL, "credentials"),
        ("https://huggingface.co/", MODEL, "not a Hugging Face"),
        ("https://huggingface.co/spaces/a/b", MODEL, "not a Hugging Face"),
        ("https://huggingface.co/a/b/files", MODEL, "not a Hugging Face"),
        ("https://huggingface.co/a/b", DATASET, "cannot be a dataset"),
        ("https://huggingface.co/datasets/a/b", MODEL, "cannot be a model"),
        ("https://github.com/openai", CODE, "not a GitHub"),
        ("https://github.com/openai/whisper", MODEL, "cannot be ingested as a model"),
        ("https://huggingface.co/../etc/passwd", MODEL, "not a Hugging Face"),
        ("https://huggingface.co/a/b%00", MODEL, "not a Hugging Face"),
        ("https://huggingface.co/" + "a" * 3000, MODEL, "non-empty"),
    ],
)
def test_rejected_urls_say_why(url: str, kind: ArtifactType, reason: str) -> None:
    with pytest.raises(InvalidSourceError, match=reason) as caught:
        parse_source(url, kind)
    assert caught.value.field == "url"
