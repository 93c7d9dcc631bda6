"""Turn a client's URL into a normalized :class:`SourceRef`, or refuse it.

Only Hugging Face and GitHub repository URLs are accepted; anything else is refused before any
request is made, so a client cannot make the registry fetch from hosts of its choosing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.artifacts.entities import ArtifactType, SourceHost, SourceRef
from app.artifacts.errors import InvalidSourceError

MAX_URL_LENGTH = 2048
HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

# Repo names as the hubs allow them: letters, digits, '-', '_', '.'; no leading '.' or '-'.
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$")
# First path segments of huggingface.co that are site pages, not model owners.
_HF_RESERVED = frozenset(
    {
        "datasets",
        "spaces",
        "models",
        "docs",
        "api",
        "blog",
        "collections",
        "papers",
        "organizations",
        "settings",
        "login",
        "join",
        "pricing",
        "tasks",
        "learn",
        "posts",
    }
)
# Suffixes after the repo id that point inside the repo (branch views, files).
_HF_REPO_VIEWS = frozenset({"tree", "blob", "resolve", "commits", "commit", "discussions", "raw"})
_GITHUB_REPO_VIEWS = frozenset({"tree", "blob", "commits", "commit", "releases", "issues", "pulls"})


def parse_source(url: str, artifact_type: ArtifactType) -> SourceRef:
    """Validate ``url`` for ``artifact_type`` and normalize it."""
    if not url or len(url) > MAX_URL_LENGTH or url != url.strip():
        raise InvalidSourceError("url must be a non-empty URL without surrounding spaces")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidSourceError(
            "url must be an http(s) URL of a Hugging Face or GitHub repository"
        )
    if parts.username or parts.password or parts.port not in {None, 80, 443}:
        raise InvalidSourceError("url must not carry credentials or a port")
    host = parts.hostname.lower()
    segments = [s for s in parts.path.split("/") if s]
    if host in HF_HOSTS:
        return _huggingface(segments, artifact_type)
    if host in GITHUB_HOSTS:
        return _github(segments, artifact_type)
    raise InvalidSourceError(
        f"host {host!r} is not allowed: use a huggingface.co or github.com repository URL"
    )


def _huggingface(segments: list[str], artifact_type: ArtifactType) -> SourceRef:
    is_dataset = bool(segments) and segments[0] == "datasets"
    if is_dataset:
        segments = segments[1:]
    repo = _repo_segments(segments, _HF_REPO_VIEWS, allow_legacy=True)
    if repo is None or (not is_dataset and repo[0] in _HF_RESERVED):
        raise InvalidSourceError("not a Hugging Face model or dataset repository URL")
    repo_id = "/".join(repo)
    if is_dataset:
        if artifact_type is not ArtifactType.DATASET:
            raise InvalidSourceError(f"a Hugging Face dataset URL cannot be a {artifact_type}")
        return SourceRef(
            SourceHost.HUGGING_FACE,
            artifact_type,
            repo_id,
            f"hf:dataset:{repo_id}",
            f"https://huggingface.co/datasets/{repo_id}",
        )
    if artifact_type is not ArtifactType.MODEL:
        raise InvalidSourceError(f"a Hugging Face model URL cannot be a {artifact_type}")
    return SourceRef(
        SourceHost.HUGGING_FACE,
        artifact_type,
        repo_id,
        f"hf:model:{repo_id}",
        f"https://huggingface.co/{repo_id}",
    )


def _github(segments: list[str], artifact_type: ArtifactType) -> SourceRef:
    if segments and segments[-1].endswith(".git") and len(segments) == 2:  # noqa: PLR2004
        segments = [segments[0], segments[1].removesuffix(".git")]
    repo = _repo_segments(segments, _GITHUB_REPO_VIEWS, allow_legacy=False)
    if repo is None:
        raise InvalidSourceError("not a GitHub repository URL (expected github.com/<owner>/<repo>)")
    if artifact_type is ArtifactType.MODEL:
        raise InvalidSourceError("a GitHub repository cannot be ingested as a model")
    owner, name = repo
    repo_id = f"{owner}/{name}"
    # GitHub names are case-insensitive: the key folds case so one repo is one source.
    kind = "" if artifact_type is ArtifactType.CODE else "dataset:"
    return SourceRef(
        SourceHost.GITHUB,
        artifact_type,
        repo_id,
        f"github:{kind}{repo_id.lower()}",
        f"https://github.com/{repo_id}",
    )


def _repo_segments(
    segments: list[str], views: frozenset[str], *, allow_legacy: bool
) -> tuple[str, ...] | None:
    """The repo-id segments of a path (``org/name`` or a legacy ``name``), ignoring views
    such as ``/tree/main/sub``; None when the path names no repository."""
    if not segments:
        return None
    if len(segments) >= 2 and segments[1] not in views:  # noqa: PLR2004
        repo: tuple[str, ...] = (segments[0], segments[1])
        rest = segments[2:]
    elif allow_legacy:
        repo, rest = (segments[0],), segments[1:]
    else:
        return None
    if rest and rest[0] not in views:
        return None
    if not all(_SEGMENT.match(s) and not s.endswith(".") for s in repo):
        return None
    return repo
