"""The web UI's ingest and admin pages in Chromium, against the registry served over real HTTP on
the fake hub: an ingest followed live from the form to the stored artifact, a gate rejection
explained, the ingest form's refusals, and an administrator managing users and resetting the
registry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from app.settings import Settings
from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, ConsoleWatch, screenshot
from tests.browser.support import graphql, ingest, page_token, refused, sign_in
from tests.cli.conftest import serve
from tests.fakehub import FakeHub
from tests.support.processes import admin_token
from tests.support.scoring import METRICS

WHISPER = "https://huggingface.co/openai/whisper-tiny"
AUDIENCE = "https://huggingface.co/parvk11/audience_classifier_model"

JOB = """query Job($id: ID!) {
  ingestJob(id: $id) { state gate { failures { metric } } artifact { id } }
}"""

# Each (state, metric rows) the job page showed, in order, recorded in the page as it changes:
# what tells a page that followed the job live from one that only drew where it ended.
WATCH_PROGRESS = """
window.seenProgress = [];
new MutationObserver(() => {
  const status = document.querySelector("[data-testid=job-state]");
  if (!status) return;
  const state = status.textContent.split(":")[0];
  const rows = document.querySelectorAll("table.job-metrics tbody tr").length;
  const last = window.seenProgress[window.seenProgress.length - 1];
  if (!last || last[0] !== state || last[1] !== rows) window.seenProgress.push([state, rows]);
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


PHONE: ViewportSize = {"width": 390, "height": 844}


def fits_the_width(page: Page) -> bool:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.fixture
def gated_server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from serve(settings.model_copy(update={"gate_enabled": True}), monkeypatch)


def submit_ingest(page: Page, url: str) -> None:
    page.get_by_label("Upstream URL").fill(url)
    page.get_by_label("Type").select_option("MODEL")
    page.get_by_role("button", name="Ingest", exact=True).click()


def test_an_ingest_is_followed_live_to_the_stored_artifact(
    page: Page, server: str, hub: FakeHub, tmp_path: Path
) -> None:
    # A hub this slow keeps each step on screen long enough for the page to show it; the real
    # one is slower still.
    hub.latency = 0.3
    page.add_init_script(WATCH_PROGRESS)
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    submit_ingest(page, WHISPER)

    expect(page).to_have_url(re.compile(r"#/jobs/[^/]+$"))
    status = page.get_by_test_id("job-state")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text(re.compile("^DONE"), timeout=60_000)
    screenshot(page, "ingest-progress", tmp_path)

    seen: list[list[Any]] = page.evaluate("window.seenProgress")
    states = [state for state, _ in seen]
    assert "SCORING" in states, seen
    assert states.index("SCORING") < states.index("DONE"), seen
    # Metrics appeared while the job was still running, not all at once at the end.
    assert any(rows >= 1 for state, rows in seen if state != "DONE"), seen

    for state in ("QUEUED", "FETCHING", "SCORING", "GATED", "MIRRORING", "STORING", "DONE"):
        step = page.locator(f"ol.states li[data-state={state}]")
        expect(step).to_have_class(re.compile(r"\breached\b"))
        expect(step.locator("time")).to_have_count(1)
    rows = page.locator("table.job-metrics tbody tr")
    expect(rows).to_have_count(len(METRICS))
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.metric)")) == METRICS
    expect(page.get_by_test_id("net-score")).to_contain_text(re.compile(r"\d\.\d\d"))
    expect(page.get_by_test_id("gate-verdict")).to_contain_text("passed")

    page.get_by_test_id("artifact-link").click()
    expect(page).to_have_url(re.compile(r"#/artifact/[^/]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("whisper-tiny")


def test_a_gate_rejection_is_explained(page: Page, gated_server: str, tmp_path: Path) -> None:
    sign_in(page, gated_server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    submit_ingest(page, AUDIENCE)

    expect(page.get_by_test_id("job-state")).to_have_text(re.compile("^FAILED"), timeout=60_000)
    expect(page.locator("ol.states li[data-state=FAILED]")).to_have_class(re.compile(r"\bfailed\b"))
    expect(page.locator("ol.states li[data-state=DONE]")).to_have_count(0)
    expect(page.get_by_test_id("job-outcome").get_by_role("alert")).to_contain_text("gate_rejected")
    expect(page.get_by_test_id("gate-verdict")).to_contain_text("failed")
    expect(page.get_by_test_id("gate-verdict")).to_contain_text("ENFORCE", ignore_case=True)
    screenshot(page, "gate-rejection", tmp_path)

    job_id = page.url.rsplit("/", 1)[1]
    job = graphql(gated_server, admin_token(gated_server), JOB, id=job_id)["data"]["ingestJob"]
    failing = [f["metric"] for f in job["gate"]["failures"]]
    assert failing
    assert set(failing) <= METRICS | {"net_score"}  # the threshold on the net score too
    shown = page.locator("table.gate-failures tbody tr")
    assert shown.evaluate_all("rs => rs.map(r => r.dataset.failure)") == failing
    for metric in failing:
        expect(page.locator("table.gate-failures")).to_contain_text(metric)
    assert job["artifact"] is None

    page.set_viewport_size(PHONE)
    assert fits_the_width(page)


def test_a_job_reset_away_while_watched_stops_its_progress_and_reload_says_so(
    page: Page, server: str, hub: FakeHub
) -> None:
    hub.latency = 1.0  # the job is still fetching when the registry is reset under it
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    submit_ingest(page, WHISPER)
    expect(page.get_by_test_id("job-state")).to_have_text(re.compile("^(QUEUED|FETCHING)"))

    assert graphql(server, admin_token(server), "mutation { reset { ok } }")["data"] == {
        "reset": {"ok": True}
    }
    expect(page.get_by_text("Live progress stopped")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("does not exist")
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingest job not found")
    expect(page.get_by_role("link", name="Start an ingest")).to_be_visible()


def test_the_ingest_form_shows_a_conflict_and_a_bad_url(page: Page, server: str) -> None:
    stored = ingest(server, admin_token(server), WHISPER)
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/ingest")

    submit_ingest(page, WHISPER)
    outcome = page.get_by_test_id("ingest-outcome")
    expect(outcome.get_by_role("alert")).to_contain_text("conflict")
    link = outcome.get_by_role("link", name="open the stored artifact")
    expect(link).to_have_attribute("href", f"#/artifact/{stored}")
    expect(page).to_have_url(re.compile("#/ingest$"))

    submit_ingest(page, "https://example.com/not/a/hub")
    expect(outcome.get_by_role("alert")).to_contain_text("validation")
    expect(outcome.get_by_role("link")).to_have_count(0)
    expect(page.get_by_label("Upstream URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Upstream URL")).to_be_focused()


def test_an_admin_creates_and_deletes_a_user_with_search_only(
    browser: Browser, page: Page, server: str, console: ConsoleWatch
) -> None:
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/admin")
    expect(page.locator(f"tr[data-user='{ADMIN}']")).to_be_visible()
    page.get_by_label("User name").fill("reader")
    page.get_by_label("Password", exact=True).fill("reader-password")
    page.get_by_label("Search: find and read artifacts").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status").first).to_contain_text("Created the user reader.")
    expect(page.locator("tr[data-user=reader]")).to_contain_text("SEARCH")
    expect(page.locator("tr[data-user=reader]")).not_to_contain_text("UPLOAD")

    reader_context = browser.new_context()
    reader_context.on("page", console.attach)
    try:
        reader = reader_context.new_page()
        sign_in(reader, server, "reader", "reader-password", then="/ingest")
        nav = reader.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Artifacts")).to_be_visible()
        expect(nav.get_by_role("link", name="Ingest")).to_have_count(0)
        expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
        expect(reader.get_by_role("main")).to_contain_text("needs the upload permission")
        expect(reader.get_by_role("button", name="Ingest")).to_have_count(0)
        reader.goto(f"{server}/#/admin")
        expect(reader.get_by_role("alert")).to_contain_text("for administrators")
        reader_token = page_token(reader)
    finally:
        reader_context.close()

    delete = page.get_by_role("button", name="Delete reader")
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete the user reader?")
    # Enter on a destructive question must not destroy: Cancel has the focus, Escape cancels.
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("tr[data-user=reader]")).to_be_visible()
    delete.click()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("tr[data-user=reader]")).to_be_visible()

    delete.click()
    dialog.get_by_role("button", name="Delete user").click()
    expect(page.get_by_role("status").first).to_contain_text("Deleted the user reader.")
    expect(page.locator("tr[data-user=reader]")).to_have_count(0)
    assert refused(server, reader_token)

    page.set_viewport_size(PHONE)
    assert fits_the_width(page)


CREATE_USER = """mutation Create($name: String!, $password: String!) {
  createUser(name: $name, password: $password, permissions: [SEARCH]) { user { name } }
}"""
AUTHENTICATE = """mutation SignIn($name: String!, $password: String!) {
  authenticate(username: $name, password: $password) { token }
}"""


def test_reset_needs_the_word_typed_then_signs_out(page: Page, server: str) -> None:
    admin = admin_token(server)
    ingest(server, admin, WHISPER)
    graphql(server, admin, CREATE_USER, name="reader", password="reader-password")
    reader = graphql(server, admin, AUTHENTICATE, name="reader", password="reader-password")
    reader_token = reader["data"]["authenticate"]["token"]
    assert not refused(server, reader_token)
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/admin")

    button = page.get_by_role("button", name="Reset the registry")
    confirm = page.get_by_label("Type RESET to confirm")
    expect(button).to_be_disabled()
    confirm.fill("reset")
    expect(button).to_be_disabled()
    confirm.fill("RESET")
    expect(button).to_be_enabled()
    button.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("The registry was reset")
    expect(page.get_by_test_id("who")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('tmr.token')") is None
    assert refused(server, reader_token)
    after = graphql(
        server, admin_token(server), "query { users { name } artifacts { totalCount } }"
    )
    assert after["data"] == {"users": [{"name": ADMIN}], "artifacts": {"totalCount": 0}}


@pytest.fixture
def mirroring_server(
    settings: Settings, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    copying = {"mirror_max_bytes": 64 * 1024 * 1024, "upstream_allowed_hosts": [hub.hf.cdn_url]}
    yield from serve(settings.model_copy(update=copying), monkeypatch)


def test_a_copied_model_shows_its_files_live_and_downloads_by_part(
    page: Page, mirroring_server: str
) -> None:
    sign_in(page, mirroring_server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    submit_ingest(page, "https://huggingface.co/tmr-fixtures/tiny-bert-base")
    expect(page.get_by_test_id("job-state")).to_have_text(re.compile("^DONE"), timeout=60_000)
    copies = page.get_by_test_id("file-copies")
    weights = copies.locator("li", has_text="model.safetensors")
    expect(weights).to_contain_text("1.9 MB of 1.9 MB")
    bar = weights.locator("progress")
    expect(bar).to_have_attribute("max", "1857580")
    expect(bar).to_have_attribute("value", "1857580")
    expect(copies.locator("li", has_text="vocab.txt")).to_have_count(1)

    # the artifact page lists what the registry holds and what stayed upstream, and downloads
    # one part of the package
    page.get_by_test_id("artifact-link").click()
    files = page.get_by_test_id("artifact-files")
    expect(files.locator("tr[data-held=true]", has_text="model.safetensors")).to_have_count(1)
    duplicate = files.locator("tr[data-held=false]", has_text="pytorch_model.bin")
    expect(duplicate).to_contain_text("safetensors")
    expect(duplicate.get_by_role("link", name="upstream")).to_have_attribute(
        "href", re.compile(r"/tmr-fixtures/tiny-bert-base/resolve/[0-9a-f]{40}/pytorch_model\.bin$")
    )
    page.get_by_label("Part to download").select_option("WEIGHTS")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).click()
    assert download.value.suggested_filename == "tiny-bert-base-weights.zip"
