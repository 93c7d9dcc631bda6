"""Several API processes over the same backends, as an operator runs them: separate
``tmr serve`` processes, or ``tmr serve --workers N`` on one port. What one process changes,
the next request to any other sees (DESIGN §9)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.support.processes import admin_token, serve_process

pytestmark = pytest.mark.timeout(300)

# the pages a person opens, as the startup log names them (at the registry's public URL)
PAGES = r"web UI (http://\S+)/ , GraphiQL \1/graphql , REST docs \1/schema"
PROBE = '{ ingestJob(id: "none") { id } }'


def _gql(url: str, token: str, query: str) -> dict[str, object]:
    answer = httpx.post(
        f"{url}/graphql", headers={"Authorization": token}, json={"query": query}, timeout=30
    )
    body: dict[str, object] = answer.json()
    return body


def _code(url: str, token: str) -> str:
    body = _gql(url, token, PROBE)
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if isinstance(errors, list) else "OK"


def _user_token(url: str, admin: str, name: str) -> str:
    created = _gql(
        url,
        admin,
        f'mutation {{ createUser(name: "{name}", password: "long-enough-1", '
        "permissions: [SEARCH]) { error { __typename } } }",
    )
    assert created == {"data": {"createUser": {"error": None}}}, created
    token = _gql(
        url,
        admin,
        f'mutation {{ authenticate(username: "{name}", password: "long-enough-1") {{ token }} }}',
    )
    value = token["data"]["authenticate"]["token"]  # type: ignore[index]
    assert isinstance(value, str)
    return value


def test_a_change_in_one_process_is_seen_by_the_next_request_to_another(
    settings: Settings, tmp_path: Path
) -> None:
    shared = settings.as_environment()
    with (
        serve_process(tmp_path / "one", shared, worker=False) as one,
        serve_process(tmp_path / "two", shared, worker=False) as two,
    ):
        admin = admin_token(one)
        revoked = _user_token(one, admin, "revoked")
        deleted = _user_token(one, admin, "deleted")
        warm = [_code(two, t) for t in (revoked, deleted)]  # cached in process two
        _gql(one, admin, f'mutation {{ revokeToken(token: "{revoked}") }}')
        after_revoke = _code(two, revoked)
        _gql(one, admin, 'mutation { deleteUser(name: "deleted") { deletedName } }')
        after_delete = _code(two, deleted)
        startup = (tmp_path / "one" / "serve.log").read_text()
    # the startup log names the pages a person opens
    assert re.search(PAGES, startup), startup[-500:]
    assert warm == ["OK", "OK"]
    assert after_revoke == "UNAUTHENTICATED"
    assert after_delete == "UNAUTHENTICATED"


def test_serve_with_workers_runs_that_many_api_processes(
    settings: Settings, tmp_path: Path
) -> None:
    with serve_process(
        tmp_path, settings.as_environment(), worker=False, args=("--workers", "2")
    ) as url:
        admin = admin_token(url)
        codes = {_code(url, admin) for _ in range(20)}
        log = (tmp_path / "serve.log").read_text()
    assert codes == {"OK"}
    assert re.search("registry starting 2 API processes: " + PAGES, log)
    assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 2
