"""The fake hub answers like huggingface.co and api.github.com, and its fixtures are coherent."""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from huggingface_hub import DatasetInfo, HfApi, ModelCardData, ModelInfo, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.fakehub.wire import git_blob_sha

BERT = "google-bert/bert-base-uncased"
LLAMA = "meta-llama/Llama-3.2-1B"
WHISPER = "/repos/openai/whisper"
TOKEN = {"Authorization": "Bearer hf_test"}
IMAGENET = "ILSVRC/imagenet-1k"
MODELS = sorted(DEFAULT_FIXTURES.glob("hf/models/*/*/info.json"))
DATASETS = sorted(DEFAULT_FIXTURES.glob("hf/datasets/*/*/info.json"))
GITHUB = sorted(p.parent for p in DEFAULT_FIXTURES.glob("github/*/*/repo.json"))
COURSE = DEFAULT_FIXTURES / "course_artifacts.json"


def _load(path: Path) -> Any:  # noqa: ANN401 - fixture JSON
    return json.loads(path.read_text())


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHub]:
    with FakeHub() as hub:
        yield hub


@pytest.fixture
def hub(server: FakeHub) -> Iterator[FakeHub]:
    server.clear_requests()
    yield server
    server.clear_faults()
    server.latency = 0.0


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url, timeout=5) as http:
        yield http


# -- Hugging Face ---------------------------------------------------------------------------


def test_model_info_lists_file_metadata_only_with_blobs(client: httpx.Client) -> None:
    plain = client.get(f"/api/models/{BERT}").json()
    assert {"rfilename": "config.json"} in plain["siblings"]
    assert all(set(s) == {"rfilename"} for s in plain["siblings"])
    full = client.get(f"/api/models/{BERT}", params={"blobs": "true"}).json()
    weights = next(s for s in full["siblings"] if s["rfilename"] == "model.safetensors")
    assert weights["size"] == weights["lfs"]["size"] > 400_000_000
    assert {"sha256", "size", "pointerSize"} <= set(weights["lfs"])
    assert full["usedStorage"] >= sum(s["size"] for s in full["siblings"])
    assert full["safetensors"] == {"parameters": {"F32": 110106428}, "total": 110106428}
    expanded = client.get(f"/api/models/{BERT}", params={"expand[]": ["sha", "gated"]}).json()
    assert set(expanded) == {"_id", "id", "sha", "gated"}


def test_model_info_at_a_revision(client: httpx.Client) -> None:
    sha = client.get(f"/api/models/{BERT}").json()["sha"]
    assert client.get(f"/api/models/{BERT}/revision/{sha}").json()["sha"] == sha
    missing = client.get(f"/api/models/{BERT}/revision/v9")
    assert (missing.status_code, missing.headers["x-error-code"]) == (404, "RevisionNotFound")


def test_resolve_serves_the_file_with_the_commit(client: httpx.Client) -> None:
    sha = client.get(f"/api/models/{BERT}").json()["sha"]
    for revision in ("main", sha):
        got = client.get(f"/{BERT}/resolve/{revision}/README.md")
        assert got.status_code == 200
        assert got.headers["x-repo-commit"] == sha
        assert got.headers["etag"] == f'"{git_blob_sha(got.content)}"'
        assert got.text.startswith("---\nlanguage: en")
    head = client.head(f"/{BERT}/resolve/main/config.json")
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(client.get(head.url).content)


def test_large_files_redirect_to_the_cdn(client: httpx.Client) -> None:
    got = client.head(f"/{BERT}/resolve/main/model.safetensors")
    assert got.status_code == 302
    assert got.headers["x-linked-size"] == "440449768"
    assert re.fullmatch(r'"[0-9a-f]{64}"', got.headers["x-linked-etag"])
    # the CDN honours Range: the last bytes of the 440 MB object, not the object
    tail = httpx.get(got.headers["location"], headers={"Range": "bytes=-16"})
    assert tail.status_code == 206
    assert tail.headers["content-range"] == "bytes 440449752-440449767/440449768"
    assert len(tail.content) == 16


def test_hub_errors(client: httpx.Client) -> None:
    missing = client.get("/api/models/acme/does-not-exist")
    assert (missing.status_code, missing.headers["x-error-code"]) == (401, "RepoNotFound")
    assert missing.json() == {"error": "Repository Not Found"}
    with_token = client.get("/acme/nope/resolve/main/x", headers=TOKEN)
    assert (with_token.status_code, with_token.headers["x-error-code"]) == (404, "RepoNotFound")
    no_file = client.get(f"/{BERT}/resolve/main/nope.bin")
    assert (no_file.status_code, no_file.headers["x-error-code"]) == (404, "EntryNotFound")


def test_gated_files_need_a_token(client: httpx.Client) -> None:
    assert client.get(f"/api/models/{LLAMA}").json()["gated"] == "manual"
    denied = client.get(f"/{LLAMA}/resolve/main/config.json")
    assert (denied.status_code, denied.headers["x-error-code"]) == (401, "GatedRepo")
    assert denied.json()["error"].startswith(f"Access to model {LLAMA} is restricted")
    allowed = client.get(f"/{LLAMA}/resolve/main/config.json", headers=TOKEN)
    assert allowed.json()["architectures"] == ["LlamaForCausalLM"]


def test_legacy_ids_redirect(client: httpx.Client) -> None:
    moved = client.get("/api/models/bert-base-uncased", params={"blobs": "true"})
    assert moved.status_code == 307
    assert moved.headers["location"] == f"/api/models/{BERT}?blobs=true"
    assert moved.text == f"Temporary Redirect. Redirecting to /api/models/{BERT}?blobs=true"
    got = client.get("/bert-base-uncased/resolve/main/config.json", follow_redirects=True)
    assert got.json()["model_type"] == "bert"
    # The old name is matched whatever its case; the redirect names the canonical repo.
    miscased = client.get("/api/models/BERT-Base-Uncased")
    assert (miscased.status_code, miscased.headers["location"]) == (307, f"/api/models/{BERT}")
    dataset = client.get("/api/datasets/imagenet-1k")
    assert (dataset.status_code, dataset.headers["location"]) == (307, f"/api/datasets/{IMAGENET}")


@pytest.mark.parametrize(
    ("kind", "asked", "canonical"),
    [
        ("models", "Google-Bert/BERT-base-uncased", BERT),
        ("models", "google-bert/bert-base-uncased", BERT),
        ("models", "META-LLAMA/llama-3.2-1b", LLAMA),
        ("datasets", "ilsvrc/IMAGENET-1K", IMAGENET),
        ("datasets", "Rajpurkar/Squad", "rajpurkar/squad"),
    ],
)
def test_ids_are_case_insensitive(
    client: httpx.Client, kind: str, asked: str, canonical: str
) -> None:
    # A miscased id is the same repo: answered directly (no redirect) with the canonical id,
    # as huggingface.co does (huggingface_hub#1453: the three casings give one id and sha).
    got = client.get(f"/api/{kind}/{asked}")
    assert got.status_code == 200
    assert got.json()["id"] == canonical
    assert got.json()["sha"] == client.get(f"/api/{kind}/{canonical}").json()["sha"]
    history = client.get(f"/api/{kind}/{asked}/commits/main")
    assert history.json()[0]["id"] == got.json()["sha"]


def test_miscased_files_resolve(client: httpx.Client) -> None:
    sha = client.get(f"/api/models/{BERT}").json()["sha"]
    got = client.get("/GOOGLE-BERT/Bert-Base-Uncased/resolve/main/config.json")
    assert (got.status_code, got.headers["x-repo-commit"]) == (200, sha)
    readme = client.get("/datasets/Rajpurkar/SQuAD/resolve/main/README.md")
    assert readme.status_code == 200


def test_commits_are_listed_newest_first_like_the_hub(client: httpx.Client) -> None:
    info = client.get(f"/api/models/{BERT}").json()
    got = client.get(f"/api/models/{BERT}/commits/main")
    assert got.status_code == 200
    commits = got.json()
    assert int(got.headers["x-total-count"]) == len(commits) > 5
    assert "link" not in got.headers  # one page: 50 a page by default
    assert commits[0]["id"] == info["sha"]
    for commit in commits:
        assert set(commit) == {"id", "title", "message", "authors", "date"}
        assert re.fullmatch(r"[0-9a-f]{40}", commit["id"])
        assert all(set(a) == {"user", "avatar"} for a in commit["authors"])
    dates = [datetime.fromisoformat(c["date"]) for c in commits]
    assert dates == sorted(dates, reverse=True)
    assert datetime.fromisoformat(info["lastModified"]) == dates[0]


def test_commits_page_by_p_and_limit(client: httpx.Client) -> None:
    everything = client.get(f"/api/models/{BERT}/commits/main").json()
    seen: list[dict[str, Any]] = []
    page = client.get(f"/api/models/{BERT}/commits/main", params={"limit": 4})
    while True:
        assert page.status_code == 200
        assert page.headers["x-total-count"] == str(len(everything))
        seen += page.json()
        if "next" not in page.links:
            break
        following = page.links["next"]["url"]
        assert following.startswith(f"{client.base_url}/api/models/{BERT}/commits/main?p=")
        assert following.endswith("&limit=4")
        page = client.get(following)
    assert seen == everything
    assert len(seen) > 8  # more than two pages were walked
    assert client.get(f"/api/models/{BERT}/commits/main", params={"p": 99}).json() == []


def test_commits_from_a_revision_and_errors(client: httpx.Client) -> None:
    everything = client.get(f"/api/models/{BERT}/commits/main").json()
    middle = everything[3]["id"]
    from_middle = client.get(f"/api/models/{BERT}/commits/{middle}")
    assert from_middle.json() == everything[3:]
    assert from_middle.headers["x-total-count"] == str(len(everything) - 3)
    missing = client.get(f"/api/models/{BERT}/commits/v9")
    assert (missing.status_code, missing.headers["x-error-code"]) == (404, "RevisionNotFound")
    unknown = client.get("/api/models/acme/nope/commits/main")
    assert (unknown.status_code, unknown.headers["x-error-code"]) == (401, "RepoNotFound")
    formatted = client.get(f"/api/models/{BERT}/commits/main", params={"expand[]": "formatted"})
    assert set(formatted.json()[0]["formatted"]) == {"title", "message"}


def test_commits_of_datasets_and_gated_repos_are_public(client: httpx.Client) -> None:
    for path, sha_of in [
        (f"/api/datasets/{IMAGENET}/commits/main", f"/api/datasets/{IMAGENET}"),
        (f"/api/models/{LLAMA}/commits/main", f"/api/models/{LLAMA}"),
    ]:
        got = client.get(path)
        assert got.status_code == 200
        assert got.json()[0]["id"] == client.get(sha_of).json()["sha"]


def test_huggingface_hub_lists_the_commits(hub: FakeHub) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    commits = api.list_repo_commits(BERT)
    assert commits[0].commit_id == api.model_info(BERT).sha
    assert {a for c in commits for a in c.authors} >= {"julien-c", "lysandre"}
    trainer = api.list_repo_commits("crangana/trained-gender")
    assert {a for c in trainer for a in c.authors} == {"crangana"}
    assert trainer[0].title == "End of training"
    squad = api.list_repo_commits("rajpurkar/squad", repo_type="dataset")
    assert squad[-1].created_at < squad[0].created_at


def test_datasets(client: httpx.Client) -> None:
    info = client.get("/api/datasets/stanfordnlp/imdb", params={"blobs": "true"}).json()
    assert info["cardData"]["task_categories"] == ["text-classification"]
    readme = client.get("/datasets/stanfordnlp/imdb/resolve/main/README.md")
    assert readme.headers["x-repo-commit"] == info["sha"]


def test_gated_dataset_metadata_is_public_and_its_card_is_not(client: httpx.Client) -> None:
    info = client.get(f"/api/datasets/{IMAGENET}")
    assert info.status_code == 200
    meta = info.json()
    assert meta["gated"] == "auto"
    assert meta["cardData"]["license"] == ["other"]
    assert meta["cardData"]["task_categories"] == ["image-classification"]
    assert meta["downloads"] > 0
    denied = client.get(f"/datasets/{IMAGENET}/resolve/main/README.md")
    assert (denied.status_code, denied.headers["x-error-code"]) == (401, "GatedRepo")
    assert denied.json()["error"].startswith(f"Access to dataset {IMAGENET} is restricted")
    allowed = client.get(f"/datasets/{IMAGENET}/resolve/main/README.md", headers=TOKEN)
    assert (allowed.status_code, allowed.headers["x-repo-commit"]) == (200, meta["sha"])


def test_huggingface_hub_understands_it(hub: FakeHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    info = api.model_info(BERT, files_metadata=True)
    assert info.safetensors is not None
    assert info.safetensors.total == 110106428
    path = hf_hub_download(BERT, "config.json", cache_dir=tmp_path, endpoint=hub.url, token=False)
    assert info.sha is not None
    assert info.sha in path
    cases: list[tuple[str, str, str, type[Exception]]] = [
        ("acme/nope", "model", "config.json", RepositoryNotFoundError),
        (LLAMA, "model", "config.json", GatedRepoError),
        (IMAGENET, "dataset", "README.md", GatedRepoError),
        (BERT, "model", "missing.json", EntryNotFoundError),
    ]
    for repo, kind, name, error in cases:
        with pytest.raises(error):
            hf_hub_download(
                repo, name, repo_type=kind, cache_dir=tmp_path, endpoint=hub.url, token=False
            )
    assert api.dataset_info(IMAGENET).gated == "auto"
    with pytest.raises(RevisionNotFoundError):
        api.model_info(BERT, revision="v9")


# -- GitHub ---------------------------------------------------------------------------------


def test_github_repo_and_headers(client: httpx.Client) -> None:
    got = client.get("/repos/google-research/bert")
    repo = got.json()
    assert (repo["archived"], repo["license"]["spdx_id"]) == (True, "Apache-2.0")
    for header in ("limit", "remaining", "reset", "resource"):
        assert got.headers[f"x-ratelimit-{header}"]
    assert got.headers["x-github-api-version-selected"] == "2022-11-28"
    missing = client.get("/repos/acme/nothing")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


def test_readme_as_json_and_raw(client: httpx.Client) -> None:
    content = client.get(f"{WHISPER}/readme").json()
    assert (content["type"], content["encoding"]) == ("file", "base64")
    assert content["name"] == content["path"] == "README.md"
    assert all(len(line) <= 60 for line in content["content"].splitlines())
    raw = client.get(f"{WHISPER}/readme", headers={"Accept": "application/vnd.github.raw"})
    assert raw.content == base64.b64decode(content["content"])
    assert content["sha"] == git_blob_sha(raw.content)


def test_license(client: httpx.Client) -> None:
    found = client.get(f"{WHISPER}/license").json()
    assert found["license"]["spdx_id"] == "MIT"
    assert base64.b64decode(found["content"]).startswith(b"MIT License")
    assert client.get("/repos/someuser/nolicense-scripts/license").status_code == 404


def test_contributors_are_ranked_and_paged(client: httpx.Client) -> None:
    first = client.get(f"{WHISPER}/contributors")
    assert len(first.json()) == 30
    assert 'rel="next"' in first.headers["link"]
    following = client.get(first.links["next"]["url"])
    people = first.json() + following.json()
    assert "link" not in client.get("/repos/google-research/bert/contributors").headers
    counts = [p["contributions"] for p in people]
    assert counts == sorted(counts, reverse=True)
    assert len(people) == len(_load(DEFAULT_FIXTURES / "github/openai/whisper/contributors.json"))


def test_commits_pulls_reviews_and_tree(client: httpx.Client) -> None:
    commits = client.get(f"{WHISPER}/commits", params={"sha": "main", "per_page": 5}).json()
    head = client.get(f"{WHISPER}/commits/main").json()
    assert commits[0]["sha"] == head["sha"]
    assert "stats" in head
    assert "stats" not in commits[0]
    assert client.get(f"{WHISPER}/commits/nope").status_code == 422
    pulls = client.get(f"{WHISPER}/pulls", params={"state": "closed"}).json()
    merged = next(p for p in pulls if p["merged_at"])
    reviews = client.get(f"{WHISPER}/pulls/{merged['number']}/reviews").json()
    files = client.get(f"{WHISPER}/pulls/{merged['number']}/files").json()
    assert all(r["state"] in {"APPROVED", "CHANGES_REQUESTED", "COMMENTED"} for r in reviews)
    assert files
    assert {"filename", "status", "additions", "deletions", "changes"} <= set(files[0])
    tree = client.get(f"{WHISPER}/git/trees/main", params={"recursive": "1"}).json()
    paths = {e["path"] for e in tree["tree"]}
    assert {".github/workflows/test.yml", "tests/test_audio.py", "pyproject.toml"} <= paths
    assert tree["truncated"] is False
    top = client.get(f"{WHISPER}/git/trees/{tree['sha']}").json()
    assert all("/" not in e["path"] for e in top["tree"])


# -- test controls --------------------------------------------------------------------------


def test_faults_then_recovery(hub: FakeHub, client: httpx.Client) -> None:
    hub.inject_fault(f"/api/models/{BERT}", status=429, times=2, retry_after=0.1)
    hub.inject_fault(WHISPER, status=403, retry_after=2)
    for _ in range(2):
        limited = client.get(f"/api/models/{BERT}")
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "0.1")
    assert client.get(f"/api/models/{BERT}").status_code == 200
    github = client.get(f"{WHISPER}/pulls")
    assert (github.status_code, github.headers["x-ratelimit-remaining"]) == (403, "0")
    assert client.get(f"{WHISPER}/pulls").status_code == 200
    assert hub.count(f"/api/models/{BERT}") == 3


def test_fault_delay_and_clearing(hub: FakeHub, client: httpx.Client) -> None:
    hub.inject_fault("/api/", status=503, delay=0.5, body={"error": "down"})
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/api/models/{BERT}", timeout=0.1)
    hub.inject_fault("/api/", status=500, times=5)
    hub.clear_faults()
    assert client.get(f"/api/models/{BERT}").status_code == 200


def test_latency_and_request_log(hub: FakeHub, client: httpx.Client) -> None:
    hub.latency = 0.2
    started = time.perf_counter()
    client.get(WHISPER, headers=TOKEN)
    assert time.perf_counter() - started >= 0.2
    hub.latency = 0.0
    client.get(f"{WHISPER}/pulls?state=closed")
    first, second = hub.requests[-2:]
    assert (first.method, first.path) == ("GET", WHISPER)
    assert first.headers["authorization"] == TOKEN["Authorization"]
    assert (second.query, second.params) == ("state=closed", {"state": ["closed"]})
    assert hub.count(WHISPER) == 1
    hub.clear_requests()
    assert hub.requests == []


def test_command_line() -> None:
    cmd = [sys.executable, "-m", "tests.fakehub", "--port", "0", "--quiet"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1]
            assert httpx.get(f"{url}/api/models/{BERT}").status_code == 200
        finally:
            proc.terminate()


# -- fixture coherence ----------------------------------------------------------------------

EXTERNAL = _load(DEFAULT_FIXTURES / "hf/external.json")
REDIRECTS = _load(DEFAULT_FIXTURES / "hf/redirects.json")


def _known(kind: str, repo_id: str) -> bool:
    """A fixture (by its id or an old id the hub redirects), or an id marked external."""
    folder = "models" if kind == "model" else "datasets"
    canonical = {k.lower(): v for k, v in REDIRECTS[folder].items()}.get(repo_id.lower(), repo_id)
    carried = (DEFAULT_FIXTURES / "hf" / folder / canonical / "info.json").is_file()
    return carried or repo_id in EXTERNAL[folder]


@pytest.mark.parametrize("path", MODELS, ids=_id)
def test_model_fixture(path: Path, client: httpx.Client) -> None:
    info = _load(path)
    ModelInfo(**info)  # type: ignore[no-untyped-call]  # huggingface_hub leaves **kwargs untyped
    card = info.get("cardData", {})  # the hub leaves it out when a repo has no README
    ModelCardData(**card)  # strict: a broken model-index raises
    assert ("cardData" in info) == any(s["rfilename"] == "README.md" for s in info["siblings"])
    _check_repo(path, info, client)
    licence = card.get("license")
    licence_tags = [t for t in info["tags"] if t.startswith("license:")]
    assert licence_tags == ([f"license:{licence}"] if licence else [])
    for dataset in card.get("datasets") or []:
        assert f"dataset:{dataset}" in info["tags"]
        assert _known("dataset", dataset), f"{dataset} is neither a fixture nor external.json"
    if base := card.get("base_model"):
        assert f"base_model:{base}" in info["tags"]
        assert _known("model", base), f"{base} is neither a fixture nor external.json"
    config = path.parent / "files/config.json"
    if config.is_file() and (parent := _load(config).get("_name_or_path")):
        assert _known("model", parent), f"{parent} is neither a fixture nor external.json"
    if info.get("safetensors"):
        params = info["safetensors"]["parameters"]
        assert info["safetensors"]["total"] == sum(params.values())


@pytest.mark.parametrize("path", DATASETS, ids=_id)
def test_dataset_fixture(path: Path, client: httpx.Client) -> None:
    info = _load(path)
    DatasetInfo(**info)  # type: ignore[no-untyped-call]  # huggingface_hub leaves **kwargs untyped
    _check_repo(path, info, client)
    licences = info["cardData"].get("license") or []
    licences = [licences] if isinstance(licences, str) else licences
    assert [t for t in info["tags"] if t.startswith("license:")] == [
        f"license:{x}" for x in licences
    ]


def _check_repo(path: Path, info: dict[str, Any], client: httpx.Client) -> None:
    """What every HF fixture owes: a commit id that its files and its history agree on, and a
    file listing that matches the shipped bytes and carries LFS pointers for the rest."""
    assert re.fullmatch(r"[0-9a-f]{40}", info["sha"])
    kind = "datasets/" if "/hf/datasets/" in str(path) else ""
    shipped = sorted(p.name for p in (path.parent / "files").iterdir())
    got = client.get(f"/{kind}{info['id']}/resolve/main/{shipped[0]}", headers=TOKEN)
    assert got.headers["x-repo-commit"] == info["sha"]
    history = _load(path.parent / "commits.json")
    assert history[0]["id"] == info["sha"]
    assert history[0]["date"] == info["lastModified"]
    # (no check against createdAt: repos from before the hub's 2022 migration are "created" then,
    # years after their first commit, as on huggingface.co)
    assert len({c["id"] for c in history}) == len(history)
    for sibling in info["siblings"]:
        file = path.parent / "files" / sibling["rfilename"]
        if file.is_file():  # run `python -m tests.fakehub.sync` after editing a fixture file
            data = file.read_bytes()
            assert (sibling["size"], sibling["blobId"]) == (len(data), git_blob_sha(data))
        if lfs := sibling.get("lfs"):
            assert re.fullmatch(r"[0-9a-f]{64}", lfs["sha256"])
            assert lfs["size"] == sibling["size"] > 0
            # a git-lfs pointer: version line, "oid sha256:<64 hex>", "size <n>", each ending "\n"
            assert lfs["pointerSize"] == 125 + len(str(lfs["size"]))
    assert info["usedStorage"] >= sum(int(s.get("size") or 0) for s in info["siblings"])


def test_lineage_fixtures() -> None:
    chain = ["microsoft/resnet-50", "crangana/trained-gender", "onnx-community/trained-gender-ONNX"]
    for parent, child in itertools.pairwise(chain):
        folder = DEFAULT_FIXTURES / "hf/models" / child
        assert _load(folder / "files/config.json")["_name_or_path"] == parent
        assert _load(folder / "info.json")["cardData"]["base_model"] == parent


@pytest.mark.parametrize("folder", GITHUB, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_github_fixture(folder: Path) -> None:
    commits = {c["sha"] for c in _load(folder / "commits.json")}
    for pull in _load(folder / "pulls.json"):
        if pull["merged_at"]:
            assert pull["merge_commit_sha"] in commits
    readme = (folder / "README.md").read_bytes()
    tree = {e["path"]: e for e in _load(folder / "tree.json")["tree"]}
    assert tree["README.md"]["sha"] == git_blob_sha(readme)
    licence_files = [*folder.glob("LICENSE*"), *folder.glob("COPYING*")]
    assert bool(licence_files) == (_load(folder / "repo.json")["license"] is not None)
    for file in licence_files:
        assert tree[file.name]["sha"] == git_blob_sha(file.read_bytes())


# -- the course's test artifacts ----------------------------------------------------------


def test_course_artifacts_list() -> None:
    course = _load(COURSE)
    counts = {kind: len(course[kind]) for kind in ("models", "datasets", "code")}
    assert counts == {"models": 13, "datasets": 7, "code": 10}
    names = [a["name"] for kind in counts for a in course[kind]]
    assert len(set(names)) == 30
    assert "a" * 95 + "b" in names  # the hub's longest repo name, 96 characters
    assert course["sources"]


def _course_urls(*kinds: str, host: str) -> list[tuple[str, str]]:
    course = _load(COURSE)
    return [(k, a["url"]) for k in kinds for a in course[k] if a["url"].startswith(host)]


@pytest.mark.parametrize(
    ("kind", "url"),
    _course_urls("models", "datasets", host="https://huggingface.co/"),
    ids=lambda v: str(v)[-40:],
)
def test_course_hugging_face_artifacts_are_served(
    kind: str, url: str, client: httpx.Client
) -> None:
    path = url.removeprefix("https://huggingface.co/").removeprefix("datasets/")
    got = client.get(f"/api/{kind}/{path}", follow_redirects=True)
    assert got.status_code == 200
    assert got.json()["id"].lower().endswith(path.lower())


@pytest.mark.parametrize(
    ("kind", "url"),
    _course_urls("datasets", "code", host="https://github.com/"),
    ids=lambda v: str(v)[-40:],
)
def test_course_github_artifacts_are_served(kind: str, url: str, client: httpx.Client) -> None:
    owner, name = url.removeprefix("https://github.com/").split("/")[:2]
    got = client.get(f"/repos/{owner}/{name.removesuffix('.git')}")
    assert got.status_code == 200
