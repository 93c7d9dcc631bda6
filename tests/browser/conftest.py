"""The web UI and the IDE pages in a real browser: Debian's Chromium, driven by Playwright with
the system executable (no browser download), against the registry served over real HTTP on the
fake hub. Every page a test opens fails the test if it logs a console error or throws.

Without Chromium on the machine the module is skipped, unless ``REQUIRE_BROWSER`` is set
(CI sets it, after installing Chromium), where a missing browser is a failure."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    expect,
    sync_playwright,
)

from app.auth.entities import DEFAULT_ADMIN, PUBLISHED_ADMIN_PASSWORD
from app.settings import Settings
from tests.cli.conftest import serve

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# As root in a sandbox with no internet: no sandbox, no GPU, and none of the background
# connections a closed network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ADMIN = DEFAULT_ADMIN
ADMIN_PASSWORD = PUBLISHED_ADMIN_PASSWORD

pytestmark = pytest.mark.timeout(180)
# Assertions wait as long as actions do: on a busy two-core machine a page's answer can take
# longer than Playwright's 5 s default, which would fail a correct page.
expect.set_options(timeout=20_000)


# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, which async tests of later modules could not start theirs beside.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"no Chromium at {CHROMIUM} (REQUIRE_BROWSER is set)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from serve(settings, monkeypatch)


class ConsoleWatch:
    """Console errors and uncaught exceptions of every page in a context."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._expected: list[str] = []

    def expect(self, problem: str) -> None:
        """A problem the test provokes on purpose; it must then occur, exactly so."""
        self._expected.append(problem)

    def unexpected(self) -> list[str]:
        missing = [p for p in self._expected if p not in self.problems]
        return [p for p in self.problems if p not in self._expected] + [
            f"expected but not seen: {p}" for p in missing
        ]

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} at {message.location}")


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def context(browser: Browser, console: ConsoleWatch) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(20_000)
    ctx.on("page", console.attach)
    yield ctx
    with contextlib.suppress(Error):  # the browser went away with a failed test
        ctx.close()
    assert not console.unexpected(), "\n".join(console.unexpected())


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    """A PNG of the page: into ``docs/screenshots`` (shown by the README) when
    ``UPDATE_SCREENSHOTS`` is set, else beside the test's other files."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    return target
