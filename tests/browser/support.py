"""What the browser tests share: signing in through the UI's own form, reading the token the
page holds, and setting up data over GraphQL (set-up, not what a test is about)."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD
from tests.support import queries

ME = "query { me { name } }"
INGEST_SECONDS = 60


def graphql(server: str, token: str, query: str, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
    """The whole GraphQL answer (data and errors)."""
    answer = httpx.post(
        f"{server}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": token},
        timeout=30,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def gql(server: str, token: str, query: str, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
    """The data of a GraphQL answer that must have no errors."""
    body = graphql(server, token, query, **variables)
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def ingest(server: str, token: str, url: str, kind: str = "MODEL") -> str:
    """The id of the artifact stored from ``url``, once its ingest is DONE."""
    payload = gql(server, token, queries.INGEST, url=url, type=kind)["ingest"]
    assert payload["error"] is None, payload
    deadline = time.monotonic() + INGEST_SECONDS
    while time.monotonic() < deadline:
        job = gql(server, token, queries.JOB, id=payload["job"]["id"])["ingestJob"]
        if job["state"] in {"DONE", "FAILED"}:
            assert job["state"] == "DONE", job
            artifact_id: str = job["artifact"]["id"]
            return artifact_id
        time.sleep(0.1)
    pytest.fail(f"the ingest of {url} did not finish in {INGEST_SECONDS} s")


def fill_sign_in(page: Page, user: str, password: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(
    page: Page,
    server: str,
    user: str = ADMIN,
    password: str = ADMIN_PASSWORD,
    then: str | None = None,
) -> None:
    """Through the sign-in form; on to the fragment path ``then`` when given."""
    page.goto(f"{server}/#/signin" + (f"?next={then}" if then else ""))
    fill_sign_in(page, user, password)
    expect(page.get_by_test_id("who")).to_have_text(user)
    if then:
        expect(page).to_have_url(re.compile(re.escape(f"#{then}") + "$"))


def page_token(page: Page) -> str:
    token = page.evaluate("sessionStorage.getItem('tmr.token')")
    assert isinstance(token, str)
    assert token
    return token


def refused(server: str, token: str) -> bool:
    errors = graphql(server, token, ME).get("errors") or []
    return any(e.get("extensions", {}).get("code") == "UNAUTHENTICATED" for e in errors)
