"""WeChat-channel withdrawals paid by WeChat Pay merchant transfer (商家转账).

When WeChat Pay and its transfer scene are configured, approving a WeChat-channel withdrawal records
a `TransferBill` in the same transaction (out_bill_no = the withdrawal's number) and, after the
commit, asks WeChat Pay for the bill (`submit_transfer`). Such a withdrawal never joins a payout
batch. Without the configuration, or without an openid to pay, every channel goes by batch file as
before.

The distributor accepts the bill in WeChat from its withdrawal page (`confirm_params`). The final
state comes from the signed notification (`handle_notification`) or from a query (`refresh_bill`,
and the scheduled `poll_transfers` for bills without news), and settles the withdrawal exactly once
through the same services as a payout file: `mark_paid` (SUCCESS) or `mark_failed` (FAIL, CANCELLED —
which includes a bill the user let expire, and one the job cancels after the confirmation window).

No provider call is made inside a database transaction: each step records what it needs in a short
transaction, calls, then records the answer in another one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.payments import transfers as client
from fenxiao.payments import wechatpay
from fenxiao.payments.services import record_refusal
from fenxiao.wechat import client as wechat_client
from fenxiao.wechat import selectors as wechat_selectors

from .. import crypto
from ..errors import WithdrawalCode, WithdrawalError
from ..models import Channel, TransferBill, Withdrawal
from .review import mark_failed, mark_paid

logger = logging.getLogger("fenxiao.withdrawals.transfers")

S = TransferBill.State
W = Withdrawal.Status

# Codes with which WeChat Pay refuses a bill for now but may take it later (the merchant's balance,
# rate limits): the bill stays and is sent again.
RETRY_LATER_CODES = {"NOT_ENOUGH", "FREQUENCY_LIMITED", "FREQUENCY_LIMIT_EXCEED", "SYSTEM_ERROR", "NO_AUTH_TEMP"}


def enabled() -> bool:
    """Whether WeChat-channel withdrawals go by merchant transfer (WeChat Pay and the scene configured,
    or the dev provider on)."""
    return client.is_configured()


def check_minutes() -> int:
    """A bill without a final state this long after its last news is queried by the job."""
    return max(1, int(getattr(settings, "FENXIAO_TRANSFER_CHECK_MINUTES", 10)))


def confirm_hours() -> int:
    """A bill the user has not accepted this long after it was created is cancelled by the job."""
    return max(1, int(getattr(settings, "FENXIAO_TRANSFER_CONFIRM_HOURS", 24)))


def payee_openid(withdrawal: Withdrawal) -> str:
    """The openid to pay: the distributor's identity in the Official Account of the merchant's appid
    when it has one, else the openid it gave with the request."""
    openid = wechat_selectors.oa_openid(withdrawal.distributor.user) or ""
    if not openid and withdrawal.account_kind == Withdrawal.AccountKind.OPENID:
        openid = crypto.decrypt(withdrawal.account_encrypted)
    return openid


def mini_program_appid() -> str:
    """The mini-program's appid ("" when none is configured)."""
    app = wechat_client.mp_app()
    return app.appid if app is not None else ""


def payee(withdrawal: Withdrawal) -> tuple[str, str]:
    """(appid, openid) of the payee, where the distributor can accept the bill. A withdrawal requested
    in the mini-program goes to the mini-program identity when there is one (confirmed in the
    mini-program). Otherwise: the Official Account identity (the merchant's appid, confirmed on the
    withdrawal page), else the openid given with the request, else the mini-program identity. An openid
    of the mini-program goes with the mini-program's appid ("" stands for the merchant's own). With the
    dev provider a payee without any openid gets a stand-in one, so the demo pays every WeChat-channel
    withdrawal by transfer."""
    user = withdrawal.distributor.user
    mp_appid, mp_openid = mini_program_appid(), wechat_selectors.mp_openid(user)
    if withdrawal.requested_in == Withdrawal.App.MINI_PROGRAM and mp_appid and mp_openid:
        return mp_appid, mp_openid
    openid = payee_openid(withdrawal)
    if openid:
        return (mp_appid if mp_openid and openid == mp_openid else ""), openid
    if mp_openid:
        return mp_appid, mp_openid
    if client.dev_enabled() and not client.wechatpay_configured():
        return "", client.dev_openid(f"distributor:{withdrawal.distributor_id}")
    return "", ""


def open_transfer(withdrawal: Withdrawal) -> TransferBill | None:
    """Called inside the approval's transaction: the bill for a WeChat-channel withdrawal, recorded
    first and sent after the commit. None when it is to be paid by batch file."""
    if withdrawal.channel != Channel.WECHAT or not enabled():
        return None
    appid, openid = payee(withdrawal)
    if not openid:
        return None
    bill, _created = TransferBill.objects.get_or_create(
        withdrawal=withdrawal,
        defaults={
            "out_bill_no": withdrawal.number,
            "app_id": appid,
            "amount_fen": withdrawal.net_fen,
            "openid_encrypted": crypto.encrypt(openid),
            "real_name_sent": client.needs_real_name(withdrawal.net_fen),
        },
    )
    bill_id = bill.pk
    transaction.on_commit(lambda: _submit_quietly(bill_id))
    return bill


def _submit_quietly(bill_id: int) -> None:
    try:
        submit_transfer(bill_id)
    except Exception:  # the job sends it again; the approval itself has committed
        logger.exception("transfer bill %s could not be sent", bill_id)


def _remark(withdrawal: Withdrawal) -> str:
    return gettext("佣金提现 %(number)s") % {"number": withdrawal.number}


def submit_transfer(bill_id: int) -> TransferBill:
    """Create the bill at WeChat Pay (again, under the same number, when an earlier answer was lost)
    and record its answer. Never inside a transaction."""
    bill = TransferBill.objects.select_related("withdrawal").get(pk=bill_id)
    if bill.settled_at is not None or bill.state != S.NEW:
        return bill
    provider = client.provider()
    withdrawal = bill.withdrawal
    TransferBill.objects.filter(pk=bill.pk).update(attempts=bill.attempts + 1)
    try:
        answer = provider.create_bill(
            out_bill_no=bill.out_bill_no,
            openid=crypto.decrypt(bill.openid_encrypted),
            amount_fen=bill.amount_fen,
            remark=_remark(withdrawal),
            real_name=withdrawal.payee_name if bill.real_name_sent else "",
            appid=bill.app_id,
        )
    except wechatpay.ProviderUnavailable as exc:
        _note_error(bill.pk, str(exc))
        logger.warning("transfer bill %s: no answer from WeChat Pay: %s", bill.out_bill_no, exc)
        return _reload(bill.pk)
    except wechatpay.ProviderRejected as exc:
        return _rejected(provider, bill, exc)
    return apply_bill(bill.pk, answer)


def _rejected(provider: client.Provider, bill: TransferBill, exc: wechatpay.ProviderRejected) -> TransferBill:
    """WeChat Pay refused to create the bill. If a bill exists under the number after all, follow it;
    a refusal for now is tried again; otherwise nothing was paid and the money goes back."""
    message = f"{exc.code}: {exc.message}"[:200]
    _note_error(bill.pk, message)
    logger.warning("transfer bill %s refused by WeChat Pay: %s", bill.out_bill_no, message)
    if exc.code in RETRY_LATER_CODES:
        return _reload(bill.pk)
    try:
        existing = provider.query_bill(bill.out_bill_no)
    except (wechatpay.ProviderUnavailable, wechatpay.ProviderRejected):
        return _reload(bill.pk)
    if existing is not None:
        return apply_bill(bill.pk, existing)
    reason = gettext("微信转账未受理：%(message)s") % {"message": exc.message or exc.code}
    return _settle(bill.pk, S.FAIL, fail_reason=exc.code[:64], reason=reason)


def _note_error(bill_id: int, message: str) -> None:
    TransferBill.objects.filter(pk=bill_id).update(last_error=message[:200], updated_at=timezone.now())


def _reload(bill_id: int) -> TransferBill:
    return TransferBill.objects.select_related("withdrawal").get(pk=bill_id)


def _failure_reason(state: str, fail_reason: str) -> str:
    if state == S.CANCELLED:
        return gettext("微信转账已撤销（未在有效期内确认收款）")
    return gettext("微信转账失败：%(reason)s") % {"reason": fail_reason or state}


def apply_bill(bill_id: int, answer: client.Bill) -> TransferBill:
    """Record WeChat Pay's view of the bill; a final state settles the withdrawal once."""
    if answer.final:
        reason = _failure_reason(answer.state, answer.fail_reason) if answer.state != S.SUCCESS else ""
        return _settle(
            bill_id,
            answer.state,
            transfer_bill_no=answer.transfer_bill_no,
            fail_reason=answer.fail_reason,
            reason=reason,
            amount_fen=answer.amount_fen,
        )
    with transaction.atomic():
        bill = TransferBill.objects.select_for_update().get(pk=bill_id)
        if bill.settled_at is None:
            bill.state = answer.state
            bill.transfer_bill_no = answer.transfer_bill_no or bill.transfer_bill_no
            if answer.package_info:
                bill.package_info = answer.package_info
            bill.last_error = ""
            bill.last_checked_at = timezone.now()
            bill.save(update_fields=["state", "transfer_bill_no", "package_info", "last_error", "last_checked_at", "updated_at"])
    return _reload(bill_id)


def _settle(
    bill_id: int,
    state: str,
    *,
    transfer_bill_no: str = "",
    fail_reason: str = "",
    reason: str = "",
    amount_fen: int | None = None,
) -> TransferBill:
    """The one place a transfer's result reaches the withdrawal and the ledger: under the bill's row
    lock, once (`settled_at`)."""
    with transaction.atomic():
        bill = TransferBill.objects.select_for_update().get(pk=bill_id)
        if bill.settled_at is not None:
            return bill
        if state == S.SUCCESS and amount_fen is not None and amount_fen != bill.amount_fen:
            # Money we did not ask for: leave it for finance rather than post a wrong amount.
            logger.error("transfer bill %s reported %s fen, expected %s", bill.out_bill_no, amount_fen, bill.amount_fen)
            bill.last_error = f"amount mismatch: {amount_fen}"[:200]
            bill.save(update_fields=["last_error", "updated_at"])
            return bill
        now = timezone.now()
        bill.state = state
        bill.transfer_bill_no = transfer_bill_no or bill.transfer_bill_no
        bill.fail_reason = (fail_reason or "")[:64]
        bill.package_info = ""
        bill.settled_at = now
        bill.last_checked_at = now
        bill.save(
            update_fields=[
                "state",
                "transfer_bill_no",
                "fail_reason",
                "package_info",
                "settled_at",
                "last_checked_at",
                "updated_at",
            ]
        )
        if state == S.SUCCESS:
            mark_paid(withdrawal_id=bill.withdrawal_id, external_reference=bill.transfer_bill_no)
        else:
            mark_failed(withdrawal_id=bill.withdrawal_id, reason=reason, external_reference=bill.transfer_bill_no)
    return _reload(bill_id)


def refresh_bill(bill_id: int) -> TransferBill:
    """Ask WeChat Pay where the bill stands and record it; a bill WeChat Pay never received is sent."""
    bill = _reload(bill_id)
    if bill.settled_at is not None:
        return bill
    if bill.state == S.NEW:
        return submit_transfer(bill.pk)
    provider = client.provider()
    try:
        answer = provider.query_bill(bill.out_bill_no)
    except (wechatpay.ProviderUnavailable, wechatpay.ProviderRejected) as exc:
        _note_error(bill.pk, str(exc))
        TransferBill.objects.filter(pk=bill.pk).update(last_checked_at=timezone.now())
        return _reload(bill.pk)
    if answer is None:
        # Recorded as accepted but unknown to WeChat Pay: create it again under the same number.
        TransferBill.objects.filter(pk=bill.pk, settled_at__isnull=True).update(state=S.NEW)
        return submit_transfer(bill.pk)
    bill = apply_bill(bill.pk, answer)
    if bill.state == S.WAIT_USER_CONFIRM and bill.created_at <= timezone.now() - timedelta(hours=confirm_hours()):
        bill = _cancel_expired(provider, bill)
    return bill


def _cancel_expired(provider: client.Provider, bill: TransferBill) -> TransferBill:
    """The distributor did not accept the bill in time: cancel it so the money can go back."""
    try:
        answer = provider.cancel_bill(bill.out_bill_no)
    except (wechatpay.ProviderUnavailable, wechatpay.ProviderRejected) as exc:
        _note_error(bill.pk, str(exc))
        return _reload(bill.pk)
    return apply_bill(bill.pk, answer)


def poll_transfers(*, now=None, limit: int = 200) -> dict[str, int]:
    """The job: bills with no final state and no news for a while are queried (or sent, if WeChat
    Pay never answered), oldest first."""
    if not client.is_configured():
        return {"transfers_checked": 0, "transfers_settled": 0}
    now = now or timezone.now()
    due = now - timedelta(minutes=check_minutes())
    ids = list(
        TransferBill.objects.filter(settled_at__isnull=True, updated_at__lte=due)
        .order_by("updated_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    settled = 0
    for bill_id in ids:
        try:
            if refresh_bill(bill_id).settled_at is not None:
                settled += 1
        except Exception:
            logger.exception("transfer bill %s could not be checked", bill_id)
    return {"transfers_checked": len(ids), "transfers_settled": settled}


# --- the distributor's confirmation --------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmParams:
    mch_id: str
    app_id: str
    package: str
    dev: bool = False  # the dev provider: its confirmation page stands in for WeChat's sheet

    def as_bridge(self) -> dict[str, str]:
        """The arguments of WeixinJSBridge.invoke("requestMerchantTransfer", …)."""
        return {"mchId": self.mch_id, "appId": self.app_id, "package": self.package}


def _params(bill: TransferBill) -> ConfirmParams:
    provider = client.provider()
    return ConfirmParams(
        mch_id=provider.mch_id,
        app_id=bill.app_id or provider.appid,
        package=bill.package_info,
        dev=provider.name == "dev",
    )


def confirm_params(*, withdrawal_id: int, distributor) -> ConfirmParams:
    """What the withdrawal page hands to WeChat to let the distributor accept the transfer; the bill
    is sent first if WeChat Pay has not answered yet."""
    bill = TransferBill.objects.filter(withdrawal_id=withdrawal_id, withdrawal__distributor=distributor).first()
    if bill is None:
        raise WithdrawalError(WithdrawalCode.WITHDRAWAL_NOT_FOUND, gettext("这笔提现没有微信转账单"), status=404)
    if bill.settled_at is None and bill.state == S.NEW:
        bill = submit_transfer(bill.pk)
    if not bill.awaiting_user or bill.settled_at is not None:
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_NOT_CONFIRMABLE,
            gettext("这笔转账现在不需要确认收款"),
            {"state": bill.state},
            status=409,
        )
    if bill.app_id:
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_OTHER_APP, gettext("请在小程序中确认收款"), {"state": bill.state}, status=409
        )
    return _params(bill)


def check_after_confirm(*, withdrawal_id: int, distributor) -> TransferBill | None:
    """The page polls after the user accepted: ask WeChat Pay now and then (at most every few
    seconds per bill), so the result shows even before the notification arrives."""
    bill = TransferBill.objects.filter(withdrawal_id=withdrawal_id, withdrawal__distributor=distributor).first()
    if bill is None or bill.settled_at is not None:
        return bill
    recent = bill.last_checked_at and bill.last_checked_at > timezone.now() - timedelta(seconds=POLL_QUERY_SECONDS)
    if recent:
        return bill
    TransferBill.objects.filter(pk=bill.pk).update(last_checked_at=timezone.now())
    return refresh_bill(bill.pk)


POLL_QUERY_SECONDS = 5


# --- the mini-program's confirmation -------------------------------------------------------------

FINISHED = (W.PAID, W.FAILED, W.REJECTED, W.CANCELLED)


def _own_transfer(withdrawal_id: int, distributor) -> tuple[Withdrawal, TransferBill]:
    """The caller's WeChat-change withdrawal and its transfer bill, or the refusal that says why not."""
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, distributor=distributor).first()
    if withdrawal is None:
        raise WithdrawalError(
            WithdrawalCode.WITHDRAWAL_NOT_FOUND, gettext("提现记录不存在"), {"withdrawal_id": withdrawal_id}, status=404
        )
    if withdrawal.channel != Channel.WECHAT:
        raise WithdrawalError(
            WithdrawalCode.NOT_WECHAT_TRANSFER,
            gettext("这笔提现不是提现到微信零钱"),
            {"channel": withdrawal.channel},
            status=409,
        )
    bill = TransferBill.objects.filter(withdrawal=withdrawal).first()
    if bill is None:
        if withdrawal.status == W.REQUESTED:
            raise WithdrawalError(
                WithdrawalCode.TRANSFER_NOT_CONFIRMABLE,
                gettext("提现审核通过后才能确认收款"),
                {"status": withdrawal.status},
                status=409,
            )
        if withdrawal.status in FINISHED:
            raise WithdrawalError(
                WithdrawalCode.TRANSFER_FINISHED, gettext("这笔提现已经结束"), {"status": withdrawal.status}, status=410
            )
        raise WithdrawalError(
            WithdrawalCode.NOT_WECHAT_TRANSFER,
            gettext("这笔提现由财务打款，不需要在微信中确认收款"),
            {"status": withdrawal.status},
            status=409,
        )
    return withdrawal, bill


def mini_program_confirmation(*, withdrawal_id: int, distributor) -> tuple[TransferBill, ConfirmParams]:
    """What `wx.requestMerchantTransfer` needs to let the distributor accept its transfer in the
    mini-program. Refused (404, 409, 410, 424) unless the bill is the caller's, was made for the
    mini-program's user and waits for the user now; a bill WeChat Pay has not answered yet is sent first."""
    withdrawal, bill = _own_transfer(withdrawal_id, distributor)
    if bill.settled_at is not None or withdrawal.status in FINISHED:
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_FINISHED,
            gettext("这笔转账已经结束"),
            {"state": bill.state, "status": withdrawal.status},
            status=410,
        )
    if bill.state == S.NEW:
        try:
            bill = submit_transfer(bill.pk)
        except (client.TransferNotConfigured, wechatpay.NotConfigured) as exc:
            logger.error("transfer bill %s cannot be sent: %s", bill.out_bill_no, exc)
        if bill.state == S.NEW:
            raise WithdrawalError(
                WithdrawalCode.TRANSFER_UNAVAILABLE,
                gettext("微信支付暂时无法连接，请稍后再试"),
                {"state": bill.state},
                status=424,
            )
        if bill.settled_at is not None:
            raise WithdrawalError(
                WithdrawalCode.TRANSFER_FINISHED, gettext("这笔转账已经结束"), {"state": bill.state}, status=410
            )
    if not bill.awaiting_user:
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_NOT_CONFIRMABLE,
            gettext("这笔转账现在不需要确认收款"),
            {"state": bill.state},
            status=409,
        )
    mp_appid = mini_program_appid()
    if not mp_appid or bill.app_id != mp_appid:
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_OTHER_APP,
            gettext("请在微信公众号的提现页面确认收款"),
            {"state": bill.state},
            status=409,
        )
    try:
        return bill, _params(bill)
    except (client.TransferNotConfigured, wechatpay.NotConfigured) as exc:
        logger.error("transfer bill %s: %s", bill.out_bill_no, exc)
        raise WithdrawalError(
            WithdrawalCode.TRANSFER_UNAVAILABLE, gettext("微信支付暂时无法连接，请稍后再试"), {"state": bill.state}, status=424
        ) from exc


def check_transfer(*, withdrawal_id: int, distributor) -> tuple[Withdrawal, TransferBill]:
    """After the user accepted (or closed) WeChat's confirmation sheet: ask the provider once where
    the bill stands and record it; a final state settles the withdrawal once, as the notification
    would. A bill already settled is answered as it is, so asking again changes nothing."""
    withdrawal, bill = _own_transfer(withdrawal_id, distributor)
    if bill.settled_at is None:
        try:
            bill = refresh_bill(bill.pk)
        except (client.TransferNotConfigured, wechatpay.NotConfigured) as exc:
            logger.error("transfer bill %s cannot be checked: %s", bill.out_bill_no, exc)
            raise WithdrawalError(
                WithdrawalCode.TRANSFER_UNAVAILABLE,
                gettext("微信支付暂时无法连接，请稍后再试"),
                {"state": bill.state},
                status=424,
            ) from exc
        withdrawal.refresh_from_db()
    return withdrawal, bill


# --- the dev provider's confirmation page --------------------------------------------------------


def dev_provider() -> client.DevTransfers | None:
    """The dev provider when it is the one in use (the demo), else None."""
    try:
        provider = client.provider()
    except (client.TransferNotConfigured, wechatpay.NotConfigured):
        return None
    return provider if isinstance(provider, client.DevTransfers) else None


def dev_sheet_bill(*, withdrawal_id: int, package: str, distributor) -> TransferBill | None:
    """The caller's bill waiting for the user under this package, with the dev provider only."""
    if not package or dev_provider() is None:
        return None
    bill = (
        TransferBill.objects.select_related("withdrawal")
        .filter(withdrawal_id=withdrawal_id, withdrawal__distributor=distributor, settled_at__isnull=True)
        .first()
    )
    if bill is None or not bill.awaiting_user or bill.package_info != package:
        return None
    return bill


def dev_sheet_answer(*, withdrawal_id: int, package: str, distributor, accept: bool) -> TransferBill | None:
    """The distributor answers the dev confirmation sheet: accepted (the dev bill is paid) or failed
    (to show what a failed transfer does). The result is then read by the same query as a real one,
    which settles the withdrawal once. None when no such bill waits for the user."""
    bill = dev_sheet_bill(withdrawal_id=withdrawal_id, package=package, distributor=distributor)
    provider = dev_provider()
    if bill is None or provider is None:
        return None
    try:
        if accept:
            provider.dev_confirm(bill.out_bill_no, package)
        else:
            provider.dev_fail(bill.out_bill_no, package)
    except wechatpay.ProviderRejected:
        return None
    return refresh_bill(bill.pk)


# --- the notification ----------------------------------------------------------------------------


class NotifyOutcome:
    APPLIED = "applied"
    IGNORED = "ignored"
    FORGED = "forged"
    STALE = "stale"
    TAMPERED = "tampered"
    UNKNOWN_BILL = "unknown_bill"
    ERROR = "error"


def handle_notification(*, headers: dict[str, str], body: bytes, source_address: str = "") -> str:
    """Verify, decrypt and apply WeChat Pay's transfer result notification. A refused one changes
    nothing and is counted like refused payment notifications."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    body = bytes(body or b"")
    try:
        conf = wechatpay.load_config()
    except wechatpay.NotConfigured:
        record_refusal(reason=NotifyOutcome.FORGED, body=body, headers=lowered, source_address=source_address)
        return NotifyOutcome.FORGED
    try:
        note = client.parse_notification(conf, lowered, body)
    except client.NotificationRefused as exc:
        logger.debug("transfer notification refused as %s: %s", exc.outcome, exc.reason)
        record_refusal(reason=exc.outcome, body=body, headers=lowered, source_address=source_address)
        return exc.outcome
    if note.event_type != client.NOTIFICATION_EVENT:
        logger.info("transfer notification %s of type %r needs nothing", note.event_id, note.event_type)
        return NotifyOutcome.IGNORED
    bill = TransferBill.objects.filter(out_bill_no=note.bill.out_bill_no).first()
    if bill is None:
        logger.warning("transfer notification for unknown bill %s", note.bill.out_bill_no)
        return NotifyOutcome.UNKNOWN_BILL
    try:
        apply_bill(bill.pk, note.bill)
    except Exception:
        logger.exception("transfer notification for bill %s could not be applied", bill.out_bill_no)
        return NotifyOutcome.ERROR
    return NotifyOutcome.APPLIED
