"""The pages a browser is sent to - the web UI, GraphiQL, the REST docs - answer without a
token, and everything they load is a file the registry serves itself (it works offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.http.web import STATIC_DIR
from app.settings import Settings
from tests.support.registry import running_registry

PAGES = ("/", "/graphql", "/schema", "/schema/swagger")
# src="..." / href="..." / url: '...' in a page, and ES module imports in the UI's scripts
_LINK = re.compile(r"""(?:src|href)\s*=\s*["']([^"'#]+)["']|url:\s*["']([^"']+)["']""")
_IMPORT = re.compile(r"""(?:from\s+|import\s*\(\s*)["'`](\.{1,2}/[^"'`$]+)["'`]""")
_NO_TOKEN = {"Authorization": "", "Accept": "text/html"}


@pytest.mark.parametrize("page", PAGES)
async def test_page_and_all_it_links_are_served_locally_without_a_token(
    settings: Settings, page: str
) -> None:
    async with running_registry(settings, worker=False) as registry:
        answer = await registry.client.get(page, headers=_NO_TOKEN)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        links = [a or b for a, b in _LINK.findall(answer.text)]
        assert links, "a page with nothing to load is not the page a browser gets"
        for link in links:
            assert link.startswith("/"), f"{page} loads {link}"
            assert not link.startswith("//"), f"{page} loads {link}"
            fetched = await registry.client.get(link, headers=_NO_TOKEN)
            assert fetched.status_code == 200, (page, link)


def test_every_module_the_ui_imports_ships_with_it() -> None:
    ui = STATIC_DIR / "ui"
    scripts = sorted(ui.rglob("*.js"))
    assert scripts
    for script in scripts:
        for target in _IMPORT.findall(script.read_text()):
            assert (script.parent / target).resolve().is_file(), f"{script.name} imports {target}"


def test_every_page_the_router_names_ships_with_it() -> None:
    ui = STATIC_DIR / "ui"
    router = (ui / "app.js").read_text()
    pages = set(re.findall(r'\["/[^"]*",\s*"([a-z]+)"', router))
    assert {"signin", "search", "artifact", "lineage", "ingest", "job", "admin"} <= pages
    missing = [p for p in sorted(pages) if not Path(ui / "pages" / f"{p}.js").is_file()]
    assert missing == []
