"""Every page a browser is sent to loads with no console error, from files the app serves
itself: the web UI, GraphiQL and the REST docs (Swagger UI) (the suite has no internet, as a user
offline has none)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

PAGES = {
    "/": "#app",
    "/graphql": ".graphiql-container",
    "/schema": ".swagger-ui",
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_page_renders_from_local_files_only(page: Page, server: str, path: str) -> None:
    foreign: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith((server, "data:", "blob:")):
            foreign.append(request.url)

    page.on("request", note)
    page.goto(server + path, wait_until="networkidle")
    page.wait_for_selector(PAGES[path], state="attached")
    assert foreign == []
