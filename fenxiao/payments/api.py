"""Provider callbacks. WeChat Pay posts its payment and refund notifications here; they carry no user
authentication but a platform signature, which `services.handle_wechatpay_notification` checks
before anything changes.

Answers are the ones WeChat Pay expects: 204 with no body when the event is recorded (applied now
or before), otherwise 4xx/5xx with {"code": "FAIL", "message": …} so that WeChat Pay retries.
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
_ACCEPTED = {Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED}
_RESPONSES = {204: None, frozenset({400, 401, 404, 409, 413, 500}): NotifyFailOut}


def _fail(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": "FAIL", "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _notify(request):
    body = request.body
    if len(body) > MAX_NOTIFICATION_BYTES:
        return _fail(413, _("通知内容过大"))
    notification = services.handle_wechatpay_notification(headers=dict(request.headers), body=body)
    if notification.outcome in _ACCEPTED:
        return HttpResponse(status=204)
    status, message = _REFUSALS.get(notification.outcome, (400, _("通知未被接受")))
    return _fail(status, str(message))


@router.post("/wechatpay/notify", auth=None, response=_RESPONSES, summary="微信支付：支付结果通知")
def wechatpay_notify(request):
    return _notify(request)


@router.post("/wechatpay/refund-notify", auth=None, response=_RESPONSES, summary="微信支付：退款结果通知")
def wechatpay_refund_notify(request):
    return _notify(request)
