"""The OpenAPI document is the contract clients and fuzzers trust: unique schema names, every error
response declared in the `{code, message, detail}` shape, and a docs page that needs no CDN."""

import re
import typing

import pydantic
import pytest

from config.api import api
from config.openapi import error_codes

ERROR_REF = "#/components/schemas/ApiError"


@pytest.fixture(scope="module")
def spec():
    return api.get_openapi_schema(path_prefix="/api/")


def _operations():
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                yield f"{bound.prefix}{path}", operation


def _walk(annotation, found, where):
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        generated = annotation.__module__ == "abc"  # ninja's own wrappers (BodyParams, NinjaResponseSchema…)
        if not generated:
            models = found.setdefault(annotation.__name__, {})
            if annotation in models:
                return
            models[annotation] = where
        for field in annotation.model_fields.values():
            _walk(field.annotation, found, where)
    for arg in typing.get_args(annotation):
        _walk(arg, found, where)


def model_names():
    """`{component name: {model: first operation using it}}` over every request and response model."""
    found: dict[str, dict[type, str]] = {}
    for path, operation in _operations():
        where = f"{'/'.join(operation.methods)} {path}"
        for model in operation.models:
            _walk(model, found, where)
        for model in operation.response_models.values():
            _walk(model, found, where)
    return found


def test_every_schema_name_belongs_to_one_model():
    clashes = {
        name: sorted(f"{m.__module__}.{m.__qualname__} ({where})" for m, where in models.items())
        for name, models in model_names().items()
        if len(models) > 1
    }
    assert clashes == {}


def test_the_walk_sees_the_models_that_used_to_clash():
    names = model_names()
    for name in (
        "OrderQuoteOut",
        "WithdrawalQuoteOut",
        "DistributionSettingsOut",
        "WithdrawalSettingsOut",
        "DistributionSettingsIn",
        "WithdrawalSettingsIn",
        "DistributionLevelOut",
        "GrowthLevelOut",
        "OrderReasonIn",
        "WithdrawalReasonIn",
    ):
        assert len(names.get(name, {})) == 1, name


def _resolve(spec, schema):
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_order_quote_is_documented_with_the_order_quote_fields(spec):
    from fenxiao.orders.schemas import OrderQuoteOut

    documented = _resolve(
        spec, spec["paths"]["/api/v1/orders/quote"]["post"]["responses"][200]["content"]["application/json"]["schema"]
    )
    assert set(documented["properties"]) == set(OrderQuoteOut.model_fields)


def test_distribution_settings_are_documented_with_the_distribution_fields(spec):
    from fenxiao.distribution.schemas import DistributionSettingsIn, DistributionSettingsOut

    operations = spec["paths"]["/api/v1/operator/distribution/settings"]
    out = _resolve(spec, operations["get"]["responses"][200]["content"]["application/json"]["schema"])
    assert set(out["properties"]) == set(DistributionSettingsOut.model_fields)
    body = _resolve(spec, operations["patch"]["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == set(DistributionSettingsIn.model_fields)


def test_error_schema_is_the_api_error_shape(spec):
    error = spec["components"]["schemas"]["ApiError"]
    assert error["required"] == ["code", "message", "detail"]
    assert set(error["properties"]) == {"code", "message", "detail"}
    enum = spec["components"]["schemas"]["ApiErrorCode"]["enum"]
    for code in ("invalid_input", "not_authenticated", "not_found", "sold_out", "below_minimum", "forbidden"):
        assert code in enum
        assert code in error["properties"]["code"]["description"]


def test_codes_are_read_with_their_status():
    codes = error_codes()
    assert "not_authenticated" in codes["api"][401]
    assert "invalid_input" in codes["api"][422]
    assert "order_not_found" in codes["orders"][404]
    assert "forbidden" in codes["accounts"][403]
    assert "own_object" in codes["common"][403]


# WeChat Pay's notifications are answered in the provider's own `{code: FAIL, message}` shape
PROVIDER_SHAPED = {
    "/api/v1/payments/wechatpay/notify",
    "/api/v1/payments/wechatpay/refund-notify",
    "/api/v1/withdrawals/wechatpay/transfer-notify",
}


def _errors(spec, path, method):
    responses = spec["paths"][path][method]["responses"]
    declared = {}
    for status, response in responses.items():
        if int(status) >= 400:
            if path in PROVIDER_SHAPED and "ApiError" not in str(response):
                declared[int(status)] = response
                continue
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (path, method, status)
            declared[int(status)] = response
    return declared


def test_every_operation_declares_its_error_responses(spec):
    missing = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            declared = _errors(spec, path, method)
            needed = {400}
            if operation.get("security"):
                needed |= {401, 403, 404}
            if "{" in path:
                needed.add(404)
            if method in ("post", "put", "patch", "delete"):
                needed.add(409)
            if "requestBody" in operation:
                needed |= {413, 422}
            if operation.get("parameters"):
                needed.add(422)
            if not needed <= set(declared):
                missing.append((method, path, sorted(needed - set(declared))))
    assert missing == []


def test_statuses_follow_the_operation(spec):
    # anonymous read without input: only a refusal, no auth answers, no conflict
    assert set(_errors(spec, "/api/v1/catalog/categories", "get")) == {400}
    # signed-in write with a path parameter and a body
    cancel = _errors(spec, "/api/v1/orders/{order_id}/cancel", "post")
    # cancelling a paid order refunds it: the payment provider's failure is part of the answer
    assert set(cancel) == {400, 401, 403, 404, 409, 413, 422, 424}
    assert "`order_not_found`" in cancel[404]["description"]
    assert "`provider_unavailable`" in cancel[424]["description"]
    assert "`sold_out`" not in cancel[409]["description"]
    assert "`not_authenticated`" in cancel[401]["description"]
    # a staff action: 403 lists the permission code
    assert "`forbidden`" in _errors(spec, "/api/v1/operator/withdrawals/settings", "patch")[403]["description"]


def test_a_rate_limited_view_declares_429():
    from ninja import Router

    from config.openapi import FenxiaoAPI
    from fenxiao.common.api_contract import rate_limited

    router = Router()

    @router.post("/ping")
    @rate_limited
    def ping(request):
        return {}

    @router.get("/pong")
    def pong(request):
        return {}

    local = FenxiaoAPI(urls_namespace="contract-test")
    local.add_router("/", router)
    paths = local.get_openapi_schema(path_prefix="/")["paths"]
    assert 429 in paths["/ping"]["post"]["responses"]
    assert 429 not in paths["/pong"]["get"]["responses"]


def test_docs_page_loads_only_same_origin_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "/static/vendor/swagger-ui/swagger-ui.css" in html
    external = re.findall(r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", html)
    assert external == []
    assert "cdn" not in html.lower()
    # scripts come from files only (the settings are a JSON data block, not executed)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_login_documents_its_401():
    spec = api.get_openapi_schema(path_prefix="/api/")
    login = _errors(spec, "/api/v1/auth/login", "post")
    assert 401 in login and "`invalid_credentials`" in login[401]["description"]


@pytest.mark.django_db
def test_share_link_refuses_a_product_id_below_one(client):
    from fenxiao.accounts.services import issue_token
    from tests.api_helpers import assert_error
    from tests.factories import DistributorFactory

    token = issue_token(user=DistributorFactory().user)
    response = client.get("/api/v1/distribution/me/share-link?product_id=-380", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(response, 422, "invalid_input")
    ok = client.get("/api/v1/distribution/me/share-link?product_id=7", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200
    assert ok.json()["url"].endswith("/p/7")
