from dataclasses import asdict

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Query, Router, Status, UploadedFile

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm, token_app_id
from fenxiao.accounts.schemas import SmsSentOut
from fenxiao.common.api_contract import rate_limited
from fenxiao.common.phone import mask_phone
from fenxiao.common.ratelimit import client_address
from fenxiao.distribution.selectors import require_distributor
from fenxiao.payments.schemas import NotifyFailOut
from fenxiao.payments.services import record_refusal

from . import selectors, services
from .errors import WithdrawalCode, WithdrawalError
from .models import Channel, Withdrawal
from .schemas import (
    BatchFilter,
    BatchIn,
    BatchOut,
    DistributorSettingsOut,
    ImportSummaryOut,
    KycCodeIn,
    KycIn,
    KycOut,
    NoteIn,
    OperatorFilter,
    OperatorWithdrawalOut,
    QuoteQuery,
    TransferConfirmOut,
    TransferStateOut,
    WithdrawalFilter,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalReasonIn,
    WithdrawalSettingsIn,
    WithdrawalSettingsOut,
)
from .services import payouts, transfers

router = Router(tags=["提现 withdrawals"], auth=member_auth)
operator_router = Router(tags=["运营：提现 operator"], auth=member_auth)


def _approved(request):
    return require_distributor(current_user(request))


def requested_in(request) -> str:
    """The WeChat app a request comes from: a token issued by the configured mini-program's login →
    the mini-program; the signed-in browser of the pages → the Official Account; a token of any other
    login → not known ("")."""
    if not hasattr(request, "token_app_id"):
        return Withdrawal.App.OFFICIAL_ACCOUNT
    mp_appid = transfers.mini_program_appid()
    if mp_appid and token_app_id(request) == mp_appid:
        return Withdrawal.App.MINI_PROGRAM
    return ""


def kyc_dict(record) -> dict:
    if record is None:
        return {"verified": False}
    return {
        "verified": True,
        "real_name": record.real_name,
        "id_number_masked": record.id_number_masked,
        "gender": record.gender,
        "mobile_masked": mask_phone(record.mobile),
        "mobile_verified": record.mobile_verified_at is not None,
        "updated_at": record.updated_at,
    }


def withdrawal_dict(w, *, events: bool = False, operator: bool = False) -> dict:
    data = {
        "id": w.pk,
        "number": w.number,
        "status": w.status,
        "status_label": w.get_status_display(),
        "channel": w.channel,
        "channel_label": w.get_channel_display(),
        "amount_fen": w.amount_fen,
        "fee_bp": w.fee_bp,
        "fee_fen": w.fee_fen,
        "net_fen": w.net_fen,
        "payee_name": w.payee_name,
        "bank_name": w.bank_name,
        "account_masked": w.account_masked,
        "reject_reason": w.reject_reason,
        "failure_reason": w.failure_reason,
        "requested_at": w.requested_at,
        "approved_at": w.approved_at,
        "paid_at": w.paid_at,
        "rejected_at": w.rejected_at,
        "failed_at": w.failed_at,
        "cancelled_at": w.cancelled_at,
        "events": [],
    }
    if events:
        data["events"] = [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "created_at": e.created_at,
                **({"actor": e.actor.display_name if e.actor_id else None} if operator else {}),
            }
            for e in w.events.all()
        ]
    if operator:
        data.update(
            {
                "distributor_id": w.distributor_id,
                "distributor_code": w.distributor.code,
                "external_reference": w.external_reference,
                "batch_id": w.batch_id,
                "batch_number": w.batch.number if w.batch_id else None,
                "batch_line": w.batch_line,
            }
        )
    return data


def batch_dict(b) -> dict:
    return {
        "id": b.pk,
        "number": b.number,
        "status": b.status,
        "status_label": b.get_status_display(),
        "channel": b.channel,
        "line_count": b.line_count,
        "amount_fen": b.amount_fen,
        "fee_fen": b.fee_fen,
        "net_fen": b.net_fen,
        "results_count": b.results_count if getattr(b, "results_count", None) is not None else b.results.count(),
        "created_at": b.created_at,
        "created_by": b.created_by.display_name if b.created_by_id else None,
        "exported_at": b.exported_at,
        "closed_at": b.closed_at,
    }


def _page(qs, page: int, page_size: int, largest: int):
    size = max(1, min(page_size, largest))
    start = (max(1, page) - 1) * size
    return qs[start : start + size]


def _not_found(withdrawal_id: int):
    return WithdrawalError(WithdrawalCode.WITHDRAWAL_NOT_FOUND, _("提现记录不存在"), {"withdrawal_id": withdrawal_id}, status=404)


# --- distributor ----------------------------------------------------------------------------------


@router.get("/kyc", response=KycOut, summary="我的实名认证（身份证号仅脱敏显示）")
def get_kyc(request):
    return kyc_dict(selectors.kyc_for(_approved(request)))


@router.post(
    "/kyc/code",
    response={202: SmsSentOut},
    summary="发送实名认证短信验证码",
    description="验证码发送到要认证的手机号，5 分钟内有效；每个手机号每分钟 1 条、每天 10 条，超出时返回 429 和 Retry-After。",
)
@rate_limited
def send_kyc_code(request, payload: KycCodeIn):
    sent = services.send_kyc_code(distributor=_approved(request), mobile=payload.mobile, address=client_address(request))
    return Status(202, {"status": "sent", "expires_in": sent.expires_in, "resend_after": sent.resend_after})


@router.put(
    "/kyc",
    response=KycOut,
    summary="提交或更新实名认证（需手机号的短信验证码）",
    description="先以 POST /withdrawals/kyc/code 获取验证码。验证码错误、过期或已用过时返回 400 `invalid_code`，不保存任何信息。",
)
def put_kyc(request, payload: KycIn):
    distributor = _approved(request)
    record = services.submit_kyc(
        distributor=distributor,
        real_name=payload.real_name,
        id_number=payload.id_number,
        mobile=payload.mobile,
        code=payload.code,
        actor=current_user(request),
    )
    return kyc_dict(record)


@router.get("/settings", response=DistributorSettingsOut, summary="提现规则、余额与试算（?amount_fen=）")
def get_settings(request, q: Query[QuoteQuery]):
    distributor = _approved(request)
    view = selectors.overview(distributor)
    conf = view.settings
    priced = services.quote(q.amount_fen, conf) if q.amount_fen is not None else None
    return {
        "min_amount_fen": conf.min_amount_fen,
        "daily_cap_fen": conf.daily_cap_fen,
        "fee_bp": conf.fee_bp,
        "channels": [{"code": code, "label": str(Channel(code).label)} for code in conf.enabled_channels],
        "kyc_verified": selectors.kyc_for(distributor) is not None,
        "available_fen": view.available_fen,
        "debt_fen": view.debt_fen,
        "withdrawing_fen": view.withdrawing_fen,
        "today_requested_fen": view.today_requested_fen,
        "remaining_today_fen": view.remaining_today_fen,
        "quote": asdict(priced) if priced else None,
    }


@router.get("", response=list[WithdrawalOut], summary="我的提现记录")
def my_withdrawals(request, q: Query[WithdrawalFilter]):
    qs = selectors.withdrawals_for_distributor(_approved(request), status=q.status)
    return [withdrawal_dict(w) for w in _page(qs, q.page, q.page_size, 50)]


@router.post(
    "",
    response={201: WithdrawalOut},
    summary="申请提现（支持 Idempotency-Key 请求头：重试返回同一笔）",
    description=(
        "提现到微信零钱并以商家转账打款时，收款身份跟随申请来源：用小程序登录（/auth/wechat/miniprogram）"
        "签发的令牌申请的转到小程序身份，在小程序中确认收款"
        "（POST /withdrawals/{id}/transfer/confirmation）；公众号页面申请的转到公众号身份。只有一个身份时用该身份。"
    ),
)
def create(request, payload: WithdrawalIn, response: HttpResponse):
    distributor = _approved(request)
    withdrawal = services.request_withdrawal(
        distributor=distributor,
        amount_fen=payload.amount_fen,
        channel=payload.channel,
        account=payload.account,
        bank_name=payload.bank_name,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        requested_in=requested_in(request),
        actor=current_user(request),
    )
    if withdrawal.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, withdrawal_dict(selectors.withdrawal_detail(withdrawal.pk), events=True))


@router.get("/{withdrawal_id}", response=WithdrawalOut, summary="提现详情（含进度）")
def detail(request, withdrawal_id: int):
    withdrawal = selectors.withdrawal_detail(withdrawal_id, distributor=_approved(request))
    if withdrawal is None:
        raise _not_found(withdrawal_id)
    return withdrawal_dict(withdrawal, events=True)


@router.post("/{withdrawal_id}/cancel", response=WithdrawalOut, summary="取消提现（仅待审核）")
def cancel(request, withdrawal_id: int):
    distributor = _approved(request)
    services.cancel_withdrawal(withdrawal_id=withdrawal_id, distributor=distributor, actor=current_user(request))
    return withdrawal_dict(selectors.withdrawal_detail(withdrawal_id), events=True)


# --- WeChat merchant transfer confirmed in the mini-program -----------------------------------------


def _transfer_state(withdrawal, bill) -> dict:
    return {
        "withdrawal_id": withdrawal.pk,
        "number": withdrawal.number,
        "status": withdrawal.status,
        "status_label": withdrawal.get_status_display(),
        "state": bill.state,
        "state_label": bill.get_state_display(),
        "awaiting_user": bill.awaiting_user and bill.settled_at is None,
        "settled": bill.settled_at is not None,
        "failure_reason": withdrawal.failure_reason,
    }


@router.post(
    "/{withdrawal_id}/transfer/confirmation",
    response=TransferConfirmOut,
    summary="小程序确认收款：wx.requestMerchantTransfer 的参数",
)
def transfer_confirmation(request, withdrawal_id: int):
    """For the distributor's own withdrawal to WeChat change, approved and waiting for the user to
    accept the transfer: mch_id, the mini-program's app_id and package_info for
    `wx.requestMerchantTransfer`. Refused with 404 (not the caller's), 409 `not_wechat_transfer` (not
    a WeChat-change withdrawal, or paid by payout file), 409 `transfer_not_confirmable` (not approved
    yet, or not waiting for the user), 409 `transfer_other_app` (to be confirmed in the Official
    Account), 410 `transfer_finished` (already paid, failed or cancelled)."""
    bill, params = transfers.mini_program_confirmation(withdrawal_id=withdrawal_id, distributor=_approved(request))
    return {
        "withdrawal_id": bill.withdrawal_id,
        "number": bill.out_bill_no,
        "mch_id": params.mch_id,
        "app_id": params.app_id,
        "package_info": params.package,
        "state": bill.state,
        "state_label": bill.get_state_display(),
        "amount_fen": bill.amount_fen,
    }


@router.post("/{withdrawal_id}/transfer/check", response=TransferStateOut, summary="小程序确认收款后：查询转账结果")
def transfer_check(request, withdrawal_id: int):
    """Called after the user accepted or closed WeChat's confirmation: asks WeChat Pay once where the
    transfer stands and records it; a final result settles the withdrawal once (paid, or the money back
    to the available balance), as the result notification would. Asking again changes nothing."""
    withdrawal, bill = transfers.check_transfer(withdrawal_id=withdrawal_id, distributor=_approved(request))
    return _transfer_state(withdrawal, bill)


# --- WeChat Pay's transfer result (a provider callback: no user, the platform's signature) ----------

MAX_NOTIFICATION_BYTES = 64 * 1024
_NOTIFY_REFUSED = {
    transfers.NotifyOutcome.FORGED: (401, gettext_lazy("签名验证失败")),
    transfers.NotifyOutcome.STALE: (401, gettext_lazy("通知时间戳超出允许范围")),
    transfers.NotifyOutcome.TAMPERED: (400, gettext_lazy("通知内容无法解密或格式错误")),
    transfers.NotifyOutcome.UNKNOWN_BILL: (404, gettext_lazy("找不到对应的转账单")),
    transfers.NotifyOutcome.ERROR: (500, gettext_lazy("处理失败，请重试")),
}


def _notify_fail(status: int, message: str, *, counted: bool) -> JsonResponse:
    response = JsonResponse({"code": "FAIL", "message": message}, status=status, json_dumps_params={"ensure_ascii": False})
    if counted:
        setattr(response, "_has_been_logged", True)  # counted and logged, rate-limited, by record_refusal  # noqa: B010
    return response


@router.post(
    "/wechatpay/transfer-notify",
    auth=None,
    response={204: None, frozenset({400, 401, 404, 413, 500}): NotifyFailOut},
    summary="微信支付：商家转账结果通知",
)
def transfer_notify(request):
    body = request.body
    source = request.META.get("REMOTE_ADDR", "")
    if len(body) > MAX_NOTIFICATION_BYTES:
        record_refusal(reason="too_large", body=body, headers=dict(request.headers), source_address=source)
        return _notify_fail(413, _("通知内容过大"), counted=True)
    outcome = transfers.handle_notification(headers=dict(request.headers), body=body, source_address=source)
    if outcome in (transfers.NotifyOutcome.APPLIED, transfers.NotifyOutcome.IGNORED):
        return HttpResponse(status=204)
    status, message = _NOTIFY_REFUSED.get(outcome, (400, gettext_lazy("通知未被接受")))
    counted = outcome in (transfers.NotifyOutcome.FORGED, transfers.NotifyOutcome.STALE, transfers.NotifyOutcome.TAMPERED)
    return _notify_fail(status, str(message), counted=counted)


# --- operator -------------------------------------------------------------------------------------


@operator_router.get("/settings", response=WithdrawalSettingsOut, summary="提现设置")
def operator_settings(request):
    require_staff_perm(request, "withdrawals.view_withdrawalsettings")
    return services.get_settings()


@operator_router.patch("/settings", response=WithdrawalSettingsOut, summary="修改提现设置")
def patch_settings(request, payload: WithdrawalSettingsIn):
    require_staff_perm(request, "withdrawals.change_withdrawalsettings")
    changes = {k: v for k, v in payload.model_dump().items() if v is not None}
    return services.update_settings(actor=current_user(request), **changes)


@operator_router.get("/batches", response=list[BatchOut], summary="打款批次")
def batches(request, q: Query[BatchFilter]):
    require_staff_perm(request, "withdrawals.view_payoutbatch")
    return [batch_dict(b) for b in selectors.batches(status=q.status)[:200]]


@operator_router.post("/batches", response={201: BatchOut}, summary="用已审核、未入批次的提现新建打款批次")
def create_batch(request, payload: BatchIn):
    require_staff_perm(request, "withdrawals.add_payoutbatch")
    batch = payouts.create_batch(actor=current_user(request), channel=payload.channel, withdrawal_ids=payload.withdrawal_ids)
    return Status(201, batch_dict(selectors.batch_detail(batch.pk)))


@operator_router.get("/batches/{batch_id}", response=BatchOut, summary="批次详情")
def batch_detail(request, batch_id: int):
    require_staff_perm(request, "withdrawals.view_payoutbatch")
    batch = selectors.batch_detail(batch_id)
    if batch is None:
        raise WithdrawalError(WithdrawalCode.BATCH_NOT_FOUND, _("打款批次不存在"), {"batch_id": batch_id}, status=404)
    return batch_dict(batch)


def _download(request, batch_id: int, fmt: str) -> HttpResponse:
    require_staff_perm(request, "withdrawals.export_payoutbatch")
    exported = payouts.export_batch(batch_id=batch_id, actor=current_user(request), fmt=fmt)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@operator_router.get("/batches/{batch_id}/export.csv", summary="导出打款文件 CSV（UTF-8 BOM，含完整收款账号）")
def export_csv(request, batch_id: int):
    return _download(request, batch_id, "csv")


@operator_router.get("/batches/{batch_id}/export.xlsx", summary="导出打款文件 Excel（含完整收款账号）")
def export_xlsx(request, batch_id: int):
    return _download(request, batch_id, "xlsx")


@operator_router.post(
    "/batches/{batch_id}/results", response=ImportSummaryOut, summary="导入打款结果（CSV 或 xlsx；重复导入不会重复入账）"
)
def import_results(request, batch_id: int, file: File[UploadedFile]):
    require_staff_perm(request, "withdrawals.change_payoutbatch")
    summary = payouts.import_results(
        batch_id=batch_id, actor=current_user(request), filename=file.name or "", content=file.read()
    )
    return {
        "batch": batch_dict(selectors.batch_detail(summary.batch.pk)),
        **summary.counts(),
        "lines": [asdict(line) for line in summary.lines],
    }


@operator_router.get("", response=list[OperatorWithdrawalOut], summary="提现列表（按申请先后）")
def operator_list(request, q: Query[OperatorFilter]):
    require_staff_perm(request, "withdrawals.view_withdrawal")
    qs = selectors.withdrawals_for_review(
        status=q.status, channel=q.channel, distributor_id=q.distributor_id, batch_id=q.batch_id, since=q.since, until=q.until
    )
    return [withdrawal_dict(w, operator=True) for w in _page(qs, q.page, q.page_size, 200)]


def _operator_detail(withdrawal_id: int) -> dict:
    withdrawal = selectors.withdrawal_detail(withdrawal_id)
    if withdrawal is None:
        raise _not_found(withdrawal_id)
    return withdrawal_dict(withdrawal, events=True, operator=True)


@operator_router.get("/{withdrawal_id}", response=OperatorWithdrawalOut, summary="提现详情")
def operator_detail(request, withdrawal_id: int):
    require_staff_perm(request, "withdrawals.view_withdrawal")
    return _operator_detail(withdrawal_id)


@operator_router.post("/{withdrawal_id}/approve", response=OperatorWithdrawalOut, summary="审核通过")
def approve(request, withdrawal_id: int, payload: NoteIn):
    require_staff_perm(request, "withdrawals.change_withdrawal")
    services.approve_withdrawal(withdrawal_id=withdrawal_id, actor=current_user(request), note=payload.note)
    return _operator_detail(withdrawal_id)


@operator_router.post("/{withdrawal_id}/reject", response=OperatorWithdrawalOut, summary="驳回（须填原因；金额退回可提现）")
def reject(request, withdrawal_id: int, payload: WithdrawalReasonIn):
    require_staff_perm(request, "withdrawals.change_withdrawal")
    services.reject_withdrawal(withdrawal_id=withdrawal_id, actor=current_user(request), reason=payload.reason)
    return _operator_detail(withdrawal_id)
