"""The monthly team bonus (团队奖励) of partners.

A partner is an approved distributor whose current level has `team_bonus_bp > 0` (seed: 合伙人, 3%).
Its team is its downline within the two commission levels: the approved distributors it invited
(direct) and the approved distributors they invited (indirect), as the team pages count them; a
member three levels down is nobody's team member at that distance. The partner's own shop sales are
not team sales.

Team sales of month M are the lines of the team members' orders completed within M (local time),
what was paid for each line less what was refunded on it, shipping never included. The bonus is
`apply_rate(team sales, rate)`.

The figures come from three aggregate queries whatever the number of partners: the partners, the
sales grouped by each member's inviter, and the sales grouped by each member's inviter's inviter.
A run pays a month once: it locks the partner rows, finds the month already paid or pays it in one
transaction (a `TeamBonus` row per partner with a bonus, and one ledger posting
"team_bonus:<YYYY-MM>" from team-bonus expense to each partner's available account, where a debt is
repaid first simply because the balance is net). The unique (distributor, month) rows and the
posting's key stop a concurrent or repeated run from paying twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import apply_rate, format_rate, yuan
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order, OrderLine

from ..errors import CommissionCode, CommissionError
from ..models import TeamBonus

KIND_TEAM_BONUS = "team_bonus"
APPROVED = Distributor.Status.APPROVED
COMPLETED = Order.Status.COMPLETED


def ledger_key(month: str) -> str:
    return f"team_bonus:{month}"


@dataclass(frozen=True)
class MonthPeriod:
    label: str  # "2026-10"
    start: datetime  # local midnight of the 1st, aware
    end: datetime  # local midnight of the 1st of the next month (exclusive)


@dataclass(frozen=True)
class PartnerFigures:
    distributor_id: int
    level_name: str
    rate_bp: int
    team_sales_fen: int
    order_count: int
    amount_fen: int


@dataclass(frozen=True)
class TeamBonusRun:
    """What a run did. `created` is False when the month had been paid before (the figures are then
    those of the rows already there) or when no partner earned anything."""

    month: str
    created: bool
    partner_count: int
    team_sales_fen: int
    amount_fen: int
    ledger_transaction_id: int | None
    bonuses: tuple[TeamBonus, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        state = gettext("已发放") if self.created else gettext("无新发放（本月已发放或无可发放奖励）")
        return gettext("%(month)s 团队奖励：%(state)s；合伙人 %(count)d 位，团队销售额 ¥%(sales)s，奖励合计 ¥%(amount)s") % {
            "month": self.month,
            "state": state,
            "count": self.partner_count,
            "sales": yuan(self.team_sales_fen),
            "amount": yuan(self.amount_fen),
        }


def check_month(month) -> str:
    """A well-formed "YYYY-MM" (from 2000 on), else `invalid_month`."""
    if periods.parse_month(month) is None or month != month.strip():
        raise CommissionError(CommissionCode.INVALID_MONTH, gettext("月份格式应为 YYYY-MM，例如 2026-10"), {"month": month})
    return month


def month_period(month: str | None = None, *, now: datetime | None = None) -> MonthPeriod:
    """The local calendar month "YYYY-MM" (default: the previous one). Only a month that has ended can
    be paid: the current or a future month is refused with `month_not_closed`."""
    label = check_month(periods.previous_month(now) if month in (None, "") else month)
    first = periods.parse_month(label)
    if not periods.is_closed_month(first, now):
        raise CommissionError(
            CommissionCode.MONTH_NOT_CLOSED,
            gettext("只能发放已结束月份的团队奖励：%(month)s 尚未结束") % {"month": label},
            {"month": label, "current_month": periods.current_month(now)},
        )
    start, end = periods.month_bounds(first)
    return MonthPeriod(label=label, start=start, end=end)


def bonuses_for_month(month: str):
    """The bonuses paid for a month, largest first, with their distributors (a read for lists)."""
    return TeamBonus.objects.filter(month=check_month(month)).select_related("distributor").order_by("-amount_fen", "id")


def _partners():
    return Distributor.objects.filter(status=APPROVED, level__team_bonus_bp__gt=0)


def _team_sales(period: MonthPeriod, upline: str) -> dict[int, tuple[int, int]]:
    """Completed sales of the month grouped by one upline position of the selling member
    ("inviter" = direct team, "inviter__inviter" = indirect team), partners only:
    {partner id: (net sales fen, order count)}. One query."""
    member = "order__distributor"
    partner = f"{member}__{upline}"
    rows = (
        OrderLine.objects.filter(
            order__status=COMPLETED,
            order__completed_at__gte=period.start,
            order__completed_at__lt=period.end,
            **{f"{member}__status": APPROVED, f"{partner}__status": APPROVED, f"{partner}__level__team_bonus_bp__gt": 0},
        )
        .order_by()
        .values(partner_id=F(f"{partner}_id"))
        .annotate(sales=Sum(F("paid_fen") - F("refunded_fen")), orders=Count("order", distinct=True))
        .values_list("partner_id", "sales", "orders")
    )
    return {partner_id: (sales or 0, orders) for partner_id, sales, orders in rows}


def team_bonus_figures(month: str | None = None, *, now: datetime | None = None) -> list[PartnerFigures]:
    """Every partner's team sales and bonus for a closed month, as a run would pay them (reads only;
    three queries whatever the number of partners). Partners without team sales are left out."""
    period = month_period(month, now=now)
    partners = list(_partners().order_by("pk").values_list("pk", "level__name", "level__team_bonus_bp"))
    return _figures(period, partners)


def _figures(period: MonthPeriod, partners) -> list[PartnerFigures]:
    if not partners:
        return []
    direct = _team_sales(period, "inviter")
    indirect = _team_sales(period, "inviter__inviter")
    figures = []
    for pk, level_name, rate_bp in partners:
        sales_d, orders_d = direct.get(pk, (0, 0))
        sales_i, orders_i = indirect.get(pk, (0, 0))
        # An order has one seller, who is either a direct or an indirect member of a given partner.
        sales, orders = sales_d + sales_i, orders_d + orders_i
        if sales <= 0:
            continue
        figures.append(
            PartnerFigures(
                distributor_id=pk,
                level_name=level_name,
                rate_bp=rate_bp,
                team_sales_fen=sales,
                order_count=orders,
                amount_fen=apply_rate(sales, rate_bp),
            )
        )
    return figures


def _already_paid(label: str) -> TeamBonusRun:
    rows = tuple(TeamBonus.objects.filter(month=label).order_by("-amount_fen", "id"))
    txn_ids = {row.ledger_transaction_id for row in rows}
    return TeamBonusRun(
        month=label,
        created=False,
        partner_count=len(rows),
        team_sales_fen=sum(row.team_sales_fen for row in rows),
        amount_fen=sum(row.amount_fen for row in rows),
        ledger_transaction_id=next(iter(txn_ids)) if len(txn_ids) == 1 else None,
        bonuses=rows,
    )


def run_team_bonus(month: str | None = None, *, actor=None, now: datetime | None = None) -> TeamBonusRun:
    """Pay the team bonus of a closed month (default: the previous local month). Running a month again
    pays nothing and returns what was paid."""
    period = month_period(month, now=now)
    if TeamBonus.objects.filter(month=period.label).exists():
        return _already_paid(period.label)
    try:
        return _pay(period, actor)
    except IntegrityError:
        # A concurrent run committed this month's rows between our check and our insert.
        if TeamBonus.objects.filter(month=period.label).exists():
            return _already_paid(period.label)
        raise


@transaction.atomic
def _pay(period: MonthPeriod, actor) -> TeamBonusRun:
    # Lock the partners (rows first, ledger accounts last, like every other writer): a second run
    # waits here, then finds the month paid.
    partners = list(
        _partners().select_for_update(of=("self",)).order_by("pk").values_list("pk", "level__name", "level__team_bonus_bp")
    )
    if TeamBonus.objects.filter(month=period.label).exists():
        return _already_paid(period.label)
    payable = [f for f in _figures(period, partners) if f.amount_fen > 0]
    if not payable:
        return TeamBonusRun(
            month=period.label, created=False, partner_count=0, team_sales_fen=0, amount_fen=0, ledger_transaction_id=None
        )
    total = sum(f.amount_fen for f in payable)
    from ..postings import credit_available

    txn = credit_available(
        {f.distributor_id: f.amount_fen for f in payable},
        kind=KIND_TEAM_BONUS,
        idempotency_key=ledger_key(period.label),
        memo=gettext("%(month)s 团队奖励（%(count)d 位合伙人）") % {"month": period.label, "count": len(payable)},
        reference=ledger_key(period.label),
        actor=actor if getattr(actor, "pk", None) is not None else None,
    )
    rows = TeamBonus.objects.bulk_create(
        [
            TeamBonus(
                distributor_id=f.distributor_id,
                month=period.label,
                level_name=f.level_name[:20],
                rate_bp=f.rate_bp,
                team_sales_fen=f.team_sales_fen,
                order_count=f.order_count,
                amount_fen=f.amount_fen,
                ledger_transaction_id=txn.pk,
            )
            for f in payable
        ]
    )
    rows.sort(key=lambda row: (-row.amount_fen, row.distributor_id))
    return TeamBonusRun(
        month=period.label,
        created=True,
        partner_count=len(rows),
        team_sales_fen=sum(f.team_sales_fen for f in payable),
        amount_fen=total,
        ledger_transaction_id=txn.pk,
        bonuses=tuple(rows),
    )


# --- maker–checker: a run is proposed, and paid when finance approves it --------------------------

APPROVAL_KIND = "team_bonus"


@dataclass(frozen=True)
class TeamBonusProposal:
    month: str
    run: TeamBonusRun | None  # set when the month is already paid (nothing to approve)
    approval: object | None  # the pending ApprovalRequest, if there is something to pay
    partner_count: int = 0
    team_sales_fen: int = 0
    amount_fen: int = 0
    figures: tuple[PartnerFigures, ...] = ()


def propose_team_bonus(month: str | None = None, *, actor=None, now: datetime | None = None) -> TeamBonusProposal:
    """Compute a closed month's bonus and ask finance to approve paying it; nothing is paid here. A
    month already paid returns what was paid; proposing again while a request is pending returns it."""
    from fenxiao.approvals import services as approvals

    period = month_period(month, now=now)
    if TeamBonus.objects.filter(month=period.label).exists():
        return TeamBonusProposal(month=period.label, run=_already_paid(period.label), approval=None)
    payable = [f for f in team_bonus_figures(period.label) if f.amount_fen > 0]
    if not payable:
        return TeamBonusProposal(month=period.label, run=None, approval=None)
    total = sum(f.amount_fen for f in payable)
    users = Distributor.objects.filter(pk__in=[f.distributor_id for f in payable]).values_list("user_id", flat=True)
    approval = approvals.propose(
        kind=APPROVAL_KIND,
        reference=ledger_key(period.label),
        amount_fen=total,
        summary=gettext("%(month)s 团队奖励：%(count)d 位合伙人，合计 ¥%(amount)s")
        % {"month": period.label, "count": len(payable), "amount": yuan(total)},
        proposer=actor,
        payload={"month": period.label, "amount_fen": total, "partner_count": len(payable)},
        beneficiaries=list(users),
    )
    return TeamBonusProposal(
        month=period.label,
        run=None,
        approval=approval,
        partner_count=len(payable),
        team_sales_fen=sum(f.team_sales_fen for f in payable),
        amount_fen=total,
        figures=tuple(payable),
    )


def execute_approved(request, actor) -> dict:
    """Approval handler: pay the month approved, for the amount approved. If the figures moved since
    the proposal (a late refund), nothing is paid and the request stays pending to be rejected and
    proposed again."""
    month = request.payload["month"]
    if not TeamBonus.objects.filter(month=month).exists():
        current = sum(f.amount_fen for f in team_bonus_figures(month) if f.amount_fen > 0)
        if current != request.amount_fen:
            raise CommissionError(
                CommissionCode.AMOUNT_CHANGED,
                gettext("团队奖励金额已变化（现为 ¥%(now)s），请驳回后重新提交") % {"now": yuan(current)},
                {"proposed_fen": request.amount_fen, "current_fen": current},
                status=409,
            )
    run = run_team_bonus(month, actor=actor)
    return {
        "month": run.month,
        "paid": run.created,
        "amount_fen": run.amount_fen,
        "ledger_transaction_id": run.ledger_transaction_id,
    }


def describe(bonus: TeamBonus) -> str:
    """One line for lists and the command's output."""
    return gettext("%(month)s %(level)s 团队销售 ¥%(sales)s × %(rate)s = ¥%(amount)s") % {
        "month": bonus.month,
        "level": bonus.level_name,
        "sales": yuan(bonus.team_sales_fen),
        "rate": format_rate(bonus.rate_bp),
        "amount": yuan(bonus.amount_fen),
    }
