"""The REST API against the official ECE 461 OpenAPI spec (v3.4.7), as schemathesis reads it.

Every operation of the spec is driven with generated inputs, valid and invalid (schemathesis's
positive and negative modes, plus its coverage phase), against the registry served over real
HTTP (uvicorn with its lifespan, and an arq worker, on a loopback port). A response fails the
build when it is a 5xx, has a status code the operation does not document, or has a content
type, header or body the spec's schema does not allow.

The spec lives outside the repository, in ``shared/spec`` beside it; without it the module is
skipped with the missing path in the summary, and under CI (``CI=true``) the run fails
(``tests/support/spec.py``).

Narrow exclusions, each a quirk of the spec rather than of the registry:

* ``ArtifactLineageNode.required: [node]`` names a property the schema does not define (every
  example node, and the spec's own example response, lacks it); the requirement is dropped
  before the spec is loaded, so lineage nodes are checked against the properties that exist.
* ``PUT /authenticate`` answers 501, which the spec documents for systems without
  authentication; only that status is spared the not-a-server-error check (its status code
  and body are still checked).
* An operation that documents no 400 (``GET /health/components``) may still answer 400 to an
  input that breaks its parameter schema (``windowMinutes`` outside 5-1440); only for such
  negative cases is that status spared the status-code check.

Framework-level answers to methods the spec does not list (405) come from schemathesis's
coverage phase, which does not hold them to the documented status codes; they need no
exclusion. Deviations of the registry itself are listed in ``KNOWN_DEVIATIONS``.

Generated requests carry whatever ``X-Authorization`` schemathesis generates, overridden by
the ``auth_header`` fixture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.asgi import create_app
from app.auth.entities import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORDS
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support.registry import isolated_settings
from tests.support.served import served_registry
from tests.support.spec import require_course_spec

SPEC_PATH = require_course_spec()

# The registry runs in a thread of this process, and PyMongo draws every request id from the
# global `random` (`pymongo.message._randint`); Hypothesis takes that for a strategy using
# `random` whenever a background write lands while it draws a case, and warns. The strategies
# here use no `random`; only that warning is silenced.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

#: Hypothesis examples per operation in the fuzzing phase (valid and invalid inputs); the
#: examples and coverage phases add their own fixed sets. About 800 requests in all: some 25 s
#: with a token on two cores.
MAX_EXAMPLES = 25

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def _load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    # Spec quirk: `required: [node]` names no property of ArtifactLineageNode (see above).
    node = spec["components"]["schemas"]["ArtifactLineageNode"]
    if node.get("required") == ["node"]:
        del node["required"]
    return spec


SPEC = _load_spec()
schema = schemathesis.openapi.from_dict(SPEC)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def module_settings(
    mongo_url: str,
    redis_url: str,
    fake_hub: FakeHub,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    """Settings for the whole module, on the session's servers and in namespaces of its own
    (as the function-scoped ``settings`` fixture builds them)."""
    settings = isolated_settings(
        mongo_url, redis_url, fake_hub.url, tmp_path_factory.mktemp("openapi") / "data"
    )
    # The fuzzer sends dozens of wrong logins a minute from one address; the login throttle's
    # 429 (not in the course contract) has its own tests (tests/integration/test_logins.py).
    return settings.model_copy(
        update={"login_attempts_per_client": 100_000, "login_attempts_per_user": 100_000}
    )


@pytest.fixture(scope="module")
def registry_url(module_settings: Settings) -> Iterator[str]:
    with served_registry(module_settings) as url:
        yield url


@pytest.fixture
def auth_header(registry_url: str) -> dict[str, str]:
    """Headers every generated request carries, over whatever schemathesis generated for them:
    a fresh default-admin token per case (a token serves 1000 requests)."""
    login = {
        "user": {"name": DEFAULT_ADMIN, "is_admin": True},
        "secret": {"password": DEFAULT_ADMIN_PASSWORDS[0]},
    }
    answer = httpx.put(f"{registry_url}/authenticate", json=login, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()
    return {"X-Authorization": token}


#: Deviations of the registry from the spec that are known and not yet fixed, by operation; the
#: operation's test is expected to fail (and reports XPASS once it no longer does). Delete an
#: entry with its fix.
KNOWN_DEVIATIONS: dict[str, str] = {}


def _checks_for(case: schemathesis.Case[Any], status_code: int) -> list[CheckFunction]:
    excluded: set[CheckFunction] = set()
    operation = case.operation
    if operation.label == "PUT /authenticate" and status_code == 501:
        # Documented for systems without authentication: not a server error here.
        excluded.add(not_a_server_error)
    if (
        status_code == 400
        and "400" not in operation.responses.status_codes
        and case.meta is not None
        and case.meta.generation.mode is GenerationMode.NEGATIVE
    ):
        # An operation documenting no 4xx at all (GET /health/components: `windowMinutes`
        # outside 5-1440) may still refuse an input that breaks its own parameter schema.
        excluded.add(status_code_conformance)
    return [check for check in CHECKS if check not in excluded]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_spec(
    case: schemathesis.Case[Any],
    registry_url: str,
    auth_header: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    if (reason := KNOWN_DEVIATIONS.get(case.operation.label)) is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))
    response = case.call(base_url=registry_url, headers=auth_header, timeout=30)
    case.validate_response(
        response, checks=_checks_for(case, response.status_code), headers=auth_header
    )


#: The spec's `/artifact/model/{id}/...` routes, which the app registers with the type as a
#: path parameter (`/artifact/{artifact_type}/{id}/...`, any type but `model` a 404): Litestar's
#: router does not backtrack from a static segment, so a literal `model` would hide
#: `POST /artifact/{artifact_type}` for models. See `app.http.models.MODEL_ONLY`.
MODEL_ONLY_PATHS = {
    "/artifact/model/{id}/rate": "/artifact/{artifact_type}/{id}/rate",
    "/artifact/model/{id}/lineage": "/artifact/{artifact_type}/{id}/lineage",
    "/artifact/model/{id}/license-check": "/artifact/{artifact_type}/{id}/license-check",
}
_PARAMETER = re.compile(r"\{[^}]*\}")


def _shape(path: str) -> str:
    """A path template with its parameter names erased: `/a/{x}/b` -> `/a/{}/b`."""
    return _PARAMETER.sub("{}", path)


def _operations(paths: dict[str, Any], rename: dict[str, str] | None = None) -> set[str]:
    rename = rename or {}
    return {
        f"{method.upper()} {_shape(rename.get(path, path))}"
        for path, item in paths.items()
        for method in item
        if method in HTTP_METHODS
    }


def test_app_openapi_lists_every_spec_operation(module_settings: Settings) -> None:
    # The document Litestar serves at GET /schema/openapi.json, read from the app itself: the
    # route sits behind the app's token guard, which this test is not about.
    document = create_app(module_settings).openapi_schema.to_schema()
    served = _operations(document["paths"])
    expected = _operations(SPEC["paths"], MODEL_ONLY_PATHS)
    assert len(expected) == sum(
        1 for item in SPEC["paths"].values() for method in item if method in HTTP_METHODS
    )
    assert expected - served == set()


def _token_operations(paths: dict[str, Any], rename: dict[str, str] | None = None) -> set[str]:
    """The operations of an OpenAPI document that take ``X-Authorization``, on the path or the
    operation."""
    rename = rename or {}
    return {
        f"{method.upper()} {_shape(rename.get(path, path))}"
        for path, item in paths.items()
        for method, operation in item.items()
        if method in HTTP_METHODS
        and any(
            parameter.get("name") == "X-Authorization"
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]
        )
    }


def test_app_openapi_lists_the_token_header_where_the_spec_does(module_settings: Settings) -> None:
    document = create_app(module_settings).openapi_schema.to_schema()
    expected = _token_operations(SPEC["paths"], MODEL_ONLY_PATHS)
    assert len(expected) == 13
    # The registry's own token routes (ingest, download) take it too.
    assert _token_operations(document["paths"]) & _operations(SPEC["paths"], MODEL_ONLY_PATHS) == (
        expected
    )
