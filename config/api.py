"""The REST API: /api/v1/…, OpenAPI docs at /api/docs.

Every error leaves as `{code, message, detail}` with a 4xx status: domain errors carry their own code,
validation errors become 422 `invalid_input`, missing objects 404 `not_found`.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from fenxiao.accounts.api import router as accounts_router
from fenxiao.analytics.api import leaderboards_router as analytics_leaderboards_router
from fenxiao.analytics.api import operator_router as analytics_operator_router
from fenxiao.analytics.api import team_router as analytics_team_router
from fenxiao.catalog.api import router as catalog_router
from fenxiao.commissions.api import operator_router as commissions_operator_router
from fenxiao.commissions.api_earnings import router as earnings_router
from fenxiao.common.errors import DomainError
from fenxiao.distribution.api import operator_router as distribution_operator_router
from fenxiao.distribution.api import router as distribution_router
from fenxiao.distribution.api_shop import router as distribution_shop_router
from fenxiao.growth.api import operator_router as growth_operator_router
from fenxiao.growth.api import router as growth_router
from fenxiao.growth.api_conversion import operator_router as growth_conversion_router
from fenxiao.growth.api_notifications import router as notifications_router
from fenxiao.orders.api import cart_router as orders_cart_router
from fenxiao.orders.api import operator_router as orders_operator_router
from fenxiao.orders.api import router as orders_router
from fenxiao.payments.api import router as payments_router
from fenxiao.withdrawals.api import operator_router as withdrawals_operator_router
from fenxiao.withdrawals.api import router as withdrawals_router

api = NinjaAPI(
    title="fenxiao API",
    version="1",
    description="社交分销商城 API。认证：`Authorization: Bearer <token>`（POST /api/v1/auth/login 获取）或浏览器会话。",
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request, status: int, code: str, message: str, detail=None):
    return api.create_response(request, {"code": code, "message": message, "detail": detail or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return _error(request, 422, "invalid_input", _("请求参数不正确"), {"errors": exc.errors})


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
api.add_router("/v1/catalog", catalog_router)
api.add_router("/v1/distribution", distribution_router)
api.add_router("/v1/distribution/shop", distribution_shop_router)
api.add_router("/v1/operator/distribution", distribution_operator_router)
api.add_router("/v1/operator/commissions", commissions_operator_router)
api.add_router("/v1/earnings", earnings_router)
api.add_router("/v1/cart", orders_cart_router)
api.add_router("/v1/orders", orders_router)
api.add_router("/v1/operator", orders_operator_router)
api.add_router("/v1/payments", payments_router)
api.add_router("/v1/withdrawals", withdrawals_router)
api.add_router("/v1/operator/withdrawals", withdrawals_operator_router)
api.add_router("/v1/team", analytics_team_router)
api.add_router("/v1/leaderboards", analytics_leaderboards_router)
api.add_router("/v1/operator/analytics", analytics_operator_router)
api.add_router("/v1/growth", growth_router)
api.add_router("/v1/operator/growth", growth_operator_router)
api.add_router("/v1/operator/growth", growth_conversion_router)
api.add_router("/v1/notifications", notifications_router)
