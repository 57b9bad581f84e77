"""Withdrawal pages of the distributor: real-name verification, the request form with a live fee
preview, the list of withdrawals and one withdrawal with its timeline.

Like the other pages, these read through the withdrawals selectors and write through its services;
a DomainError from a service is shown next to the field it concerns, never as a server error.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fenxiao.common.errors import DomainError
from fenxiao.common.money import parse_yuan
from fenxiao.common.phone import mask_phone
from fenxiao.common.ratelimit import client_address
from fenxiao.sms import selectors as sms_selectors
from fenxiao.withdrawals import selectors, services
from fenxiao.withdrawals.errors import WithdrawalCode, WithdrawalError
from fenxiao.withdrawals.models import Channel, Withdrawal
from fenxiao.withdrawals.services import transfers

from .helpers import not_found, safe_next, viewer_distributor

logger = logging.getLogger("fenxiao.web")
W = Withdrawal.Status
WITHDRAWALS_PER_PAGE = 10
AMOUNT_MAX_LENGTH = 12

# What a status change reads like in the timeline.
EVENT_TITLES = {
    W.REQUESTED: gettext_lazy("提交提现申请"),
    W.APPROVED: gettext_lazy("审核通过，等待打款"),
    W.PAID: gettext_lazy("已到账"),
    W.REJECTED: gettext_lazy("申请被驳回，金额已退回"),
    W.FAILED: gettext_lazy("打款失败，金额已退回"),
    W.CANCELLED: gettext_lazy("已取消，金额已退回"),
}

LIST_TABS = [
    ("", gettext_lazy("全部"), ()),
    ("open", gettext_lazy("处理中"), (W.REQUESTED, W.APPROVED)),
    ("paid", gettext_lazy("已到账"), (W.PAID,)),
    ("closed", gettext_lazy("未成功"), (W.REJECTED, W.FAILED, W.CANCELLED)),
]

CHANNEL_HINTS = {
    Channel.WECHAT: gettext_lazy("打款到实名手机号绑定的微信零钱"),
    Channel.BANK: gettext_lazy("须为本人实名的借记卡"),
    Channel.ALIPAY: gettext_lazy("须为本人实名的支付宝账号"),
}


def _distributor_or_redirect(request: HttpRequest):
    distributor = viewer_distributor(request)
    if distributor is None:
        messages.info(request, _("成为分销商后才能提现"))
    return distributor


def _field_of(exc: DomainError, channel: str = "") -> str:
    field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
    if field == "account":
        return {Channel.BANK: "card_number", Channel.ALIPAY: "alipay_account"}.get(channel, "")
    return field


def _parse_amount(text: str) -> int | None:
    text = str(text or "").strip()
    if not text or len(text) > AMOUNT_MAX_LENGTH:
        return None
    try:
        value = parse_yuan(text)
    except ValueError:
        return None
    return value if value > 0 else None


def _amount_preview(distributor, text: str) -> dict:
    """The live preview under the amount: the fee and what arrives, or why the amount will be refused."""
    text = str(text or "").strip()
    if not text:
        return {"empty": True}
    amount = _parse_amount(text)
    if amount is None:
        return {"error": _("请输入正确的金额，最多两位小数")}
    view = selectors.overview(distributor)
    try:
        services.check_amount(
            amount_fen=amount, available_fen=view.available_fen, today_requested_fen=view.today_requested_fen, conf=view.settings
        )
    except WithdrawalError as exc:
        return {"error": exc.message}
    return {"quote": services.quote(amount, view.settings)}


# --- real-name verification -----------------------------------------------------------------------


def _kyc_context(request: HttpRequest, distributor, *, form: dict | None = None, error: str = "", error_field: str = "") -> dict:
    record = selectors.kyc_for(distributor)
    if form is None:
        form = {
            "real_name": record.real_name if record else "",
            "id_number": "",
            "mobile": (record.mobile if record else "") or (request.user.phone or ""),
        }
    return {
        "tab": "dc",
        "record": record,
        "form": form,
        "error": error,
        "error_field": error_field,
        "next": safe_next(request, ""),
    }


def _send_kyc_code(request: HttpRequest, distributor, form: dict) -> dict:
    """The "获取验证码" button: send the code to the mobile typed, and say so (with the code itself
    under the development provider, for the demo)."""
    try:
        sent = services.send_kyc_code(distributor=distributor, mobile=form["mobile"], address=client_address(request))
    except DomainError as exc:
        return _kyc_context(request, distributor, form=form, error=exc.message, error_field="mobile")
    notice = _("验证码已发送至 %(phone)s，%(minutes)s 分钟内有效") % {
        "phone": mask_phone(sent.phone),
        "minutes": sent.expires_in // 60,
    }
    return {
        **_kyc_context(request, distributor, form=form),
        "sms_notice": notice,
        "dev_code": sms_selectors.dev_code(sent.phone, sent.purpose),
        "code_sent": True,
    }


@login_required
@require_http_methods(["GET", "POST"])
def kyc(request: HttpRequest) -> HttpResponse:
    distributor = _distributor_or_redirect(request)
    if distributor is None:
        return redirect("web:apply")
    if request.method != "POST":
        return render(request, "web/kyc_form.html", _kyc_context(request, distributor))
    form = {name: str(request.POST.get(name, "")).strip() for name in ("real_name", "id_number", "mobile")}
    if request.POST.get("action") == "send":
        return render(request, "web/kyc_form.html", _send_kyc_code(request, distributor, form))
    try:
        services.submit_kyc(
            distributor=distributor,
            real_name=form["real_name"],
            id_number=form["id_number"],
            mobile=form["mobile"],
            code=str(request.POST.get("code", "")),
            actor=request.user,
        )
    except DomainError as exc:
        field = "code" if exc.code == "invalid_code" else _field_of(exc)
        context = _kyc_context(request, distributor, form=form, error=exc.message, error_field=field)
        return render(request, "web/kyc_form.html", context)
    messages.success(request, _("实名认证已保存"))
    return redirect(safe_next(request, reverse("web:withdraw")))


# --- the request form -----------------------------------------------------------------------------


def _withdraw_context(
    request: HttpRequest, distributor, record, *, form: dict, error: str = "", error_field: str = "", token: str = ""
) -> dict:
    view = selectors.overview(distributor)
    conf = view.settings
    channels = [{"code": code, "label": Channel(code).label, "hint": CHANNEL_HINTS[code]} for code in conf.enabled_channels]
    if not form.get("channel") and channels:
        form["channel"] = channels[0]["code"]
    return {
        "tab": "dc",
        "record": record,
        "wechat_phone": mask_phone(record.mobile),
        "view": view,
        "conf": conf,
        "channels": channels,
        "Channel": Channel,
        "form": form,
        "preview": _amount_preview(distributor, form.get("amount", "")),
        "error": error,
        "error_field": error_field,
        "token": token or secrets.token_urlsafe(16),
        "amount_max_length": AMOUNT_MAX_LENGTH,
    }


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    distributor = _distributor_or_redirect(request)
    if distributor is None:
        return redirect("web:apply")
    record = selectors.kyc_for(distributor)
    if record is None:
        # Real-name verification comes first; the form comes back here once it is saved.
        context = _kyc_context(request, distributor)
        context["next"] = request.path
        context["first_time"] = True
        return render(request, "web/kyc_form.html", context)
    if request.method != "POST":
        return render(request, "web/withdraw.html", _withdraw_context(request, distributor, record, form={}))

    fields = ("amount", "channel", "bank_name", "card_number", "alipay_account")
    form = {name: str(request.POST.get(name, "")).strip() for name in fields}
    token = str(request.POST.get("token", "")).strip()[:64]
    amount = _parse_amount(form["amount"])
    if amount is None:
        context = _withdraw_context(
            request,
            distributor,
            record,
            form=form,
            error=_("请输入正确的提现金额，最多两位小数"),
            error_field="amount",
            token=token,
        )
        return render(request, "web/withdraw.html", context)
    account = {Channel.BANK: form["card_number"], Channel.ALIPAY: form["alipay_account"]}.get(form["channel"], "")
    try:
        withdrawal = services.request_withdrawal(
            distributor=distributor,
            amount_fen=amount,
            channel=form["channel"],
            account=account,
            bank_name=form["bank_name"] if form["channel"] == Channel.BANK else "",
            idempotency_key=f"web:{token}" if token else "",
            requested_in=Withdrawal.App.OFFICIAL_ACCOUNT,
            actor=request.user,
        )
    except DomainError as exc:
        if exc.code == WithdrawalCode.IDEMPOTENCY_CONFLICT:
            # The same form sent again with other values (back button): start over with a fresh form.
            error, field, token = _("这份表单已经提交过，请核对后重新提交"), "", ""
        else:
            error, field = exc.message, _field_of(exc, form["channel"])
        context = _withdraw_context(request, distributor, record, form=form, error=error, error_field=field, token=token)
        return render(request, "web/withdraw.html", context)
    if not withdrawal.replayed:
        messages.success(request, _("提现申请已提交，请等待审核"))
    return redirect("web:withdrawal_detail", withdrawal_id=withdrawal.pk)


@login_required
def withdraw_quote(request: HttpRequest) -> HttpResponse:
    """The fee preview under the amount field, re-rendered by htmx as the distributor types."""
    distributor = viewer_distributor(request)
    if distributor is None:
        return HttpResponse(status=204)
    return render(request, "web/withdraw_quote.html", {"preview": _amount_preview(distributor, request.GET.get("amount", ""))})


# --- list and detail ------------------------------------------------------------------------------


@login_required
def withdrawal_list(request: HttpRequest) -> HttpResponse:
    distributor = _distributor_or_redirect(request)
    if distributor is None:
        return redirect("web:apply")
    current = request.GET.get("status", "")
    tabs = {key: statuses for key, _label, statuses in LIST_TABS}
    if current not in tabs:
        current = ""
    qs = selectors.withdrawals_for_distributor(distributor)
    if tabs[current]:
        qs = qs.filter(status__in=tabs[current])
    context = {
        "tab": "dc",
        "tabs": [{"key": key, "label": label} for key, label, _statuses in LIST_TABS],
        "current": current,
        "page": Paginator(qs, WITHDRAWALS_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "web/withdrawals.html", context)


def _timeline(withdrawal: Withdrawal) -> list[dict]:
    """The withdrawal's events, newest first, as the distributor reads them."""
    entries = []
    for event in withdrawal.events.all():
        if event.from_status == event.to_status:
            title, note = event.note, ""
        else:
            title = EVENT_TITLES.get(event.to_status, event.to_status)
            note = event.note
        entries.append({"at": event.created_at, "title": title, "note": note})
    entries.reverse()
    return entries


def _detail(request: HttpRequest, distributor, withdrawal_id: int, *, action_error: str = "") -> HttpResponse:
    withdrawal = selectors.withdrawal_detail(withdrawal_id, distributor=distributor)
    if withdrawal is None:
        return not_found(request, _("提现记录不存在"))
    bill = selectors.transfer_bill_for(withdrawal)
    context = {
        "tab": "dc",
        "w": withdrawal,
        "Status": W,
        "timeline": _timeline(withdrawal),
        "can_cancel": withdrawal.status == W.REQUESTED,
        "action_error": action_error,
        "transfer": bill,
        "transfer_open": bill is not None and bill.settled_at is None and withdrawal.status == W.APPROVED,
        "in_wechat": "MicroMessenger" in request.headers.get("User-Agent", ""),
        "transfer_dev": bill is not None and transfers.dev_provider() is not None,
    }
    return render(request, "web/withdrawal_detail.html", context)


@login_required
def withdrawal_detail(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    distributor = _distributor_or_redirect(request)
    if distributor is None:
        return redirect("web:apply")
    return _detail(request, distributor, withdrawal_id)


@login_required
@require_http_methods(["GET", "POST"])
def withdrawal_cancel(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    distributor = _distributor_or_redirect(request)
    if distributor is None:
        return redirect("web:apply")
    if request.method != "POST":
        return redirect("web:withdrawal_detail", withdrawal_id=withdrawal_id)
    try:
        services.cancel_withdrawal(withdrawal_id=withdrawal_id, distributor=distributor, actor=request.user)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("提现记录不存在"))
        return _detail(request, distributor, withdrawal_id, action_error=exc.message)
    messages.success(request, _("提现已取消，金额已退回可提现余额"))
    return redirect("web:withdrawal_detail", withdrawal_id=withdrawal_id)


# --- WeChat merchant transfer: the distributor accepts the money in WeChat -----------------------


def _transfer_state(withdrawal: Withdrawal, bill) -> dict:
    return {
        "status": withdrawal.status,
        "status_label": str(withdrawal.get_status_display()),
        "state": bill.state if bill else "",
        "awaiting_user": bool(bill and bill.awaiting_user and bill.settled_at is None),
        "final": withdrawal.status != W.APPROVED,
    }


def _transfer_not_found() -> JsonResponse:
    return JsonResponse({"code": "withdrawal_not_found", "message": _("提现记录不存在")}, status=404)


@login_required
@require_http_methods(["POST"])
def withdrawal_transfer_confirm(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    """The arguments of WeixinJSBridge.invoke("requestMerchantTransfer", …) for this withdrawal's bill."""
    distributor = viewer_distributor(request)
    if distributor is None or selectors.withdrawal_detail(withdrawal_id, distributor=distributor) is None:
        return _transfer_not_found()
    try:
        params = transfers.confirm_params(withdrawal_id=withdrawal_id, distributor=distributor)
    except DomainError as exc:
        return JsonResponse({"code": str(exc.code), "message": exc.message}, status=exc.status)
    except Exception:  # WeChat Pay not reachable or not configured: try again later
        logger.exception("transfer confirmation parameters for withdrawal %s", withdrawal_id)
        return JsonResponse({"code": "provider_unavailable", "message": _("微信支付暂时无法连接，请稍后再试")}, status=424)
    answer = params.as_bridge()
    if params.dev:
        # The demo has no WeChat: its confirmation page takes the sheet's place.
        sheet = reverse("web:withdrawal_transfer_dev_sheet", kwargs={"withdrawal_id": withdrawal_id})
        answer["devSheetUrl"] = f"{sheet}?{urlencode({'package': params.package})}"
    return JsonResponse(answer)


@login_required
@require_http_methods(["GET"])
def withdrawal_transfer_status(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    """Polled by the page after the distributor accepted: where the withdrawal stands now."""
    distributor = viewer_distributor(request)
    if distributor is None or selectors.withdrawal_detail(withdrawal_id, distributor=distributor) is None:
        return _transfer_not_found()
    try:
        bill = transfers.check_after_confirm(withdrawal_id=withdrawal_id, distributor=distributor)
    except Exception:  # the query failed; the page asks again, the job settles it in any case
        logger.exception("transfer status of withdrawal %s", withdrawal_id)
        bill = None
    withdrawal = selectors.withdrawal_detail(withdrawal_id, distributor=distributor)
    if withdrawal is None:
        return _transfer_not_found()
    response = JsonResponse(_transfer_state(withdrawal, bill or selectors.transfer_bill_for(withdrawal)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def withdrawal_transfer_dev_sheet(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    """The dev transfer provider's stand-in for WeChat's confirmation sheet (the demo only): the
    distributor accepts the money, has the transfer fail, or closes the sheet. Then back to the
    withdrawal, whose result was read by the same query as a real transfer's."""
    distributor = viewer_distributor(request)
    package = (request.POST.get("package") if request.method == "POST" else request.GET.get("package")) or ""
    if distributor is None:
        return not_found(request, _("提现记录不存在"))
    bill = transfers.dev_sheet_bill(withdrawal_id=withdrawal_id, package=package, distributor=distributor)
    if bill is None:
        return not_found(request, _("没有等待确认收款的转账"))
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("accept", "fail"):
            settled = transfers.dev_sheet_answer(
                withdrawal_id=withdrawal_id, package=package, distributor=distributor, accept=action == "accept"
            )
            if settled is None:
                return not_found(request, _("没有等待确认收款的转账"))
        return redirect("web:withdrawal_detail", withdrawal_id=withdrawal_id)
    context = {"tab": "dc", "bill": bill, "w": bill.withdrawal, "package": package}
    return render(request, "web/transfer_dev_sheet.html", context)
