"""The REST API: /api/v1/…, OpenAPI docs at /api/docs.

Every error leaves as `{code, message, detail}` with a 4xx status: domain errors carry their own code,
validation errors become 422 `invalid_input`, missing objects 404 `not_found`.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from fenxiao.accounts.api import router as accounts_router
from fenxiao.addresses.api import router as addresses_router
from fenxiao.analytics.api import leaderboards_router as analytics_leaderboards_router
from fenxiao.analytics.api import operator_router as analytics_operator_router
from fenxiao.analytics.api import team_router as analytics_team_router
from fenxiao.approvals.api import operator_router as approvals_operator_router
from fenxiao.catalog.api import operator_router as catalog_operator_router
from fenxiao.commissions.api import earnings_router
from fenxiao.commissions.api import operator_router as commissions_operator_router
from fenxiao.common.api_guard import InputGuardMixin, max_body_bytes, payload_too_large
from fenxiao.common.errors import DomainError
from fenxiao.common.validation import out_of_range, third_level_fields
from fenxiao.distribution.api import operator_router as distribution_operator_router
from fenxiao.distribution.api import router as distribution_router
from fenxiao.distribution.api import shop_router as distribution_shop_router
from fenxiao.distribution.models import MAX_COMMISSION_LEVELS
from fenxiao.growth.api import conversion_operator_router as growth_conversion_router
from fenxiao.growth.api import invitations_operator_router as growth_invitations_operator_router
from fenxiao.growth.api import invitations_router as growth_invitations_router
from fenxiao.growth.api import levels_operator_router as growth_levels_operator_router
from fenxiao.growth.api import levels_router as growth_levels_router
from fenxiao.growth.api import notifications_router
from fenxiao.growth.api import prizes_operator_router as growth_prizes_operator_router
from fenxiao.growth.api import prizes_router as growth_prizes_router
from fenxiao.inventory.api import operator_router as inventory_operator_router
from fenxiao.logistics.api import operator_router as logistics_operator_router
from fenxiao.logistics.api import router as logistics_router
from fenxiao.members.api import operator_router as members_operator_router
from fenxiao.members.api import router as members_router
from fenxiao.orders.api import cart_router as orders_cart_router
from fenxiao.orders.api import operator_router as orders_operator_router
from fenxiao.orders.api import router as orders_router
from fenxiao.orders.api_bargains import router as orders_bargain_router
from fenxiao.orders.api_flash import router as orders_flash_router
from fenxiao.orders.api_groups import router as orders_group_router
from fenxiao.orders.api_trace import trace_router as orders_trace_router
from fenxiao.payments.api import router as payments_router
from fenxiao.promotions.api import router as promotions_router
from fenxiao.promotions.api_bargains import router as promotions_bargains_router
from fenxiao.promotions.api_campaigns import router as promotions_campaigns_router
from fenxiao.promotions.api_flash import router as promotions_flash_router
from fenxiao.promotions.api_groups import router as promotions_groups_router
from fenxiao.promotions.api_mall import router as promotions_mall_router
from fenxiao.promotions.api_operator import router as promotions_operator_router
from fenxiao.promotions.api_operator_activities import router as promotions_activities_operator_router
from fenxiao.shop.api import router as shop_router
from fenxiao.suppliers.api import operator_router as suppliers_operator_router
from fenxiao.suppliers.api import router as suppliers_router
from fenxiao.supply.portal.api import router as supplier_portal_router
from fenxiao.supply.samples.api import operator_router as sample_requests_operator_router
from fenxiao.supply.samples.api import router as samples_router
from fenxiao.supply.scorecard.api import operator_router as supplier_scorecards_operator_router
from fenxiao.supply.scorecard.api import router as supplier_scorecard_router
from fenxiao.supply.settlement.api import operator_router as supplier_statements_operator_router
from fenxiao.supply.settlement.api import router as supplier_statements_router
from fenxiao.wechat.api import router as wechat_router
from fenxiao.withdrawals.api import operator_router as withdrawals_operator_router
from fenxiao.withdrawals.api import router as withdrawals_router

from .openapi import FenxiaoAPI, SelfHostedSwagger


class GuardedAPI(InputGuardMixin, FenxiaoAPI):
    """Input checks (fenxiao.common.api_guard) before every operation, JSON 404/405 under /api/."""


api = GuardedAPI(
    title="fenxiao API",
    version="1",
    description="社交分销商城 API。认证：`Authorization: Bearer <token>`（POST /api/v1/auth/login 获取）或浏览器会话。",
    urls_namespace="api",
    docs_url="/docs",
    docs=SelfHostedSwagger(),
)


def _error(request, status: int, code: str, message: str, detail=None):
    return api.create_response(request, {"code": code, "message": message, "detail": detail or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    response = _error(request, exc.status, exc.code, exc.message, exc.detail)
    for header, value in getattr(exc, "headers", {}).items():  # e.g. Retry-After of a 429
        response[header] = value
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    # A field the schema does not have that would set a third commission level: the same refusal as
    # the level and plan services give.
    unknown = [e["loc"][-1] for e in exc.errors if e.get("type") == "extra_forbidden" and e.get("loc")]
    third = third_level_fields(unknown)
    if third:
        return _error(
            request,
            400,
            "commission_depth_exceeded",
            _("佣金最多两级（直推 + 间推），不能设置第三级佣金"),
            {"fields": third, "max": MAX_COMMISSION_LEVELS},
        )
    too_big = [e for e in exc.errors if e.get("type") == "out_of_range"]
    if too_big:
        exc = out_of_range(too_big[0].get("ctx", {}).get("field", ""))
        return _error(request, exc.status, exc.code, exc.message, exc.detail)
    return _error(request, 422, "invalid_input", _("请求参数不正确"), {"errors": exc.errors})


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request, exc):
    # Django's DATA_UPLOAD_MAX_MEMORY_SIZE (form and JSON data, files excluded) was exceeded.
    exc = payload_too_large(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or max_body_bytes())
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(OverflowError)
def on_overflow(request, exc):
    # A number that passed the input checks but not the database column or a date computation.
    exc = out_of_range("")
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(DataError)
def on_data_error(request, exc):
    # PostgreSQL: "integer out of range" (a column narrower than 64 bits), or text it cannot store.
    if "out of range" in str(exc).lower():
        exc = out_of_range("")
        return _error(request, exc.status, exc.code, exc.message, exc.detail)
    return _error(request, 400, "invalid_input", _("请求参数不正确"), {})


@api.exception_handler(IntegrityError)
def on_integrity_error(request, exc):
    # SQLite answers "datatype mismatch" when a LIMIT/OFFSET computed from a large page number no longer
    # fits 64 bits; every other integrity error is a fault and stays one.
    if str(exc) == "datatype mismatch":
        exc = out_of_range("")
        return _error(request, exc.status, exc.code, exc.message, exc.detail)
    raise exc


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "not_authenticated", _("请先登录"))


@api.exception_handler(AuthorizationError)
def on_forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or _("没有权限"))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", _("对象不存在"))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = {400: "bad_request", 405: "method_not_allowed", 429: "throttled"}.get(exc.status_code, "http_error")
    message = _("请求体无法解析，请发送 JSON") if "parse" in str(exc).lower() else str(exc)
    return _error(request, exc.status_code, code, message)


api.add_router("/v1/auth", accounts_router)
api.add_router("/v1/auth/wechat", wechat_router)
api.add_router("/v1/catalog", shop_router)
api.add_router("/v1/operator/catalog", catalog_operator_router)
api.add_router("/v1/operator/inventory", inventory_operator_router)
api.add_router("/v1/operator/inventory", orders_trace_router)  # a batch's trace reads orders
api.add_router("/v1/supplier-applications", suppliers_router)
api.add_router("/v1/operator/suppliers", suppliers_operator_router)
api.add_router("/v1/carriers", logistics_router)
api.add_router("/v1/operator/carriers", logistics_operator_router)
api.add_router("/v1/distribution", distribution_router)
api.add_router("/v1/distribution/shop", distribution_shop_router)
api.add_router("/v1/operator/distribution", distribution_operator_router)
api.add_router("/v1/operator/commissions", commissions_operator_router)
api.add_router("/v1/earnings", earnings_router)
api.add_router("/v1/cart", orders_cart_router)
api.add_router("/v1/addresses", addresses_router)
api.add_router("/v1/coupons", promotions_router)
api.add_router("/v1/campaigns", promotions_campaigns_router)
api.add_router("/v1/points-mall", promotions_mall_router)
api.add_router("/v1/flash-sales", promotions_flash_router)
api.add_router("/v1/group-buys", promotions_groups_router)
api.add_router("/v1/bargains", promotions_bargains_router)
api.add_router("/v1/members", members_router)
api.add_router("/v1/operator/members", members_operator_router)
api.add_router("/v1/orders/bargain", orders_bargain_router)
api.add_router("/v1/orders/group", orders_group_router)
api.add_router("/v1/orders/flash", orders_flash_router)
api.add_router("/v1/orders", orders_router)
api.add_router("/v1/operator", orders_operator_router)
api.add_router("/v1/payments", payments_router)
api.add_router("/v1/withdrawals", withdrawals_router)
api.add_router("/v1/operator/withdrawals", withdrawals_operator_router)
api.add_router("/v1/operator/approvals", approvals_operator_router)
api.add_router("/v1/team", analytics_team_router)
api.add_router("/v1/leaderboards", analytics_leaderboards_router)
api.add_router("/v1/operator/analytics", analytics_operator_router)
api.add_router("/v1/operator/promotions", promotions_operator_router)
api.add_router("/v1/operator/activities", promotions_activities_operator_router)
api.add_router("/v1/growth", growth_levels_router)
api.add_router("/v1/growth", growth_invitations_router)
api.add_router("/v1/growth", growth_prizes_router)
api.add_router("/v1/operator/growth", growth_levels_operator_router)
api.add_router("/v1/operator/growth", growth_invitations_operator_router)
api.add_router("/v1/operator/growth", growth_prizes_operator_router)
api.add_router("/v1/operator/growth", growth_conversion_router)
api.add_router("/v1/notifications", notifications_router)
api.add_router("/v1/supplier", supplier_portal_router)
api.add_router("/v1/supplier/scorecard", supplier_scorecard_router)
api.add_router("/v1/operator/supplier-scorecards", supplier_scorecards_operator_router)
api.add_router("/v1/distribution/samples", samples_router)
api.add_router("/v1/operator/sample-requests", sample_requests_operator_router)
api.add_router("/v1/supplier/statements", supplier_statements_router)
api.add_router("/v1/operator/supplier-statements", supplier_statements_operator_router)
