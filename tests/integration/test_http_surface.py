"""What the app serves besides GraphQL operations: health, GraphiQL offline, downloads."""

from __future__ import annotations

import logging

import pytest

from app.settings import Settings
from tests.support.registry import running_registry


async def test_health_reports_each_backend(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        response = await registry.client.get("/health")
        gql = await registry.gql("{ health { ok components { name ok } } }")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {c["id"] for c in body["components"]} == {
        "documents",
        "queue",
        "blobs",
        "files",
        "workers",
    }
    assert all(c["status"] == "ok" for c in body["components"])
    # no worker, and nothing queued for one: not an outage
    assert body["workers"] == {"live": 0}
    assert body["queue"] == {"depth": 0}
    assert gql["health"]["ok"] is True


async def test_graphiql_is_served_with_its_assets_and_no_cdn(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        page = await registry.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "unpkg.com" not in page.text
        assets = [
            "/static/graphiql/graphiql/graphiql.min.js",
            "/static/graphiql/graphiql/graphiql.min.css",
            "/static/graphiql/react/umd/react.production.min.js",
            "/static/graphiql/react-dom/umd/react-dom.production.min.js",
            "/static/graphiql/@graphiql/plugin-explorer/dist/index.umd.js",
        ]
        for asset in assets:
            assert asset in page.text
            served = await registry.client.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 1000


async def test_a_tampered_download_link_is_refused(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        await registry.services.artifacts._blobs.put(
            "artifacts/9/bundle.zip", b"PKzip", content_type="application/zip"
        )
        url = await registry.services.artifacts._blobs.download_url(
            "artifacts/9/bundle.zip", filename="b.zip", ttl_seconds=60
        )
        assert (await registry.client.get(url)).content == b"PKzip"
        tampered = url.replace("artifacts/9/", "artifacts/8/")
        refused = await registry.client.get(tampered)
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"
        missing = await registry.client.get("/downloads/artifacts/9/bundle.zip")
        assert missing.status_code == 400


async def test_an_unexpected_failure_is_logged_in_full_and_masked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug with internal detail")

    async with running_registry(settings, worker=False) as registry:
        monkeypatch.setattr("app.http.artifacts.typed", broken)
        with caplog.at_level(logging.ERROR):
            response = await registry.client.get("/artifacts/model/1")
    assert response.status_code == 500
    assert response.json() == {"code": "internal", "detail": "unexpected error"}
    logged = [r for r in caplog.records if r.exc_info is not None]
    assert any("a bug with internal detail" in str(r.exc_info[1]) for r in logged if r.exc_info)
