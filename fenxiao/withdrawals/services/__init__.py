"""The only code that writes withdrawals, real-name records and withdrawal settings, and the ledger
postings that go with them. Payout batches and imported results are in `payouts`.

Money moves through `fenxiao.ledger.services.post` under one key per step, so a step run twice posts
once:

- "withdrawal:<id>:request": the amount leaves the distributor's available account for its
  withdrawing account;
- "withdrawal:<id>:reject" / ":cancel" / ":fail": it goes back, all of it;
- "withdrawal:<id>:paid": it leaves the withdrawing account, the net as cash paid out and the fee as
  fee income.

The available account may go below zero (a clawback after settlement is a debt), so the ledger does
not stop a request from overdrawing it: `request_withdrawal` locks that account row itself and checks
the balance, the minimum and the daily cap under the lock, so that concurrent requests queue.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.commissions.services import (
    CASH_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
    withdrawing_account,
)
from fenxiao.common.duties import refuse_own
from fenxiao.common.money import MAX_RATE_BP, apply_rate, yuan
from fenxiao.distribution.models import Distributor
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import Account, Side

from .. import crypto, validation
from ..errors import WithdrawalError
from ..models import Channel, IdentityConflict, KycRecord, Withdrawal, WithdrawalEvent, WithdrawalSettings
from ..selectors import local_day, settings_row, today_requested_fen

W = Withdrawal.Status
logger = logging.getLogger(__name__)

# The only moves a withdrawal makes.
TRANSITIONS: dict[str, set[str]] = {
    W.REQUESTED: {W.APPROVED, W.REJECTED, W.CANCELLED},
    W.APPROVED: {W.PAID, W.FAILED},
    W.PAID: set(),
    W.REJECTED: set(),
    W.FAILED: set(),
    W.CANCELLED: set(),
}

_TIMESTAMP_FIELD = {
    W.APPROVED: "approved_at",
    W.PAID: "paid_at",
    W.REJECTED: "rejected_at",
    W.FAILED: "failed_at",
    W.CANCELLED: "cancelled_at",
}

KIND_REQUEST = "withdrawal_request"
KIND_RETURN = "withdrawal_return"
KIND_PAID = "withdrawal_paid"

MAX_IDEMPOTENCY_KEY = Withdrawal._meta.get_field("idempotency_key").max_length
MAX_AMOUNT_FEN = 10**12
REASON_MAX = 200


# --- settings -------------------------------------------------------------------------------------


def get_settings() -> WithdrawalSettings:
    return settings_row()


SETTING_FIELDS = ("min_amount_fen", "daily_cap_fen", "fee_bp", "wechat_enabled", "bank_enabled", "alipay_enabled")


def _int_setting(key: str, value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WithdrawalError("invalid_setting", message, {"field": key, key: value})
    return value


def validate_settings_changes(changes: dict[str, Any], current: WithdrawalSettings | None = None) -> dict[str, Any]:
    """The changes as they will be saved, or the first refusal; the rules that span fields (the cap
    not below the minimum, one channel at least) are checked against the settings after the change."""
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise WithdrawalError("invalid_setting", gettext("未知的设置项"), {"fields": sorted(unknown)})
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "min_amount_fen":
            clean[key] = _int_setting(key, value, 1, MAX_AMOUNT_FEN, gettext("最低提现金额须为至少 1 分的整数（分）"))
        elif key == "daily_cap_fen":
            clean[key] = _int_setting(key, value, 1, MAX_AMOUNT_FEN, gettext("每日提现上限须为正整数（分）"))
        elif key == "fee_bp":
            clean[key] = _int_setting(key, value, 0, MAX_RATE_BP - 1, gettext("手续费须在 0 到 9999 基点之间（低于 100%）"))
        else:
            if not isinstance(value, bool):
                raise WithdrawalError("invalid_setting", gettext("渠道开关只能是 true 或 false"), {"field": key, key: value})
            clean[key] = value
    current = current or get_settings()
    merged = {key: clean.get(key, getattr(current, key)) for key in SETTING_FIELDS}
    if merged["daily_cap_fen"] < merged["min_amount_fen"]:
        raise WithdrawalError(
            "invalid_setting",
            gettext("每日提现上限不能低于最低提现金额 ¥%(min)s") % {"min": yuan(merged["min_amount_fen"])},
            {"field": "daily_cap_fen"},
        )
    if not (merged["wechat_enabled"] or merged["bank_enabled"] or merged["alipay_enabled"]):
        raise WithdrawalError("invalid_setting", gettext("至少开放一种提现方式"), {"field": "wechat_enabled"})
    return clean


@transaction.atomic
def update_settings(*, actor=None, **changes: Any) -> WithdrawalSettings:
    get_settings()
    obj = WithdrawalSettings.objects.select_for_update().get(pk=1)
    clean = validate_settings_changes(changes, obj)
    for key, value in clean.items():
        setattr(obj, key, value)
    obj.updated_by = actor if getattr(actor, "pk", None) is not None else None
    obj.save(update_fields=[*clean.keys(), "updated_by", "updated_at"])
    return obj


# --- real-name verification -----------------------------------------------------------------------


def _unverifiable() -> WithdrawalError:
    """The one answer for an identity that cannot be verified: it never says why, so that nobody
    learns whether an ID number belongs to someone else."""
    return WithdrawalError(
        "identity_unverifiable", gettext("无法完成实名认证，请核对信息后重试，或联系客服"), {}, status=400
    )


def _record_conflict(*, distributor, digest: str, name: str, masked: str, phone: str) -> None:
    """Alert staff: the same ID number was offered for a second distributor."""
    holder_id = KycRecord.objects.filter(id_number_digest=digest).values_list("distributor_id", flat=True).first()
    conflict = IdentityConflict.objects.create(
        distributor=distributor, holder_id=holder_id, real_name=name, id_number_masked=masked, mobile=phone
    )
    logger.warning(
        "identity conflict %s: distributor %s offered an ID number (%s) held by distributor %s",
        conflict.pk,
        distributor.pk,
        masked,
        holder_id,
    )


def submit_kyc(*, distributor, real_name: str, id_number: str, mobile: str, actor=None, now=None) -> KycRecord:
    """Verify and store a distributor's real name, ID number and mobile; a new submission replaces
    the old one and records who sent it and when. The ID number is kept encrypted and masked.
    An ID number that already backs another distributor is refused with the neutral
    `identity_unverifiable` and recorded as an IdentityConflict for finance."""
    now = now or timezone.now()
    name = validation.clean_real_name(real_name)
    id_info = validation.clean_id_number(id_number, today=local_day(now))
    phone = validation.clean_mobile(mobile)
    fields = {
        "real_name": name,
        "id_number_encrypted": crypto.encrypt(id_info.number),
        "id_number_digest": crypto.digest(id_info.number, purpose="id_number"),
        "id_number_masked": id_info.masked,
        "id_last4": id_info.last4,
        "birth_date": id_info.birth_date,
        "gender": id_info.gender,
        "mobile": phone,
        "updated_at": now,
        "updated_by": actor if getattr(actor, "pk", None) is not None else None,
    }
    try:
        with transaction.atomic():
            # One submission per distributor at a time; the unique digest settles races between distributors.
            Distributor.objects.select_for_update().filter(pk=distributor.pk).first()
            if not KycRecord.objects.filter(id_number_digest=fields["id_number_digest"]).exclude(distributor=distributor).exists():
                record = KycRecord.objects.select_for_update().filter(distributor=distributor).first()
                if record is None:
                    return KycRecord.objects.create(distributor=distributor, **fields)
                for key, value in fields.items():
                    setattr(record, key, value)
                record.revision += 1
                record.save(update_fields=[*fields, "revision"])
                return record
    except IntegrityError:
        pass  # another distributor stored the same number between our check and our write
    _record_conflict(
        distributor=distributor, digest=fields["id_number_digest"], name=name, masked=id_info.masked, phone=phone
    )
    raise _unverifiable()


# --- amounts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    amount_fen: int
    fee_bp: int
    fee_fen: int
    net_fen: int


def _check_amount_type(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise WithdrawalError("invalid_amount", gettext("请输入正确的提现金额"), {"field": "amount", "amount_fen": amount_fen})
    return amount_fen


def quote(amount_fen: int, conf: WithdrawalSettings | None = None) -> Quote:
    """The fee (the amount times the fee rate, rounded down to the fen: the project's one rule) and
    what reaches the distributor."""
    conf = conf or get_settings()
    amount_fen = _check_amount_type(amount_fen)
    fee = apply_rate(amount_fen, conf.fee_bp)
    return Quote(amount_fen=amount_fen, fee_bp=conf.fee_bp, fee_fen=fee, net_fen=amount_fen - fee)


def check_amount(*, amount_fen: int, available_fen: int, today_requested_fen: int, conf: WithdrawalSettings) -> None:
    """Every rule on the amount of a request, in the order the distributor should hear them. Called
    under the account lock by `request_withdrawal`, and without it by the pages' live preview."""
    _check_amount_type(amount_fen)
    if available_fen < 0:
        raise WithdrawalError(
            "debt_outstanding",
            gettext("你有 ¥%(debt)s 欠款（已结算的佣金因退款被追回），需由后续收益抵扣后才能提现")
            % {"debt": yuan(-available_fen)},
            {"debt_fen": -available_fen},
            status=409,
        )
    if amount_fen < conf.min_amount_fen:
        raise WithdrawalError(
            "below_minimum",
            gettext("单笔提现最低 ¥%(min)s") % {"min": yuan(conf.min_amount_fen)},
            {"field": "amount", "min_amount_fen": conf.min_amount_fen},
        )
    if amount_fen > available_fen:
        raise WithdrawalError(
            "insufficient_balance",
            gettext("可提现余额不足，当前可提现 ¥%(available)s") % {"available": yuan(available_fen)},
            {"field": "amount", "available_fen": available_fen, "amount_fen": amount_fen},
            status=409,
        )
    remaining = max(0, conf.daily_cap_fen - today_requested_fen)
    if amount_fen > remaining:
        raise WithdrawalError(
            "daily_cap_exceeded",
            gettext("超出每日提现上限 ¥%(cap)s，今天还可申请 ¥%(left)s")
            % {"cap": yuan(conf.daily_cap_fen), "left": yuan(remaining)},
            {"field": "amount", "daily_cap_fen": conf.daily_cap_fen, "today_fen": today_requested_fen, "remaining_fen": remaining},
            status=409,
        )


# --- requests -------------------------------------------------------------------------------------


def _new_number(prefix: str = "W") -> str:
    return prefix + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**9):09d}"


def _clean_key(raw) -> str:
    key = str(raw or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise WithdrawalError(
            "invalid_idempotency_key",
            gettext("Idempotency-Key 须为 1–%(max)s 个可见 ASCII 字符") % {"max": MAX_IDEMPOTENCY_KEY},
            {"length": len(key)},
        )
    return key


def _fingerprint(amount_fen, channel, bank_name, account) -> str:
    payload = json.dumps([amount_fen, str(channel), str(bank_name or "").strip(), str(account or "").strip()], ensure_ascii=False)
    return crypto.digest(payload, purpose="withdrawal_request")


def _replay(distributor, key: str, fingerprint: str) -> Withdrawal | None:
    existing = Withdrawal.objects.filter(distributor=distributor, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_digest != fingerprint:
        raise WithdrawalError(
            "idempotency_conflict", gettext("同一个 Idempotency-Key 已用于内容不同的提现申请"), {"key": key}, status=422
        )
    existing.replayed = True
    return existing


def _payout_account(channel: str, account: str, bank_name: str, kyc: KycRecord) -> validation.PayoutAccount:
    if channel == Channel.BANK:
        return validation.clean_bank_account(bank_name, account)
    if channel == Channel.ALIPAY:
        return validation.clean_alipay_account(account)
    return validation.clean_wechat_account(account, fallback_phone=kyc.mobile)


def _require_approved(distributor) -> None:
    if distributor is None or not distributor.is_approved:
        raise WithdrawalError("not_distributor", gettext("只有已通过审核的分销商可以提现"), status=403)


def request_withdrawal(
    *,
    distributor,
    amount_fen: int,
    channel: str,
    account: str = "",
    bank_name: str = "",
    idempotency_key: str = "",
    actor=None,
    now=None,
) -> Withdrawal:
    """Ask to withdraw `amount_fen` to `account` on `channel` (bank: card number with `bank_name`;
    alipay: mobile or email; wechat: the openid, or empty for the verified mobile).

    With an `idempotency_key` a retry of the same request returns the withdrawal it made (its
    `replayed` attribute is True) and a different request under the same key is refused."""
    key = _clean_key(idempotency_key)
    fingerprint = _fingerprint(amount_fen, channel, bank_name, account) if key else ""
    if key and (existing := _replay(distributor, key, fingerprint)) is not None:
        return existing
    _require_approved(distributor)
    kyc = KycRecord.objects.filter(distributor=distributor).first()
    if kyc is None:
        raise WithdrawalError("kyc_required", gettext("提现前请先完成实名认证"), status=403)
    conf = get_settings()
    if channel not in Channel.values:
        raise WithdrawalError("invalid_channel", gettext("请选择提现方式"), {"field": "channel", "channel": channel})
    if channel not in conf.enabled_channels:
        raise WithdrawalError(
            "channel_disabled",
            gettext("暂不支持提现到%(channel)s") % {"channel": Channel(channel).label},
            {"field": "channel", "channel": channel},
        )
    priced = quote(amount_fen, conf)
    payout = _payout_account(channel, account, bank_name, kyc)
    now = now or timezone.now()
    day = local_day(now)
    ensure_distributor_accounts([distributor.pk])
    try:
        with transaction.atomic():
            # The lock that makes concurrent requests of one distributor queue (see the module docstring).
            locked = Account.objects.select_for_update().get(code=available_account(distributor.pk))
            if key and (existing := _replay(distributor, key, fingerprint)) is not None:
                return existing
            check_amount(
                amount_fen=priced.amount_fen,
                available_fen=locked.balance_fen,
                today_requested_fen=today_requested_fen(distributor.pk, day),
                conf=conf,
            )
            withdrawal = Withdrawal.objects.create(
                number=_new_number(),
                distributor=distributor,
                channel=channel,
                amount_fen=priced.amount_fen,
                fee_bp=priced.fee_bp,
                fee_fen=priced.fee_fen,
                net_fen=priced.net_fen,
                payee_name=kyc.real_name,
                bank_name=payout.bank_name,
                account_kind=payout.kind,
                account_masked=payout.masked,
                account_encrypted=crypto.encrypt(payout.value),
                idempotency_key=key,
                request_digest=fingerprint,
                requested_at=now,
                requested_on=day,
            )
            note = gettext("申请提现 ¥%(amount)s，手续费 ¥%(fee)s，实际到账 ¥%(net)s") % {
                "amount": yuan(priced.amount_fen), "fee": yuan(priced.fee_fen), "net": yuan(priced.net_fen),
            }
            WithdrawalEvent.objects.create(withdrawal=withdrawal, from_status="", to_status=W.REQUESTED, actor=actor, note=note)
            ledger.post(
                idempotency_key=f"withdrawal:{withdrawal.pk}:request",
                kind=KIND_REQUEST,
                entries=[
                    (available_account(distributor.pk), Side.DEBIT, priced.amount_fen),
                    (withdrawing_account(distributor.pk), Side.CREDIT, priced.amount_fen),
                ],
                memo=gettext("提现申请 %(number)s") % {"number": withdrawal.number},
                reference=withdrawal.number,
                actor=actor,
            )
    except IntegrityError:
        # The same key committed by a request that did not wait on our lock (it cannot, but the
        # unique index is the last word).
        if key and (existing := _replay(distributor, key, fingerprint)) is not None:
            return existing
        raise
    withdrawal.replayed = False
    return withdrawal


# --- transitions ----------------------------------------------------------------------------------


def _locked(withdrawal_id: int, *, distributor=None) -> Withdrawal:
    qs = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id)
    if distributor is not None:
        qs = qs.filter(distributor=distributor)
    withdrawal = qs.first()
    if withdrawal is None:
        raise WithdrawalError("withdrawal_not_found", gettext("提现记录不存在"), {"withdrawal_id": withdrawal_id}, status=404)
    return withdrawal


def _transition(withdrawal: Withdrawal, to_status: str, *, actor=None, note: str = "", extra_fields: tuple[str, ...] = ()) -> Withdrawal:
    if to_status not in TRANSITIONS.get(withdrawal.status, set()):
        raise WithdrawalError(
            "invalid_transition",
            gettext("提现当前状态（%(from)s）不能变为%(to)s") % {"from": W(withdrawal.status).label, "to": W(to_status).label},
            {"from": withdrawal.status, "to": to_status, "number": withdrawal.number},
            status=409,
        )
    from_status = withdrawal.status
    withdrawal.status = to_status
    stamp = _TIMESTAMP_FIELD[to_status]
    setattr(withdrawal, stamp, timezone.now())
    withdrawal.save(update_fields=["status", stamp, *extra_fields])
    WithdrawalEvent.objects.create(
        withdrawal=withdrawal, from_status=from_status, to_status=to_status, actor=actor, note=note[:REASON_MAX]
    )
    return withdrawal


def _return_money(withdrawal: Withdrawal, step: str, *, actor=None) -> None:
    distributor_id = withdrawal.distributor_id
    ledger.post(
        idempotency_key=f"withdrawal:{withdrawal.pk}:{step}",
        kind=KIND_RETURN,
        entries=[
            (withdrawing_account(distributor_id), Side.DEBIT, withdrawal.amount_fen),
            (available_account(distributor_id), Side.CREDIT, withdrawal.amount_fen),
        ],
        memo=gettext("提现 %(number)s 退回可提现余额") % {"number": withdrawal.number},
        reference=withdrawal.number,
        actor=actor,
    )


def _refuse_own(withdrawal: Withdrawal, actor) -> None:
    owner_id = Distributor.objects.filter(pk=withdrawal.distributor_id).values_list("user_id", flat=True).first()
    refuse_own(actor, owner_id, what=f"withdrawal:{withdrawal.number}")


def _reason(raw, *, required: bool) -> str:
    reason = str(raw or "").strip()
    if required and not reason:
        raise WithdrawalError("reason_required", gettext("请填写原因"), {"field": "reason"})
    if len(reason) > REASON_MAX:
        raise WithdrawalError("reason_required", gettext("原因最多 200 个字"), {"field": "reason"})
    return reason


@transaction.atomic
def approve_withdrawal(*, withdrawal_id: int, actor, note: str = "") -> Withdrawal:
    """Finance agrees to pay; the withdrawal waits for a payout batch."""
    note = _reason(note, required=False)
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    return _transition(withdrawal, W.APPROVED, actor=actor, note=note or gettext("审核通过"))


@transaction.atomic
def reject_withdrawal(*, withdrawal_id: int, actor, reason: str) -> Withdrawal:
    """Finance refuses, with a reason the distributor sees; the money goes back to available."""
    reason = _reason(reason, required=True)
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.reject_reason = reason
    _transition(withdrawal, W.REJECTED, actor=actor, note=reason, extra_fields=("reject_reason",))
    _return_money(withdrawal, "reject", actor=actor)
    return withdrawal


@transaction.atomic
def cancel_withdrawal(*, withdrawal_id: int, distributor, actor=None) -> Withdrawal:
    """The distributor takes back its own request before review; the money goes back to available."""
    withdrawal = _locked(withdrawal_id, distributor=distributor)
    _transition(withdrawal, W.CANCELLED, actor=actor, note=gettext("分销商取消了申请"))
    _return_money(withdrawal, "cancel", actor=actor)
    return withdrawal


@transaction.atomic
def mark_paid(*, withdrawal_id: int, actor=None, external_reference: str = "") -> Withdrawal:
    """The money reached the distributor: the withdrawing amount leaves as cash (net) and fee income."""
    reference = str(external_reference or "").strip()[:64]
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.external_reference = reference
    note = gettext("打款成功") + (f" {reference}" if reference else "")
    _transition(withdrawal, W.PAID, actor=actor, note=note, extra_fields=("external_reference",))
    distributor_id = withdrawal.distributor_id
    entries = [
        (withdrawing_account(distributor_id), Side.DEBIT, withdrawal.amount_fen),
        (CASH_ACCOUNT, Side.CREDIT, withdrawal.net_fen),
    ]
    if withdrawal.fee_fen > 0:
        entries.append((WITHDRAWAL_FEE_ACCOUNT, Side.CREDIT, withdrawal.fee_fen))
    ensure_distributor_accounts([distributor_id])
    ledger.post(
        idempotency_key=f"withdrawal:{withdrawal.pk}:paid",
        kind=KIND_PAID,
        entries=entries,
        memo=gettext("提现 %(number)s 已打款") % {"number": withdrawal.number},
        reference=withdrawal.number,
        actor=actor,
    )
    return withdrawal


@transaction.atomic
def mark_failed(*, withdrawal_id: int, actor=None, reason: str = "", external_reference: str = "") -> Withdrawal:
    """The payout did not go through (wrong account, closed card…): the money goes back to available
    and the distributor may ask again."""
    reason = _reason(reason, required=False) or gettext("打款失败")
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.failure_reason = reason
    withdrawal.external_reference = str(external_reference or "").strip()[:64]
    _transition(withdrawal, W.FAILED, actor=actor, note=reason, extra_fields=("failure_reason", "external_reference"))
    _return_money(withdrawal, "fail", actor=actor)
    return withdrawal
