from __future__ import annotations

import pytest

from app.artifacts.errors import InvalidSourceError
from app.artifacts.sources import canonical, parse_source
from app.kinds import ArtifactType, SourceHost

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


@pytest.mark.parametrize(
    ("bare", "key"),
    [
        ("bert-base-uncased", "hf:model:bert-base-uncased"),
        ("google-bert/bert-base-uncased", "hf:model:google-bert/bert-base-uncased"),
        ("openai/whisper-tiny", "hf:model:openai/whisper-tiny"),
    ],
)
def test_a_bare_id_names_a_hugging_face_model(bare: str, key: str) -> None:
    source = parse_source(bare, MODEL)
    assert source.host is SourceHost.HUGGING_FACE
    assert source.key == key
    assert source.canonical_url == f"https://huggingface.co/{bare}"


@pytest.mark.parametrize(
    ("url", "kind", "key", "name"),
    [
        (
            "https://www.kaggle.com/datasets/hliang001/flickr2k",
            DATASET,
            "url:dataset:https://www.kaggle.com/datasets/hliang001/flickr2k",
            "flickr2k",
        ),
        (
            "https://Zenodo.org/records/1234/#files",
            DATASET,
            "url:dataset:https://zenodo.org/records/1234",
            "1234",
        ),
        (
            "https://gitlab.com/group/project/-/tree/main",
            CODE,
            "url:code:https://gitlab.com/group/project/-/tree/main",
            "main",
        ),
    ],
)
def test_datasets_and_code_elsewhere_are_references(
    url: str, kind: ArtifactType, key: str, name: str
) -> None:
    source = parse_source(url, kind)
    assert source.host is SourceHost.REFERENCE
    assert source.key == key
    assert source.default_name == name


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [
        ("https://www.kaggle.com/models/google/bert", MODEL, "a model must be a huggingface"),
        ("http://www.kaggle.com/datasets/a/b", DATASET, "must be an https URL"),
        ("https://10.0.0.8/data", DATASET, "not a public internet name"),
        ("https://[::1]/data", CODE, "not a public internet name"),
        ("https://localhost/data", CODE, "not a public internet name"),
        ("https://intranet/data", CODE, "not a public internet name"),
        ("https://files.corp.internal/data", DATASET, "not a public internet name"),
        ("https://zenodo.org/", DATASET, "must name a page"),
        ("bert-base-uncased", DATASET, "http"),
        ("a/b/c", MODEL, "http"),
    ],
)
def test_references_must_be_public_https_pages(url: str, kind: ArtifactType, reason: str) -> None:
    with pytest.raises(InvalidSourceError, match=reason):
        parse_source(url, kind)


def test_canonical_takes_the_id_the_hub_answered_with() -> None:
    legacy = parse_source("https://huggingface.co/bert-base-uncased", MODEL)
    settled = canonical(legacy, "google-bert/bert-base-uncased")
    assert settled.key == "hf:model:google-bert/bert-base-uncased"
    assert settled.canonical_url == "https://huggingface.co/google-bert/bert-base-uncased"
    assert canonical(legacy, None) is legacy
    reference = parse_source("https://www.kaggle.com/datasets/a/b", DATASET)
    assert canonical(reference, "anything") is reference


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
