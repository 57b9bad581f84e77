"""Hostile input never reaches the database as a 500: integers beyond 64 bits, control characters,
oversized bodies, unknown paths and methods, unknown fields.

The integer walk is generated from the OpenAPI document and from the page URL patterns, so a new
endpoint or page is covered without touching this file.
"""

import json
import re

import pytest
from django.db import DataError, IntegrityError
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from config.api import api
from fenxiao.accounts.services import agreement_versions, issue_token
from fenxiao.catalog.models import Category
from fenxiao.common.validation import Int64Converter
from fenxiao.distribution.models import Distributor, Level
from fenxiao.distribution.services import get_settings
from fenxiao.growth import selectors as growth_selectors
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = 10**20  # 21 digits: beyond a signed 64-bit integer
HUGE_TEXT = "99999999999999999999"
AGREEMENT_VERSION = agreement_versions()["distributor"]  # an application accepts the distributor agreement


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def people(db):
    level = LevelFactory(rank=1, name="普通分销商")
    distributor = DistributorFactory(level=level)
    SkuFactory()
    return {"superuser": StaffFactory(), "distributor": distributor.user}


# --- the OpenAPI walk ---------------------------------------------------------------------------

SCHEMA = api.get_openapi_schema()


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        node = SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if isinstance(node, dict) and "anyOf" in node:
        choices = [c for c in node["anyOf"] if c.get("type") != "null"]
        return _resolve(choices[0]) if choices else {"type": "null"}
    if isinstance(node, dict) and "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(node["allOf"][0])
    return node


def _int_paths(schema, prefix=()):
    """Every path (tuple of keys, list index 0) to an integer inside a request body schema."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if kind == "integer":
        yield prefix
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from _int_paths(sub, (*prefix, name))
    elif kind == "array" and "items" in schema:
        yield from _int_paths(schema["items"], (*prefix, 0))


def _example(schema, depth=0):
    """A plausible value for a body schema: integers 1, strings "x", arrays of one item."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "oneOf" in schema:
        return _example(schema["oneOf"][0], depth)
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "string":
        return "2026-01" if "YYYY-MM" in schema.get("description", "") else "x"
    if kind == "array":
        return [_example(schema.get("items", {}), depth + 1)] if depth < 4 else []
    if kind == "object" or "properties" in schema:
        return {name: _example(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    return "x"


def _set(body, path, value):
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _operations():
    for url, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            yield url, method, operation


def _huge_requests():
    """(method, url, query, body) combinations, each putting a 20-digit number in one place at a time
    (and once everywhere at the same time)."""
    for url, method, operation in _operations():
        params = operation.get("parameters", [])
        path_values = {}
        for param in params:
            if param["in"] == "path":
                path_values[param["name"]] = HUGE_TEXT if _resolve(param["schema"]).get("type") == "integer" else "T00001"
        concrete = re.sub(r"{(\w+)}", lambda m, values=path_values: values.get(m.group(1), "1"), url)
        int_queries = [p["name"] for p in params if p["in"] == "query" and _resolve(p["schema"]).get("type") == "integer"]
        content = operation.get("requestBody", {}).get("content", {})
        body_schema = content.get("application/json", {}).get("schema")
        body = _example(body_schema) if body_schema else None
        has_int_path = any(v == HUGE_TEXT for v in path_values.values())
        if has_int_path:
            yield method, concrete, {}, body
        for name in int_queries:
            yield method, concrete, {name: HUGE_TEXT}, body
        if body_schema is not None:
            int_fields = list(_int_paths(body_schema))
            for field in int_fields:
                variant = json.loads(json.dumps(body))
                _set(variant, field, HUGE)
                yield method, concrete, {}, variant
            if int_fields:
                everywhere = json.loads(json.dumps(body))
                for field in int_fields:
                    _set(everywhere, field, HUGE)
                yield method, concrete, dict.fromkeys(int_queries, HUGE_TEXT), everywhere


HUGE_REQUESTS = list(_huge_requests())


def _send(client, method, url, query, body, headers):
    if query:
        url = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    kwargs = dict(headers)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def test_the_walk_covers_the_api():
    # A sanity floor so that a broken walk cannot pass silently.
    assert len(HUGE_REQUESTS) > 100
    assert any(query.get("page") == HUGE_TEXT for _, _, query, _ in HUGE_REQUESTS)


@pytest.mark.parametrize("sent_as", ["number", "text"])
@pytest.mark.parametrize("role", ["superuser", "distributor"])
def test_integers_beyond_64_bits_never_fail_the_api(client, people, role, sent_as):
    # "text": the body's integers as JSON strings, which pydantic turns into int as well
    client.raise_request_exception = False
    headers = bearer(people[role])
    failures = []
    for method, url, query, body in HUGE_REQUESTS:
        if sent_as == "text":
            if body is None:
                continue
            body = json.loads(json.dumps(body).replace(str(HUGE), f'"{HUGE}"'))
        response = _send(client, method, url, query, body, headers)
        if response.status_code >= 500:
            failures.append((method.upper(), url, query, body, response.status_code))
        elif response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
            assert {"code", "message", "detail"} <= set(response.json()), (method, url, response.content)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders?page=99999999999999999999",
        "/api/v1/notifications?page=99999999999999999999",
        "/api/v1/withdrawals?page=99999999999999999999",
    ],
)
def test_a_page_number_beyond_64_bits_is_out_of_range(client, people, url):
    response = client.get(url, **bearer(people["distributor"]))
    body = assert_error(response, 400, "out_of_range")
    assert body["detail"]["max"] == 2**63 - 1


def test_a_quantity_beyond_64_bits_in_a_body_is_out_of_range(client, people):
    response = client.post(
        "/api/v1/cart/items",
        data=json.dumps({"sku_id": 1, "quantity": 10**30}),
        content_type="application/json",
        **bearer(people["distributor"]),
    )
    body = assert_error(response, 400, "out_of_range")
    assert body["detail"]["field"] == "quantity"


def test_an_id_beyond_64_bits_sent_as_text_is_out_of_range(client, people):
    response = client.post(
        "/api/v1/notifications/read",
        data=json.dumps({"ids": ["1", HUGE_TEXT]}),
        content_type="application/json",
        **bearer(people["distributor"]),
    )
    body = assert_error(response, 400, "out_of_range")
    assert body["detail"]["field"] == "ids.1"


def test_a_long_digit_string_in_a_text_field_is_still_text(client, people):
    # a bank card number may be 19 digits and beyond 64 bits: it is text, never refused as a number
    response = client.post(
        "/api/v1/distribution/apply",
        data=json.dumps({"real_name": "张三", "note": "9559980012345678901", "agreement_version": AGREEMENT_VERSION}),
        content_type="application/json",
        **bearer(UserFactory()),
    )
    assert response.status_code == 201, response.content


# --- the pages ----------------------------------------------------------------------------------


def _page_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("api/", "admin/")):
                continue
            yield from _page_patterns(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route, entry


def _int_page_urls():
    for route, entry in _page_patterns():
        converters = entry.pattern.converters
        int_names = {name for name, conv in converters.items() if isinstance(conv, IntConverter | Int64Converter)}
        if not int_names:
            continue

        def fill(match, int_names=int_names):
            kind, name = match.group(1), match.group(2)
            return HUGE_TEXT if name in int_names else ("T00001" if kind in ("str", "slug") else "1")

        yield "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


INT_PAGE_URLS = list(_int_page_urls())


def test_the_page_walk_covers_the_pages():
    assert len(INT_PAGE_URLS) >= 15
    assert "/orders/99999999999999999999/" in INT_PAGE_URLS


@pytest.mark.parametrize("role", ["superuser", "distributor"])
def test_integers_beyond_64_bits_never_fail_the_pages(client, people, role):
    client.raise_request_exception = False
    client.force_login(people[role])
    failures = []
    for url in INT_PAGE_URLS:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code >= 500:
                failures.append((method, url, response.status_code))
    for route, entry in _page_patterns():
        if entry.pattern.converters:
            continue
        url = "/" + route
        for method in ("get", "post"):
            response = getattr(client, method)(f"{url}?page={HUGE_TEXT}", {"page": HUGE_TEXT, "qty": HUGE_TEXT})
            if response.status_code >= 500:
                failures.append((method, url, response.status_code))
    assert not failures, "\n".join(map(str, failures))


def test_a_page_id_beyond_64_bits_is_not_found(client, people):
    client.force_login(people["distributor"])
    assert client.get("/orders/99999999999999999999/").status_code == 404
    assert client.get("/orders/9223372036854775807/").status_code == 404


# --- unknown fields on operator input -----------------------------------------------------------

SETTINGS_URL = "/api/v1/operator/distribution/settings"


@pytest.mark.parametrize("field", ["third_level_rate_bp", "level3_rate_bp", "third_rate_bp"])
def test_a_third_level_field_on_the_settings_is_refused(client, people, field):
    before = get_settings().commission_levels
    response = client.patch(
        SETTINGS_URL, data=json.dumps({field: 300}), content_type="application/json", **bearer(people["superuser"])
    )
    body = assert_error(response, 400, "commission_depth_exceeded")
    assert body["detail"]["fields"] == [field]
    assert get_settings().commission_levels == before


def test_an_unknown_field_on_the_settings_is_invalid_input(client, people):
    response = client.patch(
        SETTINGS_URL, data=json.dumps({"colour": "red"}), content_type="application/json", **bearer(people["superuser"])
    )
    body = assert_error(response, 422, "invalid_input")
    assert [e["loc"][-1] for e in body["detail"]["errors"]] == ["colour"]


def test_the_level_endpoints_refuse_a_third_level_the_same_way(client, people):
    response = client.post(
        "/api/v1/operator/distribution/levels",
        data=json.dumps({"name": "金牌", "rank": 2, "direct_rate_bp": 1000, "indirect_rate_bp": 500, "level3_rate_bp": 1}),
        content_type="application/json",
        **bearer(people["superuser"]),
    )
    body = assert_error(response, 400, "commission_depth_exceeded")
    assert body["detail"]["fields"] == ["level3_rate_bp"]
    assert not Level.objects.filter(name="金牌").exists()


def test_a_known_settings_change_still_works(client, people):
    response = client.patch(
        SETTINGS_URL, data=json.dumps({"binding_days": 30}), content_type="application/json", **bearer(people["superuser"])
    )
    assert response.status_code == 200, response.content
    assert response.json()["binding_days"] == 30


def test_a_number_that_fits_64_bits_but_not_a_computation_is_out_of_range(client, people):
    # page 2**62 passes the input check; its offset does not fit the database: the safety net answers.
    client.raise_request_exception = False
    response = client.get(f"/api/v1/orders?page={2**62}", **bearer(people["distributor"]))
    assert_error(response, 400, "out_of_range")


# --- control characters -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "a\x01b", "a\x7fb", "a\x85b", "a\ud800b", "\x1b[31m"])
def test_control_characters_in_a_json_string_are_refused(client, people, text):
    response = client.post(
        "/api/v1/distribution/apply",
        data=json.dumps({"real_name": "张三", "note": text}),
        content_type="application/json",
        **bearer(UserFactory()),
    )
    body = assert_error(response, 422, "invalid_input")
    assert body["detail"]["errors"][0]["loc"] == ["body", "note"]
    assert body["detail"]["errors"][0]["type"] == "control_character"


def test_control_characters_in_a_nested_key_or_settings_value_are_refused(client, people):
    response = client.patch(
        SETTINGS_URL,
        data=json.dumps({"admission_mode": "open\x00"}),
        content_type="application/json",
        **bearer(people["superuser"]),
    )
    assert_error(response, 422, "invalid_input")
    assert get_settings().admission_mode != "open\x00"


def test_multi_line_text_keeps_its_line_breaks_and_tabs(client, people):
    user = UserFactory()
    response = client.post(
        "/api/v1/distribution/apply",
        data=json.dumps({"real_name": "张三", "note": "第一行\r\n第二行\t完", "agreement_version": AGREEMENT_VERSION}),
        content_type="application/json",
        **bearer(user),
    )
    assert response.status_code == 201, response.content
    assert user.distributor.apply_note == "第一行\r\n第二行\t完"


@pytest.mark.parametrize("url", ["/api/v1/orders?status=%00", "/api/v1/orders?status=paid%01", "/api/v1/orders?%00=1"])
def test_control_characters_in_a_query_string_are_refused(client, people, url):
    body = assert_error(client.get(url, **bearer(people["distributor"])), 422, "invalid_input")
    assert body["detail"]["errors"][0]["loc"][0] == "query"
    assert body["detail"]["errors"][0]["type"] == "control_character"


def test_control_characters_in_a_path_are_refused(client, people):
    body = assert_error(client.get("/api/v1/orders/1%00", **bearer(people["distributor"])), 422, "invalid_input")
    assert body["detail"]["errors"][0]["loc"] == ["path", "order_id"]
    assert body["detail"]["errors"][0]["type"] == "control_character"


def test_an_id_beyond_64_bits_in_a_path_is_out_of_range(client, people):
    body = assert_error(client.get("/api/v1/orders/99999999999999999999", **bearer(people["distributor"])), 400, "out_of_range")
    assert body["detail"]["field"] == "order_id"


@pytest.fixture
def guarded_pages(settings):
    middleware = list(settings.MIDDLEWARE)
    if "fenxiao.common.middleware.InputGuardMiddleware" not in middleware:
        middleware.insert(
            middleware.index("django.middleware.csrf.CsrfViewMiddleware") + 1, "fenxiao.common.middleware.InputGuardMiddleware"
        )
    settings.MIDDLEWARE = middleware


def test_a_page_form_with_a_nul_character_is_refused(client, people, guarded_pages):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/apply/", {"real_name": "张\x00三", "note": "", "agree": "1"})
    assert response.status_code == 400
    assert not Distributor.objects.filter(user=user).exists()


def test_a_page_form_with_line_breaks_is_accepted(client, people, guarded_pages):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/apply/",
        {"real_name": "张三", "note": "第一行\r\n第二行", "agree": "1", "agreement_version": agreement_versions()["distributor"]},
    )
    assert response.status_code == 302
    assert Distributor.objects.get(user=user).apply_note == "第一行\r\n第二行"


def test_an_admin_form_with_a_control_character_is_refused(client, people, guarded_pages):
    client.force_login(people["superuser"])
    response = client.post("/admin/catalog/category/add/", {"name": "坏\x01类目", "slug": "bad"})
    assert response.status_code == 400
    assert not Category.objects.filter(slug="bad").exists()


def test_a_page_query_string_with_a_control_character_is_refused(client, people, guarded_pages):
    client.force_login(people["distributor"])
    assert client.get("/orders/?status=%00").status_code == 400
    assert client.get("/orders/").status_code == 200


# --- sizes, paths and methods -------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_read(client, people, settings):
    settings.FENXIAO_API_MAX_BODY_BYTES = 1024
    payload = json.dumps({"phone": "13800000000", "password": "x" * 2000})
    body = assert_error(
        client.post("/api/v1/auth/login", data=payload, content_type="application/json"), 413, "payload_too_large"
    )
    assert body["detail"] == {"max_bytes": 1024}


def test_a_payment_notification_over_the_limit_is_413_in_the_error_shape(client, settings):
    settings.FENXIAO_API_MAX_BODY_BYTES = 1024
    response = client.post("/api/v1/payments/wechatpay/notify", data="x" * 4096, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_a_body_over_djangos_memory_limit_is_413(client, people, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    payload = json.dumps({"real_name": "张三", "note": "x" * 500})
    response = client.post("/api/v1/distribution/apply", data=payload, content_type="application/json", **bearer(UserFactory()))
    assert assert_error(response, 413, "payload_too_large")["detail"] == {"max_bytes": 100}


@pytest.mark.parametrize("url", ["/api/nope", "/api/v1/nope/1", "/api/v1/orders/1/nope", "/api/v1/orders/"])
def test_an_unknown_api_path_is_the_json_404(client, url):
    body = assert_error(client.get(url), 404, "not_found")
    assert body["detail"] == {"path": url}


def test_an_unknown_api_path_is_404_for_every_method(client):
    assert_error(client.post("/api/v1/nope", data="{}", content_type="application/json"), 404, "not_found")
    assert_error(client.delete("/api/v1/nope"), 404, "not_found")


def test_a_wrong_method_is_the_json_405(client):
    response = client.get("/api/v1/auth/login")
    body = assert_error(response, 405, "method_not_allowed")
    assert body["detail"] == {"allowed": ["POST"]}
    assert response["Allow"] == "POST"


def test_the_api_docs_still_answer(client):
    assert client.get("/api/openapi.json").status_code == 200


# --- the safety net: what the input checks cannot know (a narrower column, a date computation) ---


@pytest.mark.parametrize(
    "error, status, code",
    [
        (OverflowError("Python int too large to convert to SQLite INTEGER"), 400, "out_of_range"),
        (OverflowError("date value out of range"), 400, "out_of_range"),
        (DataError("integer out of range"), 400, "out_of_range"),
        (DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), 400, "invalid_input"),
    ],
)
def test_the_database_refusing_a_value_is_a_4xx(client, people, monkeypatch, error, status, code):
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(growth_selectors, "notice_page", refuse)
    assert_error(client.get("/api/v1/notifications", **bearer(people["distributor"])), status, code)


def test_other_integrity_errors_stay_server_errors(client, people, monkeypatch):
    def refuse(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: x.y")

    monkeypatch.setattr(growth_selectors, "notice_page", refuse)
    client.raise_request_exception = False
    assert client.get("/api/v1/notifications", **bearer(people["distributor"])).status_code == 500
