"""GraphiQL as a person uses it: a subscription to ingest progress, with the token pasted into
its Headers pane, streams the job's states to DONE (GraphiQL sends those headers in the
graphql-transport-ws ``connection_init`` payload, the only place a browser can put them)."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleWatch
from tests.browser.support import gql
from tests.support import queries
from tests.support.processes import admin_token

WHISPER = "https://huggingface.co/openai/whisper-tiny"
PROGRESS = "subscription($id: ID!) { ingestProgress(jobId: $id) { state netScore } }"


def _queue_ingest(server: str, token: str) -> str:
    """A queued ingest's job id, not waited for: the subscription is to see it progress."""
    payload = gql(server, token, queries.INGEST, url=WHISPER, type="MODEL")["ingest"]
    assert payload["error"] is None, payload
    job_id: str = payload["job"]["id"]
    return job_id


def _open_with_subscription(page: Page, server: str, job_id: str) -> None:
    variables = json.dumps({"id": job_id})
    page.goto(f"{server}/graphql?q={quote(PROGRESS)}&variables={quote(variables)}")
    expect(page.get_by_test_id("graphiql-container")).to_be_visible()


def _paste_headers(page: Page, text: str) -> None:
    page.get_by_role("button", name="Headers").click()
    editor = page.locator(".graphiql-editor-tool .graphiql-editor").last
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)  # a paste: no key events, so no auto-closed brackets


def _result(page: Page) -> str:
    return page.locator(".result-window").inner_text()


def test_subscription_with_a_pasted_token_streams_to_done(page: Page, server: str) -> None:
    token = admin_token(server)
    job_id = _queue_ingest(server, token)
    _open_with_subscription(page, server, job_id)
    _paste_headers(page, json.dumps({"Authorization": token}))
    page.locator(".graphiql-execute-button").click()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = _result(page)
        if '"state"' in text:
            state = text.split('"state": "', 1)[1].split('"', 1)[0]
            if not seen or seen[-1] != state:
                seen.append(state)
            if state in {"DONE", "FAILED"}:
                break
        page.wait_for_timeout(50)
    assert seen, "no state arrived"
    assert seen[-1] == "DONE", seen
    assert '"netScore": 0.' in _result(page)


def test_subscription_without_a_token_is_refused_and_says_why(
    page: Page, server: str, console: ConsoleWatch
) -> None:
    # GraphiQL shows the refusal, and its fetcher also leaves the error list as an unhandled
    # rejection; any other console error still fails the test.
    console.expect("uncaught: Array(1)")
    job_id = _queue_ingest(server, admin_token(server))
    _open_with_subscription(page, server, job_id)
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".result-window")).to_contain_text("UNAUTHENTICATED", timeout=20_000)
