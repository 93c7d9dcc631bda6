"""What a browser loads: the web UI at ``/``, the static files it and the IDE pages use, and
the REST docs (Swagger UI) - all from files that ship with the app, so every page
works offline, and none of it needs a token (the pages hold no data; the UI asks the public
GraphQL API with the token its user signs in for)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Final

from litestar import Router, get
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import File
from litestar.static_files import create_static_files_router

from app.http.access import PUBLIC

STATIC_DIR: Final = Path(__file__).resolve().parents[1] / "static"
STATIC_PATH: Final = "/static"
UI_INDEX: Final = STATIC_DIR / "ui" / "index.html"
DOCS_PATH: Final = "/schema"
_VENDOR: Final = f"{STATIC_PATH}/vendor"
_FAVICON: Final = f"<link rel='icon' type='image/svg+xml' href='{STATIC_PATH}/ui/favicon.svg'>"


@get("/", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def web_ui() -> File:
    """The single page of the web UI; it routes by the URL's fragment, so this is its only
    server route. Never cached, so a new release's page (and asset links) load at once."""
    return File(
        UI_INDEX,
        media_type="text/html",
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache"},
    )


static_files = create_static_files_router(
    path=STATIC_PATH,
    directories=[STATIC_DIR],
    include_in_schema=False,
    opt=PUBLIC,
)


def openapi_config() -> OpenAPIConfig:
    """The REST contract's docs at ``/schema`` (Swagger UI; the document itself at
    ``/schema/openapi.json``), with their scripts served from the app. (ReDoc is left out:
    its page loads a logo from its CDN.)"""
    return OpenAPIConfig(
        title="Trustworthy Model Registry",
        version=version("trustworthy-model-registry"),
        openapi_router=Router(DOCS_PATH, route_handlers=[], opt=PUBLIC),
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=f"{_VENDOR}/swagger-ui-dist/swagger-ui-bundle.js",
                css_url=f"{_VENDOR}/swagger-ui-dist/swagger-ui.css",
                standalone_preset_js_url=f"{_VENDOR}/swagger-ui-dist/swagger-ui-standalone-preset.js",
                favicon=_FAVICON,
            ),
        ],
    )
