"""Asking to withdraw: the fee quote, every rule on the amount, and the request itself.

The available account may go below zero (a clawback after settlement is a debt), so the ledger does
not stop a request from overdrawing it: `request_withdrawal` locks that account row itself and checks
the balance, the minimum and the daily cap under the lock, so that concurrent requests queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.commissions.services import available_account, ensure_distributor_accounts
from fenxiao.common.idempotency import clean_key, refuse_conflict
from fenxiao.common.money import apply_rate, yuan
from fenxiao.common.numbers import business_number
from fenxiao.ledger.models import Account

from .. import crypto, validation
from ..errors import WithdrawalCode, WithdrawalError
from ..models import Channel, KycRecord, Withdrawal, WithdrawalSettings
from ..selectors import local_day, today_requested_fen
from .postings import post_request
from .review import WITHDRAWAL_MACHINE
from .settings import MAX_AMOUNT_FEN, get_settings

W = Withdrawal.Status
NUMBER_RANDOM_DIGITS = 9  # "W" + local time to the second + 9 digits: 24 characters, the column's length


def new_number(prefix: str = "W") -> str:
    """A withdrawal ("W") or payout batch ("B") number."""
    return business_number(prefix, random_digits=NUMBER_RANDOM_DIGITS)


@dataclass(frozen=True)
class Quote:
    amount_fen: int
    fee_bp: int
    fee_fen: int
    net_fen: int


def _check_amount_type(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise WithdrawalError(
            WithdrawalCode.INVALID_AMOUNT, gettext("请输入正确的提现金额"), {"field": "amount", "amount_fen": amount_fen}
        )
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
            WithdrawalCode.DEBT_OUTSTANDING,
            gettext("你有 ¥%(debt)s 欠款（已结算的佣金因退款被追回），需由后续收益抵扣后才能提现")
            % {"debt": yuan(-available_fen)},
            {"debt_fen": -available_fen},
            status=409,
        )
    if amount_fen < conf.min_amount_fen:
        raise WithdrawalError(
            WithdrawalCode.BELOW_MINIMUM,
            gettext("单笔提现最低 ¥%(min)s") % {"min": yuan(conf.min_amount_fen)},
            {"field": "amount", "min_amount_fen": conf.min_amount_fen},
        )
    if amount_fen > available_fen:
        raise WithdrawalError(
            WithdrawalCode.INSUFFICIENT_BALANCE,
            gettext("可提现余额不足，当前可提现 ¥%(available)s") % {"available": yuan(available_fen)},
            {"field": "amount", "available_fen": available_fen, "amount_fen": amount_fen},
            status=409,
        )
    remaining = max(0, conf.daily_cap_fen - today_requested_fen)
    if amount_fen > remaining:
        raise WithdrawalError(
            WithdrawalCode.DAILY_CAP_EXCEEDED,
            gettext("超出每日提现上限 ¥%(cap)s，今天还可申请 ¥%(left)s")
            % {"cap": yuan(conf.daily_cap_fen), "left": yuan(remaining)},
            {
                "field": "amount",
                "daily_cap_fen": conf.daily_cap_fen,
                "today_fen": today_requested_fen,
                "remaining_fen": remaining,
            },
            status=409,
        )


# --- requests -------------------------------------------------------------------------------------


def _fingerprint(amount_fen, channel, bank_name, account) -> str:
    """The request's fingerprint for the idempotency rule (`common.idempotency`), keyed with the field
    key: the body holds an account number, so the stored digest must not be open to guessing."""
    payload = json.dumps([amount_fen, str(channel), str(bank_name or "").strip(), str(account or "").strip()], ensure_ascii=False)
    return crypto.digest(payload, purpose="withdrawal_request")


def _replay(distributor, key: str, fingerprint: str) -> Withdrawal | None:
    existing = Withdrawal.objects.filter(distributor=distributor, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_digest != fingerprint:
        refuse_conflict(error=WithdrawalError, key=key, what="withdrawal")
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
        raise WithdrawalError(WithdrawalCode.NOT_DISTRIBUTOR, gettext("只有已通过审核的分销商可以提现"), status=403)


def request_withdrawal(
    *,
    distributor,
    amount_fen: int,
    channel: str,
    account: str = "",
    bank_name: str = "",
    idempotency_key: str = "",
    requested_in: str = "",
    actor=None,
    now=None,
) -> Withdrawal:
    """Ask to withdraw `amount_fen` to `account` on `channel` (bank: card number with `bank_name`;
    alipay: mobile or email; wechat: the openid, or empty for the verified mobile).

    With an `idempotency_key` a retry of the same request returns the withdrawal it made (its
    `replayed` attribute is True) and a different request under the same key is refused.

    `requested_in` is the WeChat app the request came from (`Withdrawal.App`: the Official Account's
    pages or the mini-program; "" when not known): a merchant transfer goes to the distributor's
    identity in that app, where it can be accepted."""
    key = clean_key(idempotency_key, error=WithdrawalError)
    fingerprint = _fingerprint(amount_fen, channel, bank_name, account) if key else ""
    if key and (existing := _replay(distributor, key, fingerprint)) is not None:
        return existing
    _require_approved(distributor)
    kyc = KycRecord.objects.filter(distributor=distributor).first()
    if kyc is None:
        raise WithdrawalError(WithdrawalCode.KYC_REQUIRED, gettext("提现前请先完成实名认证"), status=403)
    conf = get_settings()
    if channel not in Channel.values:
        raise WithdrawalError(WithdrawalCode.INVALID_CHANNEL, gettext("请选择提现方式"), {"field": "channel", "channel": channel})
    if channel not in conf.enabled_channels:
        raise WithdrawalError(
            WithdrawalCode.CHANNEL_DISABLED,
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
                number=new_number(),
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
                requested_in=requested_in if requested_in in Withdrawal.App.values else "",
                request_digest=fingerprint,
                requested_at=now,
                requested_on=day,
            )
            note = gettext("申请提现 ¥%(amount)s，手续费 ¥%(fee)s，实际到账 ¥%(net)s") % {
                "amount": yuan(priced.amount_fen),
                "fee": yuan(priced.fee_fen),
                "net": yuan(priced.net_fen),
            }
            WITHDRAWAL_MACHINE.record(withdrawal, "", W.REQUESTED, actor=actor, note=note)
            post_request(withdrawal, actor=actor)
    except IntegrityError:
        # The same key committed by a request that did not wait on our lock (it cannot, but the
        # unique index is the last word).
        if key and (existing := _replay(distributor, key, fingerprint)) is not None:
            return existing
        raise
    withdrawal.replayed = False
    return withdrawal
