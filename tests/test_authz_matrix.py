"""The authorization matrix: every API endpoint of the URL configuration × every role × (where the
path names an object) the caller's own object and somebody else's, against the one table of rules in
`tests/authz_table.py`. An endpoint without an entry fails; so does an entry for an endpoint that is gone.

Each call sends a body valid for the endpoint's schema (built from the OpenAPI document), so that a
refusal is the endpoint's decision and not a validation error met before it. The world of users and
objects is built once for the module inside a transaction that is rolled back at the end; each cell
runs in its own savepoint.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import URLResolver, get_resolver

from tests.authz_table import ALLOWED, FORBIDDEN, NOT_FOUND, TABLE, UNAUTHENTICATED, Rule
from tests.authz_world import ANONYMOUS, DISTRIBUTOR, ROLES, SUSPENDED, World, build_world

# path parameter -> the kind of object it names (OWNER rules) or that any existing one is taken from
PARAM_KINDS = {
    "order_id": "order",
    "line_id": "line",
    "aftersale_id": "aftersale",
    "withdrawal_id": "withdrawal",
    "level_id": "level",
    "product_id": "product",
    "category_id": "category",
    "sku_id": "sku",
    "depth": "depth",
    "batch_id": "batch",
    "approval_id": "approval",
    "distributor_id": "distributor",
    "address_id": "address",
    "shipment_id": "shipment",
    "statement_id": "statement",
}
MISSING_ID = 987654321  # for kinds the world has no object of (prizes, rungs): a clean 404 after the checks
OWNS = {  # which roles own an object of each kind in the world
    "order": {"consumer", "distributor"},
    "line": {"consumer", "distributor"},
    "aftersale": {"consumer", "distributor"},
    "withdrawal": {"distributor", "suspended_distributor"},
    "team_member": {"distributor"},
    "earning_order": {"distributor"},
    "address": {"consumer", "distributor"},
    "shipment": {"supplier", "suspended_supplier"},
    "statement": {"supplier", "suspended_supplier"},
    "supplier_return": {"supplier", "suspended_supplier"},
    "supplier_sku": {"supplier", "suspended_supplier"},
}
DISTRIBUTOR_STATUS = {DISTRIBUTOR: "approved", SUSPENDED: "suspended"}


def _pathview(callback, depth: int = 0):
    """The ninja PathView behind a URL pattern's view (through any wrapping decorators)."""
    if hasattr(callback, "operations"):
        return callback
    if depth > 4:
        return None
    inner = [getattr(callback, "__self__", None), getattr(callback, "__wrapped__", None)]
    inner += [cell.cell_contents for cell in getattr(callback, "__closure__", None) or ()]
    for candidate in inner:
        if candidate is not None and (hasattr(candidate, "operations") or callable(candidate)):
            found = _pathview(candidate, depth + 1)
            if found is not None:
                return found
    return None


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            view = _pathview(pattern.callback)
            if view is not None:
                yield prefix + str(pattern.pattern), view


def api_endpoints() -> list[str]:
    """'METHOD /api/…/{param}' for every operation of the API, read from the URL configuration."""
    found = set()
    for route, view in _walk(get_resolver().url_patterns):
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).rstrip("/")
        for operation in view.operations:
            for method in operation.methods:
                found.add(f"{method} {path}")
    return sorted(found, key=lambda e: (e.split(" ")[1], e))


ENDPOINTS = api_endpoints()


def _cells():
    for endpoint in ENDPOINTS:
        rule = TABLE.get(endpoint)
        for role in ROLES:
            if rule is not None and rule.name == "owner" and role in OWNS.get(rule.kind, ()):
                yield pytest.param(endpoint, role, "own", id=f"{endpoint}|{role}|own")
                yield pytest.param(endpoint, role, "other", id=f"{endpoint}|{role}|other")
            else:
                yield pytest.param(endpoint, role, "other", id=f"{endpoint}|{role}")


# --- request bodies from the OpenAPI document -------------------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema: dict, components: dict, depth: int = 0):
    """A small value that passes `schema`: required properties only, the first choice of an enum."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            return sample(options[0], components, depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: sample(props[name], components, depth + 1) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [sample(schema.get("items", {}), components, depth + 1)] * max(schema.get("minItems", 0), 1 if depth == 0 else 0)
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if "maximum" not in schema else int(schema.get("minimum", 0))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-01-01"
        if fmt == "date-time":
            return "2026-01-01T00:00:00+08:00"
        return "x" * max(int(schema.get("minLength", 1)), 1)
    return None


@pytest.fixture(scope="module")
def openapi():
    from config.api import api

    return api.get_openapi_schema()


def body_for(openapi: dict, method: str, path: str):
    operation = openapi["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return "json", sample(content["application/json"]["schema"], openapi["components"]["schemas"])
    if "multipart/form-data" in content:
        return "multipart", {}
    return None, None


# --- the world, once per module ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.close()


def _url(world: World, path: str, rule: Rule | None, role: str, whose: str) -> str:
    def value(match):
        name = match.group(1)
        if rule is not None and rule.name == "owner" and name == rule_param(rule):
            return str(world.own[rule.kind, role] if whose == "own" else world.other[rule.kind])
        kind = PARAM_KINDS.get(name)
        return str(world.any.get(kind, MISSING_ID))

    return re.sub(r"\{(\w+)\}", value, path)


def rule_param(rule: Rule) -> str:
    return {
        "team_member": "distributor_id",
        "earning_order": "order_id",
        "supplier_return": "aftersale_id",
        "supplier_sku": "sku_id",
    }.get(rule.kind, f"{rule.kind}_id")


def outcome(response, *, owner_path: bool) -> str:
    """The class of an answer: 401 only from the authentication gate (a wrong password or a bad
    provider signature is the endpoint's own answer), 403 any refusal of the caller, 404 only where
    the path names an object that must be the caller's (elsewhere a missing object is an answer)."""
    code = _code(response)
    if response.status_code == 401:
        return UNAUTHENTICATED if code == "not_authenticated" else ALLOWED
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND if owner_path else ALLOWED
    return ALLOWED


def _code(response):
    try:
        return json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None


def test_every_endpoint_has_an_entry_and_every_entry_an_endpoint():
    missing = [e for e in ENDPOINTS if e not in TABLE]
    stale = [e for e in TABLE if e not in ENDPOINTS]
    assert missing == [], f"endpoints without a rule in tests/authz_table.py: {missing}"
    assert stale == [], f"rules for endpoints that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role", "whose"), list(_cells()))
def test_authz_matrix(client, world, openapi, endpoint, role, whose):
    rule = TABLE.get(endpoint)
    assert rule is not None, f"{endpoint} has no rule in tests/authz_table.py"
    method, path = endpoint.split(" ", 1)
    user = world.users.get(role)
    headers = {} if role == ANONYMOUS else {"Authorization": f"Bearer {world.tokens[role]}"}
    expected = rule.expected(user, distributor_status=DISTRIBUTOR_STATUS.get(role), whose=whose)
    kind, body = body_for(openapi, method, path)
    url = _url(world, path, rule, role, whose)
    call = getattr(client, method.lower())
    if kind == "json":
        response = call(url, json.dumps(body), content_type="application/json", headers=headers)
    elif kind == "multipart":
        response = call(
            url, {"file": SimpleUploadedFile("upload.csv", b"line,amount\n", content_type="text/csv")}, headers=headers
        )
    else:
        response = call(url, headers=headers)
    got = outcome(response, owner_path=rule.name == "owner")
    assert got == expected, (
        f"{endpoint} as {role} ({whose}) → {response.status_code} {response.content[:300]!r}; expected {expected} by {rule!r}"
    )


@pytest.mark.django_db
def test_notifications_named_in_the_body_are_only_the_callers_own(client, world):
    """Marking notices read names them in the body, not the path: somebody else's is left alone."""
    from fenxiao.growth.models import Notification

    headers = {"Authorization": f"Bearer {world.tokens['consumer']}"}
    mine, theirs = world.own["notification", "consumer"], world.other["notification"]
    response = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [mine, theirs]}), content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["marked"] == 1
    assert Notification.objects.get(pk=theirs).read_at is None
    assert Notification.objects.get(pk=mine).read_at is not None
