"""Provider callbacks. WeChat Pay posts its payment and refund notifications here; they carry no user
authentication but a platform signature, which `services.handle_wechatpay_notification` checks
before anything changes.

Answers are the ones WeChat Pay expects: 204 with no body when the event is recorded (applied now
or before, or kept for finance as a duplicate payment), otherwise 4xx/5xx with {"code": "FAIL",
"message": …} so that WeChat Pay retries. Refused requests are counted, never stored whole.
"""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router

from . import services
from .models import Notification
from .schemas import NotifyFailOut

router = Router(tags=["支付回调 payments"])

Outcome = Notification.Outcome
MAX_NOTIFICATION_BYTES = 64 * 1024

# outcome → (HTTP status, message) for the notifications that are not accepted
_REFUSALS = {
    Outcome.FORGED: (401, gettext_lazy("签名验证失败")),
    Outcome.STALE: (401, gettext_lazy("通知时间戳超出允许范围")),
    Outcome.TAMPERED: (400, gettext_lazy("通知内容无法解密或格式错误")),
    Outcome.UNKNOWN_PAYMENT: (404, gettext_lazy("找不到对应的支付或退款单")),
    Outcome.AMOUNT_MISMATCH: (409, gettext_lazy("金额与支付单不符")),
    Outcome.NOT_PENDING: (409, gettext_lazy("支付或退款单已关闭")),
    Outcome.ERROR: (500, gettext_lazy("处理失败，请重试")),
}
_ACCEPTED = {Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED, Outcome.DUPLICATE_PAYMENT}
_RESPONSES = {204: None, frozenset({400, 401, 404, 409, 413, 500}): NotifyFailOut}


def _fail(status: int, message: str, *, counted: bool = False) -> JsonResponse:
    response = JsonResponse({"code": "FAIL", "message": message}, status=status, json_dumps_params={"ensure_ascii": False})
    if counted:
        # Counted and logged (rate-limited) by services.record_refusal: keep Django from writing one
        # "Unauthorized"/"Bad Request" line per request as well, whatever a flood sends.
        response._has_been_logged = True
    return response


def _notify(request):
    body = request.body
    source = request.META.get("REMOTE_ADDR", "")
    if len(body) > MAX_NOTIFICATION_BYTES:
        services.record_refusal(reason=Outcome.TOO_LARGE, body=body, headers=dict(request.headers), source_address=source)
        return _fail(413, _("通知内容过大"), counted=True)
    notification = services.handle_wechatpay_notification(headers=dict(request.headers), body=body, source_address=source)
    if notification.outcome in _ACCEPTED:
        return HttpResponse(status=204)
    status, message = _REFUSALS.get(notification.outcome, (400, _("通知未被接受")))
    return _fail(status, str(message), counted=notification.outcome in services.REFUSED_OUTCOMES)


@router.post("/wechatpay/notify", auth=None, response=_RESPONSES, summary="微信支付：支付结果通知")
def wechatpay_notify(request):
    return _notify(request)


@router.post("/wechatpay/refund-notify", auth=None, response=_RESPONSES, summary="微信支付：退款结果通知")
def wechatpay_refund_notify(request):
    return _notify(request)
