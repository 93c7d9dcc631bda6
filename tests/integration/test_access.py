"""Access control for REST and GraphQL alike: every route but the public ones refuses a
missing or bad token; tokens expire, run out and can be revoked; permissions are enforced."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import httpx
from litestar.routes import HTTPRoute

from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS, Permission
from app.auth.repository import AuthRepository
from app.clock import utcnow
from app.settings import Settings
from app.storage import mongo
from tests.support.registry import Registry, running_registry

# /health/components too: the spec declares no token for it, and it is health data like /health;
# /metrics is for Prometheus, and holds counts and timings only
PUBLIC_PATHS = {"/", "/health", "/health/components", "/tracks", "/authenticate", "/metrics"}
# Served without a token by design: GraphQL checks tokens per operation, the web UI's and
# GraphiQL's pages and assets are static, download and package links carry their own
# signature, the OpenAPI docs are docs.
OPEN_PREFIXES = ("/graphql", "/static/", "/downloads/", "/packages/", "/schema")
# A read that needs a token (health is public).
PROBE = '{ ingestJob(id: "none") { id } }'
LOGIN = {
    "user": {"name": DEFAULT_ADMIN, "is_admin": True},
    "secret": {"password": DEFAULT_ADMIN_PASSWORDS[0]},
}


def _concrete(path: str) -> str:
    path = path.replace("{artifact_type:str}", "model").replace("{key:path}", "a/b.zip")
    return re.sub(r"\{[^}]+\}", "1", path)


async def _anonymous(
    registry: Registry, method: str, path: str, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": ""} if token is None else {"X-Authorization": token}
    return await registry.client.request(method, path, headers=headers, json={})


async def test_every_private_route_refuses_missing_and_bad_tokens(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        checked = []
        for route in registry.app.routes:
            if not isinstance(route, HTTPRoute) or route.path.startswith(OPEN_PREFIXES):
                continue
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                path = _concrete(route.path)
                missing = await _anonymous(registry, method, path)
                bad = await _anonymous(registry, method, path, token="bearer not-a-token")
                if route.path in PUBLIC_PATHS:
                    assert missing.status_code != 403, (method, path)
                else:
                    assert missing.status_code == 403, (method, path, missing.text)
                    assert bad.status_code == 403, (method, path, bad.text)
                    checked.append((method, route.path))
        graphql = await registry.client.post(
            "/graphql",
            json={"query": '{ artifact(id: "1") { id } }'},
            headers={"Authorization": ""},
        )
    assert len(checked) == 15  # artifact, ingest, search, rating, lineage, audit, reset, download
    assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_tokens_authenticate_expire_run_out_and_can_be_revoked(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        c = registry.client
        anonymous = {"Authorization": ""}
        token = (await c.put("/authenticate", json=LOGIN, headers=anonymous)).json()
        assert token.startswith("bearer ")
        ok = await c.get("/artifact/byName/x", headers={**anonymous, "X-Authorization": token})
        assert ok.status_code == 404  # authenticated: no artifact has that name
        client = mongo.connect(settings.mongo_url or "")
        try:  # tokens as the store keeps them: by SHA-256, with an expiry and uses left
            repo = AuthRepository(client[settings.mongo_database])
            await repo.insert_token(_sha("expired"), DEFAULT_ADMIN, utcnow() - timedelta(1), 5)
            await repo.insert_token(_sha("two-uses"), DEFAULT_ADMIN, utcnow() + timedelta(1), 2)
        finally:
            await client.close()
        revoked = await registry.services.auth.issue_token(DEFAULT_ADMIN)
        assert await registry.services.auth.revoke(f"bearer {revoked}")

        async def status(token: str) -> int:
            answer = await c.get(
                "/artifact/byName/x", headers={**anonymous, "X-Authorization": token}
            )
            return answer.status_code

        assert await status("bearer expired") == 403
        assert [await status("bearer two-uses") for _ in range(3)] == [404, 404, 403]
        assert await status(f"bearer {revoked}") == 403
        graphql = await c.post(
            "/graphql",
            headers={"Authorization": f"Bearer {revoked}"},
            json={"query": PROBE},
        )
    assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_permissions_are_enforced_for_graphql_and_rest(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        c = registry.client
        created = (
            await registry.gql(
                'mutation { createUser(name: "reader", password: "readonly-1", '
                "permissions: [SEARCH]) { user { name permissions } error { __typename } } }"
            )
        )["createUser"]
        assert created["user"] == {"name": "reader", "permissions": ["SEARCH"]}
        login = (
            await registry.gql(
                'mutation { authenticate(username: "reader", password: "readonly-1") { token } }'
            )
        )["authenticate"]["token"]
        as_reader = {"Authorization": "", "X-Authorization": login}
        search = await c.post("/graphql", headers=as_reader, json={"query": PROBE})
        ingest = await c.post(
            "/graphql",
            headers=as_reader,
            json={
                "query": (
                    'mutation { ingest(input: {url: "https://huggingface.co/a/b", type: MODEL}) '
                    "{ job { id } } }"
                )
            },
        )
        reset = await c.delete("/reset", headers=as_reader)
        create = await c.post(
            "/artifact/model", headers=as_reader, json={"url": "https://huggingface.co/a/b"}
        )
        bad_login = (
            await registry.gql(
                'mutation { authenticate(username: "reader", password: "nope") '
                "{ token error { __typename } } }"
            )
        )["authenticate"]
    assert search.json() == {"data": {"ingestJob": None}}
    assert ingest.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert reset.status_code == 401  # the spec's answer to a token without the permission
    assert create.status_code == 401
    assert bad_login == {"token": None, "error": {"__typename": "InvalidCredentialsError"}}
    assert Permission.SEARCH.value == "search"


async def test_reset_restores_the_default_user_only(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        await registry.gql(
            'mutation { createUser(name: "temp", password: "temporary-1", '
            "permissions: [UPLOAD]) { user { name } } }"
        )
        assert (await registry.client.delete("/reset")).status_code == 200
        users = await registry.services.auth._repo.list_users()
        admin_again = await registry.client.put("/authenticate", json=LOGIN)
    assert [u.name for u in users] == [DEFAULT_ADMIN]
    assert admin_again.status_code == 200


async def test_admins_list_users_and_tokens_can_be_revoked_over_graphql(
    settings: Settings,
) -> None:
    async with running_registry(settings, worker=False) as registry:
        listed = (await registry.gql("{ users { name isAdmin permissions } }"))["users"]
        token = (
            await registry.gql(
                f'mutation {{ authenticate(username: "{DEFAULT_ADMIN}", '
                f"password: {_graphql_string(DEFAULT_ADMIN_PASSWORDS[0])}) {{ token }} }}"
            )
        )["authenticate"]["token"]
        revoked = await registry.gql(f'mutation {{ revokeToken(token: "{token}") }}')
        after = await registry.client.post(
            "/graphql", headers={"Authorization": token}, json={"query": PROBE}
        )
    assert listed == [
        {
            "name": DEFAULT_ADMIN,
            "isAdmin": True,
            "permissions": ["ADMIN", "DOWNLOAD", "SEARCH", "UPLOAD"],
        }
    ]
    assert revoked == {"revokeToken": True}
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _graphql_string(value: str) -> str:
    return json.dumps(value)


async def test_me_names_the_user_a_token_acts_as(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        admin = (await registry.gql("{ me { name isAdmin permissions } }"))["me"]
        token = await registry.user_token("reader", [Permission.SEARCH])
        reader = await registry.client.post(
            "/graphql",
            headers={"Authorization": token},
            json={"query": "{ me { name isAdmin permissions } }"},
        )
        anonymous = await registry.client.post(
            "/graphql", headers={"Authorization": ""}, json={"query": "{ me { name } }"}
        )
    assert admin == {
        "name": DEFAULT_ADMIN,
        "isAdmin": True,
        "permissions": ["ADMIN", "DOWNLOAD", "SEARCH", "UPLOAD"],
    }
    assert reader.json()["data"]["me"] == {
        "name": "reader",
        "isAdmin": False,
        "permissions": ["SEARCH"],
    }
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
