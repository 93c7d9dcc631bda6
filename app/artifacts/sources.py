"""Turn a client's URL into a normalized :class:`SourceRef`, or refuse it.

Models come from Hugging Face only: a repository URL or a bare id (``bert-base-uncased``,
``google-bert/bert-base-uncased``). Datasets and code come from Hugging Face or GitHub, which
the registry reads, or from any other public https URL (Kaggle, Zenodo, GitLab, ...), which it
registers as a reference and never requests (SourceHost.REFERENCE). So a client cannot make
the registry fetch from hosts of its choosing.

The key made here is the repository as the client named it. Hugging Face answers legacy and
miscased ids with its canonical one, so the ingest settles the key with :func:`canonical`
once the hub has answered (app.ingest.pipeline).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from app.artifacts.entities import SourceRef
from app.artifacts.errors import InvalidSourceError
from app.kinds import ArtifactType, SourceHost

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
# A bare Hugging Face id: "name" or "org/name", nothing else.
_BARE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)?$")
# A public DNS name: dotted labels, a letter in the last one (so no IP address).
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_PUBLIC_HOST = re.compile(rf"^({_LABEL}\.)+[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def parse_source(url: str, artifact_type: ArtifactType) -> SourceRef:
    """Validate ``url`` for ``artifact_type`` and normalize it."""
    if not url or len(url) > MAX_URL_LENGTH or url != url.strip():
        raise InvalidSourceError("url must be a non-empty URL without surrounding spaces")
    if artifact_type is ArtifactType.MODEL and _BARE_ID.match(url) and ".." not in url:
        return _huggingface(url.split("/"), artifact_type)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidSourceError(
            "url must be an http(s) URL of a Hugging Face or GitHub repository"
            + (" or a bare Hugging Face id" if artifact_type is ArtifactType.MODEL else "")
        )
    if parts.username or parts.password or parts.port not in {None, 80, 443}:
        raise InvalidSourceError("url must not carry credentials or a port")
    host = parts.hostname.lower()
    segments = [s for s in parts.path.split("/") if s]
    if host in HF_HOSTS:
        return _huggingface(segments, artifact_type)
    if host in GITHUB_HOSTS:
        return _github(segments, artifact_type)
    if artifact_type is ArtifactType.MODEL:
        raise InvalidSourceError(
            f"host {host!r} is not allowed: a model must be a huggingface.co repository"
        )
    return _reference(parts.scheme, host, parts.path, parts.query, artifact_type)


def source_key(host: SourceHost, artifact_type: ArtifactType, repo_id: str) -> str:
    """The one spelling of a repository's source key: ``hf:model:org/name``,
    ``hf:dataset:org/name``, ``github:owner/repo`` (code) or ``github:dataset:owner/repo``.
    GitHub names are case-insensitive, so their keys fold case: one repo is one source."""
    if host is SourceHost.HUGGING_FACE:
        return f"hf:{artifact_type.value}:{repo_id}"
    if host is SourceHost.GITHUB:
        kind = "" if artifact_type is ArtifactType.CODE else f"{artifact_type.value}:"
        return f"github:{kind}{repo_id.lower()}"
    raise ValueError(f"{host} sources are keyed by their URL")


def huggingface_source(artifact_type: ArtifactType, repo_id: str) -> SourceRef:
    """The Hugging Face repository ``repo_id`` (a model or a dataset)."""
    prefix = "datasets/" if artifact_type is ArtifactType.DATASET else ""
    return SourceRef(
        SourceHost.HUGGING_FACE,
        artifact_type,
        repo_id,
        source_key(SourceHost.HUGGING_FACE, artifact_type, repo_id),
        f"https://huggingface.co/{prefix}{repo_id}",
    )


def github_source(artifact_type: ArtifactType, repo_id: str) -> SourceRef:
    return SourceRef(
        SourceHost.GITHUB,
        artifact_type,
        repo_id,
        source_key(SourceHost.GITHUB, artifact_type, repo_id),
        f"https://github.com/{repo_id}",
    )


def canonical(source: SourceRef, upstream_id: str | None) -> SourceRef:
    """``source`` under the id its hub answered with (``google-bert/bert-base-uncased`` for
    ``bert-base-uncased``, the stored case for a miscased id); unchanged when the hub named
    none or is not asked (a reference)."""
    if not upstream_id or upstream_id == source.repo_id:
        return source
    if source.host is SourceHost.HUGGING_FACE:
        return huggingface_source(source.type, upstream_id)
    if source.host is SourceHost.GITHUB:
        return github_source(source.type, upstream_id)
    return source


def _reference(
    scheme: str, host: str, path: str, query: str, artifact_type: ArtifactType
) -> SourceRef:
    """A dataset or code repository on a host the registry does not read: normalized (the
    host lower-cased, no fragment, no trailing slash) but never requested."""
    if scheme != "https":
        raise InvalidSourceError(f"a reference to {host!r} must be an https URL")
    if not _PUBLIC_HOST.match(host) or host.endswith(_LOCAL_SUFFIXES) or _is_address(host):
        raise InvalidSourceError(f"host {host!r} is not a public internet name")
    segments = [s for s in path.split("/") if s]
    if not segments or any(s in {".", ".."} for s in segments):
        raise InvalidSourceError("a reference URL must name a page on its host")
    location = f"{host}/{'/'.join(segments)}"
    url = f"https://{location}" + (f"?{query}" if query else "")
    return SourceRef(
        SourceHost.REFERENCE, artifact_type, location, f"url:{artifact_type}:{url}", url
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
        return huggingface_source(artifact_type, repo_id)
    if artifact_type is not ArtifactType.MODEL:
        raise InvalidSourceError(f"a Hugging Face model URL cannot be a {artifact_type}")
    return huggingface_source(artifact_type, repo_id)


def _github(segments: list[str], artifact_type: ArtifactType) -> SourceRef:
    if segments and segments[-1].endswith(".git") and len(segments) == 2:  # noqa: PLR2004
        segments = [segments[0], segments[1].removesuffix(".git")]
    repo = _repo_segments(segments, _GITHUB_REPO_VIEWS, allow_legacy=False)
    if repo is None:
        raise InvalidSourceError("not a GitHub repository URL (expected github.com/<owner>/<repo>)")
    if artifact_type is ArtifactType.MODEL:
        raise InvalidSourceError("a GitHub repository cannot be ingested as a model")
    owner, name = repo
    return github_source(artifact_type, f"{owner}/{name}")


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
