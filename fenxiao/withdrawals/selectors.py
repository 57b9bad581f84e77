"""Reads for withdrawals: balances and today's total for the request page, lists for the distributor
and for finance, batches. Balances are the ledger's cached ones (checked by `ledger_check`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Prefetch, QuerySet, Sum

from fenxiao.commissions.services import available_account, withdrawing_account
from fenxiao.common.periods import local_today
from fenxiao.ledger.models import Account

from .models import KycRecord, PayoutBatch, TransferBill, Withdrawal, WithdrawalEvent, WithdrawalSettings

W = Withdrawal.Status
# Withdrawals that count against the daily cap: everything asked for today that was not given back.
COUNTED_FOR_CAP = (W.REQUESTED, W.APPROVED, W.PAID)


def local_day(moment: datetime | None = None) -> date:
    """The business day of the daily cap: the local calendar day (the project's time zone), whatever
    the server's zone."""
    return local_today(moment)


def settings_row() -> WithdrawalSettings:
    obj = WithdrawalSettings.objects.filter(pk=1).first()
    if obj is None:
        obj, _created = WithdrawalSettings.objects.get_or_create(pk=1)
    return obj


def kyc_for(distributor) -> KycRecord | None:
    return KycRecord.objects.filter(distributor=distributor).first()


def today_requested_fen(distributor_id: int, day: date) -> int:
    return Withdrawal.objects.filter(distributor_id=distributor_id, requested_on=day, status__in=COUNTED_FOR_CAP).aggregate(
        total=Sum("amount_fen", default=0)
    )["total"]


@dataclass(frozen=True)
class Overview:
    """What the request page shows: the available balance (below zero = debt), what is on its way
    out, and how much of today's cap is left."""

    available_fen: int
    withdrawing_fen: int
    today_requested_fen: int
    settings: WithdrawalSettings

    @property
    def debt_fen(self) -> int:
        return max(0, -self.available_fen)

    @property
    def withdrawable_fen(self) -> int:
        return max(0, min(self.available_fen, self.remaining_today_fen))

    @property
    def remaining_today_fen(self) -> int:
        return max(0, self.settings.daily_cap_fen - self.today_requested_fen)


def balances(distributor_id: int) -> tuple[int, int]:
    """(available, withdrawing) in fen; 0 for accounts not opened yet."""
    codes = {available_account(distributor_id): 0, withdrawing_account(distributor_id): 0}
    for code, balance in Account.objects.filter(code__in=list(codes)).values_list("code", "balance_fen"):
        codes[code] = balance
    return codes[available_account(distributor_id)], codes[withdrawing_account(distributor_id)]


def overview(distributor, *, now: datetime | None = None) -> Overview:
    available, withdrawing = balances(distributor.pk)
    return Overview(
        available_fen=available,
        withdrawing_fen=withdrawing,
        today_requested_fen=today_requested_fen(distributor.pk, local_day(now)),
        settings=settings_row(),
    )


def withdrawals_for_distributor(distributor, *, status: str | None = None) -> QuerySet[Withdrawal]:
    qs = Withdrawal.objects.filter(distributor=distributor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


def withdrawal_detail(withdrawal_id: int, *, distributor=None) -> Withdrawal | None:
    qs = Withdrawal.objects.select_related("distributor__user", "batch").prefetch_related(
        Prefetch("events", queryset=WithdrawalEvent.objects.select_related("actor").order_by("created_at", "id"))
    )
    if distributor is not None:
        qs = qs.filter(distributor=distributor)
    return qs.filter(pk=withdrawal_id).first()


def withdrawals_for_review(
    *,
    status: str | None = None,
    channel: str | None = None,
    distributor_id: int | None = None,
    batch_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Withdrawal]:
    """Finance's list, oldest first: requests are reviewed in the order they came in."""
    qs = Withdrawal.objects.select_related("distributor", "batch")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if distributor_id:
        qs = qs.filter(distributor_id=distributor_id)
    if batch_id:
        qs = qs.filter(batch_id=batch_id)
    if since:
        qs = qs.filter(requested_on__gte=since)
    if until:
        qs = qs.filter(requested_on__lte=until)
    return qs.order_by("requested_at", "id")


def eligible_for_batch(channel: str = "") -> QuerySet[Withdrawal]:
    qs = Withdrawal.objects.filter(status=W.APPROVED, batch__isnull=True, transfer_bill__isnull=True)
    return qs.filter(channel=channel) if channel else qs


def transfer_bill_for(withdrawal: Withdrawal) -> TransferBill | None:
    """The WeChat merchant transfer paying this withdrawal, if it goes that way."""
    return TransferBill.objects.filter(withdrawal=withdrawal).first()


def batches(*, status: str | None = None) -> QuerySet[PayoutBatch]:
    qs = PayoutBatch.objects.select_related("created_by").annotate(results_count=Count("results"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def batch_detail(batch_id: int) -> PayoutBatch | None:
    return batches().filter(pk=batch_id).first()


def batch_lines(batch: PayoutBatch) -> QuerySet[Withdrawal]:
    return batch.lines.select_related("payout_result", "distributor").order_by("batch_line")


def awaiting_review_count() -> int:
    """Withdrawals asked for and not reviewed yet (finance's to-do)."""
    return Withdrawal.objects.filter(status=W.REQUESTED).count()


def batches_awaiting_results_count() -> int:
    """Payout batches whose file went out and whose results have not come back."""
    return PayoutBatch.objects.filter(status=PayoutBatch.Status.EXPORTED).count()
